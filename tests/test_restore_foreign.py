"""`newsbot restore FILE` of a file that is a database but no newsbot backup, or one the
server refuses part of: refused with one clear line, the archive left as it was."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from bot.pg_tools import pg_client
from bot.store import Archive
from bot.store.postgres.database import migrations as pg_migrations
from tests.pg_server import PgServer
from tests.test_restore import (
    archive_of_202,
    backed_up,
    empty,
    latest_in,
    names_in,
    newsbot,
    set_schema_version,
)


def other_database(file: Path, user_version: int) -> None:
    """An SQLite database of another program: a table of invoices, at `user_version`."""
    with closing(sqlite3.connect(file)) as other:
        other.execute("CREATE TABLE invoices (number INTEGER PRIMARY KEY, total INTEGER)")
        other.execute("INSERT INTO invoices VALUES (1, 100)")
        other.execute(f"PRAGMA user_version = {user_version}")
        other.commit()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "issues"
    made.mkdir()
    return made


@pytest.fixture
def env(folder: Path) -> dict[str, str]:
    return {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}


@pytest.mark.parametrize(
    ("user_version", "said"),
    [
        (0, "it has no schema version"),
        (3, "it has no table issues, items, outbox, sections, state, subscriptions"),
    ],
)
async def test_restore_of_an_sqlite_file_that_is_no_newsbot_backup_is_refused(
    tmp_path: Path, env: dict[str, str], user_version: int, said: str
) -> None:
    """Nothing is replaced: the archive stays in its place, not only kept beside it."""
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    other = tmp_path / "other.db"
    await asyncio.to_thread(other_database, other, user_version)
    code, out, err = await newsbot("--db", str(db), "restore", str(other), env=env)
    assert code == 1, out
    assert " ".join(err.split()) == (
        f"error: {other} is not a newsbot backup: {said}; the archive is left as it was"
    )
    assert names_in(tmp_path) == ["issues", "newsbot-Mon.db", "newsbot.db", "other.db"]
    assert latest_in(db) == 203


async def test_restore_of_a_newer_newsbots_sqlite_backup_is_refused(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Put in place, a backup a newer newsbot migrated would stop every command with "upgrade
    newsbot", the archive that worked only kept beside it: refused, as on PostgreSQL."""
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    with closing(sqlite3.connect(backup)) as newer:
        newer.execute("PRAGMA user_version = 999")
        newer.commit()
    code, out, err = await newsbot("--db", str(db), "restore", str(backup), env=env)
    assert code == 1, out
    said = " ".join(err.split())
    assert said.startswith(f"error: {backup} is a backup of schema version 999, not one"), said
    assert said.endswith("restore it with the newsbot that took it; the archive is left as it was")
    assert names_in(tmp_path) == ["issues", "newsbot-Mon.db", "newsbot.db"]
    assert latest_in(db) == 203


def pg_dump(url: str, file: Path) -> None:
    """A `pg_dump` of the database at `url` (its custom format), as anyone takes one."""
    with pg_client(url) as (client_url, environment):
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={file}", f"--dbname={client_url}"],
            env=environment,
            check=True,
        )


def invoices(url: str) -> None:
    """The database at `url` made another program's: a table of invoices, nothing of newsbot."""
    empty(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (number INTEGER PRIMARY KEY, total INTEGER)")
        conn.execute("INSERT INTO invoices VALUES (1, 100)")


async def still_holds_202(url: str) -> None:
    """The archive at `url` as it was: migrated by this newsbot, #202 in it."""
    async with await Archive.open(url, create=False, migrate=False) as archive:
        assert await archive.schema_version() == len(pg_migrations())
        assert (await archive.issues.stats()).latest_issue == 202


async def test_restore_of_a_pg_dump_of_another_database_is_refused(
    pg_url: str, pg_server: PgServer, tmp_path: Path, folder: Path
) -> None:
    """Refused from the dump's table of contents, before anything is sent to the server."""
    env = await archive_of_202(pg_url, folder)
    other, dump = pg_server.database(), tmp_path / "other.dump"
    try:
        await asyncio.to_thread(invoices, other)
        await asyncio.to_thread(pg_dump, other, dump)
    finally:
        await asyncio.to_thread(pg_server.drop, other)
    code, out, err = await newsbot("restore", str(dump), env=env)
    assert code == 1, out
    assert " ".join(err.split()) == (
        f"error: {dump} is not a newsbot backup: it has no table issues, newsbot_schema,"
        " state; the archive is left as it was"
    )
    await still_holds_202(pg_url)


@pytest.mark.parametrize("version", [999, 0])
async def test_restore_of_a_pg_dump_of_a_schema_version_not_known_is_rolled_back(
    pg_url: str, tmp_path: Path, folder: Path, version: int
) -> None:
    """Its tables are newsbot's, but not of a version this newsbot knows (a newer newsbot's,
    or none): checked once restored, before COMMIT, so nothing of it stays."""
    env = await archive_of_202(pg_url, folder)
    dump = tmp_path / "newsbot-Mon.dump"
    await asyncio.to_thread(set_schema_version, pg_url, version)
    await asyncio.to_thread(pg_dump, pg_url, dump)
    await asyncio.to_thread(set_schema_version, pg_url, len(pg_migrations()))
    code, out, err = await newsbot("restore", str(dump), env=env)
    assert code == 1, out
    assert " ".join(err.split()) == (
        f"error: {dump} is a backup of schema version {version}, not one this newsbot knows"
        f" (1 to {len(pg_migrations())}): restore it with the newsbot that took it; the"
        " archive is left as it was"
    )
    await still_holds_202(pg_url)


def index_made_a_view(url: str) -> None:
    """The archive's index `issues_by_date` replaced by a view of that name, which clearing
    newsbot's tables leaves: the server refuses the dump's `DROP INDEX` of it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX issues_by_date")
        conn.execute("CREATE VIEW issues_by_date AS SELECT 1 AS one")


async def test_a_statement_the_server_refuses_mid_restore_leaves_the_archive_as_it_was(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """The error said is the server's, not the hint psql prints after it."""
    env = await archive_of_202(pg_url, folder)
    dump = tmp_path / "newsbot-Mon.dump"
    assert (await newsbot("backup", str(dump), env=env))[0] == 0
    await asyncio.to_thread(index_made_a_view, pg_url)
    code, out, err = await newsbot("restore", str(dump), env=env)
    assert code == 1, out
    # From its error on: the command runs in this process, whose other tests' subprocesses
    # asyncio's child watcher may log about (a pid reaped twice once reused).
    said = " ".join(err.split())
    said = said[max(0, said.find("error: ")) :]
    assert said.startswith(f"error: psql could not restore {dump} into "), said
    assert said.endswith('"issues_by_date" is not an index; the archive is left as it was'), said
    await still_holds_202(pg_url)
    with psycopg.connect(pg_url) as conn:  # the view too: nothing of the restore stayed
        assert conn.execute("SELECT one FROM issues_by_date").fetchall() == [(1,)]
