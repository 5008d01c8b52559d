"""The archive on a PostgreSQL server: a pool of connections, numbered migrations, transactions,
and what readers may see.

Migrations are the numbered files in `bot/store/postgres/migrations/`, applied in order, each in
one transaction, under an advisory lock so that processes starting together apply each once;
the schema version is the row of `newsbot_schema`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.errors import ArchiveVersionError, NewsbotError
from bot.network import URL_SECRETS, shown_url
from bot.store.held import Clock, held_function, held_horizon
from bot.store.migrations import Migration, bundled

log = logging.getLogger(__name__)

PgConnection = psycopg.AsyncConnection[DictRow]
"""A connection of the pool; rows come as dicts."""

POOL_SIZE = 8
"""Connections one process keeps at most: searches, publishes and commands at once."""
WORK_WAIT = 30.0
"""Seconds publishing, ingests and editors' work wait for a connection: long enough to ride out
the server restarting or failing over, which they would otherwise fail in the middle of."""
READER_WAIT = 2.0
"""Seconds a reader's question waits for a connection before it is told the archive is out of
reach: Discord wants a first answer within 3 s, and a reader waiting out a whole outage
(`WORK_WAIT`) behind "thinking…" learns nothing. SQLite's readers wait up to 5 s, and only for
a writer's lock, which a file never holds that long."""
UNREACHABLE_FOR_READERS = (
    "The archive cannot be reached right now (its database server is down or restarting):"
    " please try again in a minute."
)
"""What a reader asking during an outage is told."""
RECONNECT_SECONDS = 1.0
"""How long the pool goes on trying to connect after a failure before it gives up until it is
asked again (`PgDatabase.connection`): left to itself it doubles its pause after each failure,
and a server back after a minute's outage could be found up to a minute later, every reader
told meanwhile that the archive is out of reach."""
_wait: ContextVar[float] = ContextVar("newsbot_pg_wait", default=WORK_WAIT)
"""How long the task's next statement waits for a connection (`PgDatabase.answering`)."""
_MIGRATION_LOCK = 0x6E657773  # "news": one advisory lock key, shared by every newsbot process


class ArchiveUnreachable(NewsbotError):
    """The PostgreSQL server named by the archive URL cannot be reached or refused newsbot."""


class ArchiveURLInvalid(ArchiveUnreachable):
    """The archive URL cannot be read as its writer meant it; the message never quotes its
    password."""


_SHORTEST_PIECE = 3
"""A driver's reason quoting a piece of a password this long (or the whole) is not shown."""


def migrations() -> list[Migration]:
    """The bundled PostgreSQL migrations, in version order."""
    return bundled("bot.store.postgres.migrations")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PgDatabase:
    """The archive's PostgreSQL database, shared by every aggregate's store."""

    def __init__(
        self,
        pool: AsyncConnectionPool[PgConnection],
        url: str,
        *,
        clock: Clock | None = None,
        zone: dt.tzinfo | None = None,
    ) -> None:
        self.pool = pool
        self.url = url
        self.clock = clock or _utc_now
        self.zone = zone

    @property
    def location(self) -> str:
        """The URL, without user and password."""
        return shown_url(self.url)

    async def close(self) -> None:
        """Close every connection; nothing can use the database afterwards.

        On Python 3.11 the pool's scheduler waits in a task of its own, made anew whenever the
        pool has had something to schedule (reconnecting after an outage): a stop cancels what
        it finds running that it did not start with, that task among them, and the pool's
        close then raised the CancelledError, ending `newsbot run` as on an unexpected error.
        The pool is closed all the same; a cancellation of this close itself goes on.
        """
        try:
            await self.pool.close()
        except asyncio.CancelledError:
            closing = asyncio.current_task()
            if closing is not None and closing.cancelling():
                raise
            log.debug("the pool's scheduler was cancelled before the pool closed")

    @asynccontextmanager
    async def answering(self) -> AsyncIterator[None]:
        """Run the block as a reader's question: each connection is waited for at most
        `READER_WAIT`, and a server out of reach raises `ArchiveUnreachable`, said for readers,
        instead of keeping them waiting."""
        token = _wait.set(READER_WAIT)
        try:
            yield
        except psycopg.OperationalError as exc:  # PoolTimeout among them
            if isinstance(exc, psycopg.errors.QueryCanceled):
                raise  # the server answers: a statement it stopped is no outage
            timed_out = isinstance(exc, PoolTimeout)
            reason = (
                f"no connection within {READER_WAIT:.0f} s" if timed_out else _reason(exc, self.url)
            )
            log.warning("a reader was told the archive at %s is out of reach: %s",
                        self.location, reason)  # fmt: skip
            raise ArchiveUnreachable(UNREACHABLE_FOR_READERS) from None
        finally:
            _wait.reset(token)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[PgConnection]:
        """A connection of the pool, each statement committed as it runs."""
        waited = _wait.get()
        deadline = time.monotonic() + waited
        while True:
            # In slices: each asks the pool again, which tries to connect at once if its last
            # attempts gave up (`RECONNECT_SECONDS`), so the server back is found at once.
            wait = min(RECONNECT_SECONDS, deadline - time.monotonic())
            try:
                conn = await self.pool.getconn(timeout=max(wait, 0.0))
            except PoolTimeout:
                if time.monotonic() >= deadline:
                    raise PoolTimeout(f"no connection to the archive in {waited:.0f} s") from None
                continue
            try:
                # Each connection is checked as it is taken: after the server restarted (or a
                # failover), those kept from before are replaced, not handed out to fail. Here,
                # not by the pool, which pauses a second, then two, four… at each it finds
                # broken: after a restart, a reader would wait seconds for the pool to go
                # through the connections it kept.
                await AsyncConnectionPool.check_connection(conn)
            except psycopg.Error:
                await self.pool.putconn(conn)  # broken: the pool makes another
                if time.monotonic() >= deadline:
                    raise
                continue
            except BaseException:
                # Cancelled mid-check (a lease's renewal is, each time its holder is done):
                # given back, or the pool would count it taken for good, and once every one
                # is lost each reader is told the archive is unreachable.
                await self.pool.putconn(conn)
                raise
            break
        try:
            yield conn
        finally:
            await self.pool.putconn(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        """Run the block in one transaction: all of it is stored, or on error none."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def rows(self, sql: str, params: Any = None) -> list[DictRow]:
        """The rows of one statement, run on a connection of the pool."""
        async with self.connection() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchall() if cursor.description else []

    async def row(self, sql: str, params: Any = None) -> DictRow | None:
        """The first row of one statement, or None."""
        found = await self.rows(sql, params)
        return found[0] if found else None

    async def clock_skew(self) -> dt.timedelta:
        """How far the server's clock runs ahead of this machine's (negative: behind).

        Leases and claims are timed by the server's clock, the one every process sharing the
        archive reads whatever machine it runs on: timed by its own, a machine whose clock runs
        ahead would take over a publish another process is still sending, and send it twice.
        """
        row = await self.row("SELECT clock_timestamp() AS now")
        assert row is not None
        server_now: dt.datetime = row["now"]
        return server_now - dt.datetime.now(dt.UTC)

    async def schema_version(self) -> int:
        """The version of the last migration applied; 0 in a database newsbot has not made
        its tables in. Asked in two statements: the server resolves every table a statement
        names before it runs any of it, so one that reads `newsbot_schema` fails without it."""
        present = await self.row("SELECT to_regclass('newsbot_schema') IS NOT NULL AS present")
        if present is None or not present["present"]:
            return 0
        row = await self.row("SELECT version FROM newsbot_schema")
        return int(row["version"]) if row and row["version"] is not None else 0

    async def migrate(self) -> list[int]:
        """Apply the migrations this database has not had yet, each in its own transaction;
        the versions applied."""
        known = migrations()
        async with self.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS newsbot_schema (version INTEGER NOT NULL)"
                )
                current = await self.schema_version()
                if current > len(known):
                    raise ArchiveVersionError(
                        f"{self.location} has schema version {current}, but this newsbot knows"
                        f" only {len(known)}: upgrade newsbot"
                    )
                level = logging.INFO if current else logging.DEBUG
                applied = [migration.version for migration in known[current:]]
                for migration in known[current:]:
                    log.log(level, "applying migration %s to %s", migration.name, self.location)
                    async with conn.transaction():
                        await conn.execute(migration.sql.encode())
                        await conn.execute("DELETE FROM newsbot_schema")
                        await conn.execute(
                            "INSERT INTO newsbot_schema (version) VALUES (%s)",
                            (migration.version,),
                        )
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
        return applied

    async def held_issues(self, conn: PgConnection | None = None) -> list[int]:
        """The issues readers cannot see yet: their publish_at is ahead and nothing of them
        was sent (read in the database's zone, as on SQLite)."""
        sql = (
            "SELECT number, publish_at FROM issues WHERE publish_at > %s"
            " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.issue_number = issues.number"
            " AND outbox.state = 'sent')"
        )
        params = (held_horizon(self.clock()),)
        if conn is None:
            found = await self.rows(sql, params)
        else:
            found = await (await conn.execute(sql, params)).fetchall()
        held = held_function(self.clock, self.zone)
        return [int(row["number"]) for row in found if held(str(row["publish_at"]))]

    async def hiding(self, held: bool, column: str) -> tuple[str, dict[str, Any]]:
        """A WHERE condition leaving out the issues readers cannot see yet (none with `held`)."""
        if held:
            return "true", {}
        return f"NOT ({column} = ANY(%(held)s))", {"held": await self.held_issues()}


async def open_database(
    url: str,
    *,
    create: bool = True,
    migrate: bool = True,
    clock: Clock | None = None,
    zone: dt.tzinfo | None = None,
) -> PgDatabase:
    """Connect to the PostgreSQL database at `url`, migrated to this version.

    The database itself must exist (`create` makes only the tables). Without `migrate` an
    older schema is left as it is. Raise `ArchiveURLInvalid` if libpq would not read `url` as
    written (a password not percent-encoded), and `ArchiveUnreachable` if the server cannot be
    reached or refuses the connection; each says why, never quoting the password.
    """
    del create  # a server's database is created by its administrator, not by newsbot
    problem = url_problem(url)
    if problem is not None:
        raise ArchiveURLInvalid(f"the archive URL is not valid: {problem}")
    try:
        # One connection first: its failure says why (the pool would only time out).
        probe = await psycopg.AsyncConnection.connect(url, connect_timeout=10)
        await probe.close()
    except psycopg.ProgrammingError as exc:  # libpq could not read the URL
        raise ArchiveURLInvalid(f"the archive URL is not valid: {_reason(exc, url)}") from None
    except psycopg.Error as exc:
        raise ArchiveUnreachable(
            f"cannot reach the archive at {shown_url(url)}: {_reason(exc, url)}"
        ) from None
    pool: AsyncConnectionPool[PgConnection] = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=POOL_SIZE,
        kwargs={"autocommit": True, "row_factory": dict_row},
        connection_class=psycopg.AsyncConnection[DictRow],
        # Each connection is checked as it is taken, by `PgDatabase.connection`.
        reconnect_timeout=RECONNECT_SECONDS,
        open=False,
    )
    await pool.open(wait=True, timeout=30)
    database = PgDatabase(pool, url, clock=clock, zone=zone)
    try:
        if migrate and await database.migrate():
            # An upgraded archive gets its window (or the indexes a migration made again) now,
            # not at its next ingest.
            from bot.store.postgres import recent

            await recent.refresh(database)
    except BaseException:
        await pool.close()
        raise
    return database


def url_problem(url: str) -> str | None:
    """What keeps libpq from reading a PostgreSQL URL as Python's parser and its writer read
    it, never quoting its password; None when nothing does."""
    rest = url.partition("://")[2]
    if rest.count("@") > 1:
        return (
            "it has more than one @: an @ in its password (or after it) must be percent-encoded"
            " as %40"
        )
    problem = _unencoded(rest.rpartition("@")[0], reserved="/?#[]")
    if problem is not None:
        return f"its user name or password holds {problem}"
    for password in _query_passwords(rest):
        problem = _unencoded(password, reserved="")
        if problem is not None:
            return f"its query's password holds {problem}"
    return None


def _unencoded(text: str, *, reserved: str) -> str | None:
    """The first character of `text` that must be percent-encoded there, said with its code."""
    for char in text:
        if char == " " or char in reserved:
            name = "a space" if char == " " else f"a {char}"
            return f"{name}, which must be percent-encoded as %{ord(char):02X}"
        if char.isspace() or not char.isprintable():
            return "a control character, which must be percent-encoded"
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        return "a % not followed by two hex digits: write a % as %25"
    return None


def _query_passwords(rest: str) -> list[str]:
    """The passwords in the query of a URL after its `scheme://`, as written."""
    query = rest.rpartition("@")[2].partition("?")[2]
    pairs = (pair.partition("=") for pair in query.split("&"))
    return [value for key, _, value in pairs if unquote(key) in URL_SECRETS]


def _secret_pieces(url: str) -> set[str]:
    """Each password in `url`, as written and decoded, and each piece of one between other
    characters than letters and digits."""
    rest = url.partition("://")[2]
    credentials = rest.rpartition("@")[0]
    written = [credentials.partition(":")[2], *_query_passwords(rest)]
    whole = {spelling for text in written for spelling in (text, unquote(text)) if spelling}
    pieces = {piece for text in whole for piece in re.split(r"[^\w]+", text)}
    return whole | {piece for piece in pieces if len(piece) >= _SHORTEST_PIECE}


def _reason(exc: psycopg.Error, url: str) -> str:
    """The driver's reason for `exc` on one line, without where (the URL shown says it); not
    shown when it quotes any piece of a password."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = lines[0].removeprefix("connection failed: ") if lines else ""
    reason = re.sub(r"^connection to server (at|on) .*? failed: ", "", reason)
    reason = re.sub(r"^(FATAL|ERROR): ", "", " ".join(reason.split()))
    if not reason:
        return "no reason given"
    if any(piece in reason for piece in _secret_pieces(url)):
        return "the driver's reason is not shown, as it quotes the password"
    return reason[0].lower() + reason[1:] if reason[1:2].islower() else reason
