"""Values newsbot keeps between runs, in PostgreSQL: a key, its value and when it was set."""

from __future__ import annotations

import datetime as dt
import time

from bot.store.postgres.database import PgDatabase
from bot.store.rows import LEASE_PREFIX, lease_value, now_text


class PgState:
    """The state table: small named values, such as what the last schedule firing did."""

    def __init__(self, database: PgDatabase) -> None:
        self._database = database

    async def get(self, key: str) -> str | None:
        """A value newsbot kept between runs, or None."""
        row = await self._database.row("SELECT value FROM state WHERE key = %s", (key,))
        return str(row["value"]) if row else None

    async def set(self, key: str, value: str) -> None:
        """Keep a value between runs (replacing any earlier one)."""
        await self._database.rows(
            "INSERT INTO state (key, value, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (key, value, now_text()),
        )

    async def delete(self, key: str) -> None:
        """Forget a value kept between runs (nothing happens if there is none)."""
        await self._database.rows("DELETE FROM state WHERE key = %s", (key,))

    async def try_lease(
        self, name: str, holder: str, ttl: float, *, since: dt.datetime | None = None
    ) -> bool:
        """Take or renew the lease `name` for `ttl` seconds (kept with `since`, when the
        holder began to hold it); False while another holder's lease on it has not expired.

        One statement, as on SQLite: the row is written only if it is new, this holder's, or
        expired (seconds by the server's clock, shared by the processes whatever their
        machines' clocks say), and only then returned.
        """
        now = await self._server_time()
        lease = lease_value(holder, now, ttl, since)
        taken = await self._database.row(
            "INSERT INTO state (key, value, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at"
            " WHERE state.value::jsonb ->> 'holder' = %s"
            " OR (state.value::jsonb ->> 'until')::float8 <= %s"
            " RETURNING key",
            (LEASE_PREFIX + name, lease, now_text(), holder, now),
        )
        return taken is not None

    async def end_lease(self, name: str, holder: str) -> bool:
        """Give the lease `name` up and forget it, if `holder` holds it; whether it did.

        One statement: a holder that lost it meanwhile does not remove the next one's.
        """
        key = LEASE_PREFIX + name
        ended = await self._database.rows(
            # CASE: the order PostgreSQL tests conditions in is its own, and only the lease's
            # value may be read as JSON.
            "DELETE FROM state WHERE key = %s AND CASE WHEN key = %s"
            " THEN value::jsonb ->> 'holder' = %s ELSE false END RETURNING key",
            (key, key, holder),
        )
        return bool(ended)

    async def forget_leases(self, prefix: str, ended_for: float) -> list[str]:
        """Forget the leases whose names start with `prefix` that ran out more than
        `ended_for` seconds ago (by the server's clock); the names of those forgotten, in order."""
        forgotten = await self._database.rows(
            # CASE: other keys' values are not JSON, and only leases' may be read as JSON.
            "DELETE FROM state WHERE CASE WHEN starts_with(key, %s)"
            " THEN (value::jsonb ->> 'until')::float8 <= %s ELSE false END RETURNING key",
            (LEASE_PREFIX + prefix, await self._server_time() - ended_for),
        )
        return sorted(str(row["key"]).removeprefix(LEASE_PREFIX) for row in forgotten)

    async def live_leases(self, prefix: str) -> int:
        """How many leases whose names start with `prefix` are held and not yet expired."""
        row = await self._database.row(
            # CASE: other keys' values are not JSON, and only leases' may be read as JSON.
            "SELECT count(*) AS live FROM state WHERE CASE WHEN starts_with(key, %s)"
            " THEN (value::jsonb ->> 'until')::float8 > %s ELSE false END",
            (LEASE_PREFIX + prefix, await self._server_time()),
        )
        return int(row["live"]) if row else 0

    async def lease_holders(self, prefix: str) -> list[str]:
        """The holders of the leases whose names start with `prefix` that are held and not
        yet expired, one per lease, in the order of their names."""
        rows = await self._database.rows(
            "SELECT value::jsonb ->> 'holder' AS holder FROM state WHERE CASE"
            " WHEN starts_with(key, %s) THEN (value::jsonb ->> 'until')::float8 > %s"
            ' ELSE false END ORDER BY key COLLATE "C"',
            (LEASE_PREFIX + prefix, await self._server_time()),
        )
        return [str(row["holder"]) for row in rows]

    async def _server_time(self) -> float:
        """Now by the server's clock, in seconds since the epoch (this machine's may be off)."""
        skew = await self._database.clock_skew()  # first: this clock read after the server's
        return time.time() + skew.total_seconds()
