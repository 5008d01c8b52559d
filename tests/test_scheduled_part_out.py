"""Which older unfinished issue a firing finishes, judged from what its ledger says is out
there: a step whose request reached the platform with no answer (X made the post, then
answered 503) may be out, so its issue is finished, the post found and not made twice; a
step a correction removed is not out, so an issue of which nothing else went out is left,
and the editors told (the real discord.py and tweepy against the emulators, a real SQLite
archive)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.models import Issue, Subscription
from bot.publishing.outlets.discord_client import rest_client
from bot.publishing.outlets.x import x_outlet
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.sandbox.x import XEmulator
from bot.schedule.jobs import ScheduledPublishing
from bot.settings import load_settings
from bot.store import Archive
from bot.wiring import build
from tests.factories import issue
from tests.publishing.conftest import threads_of
from tests.test_scheduled_left import Told, digests_in
from tests.x.conftest import assert_one_thread, thread_texts

WEEKLY = {"cron": "0 9 * * MON", "catch_up": "none"}
QUICK = {"retry_delay": 0.01, "stop_grace": 0, "retries": 0}


async def test_an_issue_whose_only_post_x_may_have_made_is_finished_not_left(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path
) -> None:
    keys = {key.removeprefix("NEWSBOT_X__").lower(): v for key, v in x_emulator.env().items()}
    settings = load_settings(
        issues={"directory": tmp_path}, x=keys, schedule=WEEKLY, publishing=QUICK
    )
    told = Told()
    first, second = issue(1), issue(2)
    async with x_outlet(settings.x) as x:
        work = ScheduledPublishing(build(settings, archive, threads=[x], alerts=told))
        # X makes #1's first post, then answers 503: newsbot cannot know it was made.
        x_emulator.inject("POST", "/2/tweets", 503, after_handler=True)
        await archive.issues.ingest(first)
        assert (await work.fire()).published == {}
        assert [t.text for t in x_emulator.live_tweets()] == thread_texts(first)[:1]
        await archive.issues.ingest(second)
        resumed = await work.fire()

    assert resumed.published == {"x": [1, 2]}
    ones, twos = thread_texts(first), thread_texts(second)
    tweets = x_emulator.live_tweets()
    assert_one_thread(tweets[: len(ones)], ones)
    assert_one_thread(tweets[len(ones) :], twos)  # #1's post was found, not made twice
    assert not [text for text in told.texts() if "left unsent" in text]


@pytest.fixture
async def bounded(emulator: Emulator) -> AsyncIterator[discord.Client]:
    """A client as `newsbot run` builds it: a rate limit longer than two minutes is left for
    a later publish rather than waited out."""
    async with rest_client(emulator.token, max_wait=120, request_timeout=5) as client:
        yield client


async def test_an_issue_whose_only_steps_out_a_correction_removed_is_left(
    archive: Archive,
    bounded: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
) -> None:
    """#1's thread goes out, its digest held back by a long rate limit; its section is then
    renamed, and publishing the correction removes the old thread while a long rate limit
    holds back the new one. Nothing of #1 is left in the channel: when #2 is due, #1 is left
    (the editors told) like any issue of which nothing went out, not finished quietly."""
    settings = load_settings(issues={"directory": tmp_path}, schedule=WEEKLY, publishing=QUICK)
    channel = seed.general
    await archive.subscriptions.add(
        Subscription(seed.guild.id, channel.id, "text", role_id=seed.newsletter_role.id)
    )
    told = Told()
    work = ScheduledPublishing(build(settings, archive, discord=bounded, alerts=told))
    emulator.inject("POST", f"/channels/{channel.id}/messages", 429, retry_after=900.0)
    await archive.issues.ingest(issue(1))
    assert (await work.fire()).published == {}
    assert [t.name for t in threads_of(emulator, channel)] == ["#1 · News"]
    (news,) = issue(1).sections
    world = {**news.model_dump(), "name": "World", "slug": "world"}
    await archive.issues.ingest(
        Issue.model_validate({**issue(1).model_dump(), "sections": [world]})
    )
    emulator.inject("POST", f"/channels/{channel.id}/threads", 429, retry_after=900.0)
    (corrected,) = await work.publisher.publish(await archive.issues.issue(1), ["discord"])
    assert corrected.failure is not None, corrected.lines
    assert threads_of(emulator, channel) == [], "the old thread removed, the new one held"

    await archive.issues.ingest(issue(2))
    due = await work.fire()

    assert due.published == {"discord": [2]}
    assert [t.name for t in threads_of(emulator, channel)] == ["#2 · News"]
    assert digests_in(emulator, channel) == ["#2 · Test Weekly: Issue #2"]
    left = [text for text in told.texts() if "left unsent" in text]
    assert left and left[0].startswith(f"Issue #1 was left unsent in <#{channel.id}>")
