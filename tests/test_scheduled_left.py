"""What each firing resumes of the publishes left unfinished. A channel the schedule cannot
reach for weeks (a server that removed the bot, a permission never given) is resumed only the
newest issue it is owed: the editors hear of its failure once per reason and of each issue
left once, and once the channel is back only that newest issue goes out, its digest pinging
the role once; an issue left is still sent by hand. An older issue part way out (one failed
request, a stop) is always finished before the next, its digest pinging nobody (the real
discord.py and tweepy against the emulators, a real SQLite archive)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord
import pytest

from bot.models import Issue, Subscription
from bot.publishing.outlets.x import x_outlet
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Permission
from bot.sandbox.x import XEmulator
from bot.schedule.jobs import ScheduledPublishing
from bot.schedule.owed import left_message
from bot.settings import load_settings
from bot.store import Archive
from bot.wiring import build
from tests.conftest import eventually
from tests.factories import issue
from tests.publishing.conftest import threads_of
from tests.test_scheduled import scheduled_on, settings_for
from tests.x.conftest import assert_one_thread, thread_texts


class Told:
    """What the editors were told, and of which target."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, object]] = []

    async def tell(self, text: str, target: object = None, *, logged: bool = False) -> None:
        self.messages.append((text, target))

    def texts(self) -> list[str]:
        return [text for text, _ in self.messages]


def digests_in(emulator: Emulator, channel: Channel) -> list[str]:
    """The titles of the digests posted in `channel`, oldest first."""
    return [m.embeds[0]["title"] for m in emulator.messages_in(channel) if m.type == 0 and m.embeds]


def cut_off(emulator: Emulator, seed: DefaultWorld, how: str) -> None:
    """The channel becomes unreachable: the server removes the bot, or hides the channel."""
    if how == "removed":
        emulator.world.remove_member(seed.guild, seed.bot)
    else:
        emulator.deny(seed.general, Permission.VIEW_CHANNEL)


def restore(emulator: Emulator, seed: DefaultWorld, how: str) -> None:
    """The bot is invited back, or given View Channel again."""
    if how == "removed":
        emulator.world.add_member(seed.guild, seed.bot, roles=(seed.bot_role,))
    else:
        emulator.allow(seed.general, Permission.VIEW_CHANNEL)


@pytest.mark.parametrize("how", ["removed", "hidden"])
async def test_a_channel_cut_off_for_weeks_gets_only_the_newest_issue_when_back(
    how: str,
    archive: Archive,
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
) -> None:
    settings = load_settings(
        issues={"directory": tmp_path},
        schedule={"cron": "0 9 * * MON", "catch_up": "none"},
        publishing={"retry_delay": 0.01, "stop_grace": 0},
    )
    role = seed.newsletter_role.id
    await archive.subscriptions.add(
        Subscription(seed.guild.id, seed.general.id, "text", role_id=role)
    )
    told = Told()
    work = ScheduledPublishing(build(settings, archive, discord=client, alerts=told))
    cut_off(emulator, seed, how)

    weeks = []
    for number in (1, 2, 3):
        await archive.issues.ingest(issue(number))
        weeks.append(await work.fire())
    again = await work.fire()  # nothing new, still cut off

    assert [r.published for r in (*weeks, again)] == [{}, {}, {}, {}]
    assert [len(r.failures) for r in (*weeks, again)] == [1, 1, 1, 1], "the newest, retried"
    failures = [t for t in told.texts() if t.startswith("I could not publish")]
    assert len(failures) == 1, "the failure is told once while its reason stays the same"
    assert "issue #1 in <#" in failures[0]
    left = [(text, target) for text, target in told.messages if "left unsent" in text]
    assert [text for text, _ in left] == [
        f"Issue #{n} was left unsent in <#{seed.general.id}>: none of it went out there, and"
        " the schedule sends there only the newest issue owed, so that readers do not get old"
        f" issues all at once. `newsbot publish {n}` sends it anyway."
        for n in (1, 2)
    ], "each issue left is told once"
    assert all(target is None for _, target in left), "told the editors, who can run newsbot"

    restore(emulator, seed, how)
    back = await work.fire()
    quiet = await work.fire()

    assert back.published == {"discord": [3]} and back.failures == []
    assert quiet.published == {} and quiet.failures == []
    assert digests_in(emulator, seed.general) == ["#3 · Test Weekly: Issue #3"]
    (digest,) = [m for m in emulator.messages_in(seed.general) if m.embeds]
    assert digest.mention_roles == [role], "one ping, for the newest issue"
    assert [t.name for t in threads_of(emulator, seed.general)] == ["#3 · News"]
    assert len(told.messages) == 3, "nothing more is told once the channel is back"
    restarted = ScheduledPublishing(build(settings, archive, discord=client, alerts=told))
    assert (await restarted.fire()).published == {}
    assert len(told.messages) == 3, "what was left is not told again after a restart"

    # An issue left is still published by hand, finished from the ledger.
    (sent,) = await work.publisher.publish(await archive.issues.issue(1), ["discord"])
    assert sent.failure is None, sent.lines
    assert digests_in(emulator, seed.general) == [
        "#3 · Test Weekly: Issue #3",
        "#1 · Test Weekly: Issue #1",
    ]
    assert (await work.fire()).published == {}
    assert len(told.messages) == 3


def test_several_issues_left_at_once_are_named_together() -> None:
    assert left_message([4, 5, 7], "on X") == (
        "Issues #4, #5 and #7 were left unsent on X: none of them went out there, and the"
        " schedule sends there only the newest issue owed, so that readers do not get old"
        " issues all at once. `newsbot publish 4` sends one anyway."
    )


@pytest.mark.parametrize("failing", ["digest", "first thread message"])
async def test_an_issue_part_way_out_is_finished_quietly_when_the_next_one_is_due(
    failing: str,
    archive: Archive,
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
) -> None:
    """One failed request leaves #1 part way out (its thread without its digest, or without
    its items); with a weekly schedule #2 is due at the next firing. #1 is still finished,
    before #2, its digest pinging nobody for old news; #2's pings the role."""
    settings = load_settings(
        issues={"directory": tmp_path},
        schedule={"cron": "0 9 * * MON", "catch_up": "none"},
        publishing={"retry_delay": 0.01, "stop_grace": 0, "retries": 0},
    )
    role = seed.newsletter_role.id
    await archive.subscriptions.add(
        Subscription(seed.guild.id, seed.general.id, "text", role_id=role)
    )
    told = Told()
    work = ScheduledPublishing(build(settings, archive, discord=client, alerts=told))
    # The digest is posted in the channel; a thread's items in the thread (any channel's id).
    channel = seed.general.id if failing == "digest" else "{channel_id}"
    emulator.inject("POST", f"/channels/{channel}/messages", 503)
    await archive.issues.ingest(issue(1))
    first = await work.fire()
    assert first.published == {} and len(first.failures) == 1
    assert [t.name for t in threads_of(emulator, seed.general)] == ["#1 · News"]
    assert digests_in(emulator, seed.general) == []

    await archive.issues.ingest(issue(2))
    second = await work.fire()

    assert second.published == {"discord": [1, 2]} and second.failures == []
    assert digests_in(emulator, seed.general) == [
        "#1 · Test Weekly: Issue #1",
        "#2 · Test Weekly: Issue #2",
    ]
    digests = [m for m in emulator.messages_in(seed.general) if m.embeds]
    assert [d.mention_roles for d in digests] == [[], [role]], "one ping, for the new issue"
    threads = threads_of(emulator, seed.general)
    assert [t.name for t in threads] == ["#1 · News", "#2 · News"]
    assert all(emulator.messages_in(t) for t in threads), "each thread has its items"
    assert await archive.ledger.unfinished("discord") == []
    assert not [text for text in told.texts() if "left unsent" in text], "nothing was left"
    assert (await work.fire()).published == {}


async def test_an_x_thread_cut_short_is_finished_before_the_next_issue(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path, issue_202: Issue
) -> None:
    """A stop in the middle of #202's thread on X, and #203 due at the next firing: #202's
    thread gets its tail, then #203 goes out."""
    settings = settings_for(x_emulator, tmp_path)
    await archive.issues.ingest(issue_202)
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x)
        work.start()
        x_emulator.config.latency = 0.3  # X answers slowly: the stop comes mid-thread
        firing = asyncio.ensure_future(work.on_firing())
        await eventually(lambda: len(x_emulator.live_tweets()) >= 2)
        await work.stop()
        await asyncio.gather(firing, return_exceptions=True)
        cut_short = len(x_emulator.live_tweets())
        x_emulator.config.latency = 0
        await archive.issues.ingest(issue(203))
        resumed = await work.fire()

    assert resumed.published == {"x": [202, 203]}
    thread = thread_texts(issue_202)
    assert cut_short < len(thread)
    assert_one_thread(x_emulator.live_tweets()[: len(thread)], thread)
    assert len(x_emulator.live_tweets()) > len(thread), "#203 followed"
