"""`newsbot archive copy`: an archive moved whole between an SQLite file and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli._console import archive_file, fail, out, run_async
from bot.errors import NewsbotError

if TYPE_CHECKING:
    from bot.store import Archive

archive_app = typer.Typer(
    name="archive",
    help="Move the archive between an SQLite file and a PostgreSQL database.",
    no_args_is_help=True,
)

_WHERE = "An SQLite file, or a postgresql:// URL (its password better in PGPASSWORD)."


def _location(text: str) -> Path | str:
    from bot.store import is_url

    return text if is_url(text) else Path(text)


@archive_app.command("copy")
def copy(
    source: Annotated[str, typer.Argument(help=_WHERE, metavar="SOURCE")],
    destination: Annotated[str, typer.Argument(help=_WHERE, metavar="DEST")],
) -> None:
    """Copy every issue, the ledger, subscriptions, suggestions and state from SOURCE into the
    empty DEST, then check it: the same rows in every table and the same search hits."""
    from bot.backup import writing
    from bot.store import Archive
    from bot.store.copying import copy_archive

    async def copied() -> tuple[str, str, dict[str, int], int]:
        async with await _opened_source(source) as original:
            # SOURCE is only read: a write that fails is DEST's (a file, to be SQLite's). Not
            # a file's errors: reaching a PostgreSQL SOURCE or DEST can fail with them too.
            with writing(f"the copy {destination}"):
                async with await Archive.open(_location(destination)) as target:
                    done = await copy_archive(original, target)
                    return original.location, target.location, done.counts, done.searches

    source_file = _location(source)
    if isinstance(source_file, Path):
        if not source_file.exists():
            raise fail(f"{source}: no such archive file")
        # Said as for DEST and --db: a folder or a file of another kind is not an archive.
        archive_file(source_file)
    target_file = _location(destination)
    made = None
    if isinstance(target_file, Path):
        archive_file(target_file)  # no folder is made for it, as for --db
        made = None if target_file.exists() else target_file
    try:
        shown_from, shown_to, counts, searches = run_async(copied())
    except BaseException:
        if made is not None:
            _remove_archive_file(made)
        raise
    rows = ", ".join(f"{n} {table}" for table, n in counts.items())
    out.print(
        f"copied {shown_from} into {shown_to}: {rows}; checked: the same rows, "
        f"{searches} searches with the same hits",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


async def _opened_source(source: str) -> Archive:
    """SOURCE, opened to be read and checked to be this newsbot's; a damaged SQLite file is
    named as SOURCE, not as "the archive", since DEST is one too."""
    import sqlite3

    from bot.store import Archive

    try:
        # Not migrated: SOURCE is only read (it may be the backup an older newsbot restores).
        archive = await Archive.open(_location(source), create=False, migrate=False)
    except sqlite3.DatabaseError as exc:
        raise NewsbotError(f"cannot read {source}: {exc}") from None
    try:
        await _same_version(archive, source)
    except BaseException:
        await archive.close()
        raise
    return archive


def _remove_archive_file(path: Path) -> None:
    """Remove the SQLite file a failed copy made, with SQLite's files beside it: a copy is
    whole or not there, so that the next try finds DEST empty."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        path.with_name(name).unlink(missing_ok=True)


async def _same_version(archive: Archive, source: str) -> None:
    """Refuse a SOURCE whose schema is not this newsbot's, leaving it as it is: copying from
    an older one would first upgrade it, and the newsbot that made it could no longer read it
    (it may be the backup to go back to); a newer one this newsbot cannot read."""
    if archive.file is None:
        from bot.store.postgres.database import migrations
    else:
        from bot.store.sqlite.database import migrations
    latest, version = len(migrations()), await archive.schema_version()
    if version == latest:
        return
    if version == 0:
        raise NewsbotError(f"{archive.location} holds no newsbot archive")
    if version > latest:
        raise NewsbotError(
            f"{archive.location} has schema version {version}, but this newsbot knows only "
            f"{latest}: copy it with the newsbot that made it, or upgrade newsbot"
        )
    opened = (
        f"newsbot --db {source}" if archive.file is not None else "NEWSBOT_ARCHIVE__URL=… newsbot"
    )
    raise NewsbotError(
        f"{archive.location} was made by an older newsbot (schema version {version}; this one"
        f" writes {latest}) and is left as it is: copying it would upgrade it, and the older"
        f" newsbot could no longer read it. To copy it as this newsbot reads it, upgrade it"
        f" first: `{opened} status` applies the migrations (back it up before if you may go"
        " back to the older newsbot)"
    )
