"""An issue part way out at a channel, finished by hand after a newer issue went out there, is
finished late as a firing finishes it: its digest pings nobody, for the readers were pinged
for the newer one, and `newsbot publish N --dry-run` says so before it goes (the real
discord.py against the emulator, `newsbot` as a process of its own, a real SQLite archive)."""

from __future__ import annotations

from pathlib import Path

import discord

from bot.models import Subscription
from bot.publishing.service import Publisher
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.settings import load_settings
from bot.store import Archive
from bot.wiring import build
from tests.factories import issue
from tests.publishing.cli_harness import newsbot_env
from tests.test_scheduled_late_preview import dry_run, finished_late


async def published(publisher: Publisher, archive: Archive, number: int) -> str | None:
    """Publish the issue to Discord by hand, as `newsbot publish N` does; its failure, if any."""
    (result,) = await publisher.publish(await archive.issues.issue(number), ["discord"])
    return result.failure


async def test_an_issue_part_out_finished_by_hand_after_a_newer_one_pings_nobody(
    archive: Archive,
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
) -> None:
    settings = load_settings(publishing={"retry_delay": 0.01, "stop_grace": 0, "retries": 0})
    role = seed.newsletter_role.id
    channel = seed.general.id
    await archive.subscriptions.add(Subscription(seed.guild.id, channel, "text", role_id=role))
    publisher = build(settings, archive, discord=client).publisher
    db, env = tmp_path / "archive.db", newsbot_env(emulator) | {"COLUMNS": "200"}
    digest = f"1/discord/{channel}/digest"
    await archive.issues.ingest(issue(1))
    await archive.issues.ingest(issue(2))
    # #1's digest fails in a way that may have reached Discord: #1 is part way out there.
    emulator.inject("POST", f"/channels/{channel}/messages", 503)
    assert await published(publisher, archive, 1) is not None
    assert (await dry_run(db, env, 1))[digest] == f"posted, pinging role {role}"
    assert await published(publisher, archive, 2) is None

    assert (await dry_run(db, env, 1))[digest] == "posted, pinging nobody"
    assert await published(publisher, archive, 1) is None
    await finished_late(emulator, seed, role, db, env)


async def test_an_older_issue_nothing_of_which_went_out_still_pings_when_sent_by_hand(
    archive: Archive,
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
) -> None:
    """An editor sending an older issue on purpose (none of it there yet) is not finishing one
    late: its readers have not seen it, and its digest pings them as any other."""
    settings = load_settings(publishing={"retry_delay": 0.01, "stop_grace": 0, "retries": 0})
    role = seed.newsletter_role.id
    await archive.subscriptions.add(
        Subscription(seed.guild.id, seed.general.id, "text", role_id=role)
    )
    publisher = build(settings, archive, discord=client).publisher
    await archive.issues.ingest(issue(1))
    await archive.issues.ingest(issue(2))
    assert await published(publisher, archive, 2) is None
    assert await published(publisher, archive, 1) is None
    digests = [m for m in emulator.messages_in(seed.general) if m.embeds]
    assert [d.mention_roles for d in digests] == [[role], [role]]


async def test_a_late_digest_that_failed_still_pings_nobody_after_a_correction(
    archive: Archive,
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
) -> None:
    """The ledger keeps that the issue is finished late until its steps are sent: a late
    digest that failed, sent after the editor corrected the issue, still pings nobody."""
    settings = load_settings(publishing={"retry_delay": 0.01, "stop_grace": 0, "retries": 0})
    role = seed.newsletter_role.id
    channel = seed.general.id
    await archive.subscriptions.add(Subscription(seed.guild.id, channel, "text", role_id=role))
    publisher = build(settings, archive, discord=client).publisher
    await archive.issues.ingest(issue(1))
    await archive.issues.ingest(issue(2))
    emulator.inject("POST", f"/channels/{channel}/messages", 503)
    assert await published(publisher, archive, 1) is not None
    assert await published(publisher, archive, 2) is None
    # Finished late, #1's digest fails again; then the editor corrects #1's title.
    emulator.inject("POST", f"/channels/{channel}/messages", 503)
    assert await published(publisher, archive, 1) is not None
    await archive.issues.ingest(issue(1, title="Test Weekly: Issue #1, corrected"))

    assert await published(publisher, archive, 1) is None
    digests = [m for m in emulator.messages_in(seed.general) if m.embeds]
    assert [d.embeds[0]["title"] for d in digests] == [
        "#2 · Test Weekly: Issue #2",
        "#1 · Test Weekly: Issue #1, corrected",
    ]
    assert [d.mention_roles for d in digests] == [[role], []]
