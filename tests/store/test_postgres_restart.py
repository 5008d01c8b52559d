"""The archive on PostgreSQL after its server dropped every connection (restarted, failed over,
or a network blip ended them): the next reads and writes are answered, none fails on a
connection kept from before."""

from __future__ import annotations

import asyncio

from bot.store import Archive
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
