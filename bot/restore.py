"""`newsbot restore`: a backup put in the archive's place, marked restored.

A backup's ledger knows nothing of what was published after it was taken, so the restored
archive is marked (`bot.publishing.restored`): the engine looks for those steps on each platform
before it makes them. A backup restored by hand is marked at newsbot's next start or publish;
this command marks it at once, and does the rest of the procedure safely: it refuses while
newsbot runs on the archive, never leaves a half-written archive, and keeps the archive it
replaces: beside it (a file), or dumped beside the backup (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import fcntl
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bot.backup import move_into_place, writing
from bot.errors import RestoreError
from bot.models import ArchiveStats
from bot.network import shown_url
from bot.publishing.ledger import gone
from bot.publishing.restored import RESTORED, TAKEN, restored_through
from bot.restore_contents import pg_migrations
from bot.restore_postgres import LEFT, load_dump, read_dump
from bot.store import Archive, is_url
from bot.store.migrations import bundled
from bot.store.rows import now_text
from bot.workers import running_processes


@dataclass(frozen=True)
class RestoreDone:
    """A backup restored: what the archive now holds, and through which issue number the
    engine looks for what the backup lost before it publishes it again."""

    stats: ArchiveStats
    schema_version: int
    through: int
    archive: str
    """Where the archive is: its file's absolute path, or its URL without the password."""
    kept: Path | None
    """The archive the backup replaced, kept under this name: beside it (a file), or a dump of
    it beside the backup (PostgreSQL)."""
    created: bool
    """Whether no archive was there before: the backup made one (a new machine)."""


async def restore(location: Path | str, backup: Path, issues: Path | None) -> RestoreDone:
    """Put the backup `backup` in the place of the archive at `location` (an SQLite file, or a
    PostgreSQL URL for a `pg_dump` backup), and mark it restored (the issue folder `issues`
    counted in). The archive replaced is kept: a file beside it, one on PostgreSQL dumped
    beside the backup (`RestoreDone.kept`). Raise `RestoreError` while newsbot runs on the
    archive."""
    replaces = await asyncio.to_thread(_replaces_an_archive, location, backup)
    ended: frozenset[str] = frozenset()
    highest = None
    if replaces:
        replaces, ended, highest = await _refuse_while_running(location)
    kept, taken = None, None
    if is_url(location):
        dump = await read_dump(str(location), backup)
        taken = dump.taken
        # Publishes checked for again there, locked out until the restored archive is in.
        kept = await load_dump(str(location), backup, keep=replaces, ended=ended, dump=dump)
        where = shown_url(str(location))
    else:
        file = await asyncio.to_thread(Path(location).absolute)
        kept = await asyncio.to_thread(_install, file, backup, highest)
        where = str(file)
    async with await Archive.open(location, create=False, migrate=False) as archive:
        if await archive.state.get(TAKEN) is None:  # a dump, or a backup newsbot did not take
            await archive.state.set(
                TAKEN, "at a time not recorded" if taken is None else taken.isoformat()
            )
        through = await restored_through(archive, issues)
        assert through is not None  # marked just above
        stats, version = await archive.issues.stats(), await archive.schema_version()
    return RestoreDone(stats, version, through, where, kept, created=not replaces)


def _replaces_an_archive(location: Path | str, backup: Path) -> bool:
    """Whether restoring `backup` replaces an archive (not on a new machine); refuse a backup
    that is missing, or is the archive itself."""
    if not backup.is_file():
        raise RestoreError(f"{backup}: no such backup file")
    if is_url(location):
        return True
    if not Path(location).exists():
        return False
    if backup.samefile(location):
        raise RestoreError(f"{backup} is the archive itself: name a backup of it")
    return True


_SQLITE = b"SQLite format 3\0"
"""The first bytes of every SQLite database file."""


def _header(file: Path) -> bytes:
    """The first bytes of `file`, where SQLite's header is."""
    with file.open("rb") as opened:
        return opened.read(len(_SQLITE))


_DAMAGED = frozenset({sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT})
"""SQLite's primary result codes of a file it cannot read as a database: its header or pages
damaged (or another kind of file)."""


async def _refuse_while_running(
    location: Path | str,
) -> tuple[bool, frozenset[str], int | None]:
    """Refuse while a `newsbot run` holds the archive, or a publish sends from it (a `newsbot
    publish`, which takes no running lease): it would go on writing the old one; and
    an archive on PostgreSQL of a newer newsbot, whose tables this one does not know to clear.
    Return whether there is an archive to replace (a database on PostgreSQL may be empty),
    the holders of the claims not run out whose processes have ended (killed), and the highest
    issue number the archive knows (`_highest_known`; None if it cannot be read).

    An archive file too damaged to open cannot say who runs on it: `_install` then asks the
    system whether a process has the file open. One whose header is not SQLite's is not
    opened at all: SQLite would fold a -wal beside it into it, or delete it, and the damaged
    archive is kept as it was (`_keep`)."""
    if not is_url(location) and await asyncio.to_thread(_header, Path(location)) != _SQLITE:
        return True, frozenset(), None
    ended: frozenset[str] = frozenset()
    try:
        async with await Archive.open(location, create=False, migrate=False) as archive:
            version = await archive.schema_version()
            if version == 0 and is_url(location):
                return False, ended, None  # an empty database: newsbot has made no table there
            running = await running_processes(archive.state)
            # A `newsbot publish` takes no running lease: its claims say it sends.
            claims = (
                await archive.ledger.claims(dt.datetime.now(dt.UTC))
                if version >= _claims_version(location)
                else []
            )
            publishing = [claim for claim in claims if not gone(claim[3])]
            ended = frozenset(claim[3] for claim in claims if gone(claim[3]))
            highest = await _highest_known(archive)
    except sqlite3.DatabaseError as exc:
        if int(getattr(exc, "sqlite_errorcode", -1)) & 0xFF not in _DAMAGED:
            raise
        return True, ended, None
    if running:
        names = ", ".join(name for name, _ in running)
        raise RestoreError(
            f"newsbot runs on this archive ({names}): stop it first (systemctl stop newsbot)"
        )
    if publishing:
        sends = ", ".join(
            f"#{issue} to {outlet} by {holder}" for issue, outlet, _, holder in publishing
        )
        raise RestoreError(
            f"newsbot publishes from this archive ({sends}): let it finish, or stop it, first"
        )
    known = len(pg_migrations()) if is_url(location) else version
    if version > known:
        raise RestoreError(
            f"the archive at {shown_url(str(location))} has schema version {version}, newer than"
            f" this newsbot knows ({known}): restore with the newsbot that migrated it, or into"
            " an empty database"
        )
    return True, ended, highest


async def _highest_known(archive: Archive) -> int:
    """The highest issue number the archive about to be replaced knows: in it, or through
    which it was marked restored. Every step published before the restore was published
    from it, so a publish of an issue up to it looks for what the backup lost."""
    through = await archive.state.get(RESTORED)
    latest = (await archive.issues.stats()).latest_issue or 0
    return max(latest, int(through) if through and through.isdigit() else 0)


def _claims_version(location: Path | str) -> int:
    """The schema version that made the table of claims, in the archive's backend."""
    package = "postgres" if is_url(location) else "sqlite"
    made = bundled(f"bot.store.{package}.migrations")
    return next(each.version for each in made if each.name.endswith("_claims.sql"))


def _install(archive: Path, backup: Path, highest: int | None) -> Path | None:
    """Copy `backup` beside `archive` with SQLite's backup API, check it, mark it restored
    through at least `highest` (`_through_at_least`), and rename it into place, the archive it
    replaces kept beside it (`_keep`) and its -shm removed; return the name it is kept under.
    Refused while another process has the archive open."""
    handle, name = tempfile.mkstemp(prefix=f".{archive.name}.", suffix=".tmp", dir=archive.parent)
    os.close(handle)
    partial = Path(name)
    try:
        with writing(f"the archive {archive}", RestoreError):
            _copy_checked(backup, partial)
            if highest:
                _through_at_least(partial, highest)
        if _held_open(archive):
            raise RestoreError(
                f"{archive} is open in another process: stop every newsbot using it first"
            )
        kept = _keep(archive) if archive.exists() else None
        archive.with_name(archive.name + "-shm").unlink(missing_ok=True)
        move_into_place(partial, archive)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return kept


_LOCKED_BYTES = ((0x40000000, 512), (128, 1))
"""Where SQLite's unix VFS locks (POSIX advisory locks): in the database file, its pending,
reserved and shared bytes (every connection reading it holds a shared lock there); in its -shm,
the byte every connection holds while it has the file open in WAL mode (its DMS byte)."""


def _held_open(archive: Path) -> bool:
    """Whether another process has the SQLite file `archive` open: asked by taking, without
    waiting, a write lock on the bytes SQLite locks in it and its -shm, given up at once.

    Only while this process holds no connection to it: closing a file drops every lock the
    process held on it."""
    files = (archive, archive.with_name(archive.name + "-shm"))
    for file, (start, length) in zip(files, _LOCKED_BYTES, strict=True):
        try:
            handle = os.open(file, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                return True
            raise
        finally:
            os.close(handle)  # the lock, if taken, with it
    return False


def _keep(archive: Path) -> Path:
    """Keep the archive about to be replaced beside it, as `NAME.replaced-YYYY-MM-DDTHHMM`
    (UTC; `-2`, `-3` … after it when restored twice in a minute): a restore of the wrong
    backup is undone by putting it back. A second name of the same file where the filesystem
    allows it, else a copy. A -wal a process that ended left goes with it: its transactions
    are the old archive's, and beside the restored one SQLite would read them into it."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    wal = archive.with_name(archive.name + "-wal")
    for attempt in range(1, 1000):
        kept = archive.with_name(
            f"{archive.name}.replaced-{stamp}{'' if attempt == 1 else f'-{attempt}'}"
        )
        try:
            with writing(f"a copy of the archive {archive} ({kept.name})", RestoreError):
                _second_name(archive, kept)
        except FileExistsError:
            continue
        if wal.exists():
            os.replace(wal, kept.with_name(kept.name + "-wal"))
        return kept
    raise RestoreError(f"{archive}: too many archives replaced this minute kept beside it")


def _second_name(archive: Path, kept: Path) -> None:
    """Give the file `archive` the new name `kept` too (FileExistsError if taken): a hard
    link, or on a filesystem without them a copy, whole before it takes the name."""
    try:
        os.link(archive, kept)
        return
    except FileExistsError:
        raise
    except OSError:
        if kept.exists() or kept.is_symlink():
            raise FileExistsError(kept) from None
    handle, name = tempfile.mkstemp(prefix=f".{kept.name}.", suffix=".tmp", dir=archive.parent)
    os.close(handle)
    try:
        shutil.copyfile(archive, name)
        move_into_place(Path(name), kept)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _through_at_least(copy: Path, highest: int) -> None:
    """Mark the SQLite archive `copy` restored through at least issue `highest`: a publish
    that finds it restored looks for the steps of the issues up to it, which the archive it
    replaces may have published (`bot.publishing.restored`)."""
    with closing(sqlite3.connect(copy)) as restored, restored:
        row = restored.execute("SELECT value FROM state WHERE key = ?", (RESTORED,)).fetchone()
        if row is None or not str(row[0]).isdigit() or int(row[0]) < highest:
            restored.execute(
                "INSERT OR REPLACE INTO state (key, value, updated_at) VALUES (?, ?, ?)",
                (RESTORED, str(highest), now_text()),
            )


def _copy_checked(backup: Path, partial: Path) -> None:
    """Copy the SQLite file `backup` into `partial`, read-only, and check the copy."""
    try:
        source = sqlite3.connect(f"file:{backup.absolute()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise RestoreError(f"cannot read the backup {backup}: {exc}") from None
    try:
        copy = sqlite3.connect(partial)
        try:
            try:
                source.backup(copy)
            except sqlite3.DatabaseError as exc:
                raise RestoreError(
                    f"{backup} is not an SQLite archive ({exc}); a pg_dump backup is restored"
                    " into an archive on PostgreSQL (archive.url)"
                ) from None
            problems = [str(row[0]) for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise RestoreError(
                    f"{backup}: it fails SQLite's integrity check: " + "; ".join(problems[:3])
                )
            _refuse_unless_newsbots(backup, copy)
        finally:
            copy.close()
    finally:
        source.close()


def _refuse_unless_newsbots(backup: Path, copy: sqlite3.Connection) -> None:
    """Refuse the copy of `backup` unless it is a newsbot archive: a schema version, and every
    table newsbot's migrations up to it made. Any other SQLite file put in the archive's place
    would leave newsbot nothing it knows, the archive only kept beside it."""
    version = int(copy.execute("PRAGMA user_version").fetchone()[0])
    present = {str(row[0]) for row in copy.execute("SELECT name FROM sqlite_master")}
    made = bundled("bot.store.sqlite.migrations")[:version]
    missing = sorted(
        name
        for migration in made
        for kind, name in migration.created()
        if kind == "TABLE" and name not in present
    )
    if version == 0 or missing:
        why = f"it has no table {', '.join(missing)}" if missing else "it has no schema version"
        raise RestoreError(f"{backup} is not a newsbot backup: {why}; {LEFT}")
    if version > len(made):
        # A newer newsbot's backup: put in place, it would stop every command with "upgrade".
        raise RestoreError(
            f"{backup} is a backup of schema version {version}, not one this newsbot knows "
            f"(1 to {len(made)}): restore it with the newsbot that took it; {LEFT}"
        )
