"""Values newsbot keeps between runs, in SQLite: a key, its value and when it was set."""

from __future__ import annotations

from bot.store.sqlite.database import Database, now_text


class SqliteState:
    """The state table: small named values, such as what the last schedule firing did."""

    def __init__(self, database: Database) -> None:
        self._db = database.db

    async def get(self, key: str) -> str | None:
        """A value newsbot kept between runs, or None."""
        async with self._db.execute("SELECT value FROM state WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set(self, key: str, value: str) -> None:
        """Keep a value between runs (replacing any earlier one)."""
        await self._db.execute(
            "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (key, value, now_text()),
        )
