"""The leases one of several processes on an archive does a job by: renewed while the job
runs, given up when it ends."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time

from bot.store import Archive
from bot.workers import Publishers, lease


async def test_a_lease_held_by_a_long_job_is_renewed_then_given_up(archive: Archive) -> None:
    state = archive.state
    async with lease(state, "schedule.publishing", ttl=0.6) as held:
        assert held
        await asyncio.sleep(1.3)  # past twice the ttl: only renewing keeps it
        assert not await state.try_lease("schedule.publishing", "another process", ttl=60)
    assert await state.try_lease("schedule.publishing", "another process", ttl=60)


async def test_a_lease_another_process_holds_is_not_taken(archive: Archive) -> None:
    assert await archive.state.try_lease("schedule.publishing", "another process", ttl=60)
    async with lease(archive.state, "schedule.publishing", ttl=60) as held:
        assert not held
    assert not await archive.state.try_lease("schedule.publishing", "a third", ttl=60)


async def test_a_publisher_that_left_is_not_counted_by_the_next(archive: Archive) -> None:
    first = Publishers(archive.state, refresh=0.5)
    assert await first.count(settle=0) == 1
    await first.leave()  # its publish is over
    second = Publishers(archive.state, refresh=0.5)
    second.holder = "another host:1"
    started = time.monotonic()
    assert await second.count(settle=0) == 1
    assert time.monotonic() - started < 0.5  # no wait for the others to make room


async def test_a_lease_held_by_an_ended_process_of_this_host_is_taken_at_once(
    archive: Archive,
) -> None:
    # A process killed while it held the lease (a restart comes before the lease runs out).
    ended = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await ended.wait()
    dead = f"{socket.gethostname()}:{ended.pid}"
    assert await archive.state.try_lease("schedule.publishing", dead, ttl=60)
    async with lease(archive.state, "schedule.publishing", ttl=60) as held:
        assert held
        assert not await archive.state.try_lease("schedule.publishing", dead, ttl=60)


async def test_a_lease_held_by_a_live_process_or_another_host_is_not_taken(
    archive: Archive,
) -> None:
    alive = f"{socket.gethostname()}:{os.getppid()}"
    elsewhere = "another-host.example:1"
    for holder in (alive, elsewhere):
        assert await archive.state.try_lease(holder, holder, ttl=60)
        async with lease(archive.state, holder, ttl=60) as held:
            assert not held
