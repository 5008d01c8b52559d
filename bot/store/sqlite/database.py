"""The SQLite file: its connection, numbered migrations, transactions, and what readers may see.

Migrations are the numbered files in `bot/store/sqlite/migrations/`, applied in order, each in
one transaction; the schema version is `PRAGMA user_version`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiosqlite

from bot.errors import ArchiveMissing, ArchiveVersionError, NewsbotError
from bot.store.held import Clock, held_function, held_horizon
from bot.store.migrations import Migration, bundled
from bot.store.query import CJK_INDEX_FUNCTION, cjk_index_text
from bot.store.sqlite import library, recent
from bot.store.sqlite.held import HELD_FUNCTION, HELD_ISSUES
from bot.store.sqlite.search import BUDGET_GRAIN, SearchBudget, SearchReader

log = logging.getLogger(__name__)

_PRAGMAS = (
    "journal_mode = WAL",
    "foreign_keys = ON",
    "synchronous = NORMAL",
    "busy_timeout = 5000",
    # 16 MB instead of 2 for ingest's index updates; searches read through their own
    # connections, and the system's file cache keeps the rest of a large archive at hand.
    "cache_size = -16384",
)
"""Set on every connection `open_database` makes."""

_READER_PRAGMAS = ("busy_timeout = 5000", "cache_size = -8192")
"""Set on each read-only connection for searches (WAL is the file's, set by the writer).
8 MB each: a search's pages beyond that come from the system's file cache, which costs a
copy, not a disk read, and counts once for every connection and process."""

READERS = 4
"""Read-only connections searches may use at once, besides the one that writes."""


def migrations() -> list[Migration]:
    """The bundled migrations, in version order."""
    return bundled("bot.store.sqlite.migrations")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def all_rows(db: aiosqlite.Connection, sql: str, parameters: Any = ()) -> list[aiosqlite.Row]:
    """Every row of one statement on the shared connection, read in one call.

    A statement left open between two awaits keeps its read transaction open, and a write that
    another coroutine runs on the connection meanwhile would have to upgrade it: after another
    process's commit SQLite refuses that at once with "database is locked", whatever the busy
    timeout. Reading the rows in the same call ends the statement before anything else runs.
    """
    return list(await db.execute_fetchall(sql, parameters))


async def first_row(
    db: aiosqlite.Connection, sql: str, parameters: Any = ()
) -> aiosqlite.Row | None:
    """The first row of one statement (see `all_rows`), None if it has none."""
    return next(iter(await db.execute_fetchall(sql, parameters)), None)


class Database:
    """One open connection to the archive's SQLite file, shared by every aggregate's store."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        clock: Clock | None = None,
        zone: dt.tzinfo | None = None,
    ) -> None:
        self.db = db
        self.path = path
        self.clock = clock or _utc_now
        self.zone = zone
        self._readers: list[SearchReader] = []
        self._idle: list[SearchReader] = []
        self._reader_slots = asyncio.Semaphore(READERS)
        self._transactions = asyncio.Lock()

    async def close(self) -> None:
        """Close the connection; nothing can use the database afterwards."""
        for reader in self._readers:
            await reader.db.close()
        self._readers.clear()
        self._idle.clear()
        await self.db.close()

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[SearchReader]:
        """A read-only connection for a search, with its work budget; waits while `READERS`
        searches run.

        Each has its own thread, so a slow search does not hold up the others nor writes
        (WAL mode lets readers and the writer work at once); it sees what was committed.
        """
        async with self._reader_slots:
            reader = self._idle.pop() if self._idle else await self._open_reader()
            try:
                yield reader
            finally:
                self._idle.append(reader)

    async def _open_reader(self) -> SearchReader:
        uri = f"file:{quote(str(self.path.absolute()))}?mode=ro"
        db = await _opened(aiosqlite.connect(uri, uri=True, isolation_level=None))
        try:
            db.row_factory = aiosqlite.Row
            for pragma in _READER_PRAGMAS:
                await db.execute(f"PRAGMA {pragma}")
            await db.create_function(HELD_FUNCTION, 1, held_function(self.clock, self.zone))
            budget = SearchBudget()
            await db.set_progress_handler(budget, BUDGET_GRAIN)
        except BaseException:
            await db.close()
            raise
        reader = SearchReader(db, budget)
        self._readers.append(reader)
        return reader

    async def schema_version(self) -> int:
        """The version of the last migration applied."""
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply the migrations this file has not had yet, each in its own transaction."""
        known = migrations()
        current = await self.schema_version()
        if current > len(known):
            raise ArchiveVersionError(
                f"{self.path} has schema version {current}, but this newsbot knows only "
                f"{len(known)}: upgrade newsbot"
            )
        if current == 0:
            async with self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ) as cursor:
                tables = [str(row[0]) async for row in cursor]
            # A migration commits its tables with its version: tables and still no version
            # are another program's. (Another newsbot may have just made the archive.)
            current = await self.schema_version()
            if tables and current == 0:
                raise NewsbotError(
                    f"{self.path} is an SQLite database but not a newsbot archive (it holds "
                    f"{', '.join(tables[:5])}{' …' if len(tables) > 5 else ''}): "
                    "name another file for the archive"
                )
        # Upgrading an existing archive is news for whoever runs it; creating one is not.
        level = logging.INFO if current else logging.DEBUG
        for migration in known[current:]:
            log.log(level, "applying migration %s to %s", migration.name, self.path)
            try:
                await self.db.executescript(
                    f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                    f"PRAGMA user_version = {migration.version};\nCOMMIT;"
                )
            except sqlite3.Error:
                if self.db.in_transaction:
                    await self.db.execute("ROLLBACK")
                raise
        if known[current:]:
            # The index of the newest items starts empty in an upgraded archive.
            async with self.transaction() as db:
                await recent.refresh(db)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one write transaction: all of it is stored, or on error none.

        The block gets a connection of its own, so the statements other coroutines run on the
        shared one meanwhile (a lease renewed, a suggestion taken) are never part of it: they
        wait for its commit (SQLite's lock), and its rollback never undoes them. Transactions
        of one process run one after another.
        """
        async with self._transactions:
            db = await _connect(self.path, self.clock, self.zone)
            try:
                await db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    await db.execute("ROLLBACK")
                    raise
                await db.execute("COMMIT")
            finally:
                await db.close()

    def hiding(self, held: bool, column: str) -> tuple[str, dict[str, Any]]:
        """A WHERE condition leaving out the issues readers cannot see yet (none with `held`)."""
        if held:
            return "true", {}
        return f"{column} NOT IN ({HELD_ISSUES})", {"horizon": held_horizon(self.clock())}

    async def backup_to(self, destination: Path) -> Database:
        """Copy the file into the new, empty file `destination`; the copy, open, to read from.

        SQLite's online backup copies one consistent snapshot, even while other connections
        write. The copy is one self-contained file. Raise `NewsbotError` if it fails SQLite's
        integrity check. The caller closes the copy.
        """
        copy = await _opened(aiosqlite.connect(destination, isolation_level=None))
        try:
            await self.db.backup(copy)
            async with copy.execute("PRAGMA integrity_check") as cursor:
                problems = [str(row[0]) async for row in cursor]
            if problems != ["ok"]:
                raise NewsbotError(
                    f"{destination}: the copy failed SQLite's integrity check: "
                    + "; ".join(problems[:3])
                )
            # The archive's WAL mode came along; a backup needs no -wal file beside it.
            await copy.execute("PRAGMA journal_mode = DELETE")
        except BaseException:
            await copy.close()
            raise
        return Database(copy, destination)


async def open_database(
    path: Path | str,
    *,
    create: bool = True,
    migrate: bool = True,
    clock: Clock | None = None,
    zone: dt.tzinfo | None = None,
) -> Database:
    """Open (and with `create`, create) the SQLite file at `path`, migrated to this version.

    Without `migrate` an older file is left as it is. `clock` and `zone` are what `Database`
    tells readers' queries.
    """
    path = Path(path)
    if not create and not path.exists():
        raise ArchiveMissing(path)
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    clock = clock or _utc_now
    # Before this process's first connection, or never: see library.py.
    library.parallel_connections()
    db = await _connect(path, clock, zone)
    try:
        database = Database(db, path, clock=clock, zone=zone)
        if migrate:
            await database.migrate()
    except BaseException:
        await db.close()
        raise
    return database


async def _opened(connecting: aiosqlite.Connection) -> aiosqlite.Connection:
    """The connection `connecting` opens, closed again if the wait for it is cancelled.

    aiosqlite opens the file in the connection's thread whatever happens to the wait, and
    drops what it opened for a cancelled one without closing it: until it is collected the
    file stays open (Python 3.13 then warns of it).
    """
    opening = asyncio.ensure_future(connecting)
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        with suppress(Exception):  # a failed open has nothing to close
            await (await opening).close()
        raise


async def _connect(path: Path, clock: Clock, zone: dt.tzinfo | None) -> aiosqlite.Connection:
    """A read-write connection to the archive's file, with newsbot's settings and functions."""
    db = await _opened(aiosqlite.connect(path, isolation_level=None))
    try:
        db.row_factory = aiosqlite.Row
        for pragma in _PRAGMAS:
            await db.execute(f"PRAGMA {pragma}")
        await db.create_function(CJK_INDEX_FUNCTION, 1, cjk_index_text, deterministic=True)
        await db.create_function(HELD_FUNCTION, 1, held_function(clock, zone))
    except BaseException:
        await db.close()
        raise
    return db
