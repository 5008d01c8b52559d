"""`newsbot backup`: a checked copy of the archive, safe to take while newsbot writes to it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.errors import NewsbotError
from bot.models import ArchiveStats
from bot.pg_tools import pg_client
from bot.publishing.restored import backup_state
from bot.store import Archive, is_url

UTC_MARK = "claims"
"""The table whose rows `newsbot backup` leaves out of a dump on PostgreSQL: a dump holding it
but none of its rows is newsbot's, whose header's time is in UTC."""


class BackupError(NewsbotError):
    """A backup that cannot be written where it was asked for."""


@dataclass(frozen=True)
class Backup:
    """A backup written: where, how large, and what it holds."""

    path: Path
    size: int
    schema_version: int
    stats: ArchiveStats


async def back_up(location: Path | str, destination: Path, *, force: bool = False) -> Backup:
    """Copy the archive at `location` into `destination`, safely while newsbot runs.

    The copy is written to a temporary file beside `destination`, checked, and renamed into
    place, so `destination` is never a half-written file. An existing `destination` is
    replaced only with `force`. Raise `BackupError` for a destination that cannot be used.
    An archive on PostgreSQL is dumped by `pg_dump` (its custom format, for `pg_restore`).
    """
    if is_url(location):
        return await _dump(str(location), destination, force=force)
    archive_path = Path(location)
    _check_destination(archive_path, destination, force=force)
    # Not migrated: a backup taken before an upgrade keeps the schema the old version reads.
    async with await Archive.open(archive_path, create=False, migrate=False) as archive:
        partial = partial_beside(destination)
        try:
            with _writing(destination):
                # Marked as a backup: restored, the engine looks for what it lost before it
                # makes it again (`bot.publishing.restored`).
                stats = await archive.backup(partial, backup_state(dt.datetime.now(dt.UTC)))
                version = await archive.schema_version()
                size = await asyncio.to_thread(move_into_place, partial, destination)
        except BaseException:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            raise
    return Backup(destination, size, version, stats)


def partial_beside(destination: Path) -> Path:
    """A new, empty temporary file beside `destination`, for the copy before it is whole."""
    with _writing(destination):
        handle, name = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent
        )
    os.close(handle)
    return Path(name)


_WRITE_ERRORS = {
    "SQLITE_FULL": "no space left on its disk",
    "SQLITE_IOERR_WRITE": "its disk refused to write it (is it full?)",
}
"""SQLite's errors that a copy meets only in writing (it reads the archive), and what they
mean for the file written."""


@contextmanager
def writing(
    copy: str, failure: type[NewsbotError] = NewsbotError, *, files: bool = False
) -> Iterator[None]:
    """Inside the block, a failure to write `copy` (a copy of the archive, named as the editor
    named it: "the backup /srv/newsbot.db") is `failure`, "cannot write COPY: why". Those are
    SQLite's errors that only writing meets, and with `files` every OSError: for a block whose
    only file it writes or reads is the copy (not a temporary file beside it, nor the archive).
    """
    try:
        yield
    except sqlite3.Error as exc:
        reason = _WRITE_ERRORS.get(getattr(exc, "sqlite_errorname", ""))
        if reason is None:
            raise
        raise failure(f"cannot write {copy}: {reason}") from None
    except OSError as exc:
        if not files:
            raise
        raise failure(f"cannot write {copy}: {exc.strerror or exc}") from None


def _writing(destination: Path) -> AbstractContextManager[None]:
    """Inside the block, a failure to write the backup is a `BackupError` naming `destination`
    (not the temporary file beside it, nor the archive, which is only read)."""
    return writing(f"the backup {destination}", BackupError, files=True)


async def _dump(url: str, destination: Path, *, force: bool) -> Backup:
    """`pg_dump` the PostgreSQL archive at `url` into `destination`, or refuse saying why."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "the archive is on PostgreSQL and pg_dump is not installed here: install"
            " PostgreSQL's client tools (Debian: postgresql-client) or run pg_dump where they"
            " are (see the README, Deploying)"
        )
    _check_destination(Path(), destination, force=force)
    async with await Archive.open(url, create=False, migrate=False) as archive:
        stats = await archive.issues.stats()
        version = await archive.schema_version()
        shown = archive.location
    partial = partial_beside(destination)
    try:
        with pg_client(url, BackupError) as (client_url, environment):
            # The time its header holds is the clock time in pg_dump's zone, which it does not
            # name: in UTC, a restore reads it right on any machine (`bot.restore_postgres`).
            # The rows of claims left out, which says so: they are the leases of the
            # processes publishing as it is taken, which a restored archive has none of. And
            # large objects, which newsbot never makes (another application sharing the
            # database may; -B, as --no-blobs is --no-large-objects from PostgreSQL 16):
            # pg_restore would load them in transactions of their own. The whole database
            # else, though another application may share it: pg_dump picks tables (--table),
            # never functions, which newsbot's tables need (their indexes, columns and
            # triggers call them); a restore loads only newsbot's part of it
            # (`bot.restore_contents`), so a dump of an earlier newsbot restores alike.
            environment["TZ"] = "UTC"
            process = await asyncio.create_subprocess_exec(
                pg_dump, "--format=custom", f"--file={partial}", f"--dbname={client_url}",
                f"--exclude-table-data={UTC_MARK}", "-B",
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, env=environment,
            )  # fmt: skip
            _, problem = await process.communicate()
        if process.returncode != 0:
            why = problem.decode(errors="replace").strip().splitlines()
            raise BackupError(f"pg_dump could not back up {shown}: {why[-1] if why else '?'}")
        with _writing(destination):
            size = await asyncio.to_thread(move_into_place, partial, destination)
    except BaseException:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise
    return Backup(destination, size, version, stats)


def _check_destination(archive_path: Path, destination: Path, *, force: bool) -> None:
    folder = destination.parent
    if not folder.is_dir():
        raise BackupError(f"{folder}: no such folder; create it first or choose another")
    if destination.is_dir():
        raise BackupError(f"{destination} is a folder: name the backup file in it")
    if destination.exists() or destination.is_symlink():
        if archive_path.exists() and destination.resolve() == archive_path.resolve():
            raise BackupError(f"{destination} is the archive itself: write the backup elsewhere")
        if not force:
            raise BackupError(f"{destination} exists: pass --force to replace it")


def move_into_place(partial: Path, destination: Path) -> int:
    """Rename the finished copy to `destination`; return its size in bytes."""
    # Flushed to disk before the rename, so a crash leaves the old file or the whole new one.
    with partial.open("rb") as copy:
        os.fsync(copy.fileno())
        size = os.fstat(copy.fileno()).st_size
    os.replace(partial, destination)
    folder = os.open(destination.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return size
