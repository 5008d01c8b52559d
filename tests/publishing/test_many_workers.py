"""Several `newsbot publish` processes sharing one archive: each step is claimed before it is
sent, so every channel gets the issue exactly once and nothing is even tried twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.issuefiles import load_issue
from bot.models import Issue, StepState, Subscription
from bot.publishing.pacer import GLOBAL_RATE
from bot.sandbox.discord import Emulator, EmulatorConfig
from bot.store import Archive
from tests.conftest import ISSUES, unmeasured
from tests.newsbot_process import Process, newsbot_process
from tests.publishing.cli_harness import newsbot_env
from tests.publishing.test_publish import assert_published_once

WORKERS = 4
CHANNELS = 12
MIDWAY = 20
"""Calls made when two of the publishers are killed."""
QUICK_SHARE = {"NEWSBOT_PUBLISHING__SHARE_REFRESH": "0.5"}
"""The processes publishing re-counted every half second, not every 2 s, where Discord's rate is
scaled down out of reach: each joins the others in 1.75 s, not 4 s, and one killed stops
counting 1.5 s after it last did, not 6 s: the same overlap of processes, sooner."""
OWN_CHANNELS = 3
"""Channels each process of the shared-rate test declares as its own, so all four send at
once: about 150 calls in all, three seconds' worth at Discord's global rate."""


def count_calls(emulator: Emulator, midway: asyncio.Event | None = None) -> list[int]:
    """A one-element list counting the calls that make something on Discord; `midway` is set
    at the `MIDWAY`-th."""
    made = [0]
    messaging = emulator.messaging
    for name in ("create", "thread_without_message", "forum_post", "crosspost"):
        real: Callable[..., Any] = getattr(messaging, name)

        def call(*args: Any, real: Callable[..., Any] = real, **kwargs: Any) -> Any:
            if kwargs.get("message_id") is None:  # a forum post's first message is the post
                made[0] += 1
                if midway is not None and made[0] >= MIDWAY:
                    midway.set()
            return real(*args, **kwargs)

        setattr(messaging, name, call)
    return made


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_four_publishers_at_once_send_every_step_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    location: str | Path = (
        request.getfixturevalue("pg_url") if backend == "postgres" else tmp_path / "a.db"
    )
    issue = load_issue(ISSUES / "202.md")
    emulator = Emulator(config=EmulatorConfig(time_scale=0.01))
    await emulator.start()
    try:
        assert emulator.seed is not None
        guild = emulator.seed.guild
        channels = [emulator.world.add_channel(guild, f"news-{n}") for n in range(CHANNELS)]
        async with await Archive.open(location) as archive:
            await archive.issues.ingest(issue)
            for channel in channels:
                await archive.subscriptions.add(
                    Subscription(guild_id=guild.id, channel_id=channel.id, kind="text")
                )
        made = count_calls(emulator)
        env = unmeasured(newsbot_env(emulator)) | QUICK_SHARE
        where = ["--db", str(location)] if backend == "sqlite" else []
        if backend == "postgres":
            env["NEWSBOT_ARCHIVE__URL"] = str(location)
        processes = [
            await newsbot_process(
                *where,
                "publish",
                "202",
                "--outlet",
                "discord",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(WORKERS)
        ]
        for process in processes:
            _, stderr = await asyncio.wait_for(process.communicate(), 240)
            assert process.returncode == 0, stderr.decode()[-2000:]
        async with await Archive.open(location) as archive:
            sent = 0
            for channel in channels:
                entries = await archive.ledger.entries(202, "discord", str(channel.id))
                assert {e.state for e in entries.values()} == {StepState.SENT}
                sent += len(entries)
            assert await archive.ledger.claims(dt.datetime.now(dt.UTC)) == []
        for channel in channels:
            assert_published_once(emulator, channel.id, issue)
        # Claimed before sent: no step was even tried by two processes.
        assert made[0] == sent
    finally:
        await emulator.close()


async def test_publishers_killed_midway_are_taken_over(pg_url: str) -> None:
    issue = load_issue(ISSUES / "202.md")
    emulator = Emulator(config=EmulatorConfig(time_scale=0.01))
    await emulator.start()
    try:
        assert emulator.seed is not None
        guild = emulator.seed.guild
        channels = [emulator.world.add_channel(guild, f"news-{n}") for n in range(CHANNELS)]
        async with await Archive.open(pg_url) as archive:
            await archive.issues.ingest(issue)
            for channel in channels:
                await archive.subscriptions.add(
                    Subscription(guild_id=guild.id, channel_id=channel.id, kind="text")
                )
        midway = asyncio.Event()
        count_calls(emulator, midway)
        env = unmeasured(newsbot_env(emulator)) | QUICK_SHARE | {"NEWSBOT_ARCHIVE__URL": pg_url}

        async def publisher() -> Process:
            return await newsbot_process(
                "publish",
                "202",
                "--outlet",
                "discord",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )

        processes = [await publisher() for _ in range(WORKERS)]
        await asyncio.wait_for(midway.wait(), 120)
        for process in processes[:2]:
            process.kill()  # SIGKILL, mid-publish: their claims and a step left sending stay
            await process.wait()
        for process in processes[2:]:
            _, stderr = await asyncio.wait_for(process.communicate(), 240)
            assert process.returncode == 0, stderr.decode()[-2000:]
        last = await publisher()
        _, stderr = await asyncio.wait_for(last.communicate(), 240)
        assert last.returncode == 0, stderr.decode()[-2000:]
        async with await Archive.open(pg_url) as archive:
            for channel in channels:
                entries = await archive.ledger.entries(202, "discord", str(channel.id))
                assert {e.state for e in entries.values()} == {StepState.SENT}
        for channel in channels:
            assert_published_once(emulator, channel.id, issue)
    finally:
        await emulator.close()


async def publisher(
    location: Path, env: dict[str, str], guild_id: int, channels: list[Any]
) -> Process:
    """`newsbot publish 202` to Discord, to `channels` declared as its own targets."""
    declared = [{"guild_id": guild_id, "channel_id": channel.id} for channel in channels]
    return await newsbot_process(
        "--db",
        str(location),
        "publish",
        "202",
        "--outlet",
        "discord",
        env=env | {"NEWSBOT_DISCORD__TARGETS": json.dumps(declared)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def published_once_without_429(
    emulator: Emulator, processes: list[Process], channels: list[Any], issue: Issue
) -> int:
    """Once `processes` have ended, each well: every item once in each of `channels`, and no
    429; the requests the bot token made."""
    for process in processes:
        _, stderr = await asyncio.wait_for(process.communicate(), 240)
        assert process.returncode == 0, stderr.decode()[-2000:]
    for channel in channels:
        assert_published_once(emulator, channel.id, issue)
    requests, refused = emulator.rate_limit_tally()
    assert refused == 0, f"{refused} of {requests} requests answered 429"
    return requests


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[tuple[Emulator, Path, Issue]]:
    """The Discord emulator at Discord's global limit of 50 requests a second for the bot, an
    archive holding #202, and the issue."""
    issue = load_issue(ISSUES / "202.md")
    location = tmp_path / "a.db"
    async with await Archive.open(location) as archive:
        await archive.issues.ingest(issue)
    emulator = Emulator(config=EmulatorConfig(time_scale=1.0, global_limit=GLOBAL_RATE))
    await emulator.start()
    try:
        assert emulator.seed is not None
        yield emulator, location, issue
    finally:
        await emulator.close()


async def test_publishers_at_once_share_discords_global_rate(
    limited: tuple[Emulator, Path, Issue],
) -> None:
    """Four processes, each pacing at the default 45 requests a second and publishing to its
    own channels, against Discord's global limit of 50 a second for the bot: together they
    keep under it."""
    emulator, location, issue = limited
    assert emulator.seed is not None
    guild = emulator.seed.guild
    channels = [
        emulator.world.add_channel(guild, f"news-{n}") for n in range(WORKERS * OWN_CHANNELS)
    ]
    env = unmeasured(newsbot_env(emulator))
    owned = [channels[n * OWN_CHANNELS : (n + 1) * OWN_CHANNELS] for n in range(WORKERS)]
    processes = [await publisher(location, env, guild.id, own) for own in owned]
    requests = await published_once_without_429(emulator, processes, channels, issue)
    assert requests > GLOBAL_RATE * 2, "long enough to meet the limit more than once"


async def test_publishers_joining_one_at_the_whole_rate_log_in_once_it_made_room(
    limited: tuple[Emulator, Path, Issue],
) -> None:
    """One process publishes at 48 requests a second, and three more start: each logs in (two
    requests) only once the first has slowed down for them, so Discord's global limit of 50 a
    second never answers 429."""
    emulator, location, issue = limited
    assert emulator.seed is not None
    guild = emulator.seed.guild
    first = [emulator.world.add_channel(guild, f"first-{n}") for n in range(12)]
    joining = [emulator.world.add_channel(guild, f"joining-{n}") for n in range(3)]
    env = unmeasured(newsbot_env(emulator)) | {"NEWSBOT_PUBLISHING__REQUESTS_PER_SECOND": "48"}
    made = count_calls(emulator)
    processes = [await publisher(location, env, guild.id, first)]
    # The first at its whole rate for a second and a half, alone.
    await emulator.wait_until(lambda: made[0] >= 72 or None, timeout=60)
    processes += [await publisher(location, env, guild.id, [one]) for one in joining]
    await published_once_without_429(emulator, processes, first + joining, issue)
