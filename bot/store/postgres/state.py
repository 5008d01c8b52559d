"""Values newsbot keeps between runs, in PostgreSQL: a key, its value and when it was set."""

from __future__ import annotations

from bot.store.postgres.database import PgDatabase
from bot.store.sqlite.database import now_text


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
