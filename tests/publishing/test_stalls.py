"""A publish never stalls silently: a rate limit too long to wait, a request never answered
and a call failing on every try each end the channel's publish for now, in a few seconds, said
in its report, and the next publish finishes it with every step made once."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import discord
import pytest

from bot.models import Issue, StepState
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.outlets.discord_alerts import DiscordAlerts
from bot.publishing.outlets.discord_client import rest_client
from bot.publishing.pacer import Pacer
from bot.sandbox.discord import DefaultWorld, Emulator, MessageFlag
from bot.store import Archive
from tests.publishing.conftest import posted_in, text_of, text_target, threads_of
from tests.publishing.test_publish import assert_published_once

MESSAGES = "/channels/{channel_id}/messages"
THREADS = "/channels/{channel_id}/threads"
QUICK = 10.0
"""Seconds any publish here may take: every stall ends well before."""


@pytest.fixture
async def bounded_client(emulator: Emulator) -> AsyncIterator[discord.Client]:
    """A client as `newsbot publish` builds it: rate limits waited up to 120 s, each request
    answered within half a second."""
    async with rest_client(emulator.token, max_wait=120, request_timeout=0.5) as client:
        yield client


def engine_on(archive: Archive, outlet: DiscordOutlet, **options: float) -> Engine:
    return Engine(archive, retry_delay=0.01, alerts=DiscordAlerts(outlet), **options)  # type: ignore[arg-type]


async def test_a_rate_limit_longer_than_max_wait_leaves_the_rest_for_the_next_publish(
    bounded_client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    outlet = DiscordOutlet(bounded_client, pacer=Pacer(rate=1000))
    engine = engine_on(archive_with_issues, outlet)
    target = text_target(seed, seed.general)
    emulator.inject("POST", THREADS, 429, retry_after=900.0)
    report = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    (general,) = report.targets
    assert general.error is None and not general.ok
    assert general.deferred == len(outlet.plan(issue_202, target, {}, {}))
    assert general.cap == "Discord's rate limit"
    assert general.resume_at is not None
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=900)
    assert abs((general.resume_at - expected).total_seconds()) < QUICK
    assert "left for the next publish after" in general.summary()
    assert general.summary().endswith("(Discord's rate limit)")
    # Nothing was made, and the next publish makes all of it, once.
    assert threads_of(emulator, seed.general) == []
    again = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    assert again.ok
    assert_published_once(emulator, seed.general.id, issue_202)


async def test_a_long_rate_limit_on_a_removal_leaves_it_for_the_next_publish(
    bounded_client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    outlet = DiscordOutlet(bounded_client, pacer=Pacer(rate=1000))
    engine = engine_on(archive_with_issues, outlet)
    target = text_target(seed, seed.general)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    industry, _ = issue_204.sections
    await archive_with_issues.issues.ingest(issue_204.model_copy(update={"sections": (industry,)}))
    emulator.inject("DELETE", "/channels/{channel_id}", 429, retry_after=900.0)
    corrected = await archive_with_issues.issues.issue(204)
    report = await asyncio.wait_for(engine.publish(corrected, outlet, [target]), QUICK)
    (general,) = report.targets
    assert general.error is None and general.deferred == 1, general.summary()
    assert general.summary().endswith("(Discord's rate limit)")
    again = await asyncio.wait_for(engine.publish(corrected, outlet, [target]), QUICK)
    assert again.ok and again.targets[0].counts[Outcome.REMOVED] == 1
    assert [t.name for t in threads_of(emulator, seed.general)] == ["#204 · Industry"]


async def test_a_send_never_answered_times_out_and_is_found_not_sent_again(
    bounded_client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    outlet = DiscordOutlet(bounded_client, pacer=Pacer(rate=1000))
    engine = engine_on(archive_with_issues, outlet)
    # Discord made the message, and its answer never comes.
    fault = emulator.inject("POST", MESSAGES, 200, after_handler=True, hang=True)
    try:
        started = time.monotonic()
        report = await asyncio.wait_for(
            engine.publish(issue_202, outlet, [text_target(seed, seed.general)]), QUICK
        )
        assert time.monotonic() - started < QUICK / 2
    finally:
        fault.release()
    assert report.ok and fault.hits == 1
    # The unanswered one is found; on a loaded machine another request may outlast the half
    # second too, and is found the same way: what matters is that nothing is sent twice.
    assert report.count(Outcome.RECOVERED) >= 1
    assert_published_once(emulator, seed.general.id, issue_202)
    bodies = [text_of(m) for m in posted_in(emulator, seed.general)]
    assert len(bodies) == len(set(bodies))


async def test_a_step_failing_on_every_try_gives_up_after_step_timeout(
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    # Retries enough to go on for minutes, each failure at once (a 503 discord.py does not
    # retry itself): only the step's time bounds them.
    outlet = DiscordOutlet(client, pacer=Pacer(rate=1000), step_timeout=0.3)
    engine = engine_on(archive_with_issues, outlet, retries=60)
    fault = emulator.inject("POST", MESSAGES, 503, times=1000)
    target = text_target(seed, seed.general)
    report = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    (general,) = report.targets
    assert general.error is not None
    assert "Discord kept failing for" in general.error
    assert "Discord answered 503" in general.error
    assert fault.hits < 15
    ledger = await archive_with_issues.ledger.entries(202, "discord", target.name)
    assert StepState.FAILED in {e.state for e in ledger.values()}
    # Discord well again, the next publish (a new task: a new budget) finishes it, once.
    fault.times = fault.hits
    again = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    assert again.ok
    assert_published_once(emulator, seed.general.id, issue_202)


async def test_a_step_that_succeeds_ends_the_run_of_failures(
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    # Passing failures, each under the budget, spread over steps: none gives up.
    outlet = DiscordOutlet(client, pacer=Pacer(rate=1000), step_timeout=0.25)
    engine = Engine(archive_with_issues, retry_delay=0.15, alerts=DiscordAlerts(outlet))
    emulator.inject("POST", THREADS, 503, times=1)
    emulator.inject("POST", MESSAGES, 503, times=1)
    report = await asyncio.wait_for(
        engine.publish(issue_202, outlet, [text_target(seed, seed.general)]), QUICK
    )
    assert report.ok
    assert_published_once(emulator, seed.general.id, issue_202)


async def test_a_retry_is_cut_short_when_the_step_has_failed_for_step_timeout(
    emulator: Emulator, seed: DefaultWorld, issue_202: Issue, archive_with_issues: Archive
) -> None:
    # Every send hangs: the first times out after its second; the retry, begun with the step
    # failing for that second, is cut short 1.2 s after the first began, not left its own
    # whole second.
    async with rest_client(emulator.token, request_timeout=1.0) as client:
        outlet = DiscordOutlet(client, pacer=Pacer(rate=1000), step_timeout=1.2)
        engine = engine_on(archive_with_issues, outlet, retries=60)
        fault = emulator.inject("POST", MESSAGES, 200, times=1000, hang=True)
        started = time.monotonic()
        try:
            report = await asyncio.wait_for(
                engine.publish(issue_202, outlet, [text_target(seed, seed.general)]), QUICK
            )
            took = time.monotonic() - started
        finally:
            fault.release()
    assert took < 1.8
    (general,) = report.targets
    assert general.error is not None
    assert "Discord kept failing for 1 s" in general.error
    assert "Discord did not answer in time" in general.error
    assert fault.hits == 2


async def test_a_retry_cut_short_at_step_timeout_is_looked_for_not_made_twice(
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    # The thread's first try is answered 503; Discord makes it on the retry, whose answer is
    # held past the step's time: the give-up may have made it, so the next publish looks for
    # it before it makes it.
    outlet = DiscordOutlet(client, pacer=Pacer(rate=1000), step_timeout=0.5)
    engine = engine_on(archive_with_issues, outlet, retries=3)
    target = text_target(seed, seed.general)
    emulator.inject("POST", THREADS, 503)
    held = emulator.inject("POST", THREADS, 200, after_handler=True, hang=True)
    try:
        report = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    finally:
        held.release()
    (general,) = report.targets
    assert general.error is not None and "Discord kept failing for" in general.error
    assert "could not start a thread: Discord did not answer in time" in general.error
    first = f"#202 · {issue_202.sections[0].name}"
    assert held.hits == 1 and [t.name for t in threads_of(emulator, seed.general)] == [first]

    again = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)

    assert again.ok and again.count(Outcome.RECOVERED) == 1
    names = [t.name for t in threads_of(emulator, seed.general)]
    assert names.count(first) == 1, names
    assert_published_once(emulator, seed.general.id, issue_202)


async def test_an_alert_discord_keeps_failing_does_not_hold_up_the_publish(
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    outlet = DiscordOutlet(client, pacer=Pacer(rate=1000))
    outlet.alert_timeout = 0.5
    engine = engine_on(archive_with_issues, outlet)
    emulator.delete_channel(seed.announcements)
    # discord.py tries a 500 five times, ~25 s: the alert gives up long before.
    fault = emulator.inject("POST", f"/channels/{seed.general.id}/messages", 500, times=100)
    target = text_target(seed, seed.announcements, alerts_channel_id=seed.general.id)
    started = time.monotonic()
    report = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    assert time.monotonic() - started < 2
    assert report.targets[0].error is not None and fault.hits >= 1


async def test_two_issues_crossposted_within_the_hour_both_go_out_at_once(
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    # Crossposts are 10 an hour per channel: after the first, the bucket resets an hour on
    # (36 s in the emulator's scaled time), with 9 left. A client that waits out limits only
    # up to 30 s (discord.py's least) must still send the second at once.
    async with rest_client(emulator.token, max_wait=30) as client:
        outlet = DiscordOutlet(client, pacer=Pacer(rate=1000))
        engine = engine_on(archive_with_issues, outlet)
        target = text_target(seed, seed.announcements)
        for published in (issue_202, issue_204):
            report = await asyncio.wait_for(engine.publish(published, outlet, [target]), QUICK)
            assert report.ok, report.targets[0].summary()
    digests = [m for m in emulator.messages_in(seed.announcements) if m.type == 0]
    assert len(digests) == 2
    assert all(digest.flags & MessageFlag.CROSSPOSTED for digest in digests)
