"""The archive: every issue, the publishing ledger, subscriptions, suggestions and kept state.

`Archive` is the one object the rest of newsbot holds; each aggregate is an attribute typed
by its protocol in `bot.store.interfaces`. All SQL lives in the backends: `bot.store.sqlite`
(one file, the default) and `bot.store.postgres` (a server many processes share), each giving
the same `Stores`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Self

from bot.errors import NewsbotError
from bot.store.held import Clock
from bot.store.interfaces import (
    Connection,
    IssueStore,
    Ledger,
    StateStore,
    Stores,
    SubscriptionStore,
    SuggestionStore,
)
from bot.store.tables import Batches

if TYPE_CHECKING:
    from bot.models import ArchiveStats

__all__ = ["Archive", "Clock", "failed_under", "is_url"]


def is_url(location: object) -> bool:
    """Whether an archive location is a PostgreSQL URL (`postgresql://…`) rather than a file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


_SQLITE_PASSING = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_FULL,
    }
)
"""SQLite's primary result codes of a failure that passes: the file locked by another writer
too long, its disk failing a read or write for a moment, or full until space is made."""
_PG_PASSING_CLASSES = ("08", "57P")
"""SQLSTATE classes of a server going away: a connection lost or refused (08), the server
shutting down, crashed or starting (57P)."""
_PG_READ_ONLY = "25006"
"""SQLSTATE of a write refused by a read-only server: a standby, until a failover promotes it."""


def failed_under(exc: BaseException) -> bool:
    """Whether `exc` is the archive's database failing under a statement (its server restarting
    or failing over, a connection lost, a file locked too long): the same work may succeed
    once it answers again, unlike newsbot's own errors and a statement the database refuses
    for what it says (a constraint, a column the schema lacks), which would fail again."""
    if isinstance(exc, sqlite3.Error):
        code = int(getattr(exc, "sqlite_errorcode", -1)) & 0xFF
        return isinstance(exc, sqlite3.OperationalError) and code in _SQLITE_PASSING
    # Not imported to ask: an archive in a file never loads the PostgreSQL driver.
    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.Error):
        return False
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return True  # a connection lost or none to be had (PoolTimeout among them)
    state = exc.sqlstate or ""
    return state.startswith(_PG_PASSING_CLASSES) or state == _PG_READ_ONLY


class Archive:
    """The newsletter's archive. Open with `await Archive.open(path_or_url)`.

    What readers see through `issues` leaves out an issue whose own publish_at is still ahead
    by `clock`, unless part of it was already sent; editors and publishing pass `held=True`.
    """

    def __init__(self, stores: Stores) -> None:
        self._connection: Connection = stores.connection
        self.issues: IssueStore = stores.issues
        self.ledger: Ledger = stores.ledger
        self.subscriptions: SubscriptionStore = stores.subscriptions
        self.suggestions: SuggestionStore = stores.suggestions
        self.state: StateStore = stores.state
        self.closed = False
        """Whether `close` was called: nothing may use the archive any more."""

    @classmethod
    async def open(
        cls,
        location: Path | str,
        *,
        create: bool = True,
        migrate: bool = True,
        clock: Clock | None = None,
        zone: dt.tzinfo | None = None,
    ) -> Self:
        """Open the archive at `location`, migrated to this version: a PostgreSQL URL
        (`postgresql://…`, given as a str) or an SQLite file (created with `create`).

        Without `migrate` an older archive is left as it is (a backup copies it unchanged).
        `clock` tells readers' queries the time (default: the system's), and when what the
        suggestions keep for a while is old enough to forget; `zone` is the one a
        publish_at without an offset is read in (the schedule's; unknown, it is read where it
        comes last).
        """
        if is_url(location):
            # Imported here: an archive in a file never loads the PostgreSQL driver.
            from bot.store.postgres import open_postgres

            stores = await open_postgres(
                str(location), create=create, migrate=migrate, clock=clock, zone=zone
            )
        else:
            from bot.store.sqlite import open_sqlite

            stores = await open_sqlite(
                location, create=create, migrate=migrate, clock=clock, zone=zone
            )
        return cls(stores)

    @property
    def location(self) -> str:
        """Where the archive is: its file, or its URL without the password."""
        return self._connection.location

    @property
    def file(self) -> Path | None:
        """The archive's SQLite file, or None when it is on a PostgreSQL server."""
        return self._connection.file

    @property
    def path(self) -> Path:
        """The archive's SQLite file; raise `NewsbotError` for one on a server."""
        file = self._connection.file
        if file is None:
            raise NewsbotError(f"the archive at {self.location} is on a server, not in a file")
        return file

    async def size(self) -> int:
        """How many bytes the archive takes where it is stored."""
        return await self._connection.size()

    async def close(self) -> None:
        """Close the database; the archive cannot be used afterwards."""
        self.closed = True
        await self._connection.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def answering(self) -> AbstractAsyncContextManager[None]:
        """Run the block as a person's question on Discord (a button pressed): a database
        server out of reach is waited for only briefly, then said to be, as to a reader's
        command (`bot.store.postgres.database.READER_WAIT`)."""
        return self._connection.answering()

    async def counts(self) -> dict[str, int]:
        """How many rows each table holds (`bot.store.tables.COLUMNS`)."""
        return await self._connection.counts()

    def rows(self) -> Batches:
        """Every row of every table, parents first, in batches: what a copy moves."""
        return self._connection.rows()

    async def load(self, batches: Batches) -> None:
        """Store rows another archive's `rows()` gave, in one transaction: all or none."""
        await self._connection.load(batches)

    async def schema_version(self) -> int:
        """The version of the last migration applied."""
        return await self._connection.schema_version()

    async def backup(
        self, destination: Path, state: Mapping[str, str] | None = None
    ) -> ArchiveStats:
        """Copy the archive into the new, empty file `destination`; return what the copy holds.

        The copy is one consistent snapshot, even while the archive is written, and keeps
        `state`'s values as well (the copy's own, never the archive's). Raise `NewsbotError` if
        the copy fails the database's integrity check.
        """
        return await self._connection.backup(destination, state or {})
