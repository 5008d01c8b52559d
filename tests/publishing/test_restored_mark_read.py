"""The mark a backup found restored leaves: read by several processes at once, and taken with
the issue folder missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.models import Issue
from bot.publishing.restored import SINCE, TAKEN, backup_state, restored
from bot.store import Archive
from bot.store.interfaces import StateStore


class Interleaved:
    """An archive's state, as one process reads it while another acts between its first read
    and the next (`between`)."""

    def __init__(self, state: StateStore, between: Callable[[], Awaitable[object]]) -> None:
        self.state = state
        self.between: Callable[[], Awaitable[object]] | None = between

    async def get(self, key: str) -> str | None:
        value = await self.state.get(key)
        between, self.between = self.between, None
        if between is not None:
            await between()
        return value

    async def set(self, key: str, value: str) -> None:
        await self.state.set(key, value)

    async def delete(self, key: str) -> None:
        await self.state.delete(key)

    async def try_lease(
        self, name: str, holder: str, ttl: float, *, since: dt.datetime | None = None
    ) -> bool:
        return await self.state.try_lease(name, holder, ttl, since=since)

    async def end_lease(self, name: str, holder: str) -> bool:
        return await self.state.end_lease(name, holder)

    async def forget_leases(self, prefix: str, ended_for: float) -> list[str]:
        return await self.state.forget_leases(prefix, ended_for)

    async def live_leases(self, prefix: str) -> int:
        return await self.state.live_leases(prefix)

    async def lease_holders(self, prefix: str) -> list[str]:
        return await self.state.lease_holders(prefix)


async def test_a_process_reading_the_mark_while_another_takes_it_sees_it(
    tmp_path: Path, issue_202: Issue
) -> None:
    """Two processes start on a backup just restored: the one that reads the state while the
    other marks it still finds the archive restored, never neither a backup nor restored."""
    db = tmp_path / "newsbot.db"
    taken = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(issue_202)
        for key, value in backup_state(taken).items():
            await archive.state.set(key, value)
    async with await Archive.open(db) as reader, await Archive.open(db) as writer:
        reader.state = Interleaved(reader.state, lambda: restored(writer, None))
        found = await restored(reader, None)
        assert found is not None
        assert (found.through, found.since) == (202, taken)
        assert await writer.state.get(TAKEN) is None
        assert await writer.state.get(SINCE) == taken.isoformat()
