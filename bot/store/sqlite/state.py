"""Values newsbot keeps between runs, in SQLite: a key, its value and when it was set."""

from __future__ import annotations

import datetime as dt
import time

from bot.store.rows import LEASE_PREFIX, lease_value, now_text
from bot.store.sqlite.database import Database, first_row


class SqliteState:
    """The state table: small named values, such as what the last schedule firing did."""

    def __init__(self, database: Database) -> None:
        self._db = database.db

    async def get(self, key: str) -> str | None:
        """A value newsbot kept between runs, or None."""
        row = await first_row(self._db, "SELECT value FROM state WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set(self, key: str, value: str) -> None:
        """Keep a value between runs (replacing any earlier one)."""
        await self._db.execute(
            "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (key, value, now_text()),
        )

    async def delete(self, key: str) -> None:
        """Forget a value kept between runs (nothing happens if there is none)."""
        await self._db.execute("DELETE FROM state WHERE key = ?", (key,))

    async def try_lease(
        self, name: str, holder: str, ttl: float, *, since: dt.datetime | None = None
    ) -> bool:
        """Take or renew the lease `name` for `ttl` seconds (kept with `since`, when the
        holder began to hold it); False while another holder's lease on it has not expired.

        One statement, so two processes on one file cannot both take it: the row is written
        only if it is new, this holder's, or expired (wall-clock seconds, shared by processes).
        """
        now = time.time()
        lease = lease_value(holder, now, ttl, since)
        async with self._db.execute(
            "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at"
            " WHERE json_extract(state.value, '$.holder') = ?"
            " OR json_extract(state.value, '$.until') <= ?",
            (LEASE_PREFIX + name, lease, now_text(), holder, now),
        ) as cursor:
            return cursor.rowcount == 1

    async def end_lease(self, name: str, holder: str) -> bool:
        """Give the lease `name` up and forget it, if `holder` holds it; whether it did.

        One statement: a holder that lost it meanwhile does not remove the next one's.
        """
        key = LEASE_PREFIX + name
        async with self._db.execute(
            # CASE: only the lease's value may be read as JSON, whatever order SQLite tests in.
            "DELETE FROM state WHERE key = ? AND CASE WHEN key = ?"
            " THEN json_extract(value, '$.holder') = ? ELSE 0 END",
            (key, key, holder),
        ) as cursor:
            return cursor.rowcount == 1

    async def forget_leases(self, prefix: str, ended_for: float) -> list[str]:
        """Forget the leases whose names start with `prefix` that ran out more than
        `ended_for` seconds ago; the names of those forgotten, in order."""
        key = LEASE_PREFIX + prefix
        async with self._db.execute(
            # CASE: other keys' values are not JSON, and only leases' may be read as JSON.
            "DELETE FROM state WHERE CASE WHEN substr(key, 1, length(?)) = ?"
            " THEN json_extract(value, '$.until') <= ? ELSE 0 END RETURNING key",
            (key, key, time.time() - ended_for),
        ) as cursor:
            forgotten = [str(row[0]).removeprefix(LEASE_PREFIX) for row in await cursor.fetchall()]
        return sorted(forgotten)

    async def live_leases(self, prefix: str) -> int:
        """How many leases whose names start with `prefix` are held and not yet expired."""
        key = LEASE_PREFIX + prefix
        row = await first_row(
            self._db,
            # CASE: other keys' values are not JSON, and only leases' may be read as JSON.
            "SELECT count(*) FROM state WHERE CASE WHEN substr(key, 1, length(?)) = ?"
            " THEN json_extract(value, '$.until') > ? ELSE 0 END",
            (key, key, time.time()),
        )
        return int(row[0]) if row else 0

    async def lease_holders(self, prefix: str) -> list[str]:
        """The holders of the leases whose names start with `prefix` that are held and not
        yet expired, one per lease, in the order of their names."""
        key = LEASE_PREFIX + prefix
        async with self._db.execute(
            "SELECT json_extract(value, '$.holder') FROM state WHERE CASE"
            " WHEN substr(key, 1, length(?)) = ? THEN json_extract(value, '$.until') > ?"
            " ELSE 0 END ORDER BY key",
            (key, key, time.time()),
        ) as cursor:
            return [str(row[0]) for row in await cursor.fetchall()]
