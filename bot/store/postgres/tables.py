"""The PostgreSQL tables read and written whole, for a copy to or from another backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.store.postgres import recent
from bot.store.postgres.database import PgDatabase
from bot.store.postgres.words import tsvector
from bot.store.tables import BATCH_ROWS, COLUMNS, Batches, Row

_ORDER = {"outbox": "seq", "suggestion_supporters": "seq", "state": "key", "issues": "number"}
"""The column giving the order rows were written in, where the first column does not."""
_IDENTITIES = ("sections", "suggestions")
"""Tables whose `id` PostgreSQL numbers: after a copy, the next id follows the copied ones."""


async def counts(database: PgDatabase) -> dict[str, int]:
    """How many rows each copied table holds."""
    found: dict[str, int] = {}
    for table in COLUMNS:
        row = await database.row(f"SELECT count(*) AS n FROM {table}")  # noqa: S608
        found[table] = int(row["n"]) if row else 0
    return found


async def rows(database: PgDatabase) -> AsyncIterator[tuple[str, list[Row]]]:
    """Every row of the copied tables, parents first, in the order they were written; one
    snapshot for all of them."""
    async with database.transaction() as conn:
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for table, columns in COLUMNS.items():
            order = _ORDER.get(table, columns[0])
            async with conn.cursor(name=f"copy_{table}") as cursor:
                await cursor.execute(
                    f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"  # noqa: S608
                )
                while batch := await cursor.fetchmany(BATCH_ROWS):
                    yield table, [{column: row[column] for column in columns} for row in batch]


async def load(database: PgDatabase, batches: Batches) -> None:
    """Store the rows in one transaction: all of them, or on error none."""
    # Each item's words name its section's slug: the sections come first (parents first).
    slugs: dict[object, str] = {}
    async with database.transaction() as conn:
        async for table, batch in batches:
            columns = COLUMNS[table]
            values = [f"%({column})s" for column in columns]
            if table == "sections":
                slugs.update((row["id"], str(row["slug"])) for row in batch)
            if table == "items":
                columns += ("words",)
                values.append("%(words)s::tsvector")
                for row in batch:
                    fields = [row[f] for f in ("title", "blurb", "abstract")]
                    row["words"] = tsvector(
                        *(f if isinstance(f, str) else None for f in fields),
                        section=slugs[row["section_id"]],
                    )
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 - from COLUMNS
                    f" VALUES ({', '.join(values)})",
                    batch,
                )
        for table in _IDENTITIES:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    await recent.refresh(database)
