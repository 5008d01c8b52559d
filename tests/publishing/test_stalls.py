"""A publish never stalls silently: a rate limit too long to wait ends the channel's publish
for now, at once, said in its report with when it resets, and the next publish finishes it
with every step made once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import discord
import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordAlerts, DiscordOutlet, rest_client
from bot.publishing.pacer import Pacer
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.publishing.conftest import text_target, threads_of
from tests.publishing.test_publish import assert_published_once

MESSAGES = "/channels/{channel_id}/messages"
THREADS = "/channels/{channel_id}/threads"
QUICK = 10.0
"""Seconds any publish here may take: every stall ends well before."""


@pytest.fixture
async def bounded_client(emulator: Emulator) -> AsyncIterator[discord.Client]:
    """A client as `newsbot publish` builds it: rate limits waited up to 120 s."""
    async with rest_client(emulator.token, max_wait=120) as client:
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
