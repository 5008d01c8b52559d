"""discord.py tries a write answered 500, 502, 504 or 524 again itself. Such a try may have made
what the write makes (a 524 is Cloudflare's answer when Discord took the request and did not
answer in time): a refusal of a later try does not say the write made nothing, and the next
publish looks for it before making it again."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.outlets.discord_alerts import DiscordAlerts
from bot.publishing.outlets.discord_client import rest_client
from bot.publishing.pacer import Pacer
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.publishing.conftest import text_target, threads_of
from tests.publishing.test_publish import assert_published_once

THREADS = "/channels/{channel_id}/threads"
QUICK = 10.0
"""Seconds a publish here may take: discord.py waits 1 s before its second try."""


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (403, "the bot lacks Create Public Threads"),  # refused outright
        (429, "(Discord's rate limit)"),  # longer than max_wait: not waited out
    ],
)
async def test_a_write_made_by_a_try_answered_524_is_looked_for_after_a_refusal(
    status: int,
    says: str,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    async with rest_client(emulator.token, max_wait=120) as client:
        outlet = DiscordOutlet(client, pacer=Pacer(rate=1000))
        engine = Engine(archive_with_issues, retry_delay=0.01, alerts=DiscordAlerts(outlet))
        target = text_target(seed, seed.general)
        # Discord makes the thread, and Cloudflare answers 524 (held until the refusal of
        # discord.py's retry is set up).
        made = emulator.inject("POST", THREADS, 524, after_handler=True, hang=True)
        publish = asyncio.create_task(engine.publish(issue_202, outlet, [target]))
        try:
            await emulator.wait_until(lambda: threads_of(emulator, seed.general) or None)
            refusal = emulator.inject("POST", THREADS, status, retry_after=900.0)
        finally:
            made.release()
        report = await asyncio.wait_for(publish, QUICK)
        (general,) = report.targets
        assert not general.ok and says in general.summary(), general.summary()
        assert made.hits == refusal.hits == 1
        first = f"#202 · {issue_202.sections[0].name}"
        assert [t.name for t in threads_of(emulator, seed.general)] == [first]

        again = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)

    assert again.ok and again.count(Outcome.RECOVERED) == 1, again.targets[0].summary()
    names = [t.name for t in threads_of(emulator, seed.general)]
    assert names.count(first) == 1, names
    assert_published_once(emulator, seed.general.id, issue_202)
