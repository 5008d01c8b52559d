"""The archive in one SQLite file: a module per aggregate, and the only SQL in newsbot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from bot.store.held import Clock
from bot.store.interfaces import Stores
from bot.store.sqlite import tables
from bot.store.sqlite.database import Database, open_database
from bot.store.sqlite.issues import SqliteIssues
from bot.store.sqlite.ledger import SqliteLedger
from bot.store.sqlite.state import SqliteState
from bot.store.sqlite.subscriptions import SqliteSubscriptions
from bot.store.sqlite.suggestions import SqliteSuggestions
from bot.store.tables import Batches

if TYPE_CHECKING:
    from bot.models import ArchiveStats


class SqliteConnection:
    """The SQLite file's connection, as the archive's `Connection`."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def location(self) -> str:
        """The SQLite file, as named."""
        return str(self._database.path)

    @property
    def file(self) -> Path:
        """The SQLite file."""
        return self._database.path

    async def size(self) -> int:
        """The file and its write-ahead log, where recent writes wait for a checkpoint."""
        path = self._database.path
        files = (path, path.with_name(path.name + "-wal"))
        return sum(f.stat().st_size for f in files if f.exists())

    async def schema_version(self) -> int:
        """The version of the last migration applied."""
        return await self._database.schema_version()

    async def backup(self, destination: Path, state: Mapping[str, str]) -> ArchiveStats:
        """Copy the file into the new, empty file `destination`, with `state`'s values kept in
        the copy only; return what the copy holds.

        SQLite's online backup copies one consistent snapshot, even while other connections
        write. The copy is one self-contained file. Raise `NewsbotError` if it fails SQLite's
        integrity check.
        """
        copy = await self._database.backup_to(destination)
        try:
            kept = SqliteState(copy)
            for key, value in state.items():
                await kept.set(key, value)
            return await SqliteIssues(copy).stats()
        finally:
            await copy.close()

    async def counts(self) -> dict[str, int]:
        """How many rows each table of `bot.store.tables.COLUMNS` holds."""
        return await tables.counts(self._database)

    def rows(self) -> Batches:
        """Every row of the copied tables, parents first, in batches."""
        return tables.rows(self._database)

    async def load(self, batches: Batches) -> None:
        """Store rows from either backend in one transaction: all or none."""
        await tables.load(self._database, batches)

    async def close(self) -> None:
        """Close the connection; nothing can use the file through it afterwards."""
        await self._database.close()

    def answering(self) -> AbstractAsyncContextManager[None]:
        """Nothing to change: a file is never out of reach, and the lock of a writer, which no
        writer holds for long, is the only thing waited for (`busy_timeout`)."""
        return nullcontext()


async def open_sqlite(
    path: Path | str,
    *,
    create: bool = True,
    migrate: bool = True,
    clock: Clock | None = None,
    zone: dt.tzinfo | None = None,
) -> Stores:
    """Every aggregate on the SQLite file at `path` (created with `create`, migrated to this
    version with `migrate`); `clock` and `zone` tell readers' queries the time."""
    database = await open_database(path, create=create, migrate=migrate, clock=clock, zone=zone)
    return Stores(
        connection=SqliteConnection(database),
        issues=SqliteIssues(database),
        ledger=SqliteLedger(database),
        subscriptions=SqliteSubscriptions(database),
        suggestions=SqliteSuggestions(database),
        state=SqliteState(database),
    )
