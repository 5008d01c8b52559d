"""The SQLite file's tables read and written whole, for a copy to or from another backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.store.query import index_text
from bot.store.sqlite import recent
from bot.store.sqlite.database import Database
from bot.store.tables import BATCH_ROWS, COLUMNS, Batches, Row

_DERIVED = {"items": ("title_cjk", "blurb_cjk", "abstract_cjk")}
"""Columns SQLite makes from others when it loads rows."""


async def counts(database: Database) -> dict[str, int]:
    """How many rows each copied table holds."""
    found: dict[str, int] = {}
    for table in COLUMNS:
        rows = await database.db.execute_fetchall(f"SELECT count(*) FROM {table}")  # noqa: S608
        found[table] = int(next(iter(rows))[0])
    return found


async def rows(database: Database) -> AsyncIterator[tuple[str, list[Row]]]:
    """Every row of the copied tables, parents first, in the order they were written."""
    for table, columns in COLUMNS.items():
        async with database.db.execute(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid"  # noqa: S608
        ) as cursor:
            while batch := await cursor.fetchmany(BATCH_ROWS):
                yield table, [dict(zip(columns, row, strict=True)) for row in batch]


async def load(database: Database, batches: Batches) -> None:
    """Store the rows in one transaction: all of them, or on error none."""
    async with database.transaction() as db:
        async for table, batch in batches:
            columns = COLUMNS[table] + _DERIVED.get(table, ())
            if table == "items":
                for row in batch:
                    for field in ("title", "blurb", "abstract"):
                        value = row[field]
                        row[f"{field}_cjk"] = index_text(value if isinstance(value, str) else None)
            await db.executemany(
                f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 - names from COLUMNS
                f" VALUES ({', '.join(':' + column for column in columns)})",
                batch,
            )
        await recent.refresh(db)
