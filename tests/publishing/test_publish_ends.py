"""How `newsbot publish` ends when Discord holds it up: a long rate limit is said, with when
it resets, instead of slept out; and whether it ends so, fails or is interrupted (Ctrl-C), it
stops counting among the processes publishing, so a publish run right after keeps the whole
rate."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.issuefiles import load_issue
from bot.models import Subscription
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.workers import PUBLISHER_LEASE
from tests.conftest import ISSUES, eventually, unmeasured
from tests.newsbot_process import communicated, newsbot_process, signal_a_thread
from tests.publishing.cli_harness import newsbot_env

QUICK = 30.0
"""Seconds a run may take here: the stalls end in a few."""
PROMPTLY = 10.0
"""Seconds an interrupted run may take to end (it takes one or two)."""


async def subscribed_archive(path: Path, seed: DefaultWorld) -> None:
    async with await Archive.open(path) as archive:
        await archive.issues.ingest(load_issue(ISSUES / "202.md"))
        await archive.subscriptions.add(
            Subscription(guild_id=seed.guild.id, channel_id=seed.general.id, kind="text")
        )


async def publishers(path: Path) -> int:
    async with await Archive.open(path) as archive:
        return await archive.state.live_leases(PUBLISHER_LEASE)


async def test_a_long_rate_limit_is_reported_with_its_reset_not_slept_out(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld
) -> None:
    db = tmp_path / "archive.db"
    await subscribed_archive(db, seed)
    emulator.inject("POST", "/channels/{channel_id}/threads", 429, retry_after=900.0)
    process = await newsbot_process(
        "--db",
        str(db),
        "publish",
        "--outlet",
        "discord",
        env=newsbot_env(emulator),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), QUICK)
    out, err = stdout.decode(), " ".join(stderr.decode().split())
    assert process.returncode == 1, err
    assert "left for the next publish after" in out
    assert "(Discord's rate limit)" in out
    assert "the rest waits for Discord's rate limit; run `newsbot publish` again later" in err
    # Done publishing, it no longer counts among the publishers.
    assert await publishers(db) == 0


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")
@pytest.mark.parametrize(
    ("signum", "to_thread"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["Ctrl-C", "Ctrl-C met by another thread", "SIGTERM"],
)
async def test_an_interrupted_publish_stops_counting_among_the_publishers(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, signum: signal.Signals, to_thread: bool
) -> None:
    db = tmp_path / "archive.db"
    await subscribed_archive(db, seed)
    fault = emulator.inject("POST", "/channels/{channel_id}/messages", 200, hang=True)
    process = await newsbot_process(
        "--db",
        str(db),
        "publish",
        "--outlet",
        "discord",
        env=unmeasured(newsbot_env(emulator)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await eventually(lambda: fault.hits > 0, within=QUICK)
        assert fault.hits == 1
        assert await publishers(db) == 1  # publishing, it counts
        # The editor's Ctrl-C (which the kernel may hand to any thread of the process), or a
        # service manager's stop.
        if to_thread:
            signal_a_thread(process.pid, signum)
        else:
            process.send_signal(signum)
        _, stderr = await communicated(process, PROMPTLY)
    finally:
        fault.release()
    assert process.returncode != 0, stderr.decode()
    if signum == signal.SIGTERM:
        assert process.returncode == -signal.SIGTERM, "ended by it, as a service manager expects"
    assert await publishers(db) == 0, "its lease given back"
