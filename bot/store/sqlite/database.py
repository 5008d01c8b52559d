"""The SQLite file: its connection, numbered migrations, transactions, and what readers may see.

Migrations are the numbered files in `bot/store/sqlite/migrations/`, applied in order, each in
one transaction; the schema version is `PRAGMA user_version`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiosqlite

from bot.errors import ArchiveMissing, ArchiveVersionError, ConfigError, NewsbotError
from bot.store.held import Clock, held_function, held_horizon
from bot.store.migrations import Migration, bundled
from bot.store.query import (
    INDEX_FUNCTION,
    WIDE_LETTERS_FUNCTION,
    index_text,
)
from bot.store.sqlite import library, recent
from bot.store.sqlite.held import HELD_FUNCTION, HELD_ISSUES
from bot.store.sqlite.search import BUDGET_GRAIN, SearchBudget, SearchReader
from bot.text import has_wide_letters

log = logging.getLogger(__name__)

_PRAGMAS = (
    "journal_mode = WAL",
    "foreign_keys = ON",
    "synchronous = NORMAL",
    "busy_timeout = 5000",
    # Once checkpointed, the WAL file is cut back to 64 MB: a large ingest (with its index
    # merge) grew it to its own size, which it kept on disk for as long as a process ran.
    "journal_size_limit = 67108864",
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
    """One open connection to the archive's SQLite file, shared by every aggregate's store.

    `read_only`: the file is on read-only media, read as immutable (see
    `_read_only_connection`). Wherever SQLite refuses a write as read-only, on this connection
    or a transaction's, it is `refused_write`'s error naming the file (see `ArchiveConnection`).
    """

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        clock: Clock | None = None,
        zone: dt.tzinfo | None = None,
        read_only: bool = False,
    ) -> None:
        self.db = db
        self.path = path
        self.read_only = read_only
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
        uri = _read_only_uri(self.path, immutable=self.read_only)
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
        if known[current:] and self.read_only:
            raise ConfigError(
                f"{self.path} needs upgrading to this newsbot's archive version "
                f"({current} → {len(known)}), but {_read_only_reason(self.path)}: "
                f"{_READ_ONLY_REMEDY}"
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
            if self.read_only:  # a write is refused; a transaction that writes nothing is not
                db = await _read_only_connection(self.path, self.clock, self.zone)
            else:
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
    read_only = False
    try:
        db = await _connect(path, clock, zone)
    except sqlite3.OperationalError as exc:
        # Where SQLite can create no -shm file it cannot open the file (CANTOPEN), or refuses
        # to read it as if reading wrote (READONLY_DIRECTORY, for a file it cannot write).
        if not (_code(exc) == sqlite3.SQLITE_CANTOPEN or _refused_as_read_only(exc)):
            raise
        if not on_read_only_medium(path):  # perhaps for this process only, or for a moment
            reason = _unwritable(path)
            raise NewsbotError(
                f"{path}: SQLite cannot open the archive ({exc}){f': {reason}' if reason else ''}"
            ) from None
        db = await _read_only_connection(path, clock, zone, exc)
        read_only = True
    try:
        database = Database(db, path, clock=clock, zone=zone, read_only=read_only)
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


class ArchiveConnection(aiosqlite.Connection):
    """A connection to the archive's file `path` (opened as `target`, a path or a URI) on which
    a write SQLite refuses as read-only is `refused_write`'s error naming the file, whichever
    statement wrote: every call of an aiosqlite connection and of its cursors runs through
    its `_execute` (aiosqlite's own, not public: tests/test_read_only_archive.py's refused
    writes fail if that changes).
    """

    def __init__(self, path: Path, target: Path | str, **options: Any) -> None:
        connector = partial(sqlite3.connect, str(target), isolation_level=None, **options)
        super().__init__(connector, iter_chunk_size=64)
        self.path = path

    opened = False
    """Whether newsbot's settings are made: before, a refusal is the open's (see
    `open_database`), not a write's."""

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        except sqlite3.OperationalError as exc:
            if self.opened and _refused_as_read_only(exc):
                raise refused_write(self.path) from None
            raise


def _refused_as_read_only(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused to write because it can write nothing there: SQLITE_READONLY, but
    not for a file moved away while open (SQLITE_READONLY_DBMOVED)."""
    code = int(getattr(exc, "sqlite_errorcode", -1))
    return code & 0xFF == sqlite3.SQLITE_READONLY and code != sqlite3.SQLITE_READONLY_DBMOVED


async def _connect(path: Path, clock: Clock, zone: dt.tzinfo | None) -> aiosqlite.Connection:
    """A read-write connection to the archive's file, with newsbot's settings and functions."""
    connection = ArchiveConnection(path, path)
    db = await _opened(connection)
    await _prepare(db, clock, zone, _PRAGMAS)
    connection.opened = True
    return db


async def _prepare(
    db: aiosqlite.Connection, clock: Clock, zone: dt.tzinfo | None, pragmas: tuple[str, ...]
) -> None:
    """Give a connection to the archive newsbot's settings and functions; closed on failure."""
    try:
        db.row_factory = aiosqlite.Row
        for pragma in pragmas:
            await db.execute(f"PRAGMA {pragma}")
        await db.create_function(INDEX_FUNCTION, 1, index_text, deterministic=True)
        await db.create_function(WIDE_LETTERS_FUNCTION, 1, has_wide_letters, deterministic=True)
        await db.create_function(HELD_FUNCTION, 1, held_function(clock, zone))
    except BaseException:
        await db.close()
        raise


_READ_ONLY_REMEDY = (
    "make the file and its folder writable for the user newsbot runs as (not on a read-only "
    "mount), or give --db a writable copy of it"
)


def refused_write(path: Path) -> ConfigError:
    """The error of a write to the archive's file `path` that SQLite refused as read-only."""
    return ConfigError(
        f"{path}: this command writes to the archive, but {_read_only_reason(path)}: "
        f"{_READ_ONLY_REMEDY}"
    )


def on_read_only_medium(path: Path) -> bool:
    """Whether the folder of the archive's file `path` is on a filesystem mounted read-only
    (read-only media, a read-only mount or bind mount), the one place it may be read as
    immutable (see `_read_only_connection`).

    A folder read-only only for this process (its permissions, another user's archive) is
    not: a `newsbot run` of the user who may write can change the file at any moment.
    """
    try:
        return bool(os.statvfs(path.absolute().parent).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs (Windows), or no folder to ask
        return False


def _code(exc: sqlite3.Error) -> int:
    """SQLite's primary result code of a failure (SQLITE_CANTOPEN …), without its extension."""
    return int(getattr(exc, "sqlite_errorcode", -1)) & 0xFF


def _read_only_uri(path: Path, *, immutable: bool) -> str:
    """The URI opening `path` read-only; `immutable` for a file SQLite can create nothing
    beside (see `_read_only_connection`)."""
    return f"file:{quote(str(path.absolute()))}?mode=ro{'&immutable=1' if immutable else ''}"


def _read_only_reason(path: Path) -> str:
    """Why SQLite can write nothing at `path`, in the editor's words."""
    return _unwritable(path) or "SQLite can write nothing beside it"


def _unwritable(path: Path) -> str | None:
    """Why this process cannot write the file `path` or create files beside it, or None."""
    folder = path.absolute().parent
    if path.is_dir():
        return "it is a folder, not a file"
    if not os.access(folder, os.W_OK):  # also false for root on a read-only mount (EROFS)
        return f"its folder {folder} is read-only here"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only here"
    return None


async def _read_only_connection(
    path: Path, clock: Clock, zone: dt.tzinfo | None, refused: sqlite3.Error | None = None
) -> aiosqlite.Connection:
    """A connection that reads the archive on read-only media (`on_read_only_medium`), where
    SQLite cannot create its -wal and -shm files, as `_connect`'s would otherwise; or a
    `ConfigError` naming the file, why it cannot be opened and what to do.

    The archive is in WAL mode, and since SQLite 3.22.0 a read-only WAL database can be opened
    only if its -shm and -wal files already exist or can be created, or if it is opened as
    immutable (sqlite.org/wal.html, "Read-Only Databases"). Immutable reads the file alone,
    takes no lock and never looks for a -wal file again: SQLite assumes nothing changes the
    file, and if something does, reads wrong results or fails as corrupt (sqlite.org/uri.html,
    "immutable"). So it is chosen only where the filesystem itself is mounted read-only, and
    only when there is no -wal file (the last connection to close folds it into the file and
    deletes it): a -wal file left there holds commits the file lacks, and reading without them
    would show an old archive. A read-only mount of a file that a newsbot elsewhere still
    writes (bound read-only into a container, shared read-only over the network) looks the
    same from here, and must not be given to newsbot: give it a copy (`newsbot backup`).
    """
    unreadable = _unreadable(path, refused)
    if unreadable is not None:
        raise unreadable
    uri = _read_only_uri(path, immutable=True)
    connection = ArchiveConnection(path, uri, uri=True)
    db = await _opened(connection)
    try:
        await db.execute("PRAGMA user_version")  # the first read: is the file readable?
    except sqlite3.Error as exc:
        await db.close()
        raise ConfigError(
            f"{path}: SQLite cannot read the archive ({exc}): {_read_only_reason(path)}"
        ) from None
    await _prepare(db, clock, zone, tuple(p for p in _PRAGMAS if "journal_mode" not in p))
    connection.opened = True
    log.debug("reading %s without writing to it", path)
    return db


def _unreadable(path: Path, refused: sqlite3.Error | None) -> ConfigError | None:
    """Why SQLite cannot read `path` even as immutable (see `_read_only_connection`), or None."""
    reason = _read_only_reason(path)
    if not path.is_file():
        said = f" ({refused})" if refused else ""
        return ConfigError(f"{path}: SQLite cannot open the archive{said}: {reason}")
    wal = path.with_name(f"{path.name}-wal")
    if wal.exists():
        return ConfigError(
            f"{path}: SQLite cannot read the archive here: {reason}, and {wal.name} beside it "
            "holds changes not yet in the file, which SQLite reads only with a -shm file it "
            "would create there. Open the archive once where its folder is writable "
            f"(newsbot status), which folds them into the file; or {_READ_ONLY_REMEDY}"
        )
    return None
