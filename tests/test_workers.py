"""The leases one of several processes on an archive does a job by: renewed while the job
runs, given up when it ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sys
import time

import psycopg
import pytest

from bot.store import Archive
from bot.store.rows import LEASE_PREFIX, lease_value
from bot.workers import Publishers, lease
from tests.conftest import eventually
from tests.pg_server import PgServer

SHORT_TTL = 2.0
"""Seconds of the leases these tests wait to be renewed or to run out: renewed every 0.67 s,
one runs out only if its process waits 1.3 s past a renewal, which even a loaded machine does
not do; and each wait for one to run out is short."""


async def test_a_lease_held_by_a_long_job_is_renewed_then_given_up(archive: Archive) -> None:
    state = archive.state

    async def expiry() -> float:
        """When the lease runs out, as the archive holds it."""
        return float(
            json.loads(await state.get(LEASE_PREFIX + "schedule.publishing") or "")["until"]
        )

    async with lease(state, "schedule.publishing", ttl=SHORT_TTL) as held:
        assert held
        # The job runs on until the lease's first expiry has passed and the archive shows it
        # renewed (every third of `SHORT_TTL` here) at least twice: however slowly the machine
        # gets there.
        expiries = [await expiry()]
        deadline = time.monotonic() + 30
        while len(expiries) < 3 or time.time() <= expiries[0]:
            assert time.monotonic() < deadline, f"the lease was not renewed: {expiries}"
            await asyncio.sleep(0.05)
            if (until := await expiry()) != expiries[-1]:
                expiries.append(until)
        assert expiries == sorted(expiries)
        # Past its first ttl, only renewing keeps another process from taking it.
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


async def test_a_lease_is_kept_through_a_moment_the_archive_refuses_writes(
    pg_server: PgServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The database failing over (a standby refusing writes until it is promoted) while a
    process holds a lease: a renewal fails, is said once, and the next keeps the lease, as long
    as it has not run out."""
    caplog.set_level(logging.INFO, logger="bot.workers")
    name = "schedule.publishing"

    async def expiry(reader: psycopg.AsyncConnection[tuple[str]]) -> float:
        """When the lease runs out, as the database holds it."""
        cursor = await reader.execute(
            "SELECT value FROM state WHERE key = %s", (LEASE_PREFIX + name,)
        )
        row = await cursor.fetchone()
        assert row is not None
        return float(json.loads(row[0])["until"])

    archive = await Archive.open(pg_url)
    try:
        # Renewed every 1.5 s: the one after the refusal comes 1.5 s before the lease runs
        # out, even on a loaded machine.
        async with lease(archive.state, name, ttl=4.5) as held:
            assert held
            pg_server.read_only(pg_url, True)
            deadline = time.monotonic() + 30
            while "could not renew the lease" not in caplog.text:
                assert time.monotonic() < deadline, "no renewal met the refusal"
                await asyncio.sleep(0.02)
            pg_server.read_only(pg_url, False)
            async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as reader:
                failed_at = await expiry(reader)
                while await expiry(reader) == failed_at:
                    assert time.monotonic() < deadline, "the lease was not renewed again"
                    await asyncio.sleep(0.02)
            assert not await archive.state.try_lease(name, "another process", ttl=60)
            assert "renewed the lease 'schedule.publishing': the archive answers" in caplog.text
        assert caplog.text.count("could not renew the lease") == 1
        assert await archive.state.try_lease(name, "another process", ttl=60), "given up"
    finally:
        await archive.close()


async def test_a_job_done_while_the_archive_refuses_writes_is_not_failed_by_its_lease(
    pg_server: PgServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The job ends as the database fails over: giving its lease up fails, and is said, but the
    job's outcome stands; the lease runs out on its own."""
    archive = await Archive.open(pg_url)
    try:
        async with lease(archive.state, "schedule.publishing", ttl=60) as held:
            assert held
            pg_server.read_only(pg_url, True)
        assert "could not give up the lease 'schedule.publishing'" in caplog.text
        pg_server.read_only(pg_url, False)
        assert not await archive.state.try_lease("schedule.publishing", "another", ttl=60)
    finally:
        await archive.close()


async def lease_runs_out(pg_url: str, name: str) -> None:
    """Wait until the lease `name` has run out by the server's clock, as other processes judge."""
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as reader:
        deadline = time.monotonic() + 60
        while True:
            cursor = await reader.execute(
                "SELECT (value::jsonb ->> 'until')::float8 <= extract(epoch FROM clock_timestamp())"
                " FROM state WHERE key = %s",
                (LEASE_PREFIX + name,),
            )
            row = await cursor.fetchone()
            if row is not None and row[0]:
                return
            assert time.monotonic() < deadline, "the lease did not run out"
            await asyncio.sleep(0.05)


async def test_a_lease_taken_over_during_an_outage_is_said_by_both_processes(
    pg_server: PgServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A process cut off from the server while it holds the publishing lease: another takes it
    once it has run out, and says from whom; the first, back, says to whom it lost it. Each
    once, at WARNING."""
    caplog.set_level(logging.WARNING, logger="bot.workers")
    name = "schedule.publishing"
    cut_off_url = pg_server.own_role_url(pg_url)
    took = (
        "this process (host-b:2) took the lease 'schedule.publishing' from host-a:1, whose lease"
        " ran out at "
    )
    lost = "this process (host-a:1) lost the lease 'schedule.publishing' to host-b:2"
    async with (
        await Archive.open(cut_off_url) as first,
        await Archive.open(pg_url) as second,
        lease(first.state, name, ttl=SHORT_TTL, holder="host-a:1") as held,
        contextlib.AsyncExitStack() as taking,
    ):
        assert held
        with pg_server.shut_out(cut_off_url):
            await lease_runs_out(pg_url, name)
            # Still held by the second when the first is back.
            leased = lease(second.state, name, ttl=60, holder="host-b:2")
            assert await taking.enter_async_context(leased)
        assert took in caplog.text
        await eventually(lambda: lost in caplog.text)
    assert caplog.text.count(took) == 1
    assert caplog.text.count(lost) == 1
    assert "took it back" not in caplog.text


async def test_a_lease_that_ran_out_during_an_outage_and_is_taken_back_is_said(
    pg_server: PgServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Cut off longer than its lease, a process renews it once back: nobody took it, or
    another took it and gave it up meanwhile; either way it ran out, and that is said."""
    caplog.set_level(logging.WARNING, logger="bot.workers")
    name = "schedule.publishing"
    cut_off_url = pg_server.own_role_url(pg_url)
    back = "the lease 'schedule.publishing' ran out while this process (host-a:1) could not"
    async with await Archive.open(cut_off_url) as first, await Archive.open(pg_url) as second:
        async with lease(first.state, name, ttl=SHORT_TTL, holder="host-a:1") as held:
            assert held
            with pg_server.shut_out(cut_off_url):
                await lease_runs_out(pg_url, name)
            await eventually(lambda: back in caplog.text)
            assert "held it meanwhile" not in caplog.text
            with pg_server.shut_out(cut_off_url):
                await lease_runs_out(pg_url, name)
                async with lease(second.state, name, ttl=60, holder="host-b:2") as taken:
                    assert taken
            await eventually(lambda: caplog.text.count(back) == 2)
            assert "it took it back; host-b:2 held it meanwhile" in caplog.text
        assert caplog.text.count(back) == 2
    assert "lost the lease" not in caplog.text


async def test_a_lease_given_up_as_another_process_takes_it_is_not_said_to_have_run_out(
    pg_server: PgServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process reads the lease while its holder still has it, and takes it as the
    holder gives it up: nothing ran out, and no WARNING says it did (at a time still ahead)."""
    caplog.set_level(logging.INFO, logger="bot.workers")
    name = "schedule.publishing"
    key = LEASE_PREFIX + name
    async with (
        await Archive.open(pg_url) as archive,
        await psycopg.AsyncConnection.connect(pg_url) as giving,
        await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as watching,
    ):
        assert await archive.state.try_lease(name, "host-a:1", ttl=60)
        # The holder gives it up in a transaction not yet committed: the taker reads it held,
        # then its taking waits on the row until the giving up is committed.
        cursor = await giving.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
        given_up_at = (await cursor.fetchone() or [0.0])[0]
        await giving.execute(
            "UPDATE state SET value = %s WHERE key = %s",
            (lease_value("host-a:1", given_up_at, 0), key),
        )

        async def take() -> bool:
            async with lease(archive.state, name, ttl=60, holder="host-b:2") as held:
                return held

        taking = asyncio.create_task(take())
        waiting = False

        async def taker_waits() -> None:
            nonlocal waiting
            while not waiting:
                cursor = await watching.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                waiting = bool((await cursor.fetchone() or [0])[0])
                await asyncio.sleep(0.02)

        await asyncio.wait_for(taker_waits(), timeout=60)
        await giving.commit()
        assert await taking
    assert "took the lease" not in caplog.text
    assert "ran out" not in caplog.text
