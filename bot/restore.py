"""`newsbot restore`: a backup put in the archive's place, marked restored.

A backup's ledger knows nothing of what was published after it was taken, so the restored
archive is marked (`bot.publishing.restored`): the engine looks for those steps on each platform
before it makes them. A backup restored by hand is marked at newsbot's next start or publish;
this command marks it at once, and does the rest of the procedure safely: it refuses while
newsbot runs on the archive, and never leaves a half-written archive.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.backup import move_into_place, pg_client, writing
from bot.errors import NewsbotError
from bot.models import ArchiveStats
from bot.network import shown_url
from bot.publishing.restored import TAKEN, restored_through
from bot.store import Archive, is_url
from bot.workers import running_processes


class RestoreError(NewsbotError):
    """A backup that cannot be restored, and why."""


@dataclass(frozen=True)
class Restored:
    """A backup restored: what the archive now holds, and through which issue number the
    engine looks for what the backup lost before it publishes it again."""

    stats: ArchiveStats
    schema_version: int
    through: int


async def restore(location: Path | str, backup: Path, issues: Path | None) -> Restored:
    """Put the backup `backup` in the place of the archive at `location` (an SQLite file, or a
    PostgreSQL URL for a `pg_dump` backup), and mark it restored (the issue folder `issues`
    counted in). Raise `RestoreError` while `newsbot run` runs on the archive."""
    if await asyncio.to_thread(_replaces_an_archive, location, backup):
        await _refuse_while_running(location)
    if is_url(location):
        await _pg_restore(str(location), backup)
    else:
        await asyncio.to_thread(_install, Path(location), backup)
    async with await Archive.open(location, create=False, migrate=False) as archive:
        if await archive.state.get(TAKEN) is None:  # a backup newsbot did not take
            await archive.state.set(TAKEN, "at a time not recorded")
        through = await restored_through(archive, issues)
        assert through is not None  # marked just above
        return Restored(await archive.issues.stats(), await archive.schema_version(), through)


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


async def _refuse_while_running(location: Path | str) -> None:
    """Refuse while a `newsbot run` holds the archive: it would go on writing the old one."""
    async with await Archive.open(location, create=False, migrate=False) as archive:
        running = await running_processes(archive.state)
    if running:
        names = ", ".join(name for name, _ in running)
        raise RestoreError(
            f"newsbot runs on this archive ({names}): stop it first (systemctl stop newsbot)"
        )


def _install(archive: Path, backup: Path) -> None:
    """Copy `backup` beside `archive` with SQLite's backup API, check it, and rename it into
    place, the archive's stale -wal and -shm removed first."""
    handle, name = tempfile.mkstemp(prefix=f".{archive.name}.", suffix=".tmp", dir=archive.parent)
    os.close(handle)
    partial = Path(name)
    try:
        with writing(f"the archive {archive}", RestoreError):
            _copy_checked(backup, partial)
        wal, shm = (archive.with_name(archive.name + suffix) for suffix in ("-wal", "-shm"))
        if wal.exists():
            # The last connection to close folds its -wal into the file and deletes it: one
            # left means another process has the archive open, and would write it on.
            raise RestoreError(
                f"{archive} is open in another process ({wal.name} beside it): stop every"
                " newsbot using it first"
            )
        shm.unlink(missing_ok=True)
        move_into_place(partial, archive)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


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
        finally:
            copy.close()
    finally:
        source.close()


async def _pg_restore(url: str, backup: Path) -> None:
    """`pg_restore` the `pg_dump` backup into the PostgreSQL archive at `url`."""
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise RestoreError(
            "the archive is on PostgreSQL and pg_restore is not installed here: install"
            " PostgreSQL's client tools (Debian: postgresql-client)"
        )
    client_url, environment = pg_client(url)
    process = await asyncio.create_subprocess_exec(
        pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
        f"--dbname={client_url}", str(backup),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env=environment,
    )  # fmt: skip
    _, problem = await process.communicate()
    if process.returncode != 0:
        why = problem.decode(errors="replace").strip().splitlines()
        raise RestoreError(
            f"pg_restore could not restore {backup} into {shown_url(url)}: "
            f"{why[-1] if why else '?'}"
        )
