"""A preview of an issue the schedule finishes late says what its publish then sends: the
digest of an issue part way out, which a firing marked to go out late when a newer one went
out first, pings nobody, and `newsbot publish N --dry-run` says so before it goes (the real
discord.py against the emulator, `newsbot` as a process of its own, a real SQLite archive)."""

from __future__ import annotations

from pathlib import Path

import discord

from bot.models import Subscription
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.schedule.jobs import ScheduledPublishing
from bot.settings import load_settings
from bot.store import Archive
from bot.wiring import build
from tests.factories import issue
from tests.publishing.cli_harness import newsbot_env
from tests.publishing.test_dry_run import rows_of
from tests.x.conftest import run_newsbot


async def dry_run(db: Path, env: dict[str, str], number: int) -> dict[str, str]:
    """What `newsbot publish NUMBER --dry-run` says each Discord step would do, by key."""
    run = await run_newsbot(
        "--db", str(db), "publish", str(number), "--outlet", "discord", "--dry-run", env=env
    )
    assert run.returncode == 0, run.stderr
    return {key: does for _, key, does in rows_of(run.stdout)}


async def finished_late(
    emulator: Emulator, seed: DefaultWorld, role: int, db: Path, env: dict[str, str]
) -> None:
    """#1, part way out in `seed.general` when #2 went out there whole pinging `role`, has been
    finished: its digest came after #2's and pinged nobody, as the dry run said, and nothing of
    it is left to send."""
    digests = [m for m in emulator.messages_in(seed.general) if m.embeds]
    assert [d.embeds[0]["title"] for d in digests] == [
        "#2 · Test Weekly: Issue #2",
        "#1 · Test Weekly: Issue #1",
    ]
    assert [d.mention_roles for d in digests] == [[role], []], "as the dry run said"
    assert (await dry_run(db, env, 1))[f"1/discord/{seed.general.id}/digest"] == "unchanged"


async def test_the_dry_run_of_an_issue_finished_late_says_its_digest_pings_nobody(
    archive: Archive,
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
) -> None:
    settings = load_settings(
        issues={"directory": tmp_path},
        schedule={"cron": "0 9 * * MON", "catch_up": "none"},
        publishing={"retry_delay": 0.01, "stop_grace": 0, "retries": 0},
    )
    role = seed.newsletter_role.id
    channel = seed.general.id
    await archive.subscriptions.add(Subscription(seed.guild.id, channel, "text", role_id=role))
    work = ScheduledPublishing(build(settings, archive, discord=client))
    db, env = tmp_path / "archive.db", newsbot_env(emulator) | {"COLUMNS": "200"}
    digest = f"1/discord/{channel}/digest"
    # #1's digest fails at its first firing, and again when the next one finishes it late,
    # before #2 goes out whole: #1 is left part way out, to be finished pinging nobody.
    emulator.inject("POST", f"/channels/{channel}/messages", 503)
    await archive.issues.ingest(issue(1))
    assert (await work.fire()).published == {}
    assert (await dry_run(db, env, 1))[digest] == f"posted, pinging role {role}"
    emulator.inject("POST", f"/channels/{channel}/messages", 503)
    await archive.issues.ingest(issue(2))
    assert (await work.fire()).published == {"discord": [2]}

    assert (await dry_run(db, env, 1))[digest] == "posted, pinging nobody"

    (sent,) = await work.publisher.publish(await archive.issues.issue(1), ["discord"])
    assert sent.failure is None, sent.lines
    await finished_late(emulator, seed, role, db, env)
