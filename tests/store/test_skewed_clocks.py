"""Processes on machines whose clocks disagree, sharing one archive on PostgreSQL: a lease or a
claim one holds is not taken by another whose clock runs ahead, nor given up early by one whose
clock runs behind (machines' clocks drift minutes apart where NTP is missing or blocked)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Self

import pytest

from bot.publishing.ledger import Ledger
from bot.store import Archive

_REAL_DATETIME = dt.datetime
"""The class every skewed clock builds on (`dt.datetime` itself is replaced within one)."""
SKEW = 300.0
"""Five minutes: far longer than a claim's or a lease's time."""


@contextmanager
def clock_off_by(monkeypatch: pytest.MonkeyPatch, seconds: float) -> Iterator[None]:
    """Within the block this process reads the wall clock `seconds` ahead (behind if negative),
    as a machine whose clock is off would: `time.time()` and `datetime.now()` both."""
    real_time = time.time

    class SkewedDatetime(_REAL_DATETIME):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Self:
            return cls.fromtimestamp(real_time() + seconds, tz)

    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time() + seconds)
        patch.setattr(dt, "datetime", SkewedDatetime)
        yield


@asynccontextmanager
async def two_machines(url: str) -> AsyncIterator[tuple[Archive, Archive]]:
    """The archive opened twice, as by processes on two machines."""
    first = await Archive.open(url)
    try:
        second = await Archive.open(url)
        try:
            yield first, second
        finally:
            await second.close()
    finally:
        await first.close()


async def test_a_lease_is_not_taken_by_a_machine_whose_clock_runs_ahead(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_machines(pg_url) as (here, ahead):
        assert await here.state.try_lease("schedule.publishing", "here:1", ttl=60)
        with clock_off_by(monkeypatch, SKEW):
            assert not await ahead.state.try_lease("schedule.publishing", "ahead:2", ttl=60)
            # Nor does it count the publisher here out.
            assert await here.state.try_lease("publisher:here:1", "here:1", ttl=60)
            assert await ahead.state.live_leases("publisher:") == 1


async def test_a_lease_taken_by_a_machine_whose_clock_runs_behind_lasts_its_time(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_machines(pg_url) as (here, behind):
        with clock_off_by(monkeypatch, -SKEW):
            assert await behind.state.try_lease("schedule.publishing", "behind:2", ttl=60)
        assert not await here.state.try_lease("schedule.publishing", "here:1", ttl=60)


async def test_a_claim_to_publish_is_not_taken_by_a_machine_whose_clock_runs_ahead(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_machines(pg_url) as (here, ahead):
        assert await Ledger(here).claim(7, "discord", "#news", "here:1:a")
        with clock_off_by(monkeypatch, SKEW):
            # Taking it would send what the holder here is sending a second time.
            assert not await Ledger(ahead).claim(7, "discord", "#news", "ahead:2:b")
            assert await Ledger(ahead).holder(7, "discord", "#news") == "here:1:a"


async def test_a_claim_taken_by_a_machine_whose_clock_runs_behind_is_held(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_machines(pg_url) as (here, behind):
        with clock_off_by(monkeypatch, -SKEW):
            assert await Ledger(behind).claim(7, "discord", "#news", "behind:2:b")
        assert not await Ledger(here).claim(7, "discord", "#news", "here:1:a")
        assert await Ledger(here).holder(7, "discord", "#news") == "behind:2:b"
