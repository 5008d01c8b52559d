"""The archive on PostgreSQL after its server dropped every connection (restarted, failed over,
or a network blip ended them): the next reads and writes are answered, none fails on a
connection kept from before."""

from __future__ import annotations

import asyncio

from bot.store import Archive
from bot.store.postgres.database import POOL_SIZE, open_database
from bot.store.postgres.issues import PgIssues
from tests.pg_server import PgServer


async def test_no_request_fails_on_a_connection_the_server_dropped(
    pg_server: PgServer, pg_url: str
) -> None:
    async with await Archive.open(pg_url) as archive:
        # Several requests at once: the pool keeps several connections.
        await asyncio.gather(*(archive.state.get(f"key {n}") for n in range(6)))
        pg_server.drop_connections(pg_url)
        for n in range(10):  # more than the pool holds, one after the other
            await archive.state.set(f"key {n}", "kept")
        assert await archive.state.get("key 9") == "kept"


async def test_a_reader_after_a_restart_is_answered_whatever_the_pool_kept(
    pg_server: PgServer, pg_url: str
) -> None:
    """Every connection the pool kept is broken after a restart: each is replaced as it is
    found, with no pause, so a reader's question is answered within its short wait."""
    database = await open_database(pg_url)
    try:
        # As many statements at once as the pool holds connections: it keeps them all.
        await asyncio.gather(*(database.rows("SELECT pg_sleep(0.2)") for _ in range(POOL_SIZE)))
        assert database.pool.get_stats()["pool_size"] == POOL_SIZE
        pg_server.drop_connections(pg_url)
        assert await PgIssues(database).latest() is None
    finally:
        await database.close()
