"""discord.py tries a write answered 500, 502, 504 or 524 again itself. Such a try may have made
what the write makes (a 524 is Cloudflare's answer when Discord took the request and did not
answer in time): a write that makes something is sent once, and looked for before it is made
again; a refusal of a later try does not say the write made nothing. An edit, done twice, is
the same edit: discord.py still tries it again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.outlets.discord_alerts import DiscordAlerts
from bot.publishing.outlets.discord_client import rest_client, watch_tries
from bot.publishing.pacer import Pacer
from bot.render.publish import digest_post_name
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.conftest import StartNewsbot
from tests.publishing.conftest import posted_in, text_target, threads_of
from tests.publishing.test_newsletter_cog import newsletter, private
from tests.publishing.test_publish import assert_published_once

THREADS = "/channels/{channel_id}/threads"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
QUICK = 10.0
"""Seconds a publish here may take: discord.py waits 1 s before its second try."""
MACOS_RESET = 54
"""ECONNRESET as macOS numbers it, one of the two discord.py sends a request again after."""


@pytest.fixture
async def publishing(
    emulator: Emulator, archive_with_issues: Archive
) -> AsyncIterator[tuple[DiscordOutlet, Engine]]:
    """The outlet on the client `newsbot publish` logs in with, and the engine."""
    async with rest_client(emulator.token, max_wait=120) as client:
        outlet = DiscordOutlet(client, pacer=Pacer(rate=1000))
        yield outlet, Engine(archive_with_issues, retry_delay=0.01, alerts=DiscordAlerts(outlet))


@pytest.fixture
def unretried(
    publishing: tuple[DiscordOutlet, Engine], archive_with_issues: Archive
) -> tuple[DiscordOutlet, Engine]:
    """`publishing`, its engine trying no step again itself: a step failed stays failed until
    the next publish, and a retry seen is discord.py's own."""
    outlet, _ = publishing
    return outlet, Engine(archive_with_issues, retries=0, alerts=DiscordAlerts(outlet))


def section_names(issue: Issue) -> list[str]:
    return [f"#{issue.number} · {section.name}" for section in issue.sections]


async def test_a_forum_digest_discord_made_but_answered_524_is_posted_once(
    publishing: tuple[DiscordOutlet, Engine],
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
) -> None:
    outlet, engine = publishing
    target = text_target(seed, seed.forum, role_id=seed.newsletter_role.id)
    # Discord makes the digest's post, sent after the sections' ones, and Cloudflare answers
    # 524; discord.py's retry would have made it again.
    made = emulator.inject("POST", THREADS, 524, after_handler=True, skip=len(issue_202.sections))

    report = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    again = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)

    posts = [post.name for post in threads_of(emulator, seed.forum)]
    assert posts == [*section_names(issue_202), digest_post_name(issue_202)]
    pings = [m for m in posted_in(emulator, seed.forum) if m.mention_roles]
    assert len(pings) == 1, "the role is pinged once, by the one digest"
    assert_published_once(emulator, seed.forum.id, issue_202)
    assert made.hits == 1
    assert report.ok and report.count(Outcome.RECOVERED) == 1, report.targets[0].summary()
    assert again.ok and again.count(Outcome.POSTED) == again.count(Outcome.RECOVERED) == 0


async def test_a_thread_discord_made_but_answered_524_is_started_once(
    publishing: tuple[DiscordOutlet, Engine],
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
) -> None:
    outlet, engine = publishing
    target = text_target(seed, seed.general)
    made = emulator.inject("POST", THREADS, 524, after_handler=True)

    report = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    again = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)

    assert [t.name for t in threads_of(emulator, seed.general)] == section_names(issue_202)
    assert len(emulator.requests_to("POST", THREADS)) == len(issue_202.sections)
    assert_published_once(emulator, seed.general.id, issue_202)
    assert made.hits == 1
    assert report.ok and report.count(Outcome.RECOVERED) == 1, report.targets[0].summary()
    assert again.ok and again.count(Outcome.POSTED) == again.count(Outcome.RECOVERED) == 0


async def test_newsbots_own_client_starts_a_thread_answered_524_once(
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    # `/newsletter publish` and the schedule go through the client `newsbot run` logs in with.
    await start_newsbot(archive_with_issues, publishing={"retry_delay": 0.01})
    role = seed.newsletter_role
    await newsletter(emulator, seed, "setup", channel=seed.general, role=role)
    made = emulator.inject("POST", THREADS, 524, after_handler=True)

    published = await newsletter(emulator, seed, "publish", issue=202)

    assert "failed" not in private(published), private(published)
    assert "1 recovered" in private(published), "the thread made was found, not made again"
    assert [t.name for t in threads_of(emulator, seed.general)] == section_names(issue_202)
    digests = [m for m in emulator.messages_in(seed.general) if m.mention_roles == [role.id]]
    assert len(digests) == 1, "one digest, pinging the role once"
    assert_published_once(emulator, seed.general.id, issue_202)
    assert made.hits == 1


async def test_a_thread_answered_524_is_looked_for_on_the_next_publish_when_retries_run_out(
    unretried: tuple[DiscordOutlet, Engine],
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
) -> None:
    outlet, engine = unretried
    target = text_target(seed, seed.general)
    emulator.inject("POST", THREADS, 524, after_handler=True)

    failed = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    first, *_ = section_names(issue_202)
    assert [t.name for t in threads_of(emulator, seed.general)] == [first]
    again = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)

    (general,) = failed.targets
    assert general.error == (
        "could not start a thread: Discord answered 524 after taking the request; "
        "looked for before it is made again"
    )
    assert again.ok and again.count(Outcome.RECOVERED) == 1, again.targets[0].summary()
    assert [t.name for t in threads_of(emulator, seed.general)] == section_names(issue_202)


async def test_a_thread_whose_connection_was_reset_is_started_once(
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    # Discord makes the first thread, and the connection is reset before its answer reaches
    # discord.py, as macOS tells it (aiohttp's ClientOSError): discord.py would send it again.
    resets: list[int] = []

    async def reset_once(_: Any, __: Any, sent: aiohttp.TraceRequestEndParams) -> None:
        if sent.method == "POST" and sent.url.path.endswith("/threads") and not resets:
            resets.append(sent.response.status)
            raise aiohttp.ClientOSError(MACOS_RESET, "Connection reset by peer")

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(reset_once)
    client = discord.Client(intents=discord.Intents(guilds=True), http_trace=trace)
    watch_tries(client.http)
    await client.login(emulator.token)
    try:
        outlet = DiscordOutlet(client, pacer=Pacer(rate=1000))
        engine = Engine(archive_with_issues, retry_delay=0.01, alerts=DiscordAlerts(outlet))
        target = text_target(seed, seed.general)
        report = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)
    finally:
        await client.close()

    assert resets == [201] or resets == [200], resets
    assert report.ok and report.count(Outcome.RECOVERED) == 1, report.targets[0].summary()
    assert len(emulator.requests_to("POST", THREADS)) == len(issue_202.sections)
    assert [t.name for t in threads_of(emulator, seed.general)] == section_names(issue_202)


async def test_an_edit_answered_502_is_tried_again_by_discordpy(
    unretried: tuple[DiscordOutlet, Engine],
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    # No retry of the engine's: the edit succeeds on discord.py's own second try, or not at all.
    outlet, engine = unretried
    target = text_target(seed, seed.general)
    assert (await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)).ok
    await archive_with_issues.issues.ingest(issue_202.model_copy(update={"intro": "Corrected."}))
    corrected = await archive_with_issues.issues.issue(202)
    failed = emulator.inject("PATCH", MESSAGE, 502)

    report = await asyncio.wait_for(engine.publish(corrected, outlet, [target]), QUICK)

    assert report.ok and report.count(Outcome.EDITED) == 1, report.targets[0].summary()
    assert failed.hits == 1
    edits = emulator.requests_to("PATCH", MESSAGE)
    assert [r.status for r in edits] == [502, 200]


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (403, "the bot lacks Create Public Threads"),  # refused outright
        (429, "(Discord's rate limit)"),  # longer than max_wait: not waited out
    ],
)
async def test_a_thread_answered_524_is_looked_for_not_sent_again_into_a_refusal(
    status: int,
    says: str,
    publishing: tuple[DiscordOutlet, Engine],
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
) -> None:
    outlet, engine = publishing
    target = text_target(seed, seed.general)
    # Discord makes the thread, and Cloudflare answers 524 (held until a refusal is set up
    # for the next request to start a thread: once discord.py's retry of it, a second thread
    # refused, or made had Discord taken it).
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
    # The first thread was found, and the refusal met the second section's thread.
    assert general.counts[Outcome.RECOVERED] == 1, general.summary()
    first, second, *_ = section_names(issue_202)
    assert [t.name for t in threads_of(emulator, seed.general)] == [first]
    refused = emulator.requests_to("POST", THREADS)[-1]
    assert refused.status == status and refused.json is not None
    assert refused.json["name"] == second

    again = await asyncio.wait_for(engine.publish(issue_202, outlet, [target]), QUICK)

    assert again.ok and again.count(Outcome.RECOVERED) == 0, again.targets[0].summary()
    assert [t.name for t in threads_of(emulator, seed.general)] == section_names(issue_202)
    assert_published_once(emulator, seed.general.id, issue_202)
