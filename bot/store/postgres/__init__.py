"""The archive on a PostgreSQL server that many newsbot processes share: a module per aggregate,
as in `bot.store.sqlite`, and the same search hits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.errors import NewsbotError
from bot.models import ArchiveStats
from bot.store.held import Clock
from bot.store.interfaces import Stores
from bot.store.postgres import tables
from bot.store.postgres.database import PgDatabase, open_database
from bot.store.postgres.issues import PgIssues
from bot.store.postgres.ledger import PgLedger
from bot.store.postgres.state import PgState
from bot.store.postgres.subscriptions import PgSubscriptions
from bot.store.postgres.suggestions import PgSuggestions
from bot.store.tables import Batches


class PgConnection:
    """The PostgreSQL database, as the archive's `Connection`."""

    def __init__(self, database: PgDatabase) -> None:
        self._database = database

    @property
    def location(self) -> str:
        """The database's URL, without its password."""
        return self._database.location

    @property
    def file(self) -> Path | None:
        """None: the archive is on a server, not in a file."""
        return None

    async def size(self) -> int:
        """The database's size on the server, in bytes."""
        row = await self._database.row("SELECT pg_database_size(current_database()) AS n")
        return int(row["n"]) if row else 0

    async def schema_version(self) -> int:
        """The version of the last migration applied."""
        return await self._database.schema_version()

    async def backup(self, destination: Path, state: Mapping[str, str]) -> ArchiveStats:
        """Refused: a PostgreSQL archive is backed up with the server's own tools."""
        raise NewsbotError(
            f"the archive is on PostgreSQL ({self.location}): back it up with pg_dump"
            " (see the README, Deploying), or copy it into an SQLite file with"
            " `newsbot archive copy`"
        )

    async def counts(self) -> dict[str, int]:
        """How many rows each table of `bot.store.tables.COLUMNS` holds."""
        return await tables.counts(self._database)

    def rows(self) -> Batches:
        """Every row of the copied tables, parents first, in batches, from one snapshot."""
        return tables.rows(self._database)

    async def load(self, batches: Batches) -> None:
        """Store rows from either backend in one transaction: all or none."""
        await tables.load(self._database, batches)

    async def close(self) -> None:
        """Close every connection; nothing can use the database through them afterwards."""
        await self._database.close()

    def answering(self) -> AbstractAsyncContextManager[None]:
        """Wait for the server only briefly, as for a reader (`PgDatabase.answering`)."""
        return self._database.answering()


async def open_postgres(
    url: str,
    *,
    create: bool = True,
    migrate: bool = True,
    clock: Clock | None = None,
    zone: dt.tzinfo | None = None,
) -> Stores:
    """Every aggregate on the PostgreSQL database at `url` (migrated to this version with
    `migrate`); `clock` and `zone` tell readers' queries the time."""
    database = await open_database(url, create=create, migrate=migrate, clock=clock, zone=zone)
    return Stores(
        connection=PgConnection(database),
        issues=PgIssues(database),
        ledger=PgLedger(database),
        subscriptions=PgSubscriptions(database),
        suggestions=PgSuggestions(database),
        state=PgState(database),
    )
