"""The SQLite archive's shared connection, used by many coroutines while other processes write."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

from bot.models import OutboxEntry, StepState
from bot.store import Archive


def step(target: str, n: int) -> OutboxEntry:
    return OutboxEntry(
        key=f"202/discord/{target}/message/{n}",
        issue_number=202,
        outlet="discord",
        target=target,
        action="message",
        state=StepState.SENT,
    )


async def test_a_write_beside_a_read_survives_another_processs_commit(
    sqlite_archive: Archive,
) -> None:
    archive = sqlite_archive
    for n in range(100):
        await archive.ledger.record(step("1", n))
    # Another process holds SQLite's write lock, and commits while this one reads the ledger
    # and writes beside it: a read statement still open when the write comes would have to
    # move past the commit, which SQLite refuses at once with "database is locked".
    with closing(sqlite3.connect(str(archive.file), isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO state (key, value, updated_at) VALUES ('elsewhere', '1', 'now')")
        read = asyncio.create_task(archive.ledger.entries(202, "discord", "1"))
        write = asyncio.create_task(archive.ledger.record(step("2", 0)))
        await asyncio.sleep(0.3)  # the write waits for the lock (busy timeout 5 s)
        other.execute("COMMIT")
        entries, _ = await asyncio.gather(read, write)
    assert len(entries) == 100
    assert len(await archive.ledger.entries(202, "discord", "2")) == 1
