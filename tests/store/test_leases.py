"""Leases in the archive's state: one holder at a time, across every process sharing it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

from bot.store import Archive
from bot.store.rows import LEASE_PREFIX, lease_value
from bot.workers import (
    PUBLISHER_LEASE,
    RUNNING_LEASE,
    RUNNING_SINCE,
    Publishers,
    process_name,
    running,
    running_processes,
)


async def test_a_lease_is_one_holders_until_it_expires(archive: Archive) -> None:
    state = archive.state
    assert await state.try_lease("commands", "process-a", ttl=60)
    assert not await state.try_lease("commands", "process-b", ttl=60)
    assert await state.try_lease("commands", "process-a", ttl=0.05), "its holder renews it"
    assert await state.try_lease("other", "process-b", ttl=60), "each name is its own lease"
    await asyncio.sleep(0.1)
    assert await state.try_lease("commands", "process-b", ttl=60), "expired: taken over"
    assert not await state.try_lease("commands", "process-a", ttl=60)


async def test_a_lease_never_reads_as_state(archive: Archive) -> None:
    await archive.state.set("commands", "a value")
    assert await archive.state.try_lease("commands", "process-a", ttl=60)
    assert await archive.state.get("commands") == "a value"


async def test_two_connections_racing_for_a_lease_get_one_holder(
    sqlite_archive: Archive,
) -> None:
    second = await Archive.open(sqlite_archive.path)
    try:
        for round_ in range(20):
            won = await asyncio.gather(
                sqlite_archive.state.try_lease(f"sync-{round_}", "process-a", ttl=60),
                second.state.try_lease(f"sync-{round_}", "process-b", ttl=60),
            )
            assert won.count(True) == 1, won
    finally:
        await second.close()


async def test_its_holder_gives_a_lease_up_with_no_time_left(archive: Archive) -> None:
    assert await archive.state.try_lease("schedule", "process-a", ttl=60)
    assert not await archive.state.try_lease("schedule", "process-b", ttl=60)
    await archive.state.try_lease("schedule", "process-a", ttl=0)
    assert await archive.state.try_lease("schedule", "process-b", ttl=60)


async def test_live_leases_counts_the_unexpired_under_a_prefix(archive: Archive) -> None:
    state = archive.state
    await state.set("publisher:note", "not a lease, not JSON")
    assert await state.live_leases("publisher:") == 0
    assert await state.try_lease("publisher:host:1", "host:1", ttl=60)
    assert await state.try_lease("publisher:host:2", "host:2", ttl=0.05)
    assert await state.try_lease("publisher:host:3", "host:3", ttl=60)
    assert await state.try_lease("commands", "host:1", ttl=60), "another kind of lease"
    assert await state.live_leases("publisher:") == 3
    await asyncio.sleep(0.1)
    assert await state.live_leases("publisher:") == 2, "an expired lease is not live"
    await state.try_lease("publisher:host:3", "host:3", ttl=0)
    assert await state.live_leases("publisher:") == 1, "one given up is not live"
    assert await state.live_leases("publish") == 1
    assert await state.live_leases("commands") == 1


async def test_lease_holders_names_the_unexpired_under_a_prefix(archive: Archive) -> None:
    state = archive.state
    await state.set("running:note", "not a lease, not JSON")
    assert await state.lease_holders("running:") == []
    assert await state.try_lease("running:host:2", "host:2", ttl=60)
    assert await state.try_lease("running:host:1", "host:1", ttl=60)
    assert await state.try_lease("running:host:3", "host:3", ttl=0.05)
    assert await state.try_lease("commands", "host:4", ttl=60), "another kind of lease"
    await asyncio.sleep(0.1)
    assert await state.lease_holders("running:") == ["host:1", "host:2"], "by name, live"
    await state.try_lease("running:host:1", "host:1", ttl=0)
    assert await state.lease_holders("running:") == ["host:2"], "one given up is not live"
    assert await state.lease_holders("commands") == ["host:4"]


async def test_a_lease_keeps_since_when_its_holder_holds_it(archive: Archive) -> None:
    since = dt.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC)
    assert await archive.state.try_lease("running:host:1", "host:1", ttl=60, since=since)
    assert await archive.state.try_lease("running:host:1", "host:1", ttl=60, since=since)
    kept = json.loads(await archive.state.get(LEASE_PREFIX + "running:host:1") or "{}")
    assert dt.datetime.fromisoformat(kept["since"]) == since, "renewed, still kept"
    assert await archive.state.lease_holders("running:") == ["host:1"]


async def test_its_holder_ends_a_lease_and_no_row_of_it_remains(archive: Archive) -> None:
    state = archive.state
    assert await state.try_lease("publisher:host:1", "host:1", ttl=60)
    assert not await state.end_lease("publisher:host:1", "host:2"), "not its holder"
    assert await state.get(LEASE_PREFIX + "publisher:host:1") is not None
    assert await state.end_lease("publisher:host:1", "host:1")
    assert (await archive.counts())["state"] == 0
    assert not await state.end_lease("publisher:host:1", "host:1"), "ended already"
    assert await state.try_lease("publisher:host:1", "host:2", ttl=60), "free for the next"


async def test_leases_long_run_out_are_forgotten_under_a_prefix(archive: Archive) -> None:
    state = archive.state
    now = time.time()
    await state.set("running:note", "not a lease, not JSON")
    await state.set(LEASE_PREFIX + "running:host:1", lease_value("host:1", now - 7200, 60))
    await state.set(LEASE_PREFIX + "running:host:2", lease_value("host:2", now - 7200, 0))
    await state.set(LEASE_PREFIX + "running:host:3", lease_value("host:3", now, -60))
    await state.set(LEASE_PREFIX + "publisher:host:1", lease_value("host:1", now - 7200, 60))
    assert await state.try_lease("running:host:4", "host:4", ttl=60)
    assert await state.forget_leases("running:", ended_for=3600) == [
        "running:host:1",
        "running:host:2",
    ], "run out, or given up, over an hour ago"
    assert await state.forget_leases("running:", ended_for=3600) == []
    assert await state.get(LEASE_PREFIX + "running:host:3") is not None, "ran out a minute ago"
    assert await state.lease_holders("running:") == ["host:4"], "live: kept"
    assert await state.get(LEASE_PREFIX + "publisher:host:1") is not None, "another prefix"
    assert await state.get("running:note") == "not a lease, not JSON"
    assert (await archive.counts())["state"] == 4


async def test_newsbot_run_stopped_cleanly_leaves_no_row(archive: Archive) -> None:
    since = dt.datetime.now(dt.UTC)
    async with running(archive.state, since):
        assert await running_processes(archive.state) == [(process_name(), since)]
        assert (await archive.counts())["state"] == 1, "its lease holds when it started"
    assert await running_processes(archive.state) == []
    assert (await archive.counts())["state"] == 0


async def test_newsbot_run_forgets_processes_ended_over_a_day_ago(archive: Archive) -> None:
    state, now, day = archive.state, time.time(), 24 * 3600
    started = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    # As a killed `newsbot run` of an older newsbot left them: its lease, its start apart.
    for holder, ran_out in [("old:1", now - 2 * day), ("old:2", now - 60), ("old:3", now + 60)]:
        await state.set(LEASE_PREFIX + RUNNING_LEASE + holder, lease_value(holder, ran_out, 0.5))
        await state.set(RUNNING_SINCE + holder, started.isoformat())
    await state.set(LEASE_PREFIX + "publisher:old:1", lease_value("old:1", now - 2 * day, 6))
    await state.set(LEASE_PREFIX + "publishing", lease_value("old:1", now - 2 * day, 60))
    since = dt.datetime.now(dt.UTC)
    async with running(state, since):
        assert await state.get(LEASE_PREFIX + RUNNING_LEASE + "old:1") is None
        assert await state.get(RUNNING_SINCE + "old:1") is None
        assert await state.get(RUNNING_SINCE + "old:2") is not None, "ended a minute ago"
        runs = dict(await running_processes(state))
        assert runs == {"old:3": started, process_name(): since}, "an older newsbot's too"
        # Left to the processes taking them: a publisher's, and one lease all take in turn.
        assert await state.get(LEASE_PREFIX + "publisher:old:1") is not None
        assert await state.get(LEASE_PREFIX + "publishing") is not None
    assert (await archive.counts())["state"] == 6


async def test_a_publisher_forgets_those_ended_over_a_day_ago_and_leaves_no_row(
    archive: Archive,
) -> None:
    state, now, day = archive.state, time.time(), 24 * 3600
    await state.set(
        LEASE_PREFIX + PUBLISHER_LEASE + "old:1", lease_value("old:1", now - 2 * day, 6)
    )
    await state.set(LEASE_PREFIX + PUBLISHER_LEASE + "old:2", lease_value("old:2", now - 60, 6))
    publishers = Publishers(state)
    assert await publishers.count(settle=0) == 1
    assert await state.get(LEASE_PREFIX + PUBLISHER_LEASE + "old:1") is None
    assert await state.live_leases(PUBLISHER_LEASE) == 1
    await publishers.leave()
    assert await state.live_leases(PUBLISHER_LEASE) == 0
    assert (await archive.counts())["state"] == 1, "only the one that ended a minute ago"
