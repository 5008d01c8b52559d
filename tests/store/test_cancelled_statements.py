"""The archive on PostgreSQL when a task is cancelled while its connection is being checked
(a lease's renewal is cancelled each time its holder is done): the connection goes back to the
pool, which keeps every one for the statements after."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from psycopg_pool import AsyncConnectionPool

from bot.store.postgres.database import POOL_SIZE, PgConnection, open_database


async def test_a_statement_cancelled_while_its_connection_is_checked_gives_it_back(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = await open_database(pg_url)
    try:
        real_check: Callable[[PgConnection], Awaitable[None]] = AsyncConnectionPool.check_connection
        checking = asyncio.Event()
        go_on = asyncio.Event()

        async def held_check(conn: PgConnection) -> None:
            """The driver's own check, held up as a slow network would hold it."""
            checking.set()
            await go_on.wait()
            await real_check(conn)

        monkeypatch.setattr(AsyncConnectionPool, "check_connection", staticmethod(held_check))
        # As many cancelled statements as the pool holds connections: none may keep one.
        for _ in range(POOL_SIZE):
            checking.clear()
            statement = asyncio.create_task(database.rows("SELECT 1"))
            await checking.wait()
            statement.cancel()
            with pytest.raises(asyncio.CancelledError):
                await statement
        monkeypatch.undo()

        stats = database.pool.get_stats()
        assert stats.get("pool_size", 0) - stats.get("pool_available", 0) == 0
        # Every connection is there for the statements after, all at once.
        answers = await asyncio.gather(
            *(database.rows("SELECT pg_sleep(0.1), 1 AS one") for _ in range(POOL_SIZE))
        )
        assert [rows[0]["one"] for rows in answers] == [1] * POOL_SIZE
    finally:
        await database.close()
