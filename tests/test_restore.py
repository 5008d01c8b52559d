"""`newsbot restore FILE`: a backup put in the archive's place, checked and whole, marked
restored; refused while newsbot runs on the archive, and for a file that is no backup."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import signal
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.issuefiles import write_issue
from bot.network import shown_url
from bot.publishing.restored import RESTORED, TAKEN
from bot.restore_contents import newsbot_objects
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.store.postgres.database import migrations as pg_migrations
from bot.workers import running
from tests.conftest import ISSUES, eventually
from tests.factories import issue, item
from tests.pg_server import PgServer
from tests.test_run import newsbot_run, run_env


async def newsbot(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`newsbot ARGS`, in a thread of its own: the command runs its own event loop."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def issue_203(folder: Path) -> Path:
    """#203 written into the issue folder, after the backup."""
    return write_issue(issue(203, {"News": [item("Fabs", "https://fabs.example")]}), folder)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "issues"
    made.mkdir()
    return made


@pytest.fixture
def env(folder: Path) -> dict[str, str]:
    return {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}


async def backed_up(db: Path, env: dict[str, str], backup: Path) -> None:
    """The archive `db` holding #202, backed up into `backup`, then #203 ingested into it."""
    code, _, err = await newsbot("--db", str(db), "ingest", str(ISSUES / "202.md"), env=env)
    assert code == 0, err
    code, _, err = await newsbot("--db", str(db), "backup", str(backup), env=env)
    assert code == 0, err
    later = issue_203(Path(env["NEWSBOT_ISSUES__DIRECTORY"]) / "203.md")
    assert (await newsbot("--db", str(db), "ingest", str(later), env=env))[0] == 0


def names_in(folder: Path) -> list[str]:
    """The names of the files in `folder`: no temporary file left beside the archive."""
    return sorted(p.name for p in folder.iterdir())


async def state_of(location: Path | str, key: str) -> str | None:
    async with await Archive.open(location, create=False) as archive:
        return await archive.state.get(key)


async def test_restore_puts_the_backup_in_place_and_marks_it(
    tmp_path: Path, env: dict[str, str]
) -> None:
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    await asyncio.to_thread(Path(f"{db}-shm").write_bytes, b"left by a newsbot killed")
    code, out, err = await newsbot("--db", str(db), "restore", str(backup), env=env)
    assert code == 0, err
    said = " ".join(out.split())
    assert f"restored {backup} into the archive {db}: 1 issue(s), 18 item(s)" in said
    assert "issues up to #203 is looked for" in said  # the folder's #203
    [kept] = [name for name in names_in(tmp_path) if name.startswith("newsbot.db.replaced-")]
    assert names_in(tmp_path) == ["issues", "newsbot-Mon.db", "newsbot.db", kept]
    with closing(sqlite3.connect(db)) as restored:
        assert restored.execute("SELECT max(number) FROM issues").fetchone() == (202,)
    assert await state_of(db, RESTORED) == "203"
    assert await state_of(db, TAKEN) is None
    assert await state_of(backup, TAKEN) is not None  # the backup itself is left as it was


async def test_restore_is_refused_while_newsbot_runs(tmp_path: Path, env: dict[str, str]) -> None:
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    async with (
        await Archive.open(db) as archive,
        running(archive.state, dt.datetime.now(dt.UTC)),
    ):
        code, _, err = await newsbot("--db", str(db), "restore", str(backup), env=env)
    assert code == 1
    assert "newsbot runs on this archive" in err and "stop it first" in err
    with closing(sqlite3.connect(db)) as kept:
        assert kept.execute("SELECT max(number) FROM issues").fetchone() == (203,)


async def test_restore_refuses_what_is_no_sqlite_backup(
    tmp_path: Path, env: dict[str, str]
) -> None:
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    dump = tmp_path / "newsbot.dump"
    await asyncio.to_thread(dump.write_bytes, b"PGDMP" + bytes(200))
    for wrong, said in [
        (dump, "is not an SQLite archive"),
        (tmp_path / "none.db", "no such backup file"),
        (db, "is the archive itself"),
    ]:
        code, _, err = await newsbot("--db", str(db), "restore", str(wrong), env=env)
        assert code == 1 and said in err, err
    with closing(sqlite3.connect(db)) as kept:
        assert kept.execute("SELECT max(number) FROM issues").fetchone() == (203,)
    assert names_in(tmp_path) == [
        "issues",
        "newsbot-Mon.db",
        "newsbot.db",
        "newsbot.dump",
    ]


async def test_restore_of_a_pg_dump_into_postgresql(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    env = {"NEWSBOT_ARCHIVE__URL": pg_url, "NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    dump = tmp_path / "newsbot-Mon.db"
    assert (await newsbot("ingest", str(ISSUES / "202.md"), env=env))[0] == 0
    code, _, err = await newsbot("backup", str(dump), env=env)
    assert code == 0, err
    assert (await newsbot("ingest", str(issue_203(folder / "203.md")), env=env))[0] == 0
    code, out, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert f"restored {dump} into the archive " in out and "1 issue(s), 18 item(s)" in out
    assert await state_of(pg_url, RESTORED) == "203"
    async with await Archive.open(pg_url, create=False) as archive:
        assert (await archive.issues.stats()).latest_issue == 202


def restored_mark(db: Path) -> str | None:
    """The archive's restore mark, read apart from any process writing it."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        row = connection.execute("SELECT value FROM state WHERE key = ?", (RESTORED,)).fetchone()
    return None if row is None else str(row[0])


async def test_newsbot_run_marks_a_backup_restored_by_hand_as_it_starts(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path, env: dict[str, str]
) -> None:
    """Installed in the archive's place by hand, the backup is marked at the next start,
    through the issue folder's #203 (published after the backup), before any firing."""
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    await asyncio.to_thread(shutil.copyfile, backup, db)
    process = await newsbot_run(
        run_env(emulator, seed, db) | env, stdout=asyncio.subprocess.DEVNULL
    )

    def alive() -> None:
        assert process.returncode is None, "newsbot run ended"

    try:
        await eventually(lambda: restored_mark(db) == "203", alive=alive)
        # Stopped once it has connected: before, it has not yet taken SIGTERM to stop cleanly.
        await emulator.wait_until(
            lambda: True if emulator.synced_commands(seed.guild) else None, timeout=60
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert "is a backup (taken " in stderr.decode()
    assert await state_of(db, TAKEN) is None


def kept_in(folder: Path) -> list[str]:
    """The names of the replaced archives kept in `folder` (not the -wal and -shm that reading
    them makes)."""
    return [
        name
        for name in names_in(folder)
        if name.startswith("newsbot.db.replaced-") and not name.endswith(("-wal", "-shm"))
    ]


def latest_in(db: Path) -> int:
    """The highest issue number the archive file `db` holds."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as archive:
        return int(archive.execute("SELECT max(number) FROM issues").fetchone()[0])


async def test_restore_keeps_the_archive_it_replaces(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wrong day's backup restored loses nothing: the archive it replaced (with #203,
    ingested after the backup) is kept beside it under a name the output gives, and a second
    restore in the same minute keeps the first one's archive under a name of its own."""
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    monkeypatch.chdir(tmp_path)  # the archive named as a relative path, as archive.path may be
    code, out, err = await newsbot("--db", "newsbot.db", "restore", str(backup), env=env)
    assert code == 0, err
    said = " ".join(out.split())
    assert f"restored {backup} into the archive {db}:" in said  # where, whatever the folder
    [kept] = kept_in(tmp_path)
    assert f"the archive it replaced is kept as {tmp_path / kept} " in said
    assert latest_in(tmp_path / kept) == 203 and latest_in(db) == 202
    code, out, err = await newsbot("--db", str(db), "restore", str(backup), env=env)
    assert code == 0, err
    assert len(kept_in(tmp_path)) == 2  # a name of its own
    assert latest_in(tmp_path / kept) == 203  # the first kept archive left as it was


async def test_restore_onto_a_new_machine_says_it_created_the_archive(
    tmp_path: Path, env: dict[str, str]
) -> None:
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    new = tmp_path / "new" / "newsbot.db"
    new.parent.mkdir()
    code, out, err = await newsbot("--db", str(new), "restore", str(backup), env=env)
    assert code == 0, err
    assert f"no archive was at {new}: created it from {backup}: 1 issue(s)" in " ".join(out.split())
    assert "replaced" not in out
    assert names_in(new.parent) == ["newsbot.db"] and latest_in(new) == 202


def damage(db: Path) -> None:
    """Overwrite the archive file's header, as a failing disk or a stray write does."""
    with db.open("r+b") as file:
        file.write(b"not SQLite any more")


HOLDER = """
import sqlite3, sys
archive = sqlite3.connect(sys.argv[1])
archive.execute("SELECT count(*) FROM issues").fetchall()
print("open", flush=True)
sys.stdin.read()
"""
"""A process with the archive open, as SQLite keeps it open, until its input ends."""


async def test_restore_replaces_a_damaged_archive_no_process_holds(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A damaged archive, which no newsbot can open to say whether it runs, is replaced and
    kept as it was, with the -wal a newsbot killed left beside it; while another process has
    the file open, it is refused."""
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(db),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdin and holder.stdout
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"open\n"
        await asyncio.to_thread(damage, db)
        code, _, err = await newsbot("--db", str(db), "restore", str(backup), env=env)
        assert code == 1 and "is open in another process" in err, err
    finally:
        holder.stdin.close()
        await asyncio.wait_for(holder.wait(), 30)
    damaged = await asyncio.to_thread(db.read_bytes)
    await asyncio.to_thread(Path(f"{db}-wal").write_bytes, b"left by a newsbot killed")
    code, out, err = await newsbot("--db", str(db), "restore", str(backup), env=env)
    assert code == 0, err
    [kept] = kept_in(tmp_path)
    assert f"kept as {tmp_path / kept} " in " ".join(out.split())
    assert await asyncio.to_thread((tmp_path / kept).read_bytes) == damaged
    # Its -wal goes with it: beside the restored archive SQLite would read it into it.
    assert names_in(tmp_path) == sorted(
        ["issues", "newsbot-Mon.db", "newsbot.db", kept, f"{kept}-wal"]
    )
    wal = await asyncio.to_thread((tmp_path / f"{kept}-wal").read_bytes)
    assert wal == b"left by a newsbot killed"
    assert latest_in(db) == 202


REPLIES_READ = 10
"""The PostgreSQL migration that made the table `replies_read`."""


def make_old_pg_archive(url: str, version: int) -> None:
    """The database at `url` (made migrated) made an archive at schema `version` instead."""
    empty(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE newsbot_schema (version INTEGER NOT NULL)")
        for migration in pg_migrations()[:version]:
            conn.execute(migration.sql.encode())
        conn.execute("INSERT INTO newsbot_schema (version) VALUES (%s)", (version,))


async def test_restore_of_an_older_pg_dump_into_a_newer_archive_then_migrated(
    pg_url: str, pg_server: PgServer, tmp_path: Path, folder: Path
) -> None:
    """A dump from before a migration made a table: the newer archive's table is cleared
    too, so newsbot starts on the restored archive, applying that migration again."""
    old_url = pg_server.database()
    try:
        await asyncio.to_thread(make_old_pg_archive, old_url, REPLIES_READ - 1)
        dump = tmp_path / "newsbot-Mon.dump"
        old = {"NEWSBOT_ARCHIVE__URL": old_url, "NEWSBOT_ISSUES__DIRECTORY": str(folder)}
        code, _, err = await newsbot("backup", str(dump), env=old)
        assert code == 0, err
    finally:
        await asyncio.to_thread(pg_server.drop, old_url)
    env = {"NEWSBOT_ARCHIVE__URL": pg_url, "NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    assert (await newsbot("ingest", str(ISSUES / "202.md"), env=env))[0] == 0
    code, out, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert f"schema version {REPLIES_READ - 1};" in out
    async with await Archive.open(pg_url) as archive:  # migrated as newsbot starts
        assert await archive.schema_version() == len(pg_migrations())
        assert (await archive.issues.stats()).issues == 0
        assert await archive.suggestions.reply_read(100) is None


async def test_a_pg_dump_that_cannot_be_read_to_its_end_leaves_the_archive_as_it_was(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    env = await archive_of_202(pg_url, folder)
    dump = tmp_path / "newsbot-Mon.dump"
    assert (await newsbot("backup", str(dump), env=env))[0] == 0
    whole = await asyncio.to_thread(dump.read_bytes)
    await asyncio.to_thread(dump.write_bytes, whole[: len(whole) * 2 // 3])  # cut short
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 1 and "pg_restore could not restore" in err, err
    assert "the archive is left as it was" in err
    async with await Archive.open(pg_url, create=False) as archive:
        assert (await archive.issues.stats()).latest_issue == 202


def test_newsbot_knows_every_table_and_function_it_makes_on_postgresql(pg_url: str) -> None:
    """What a restore clears first is all newsbot makes: a migration making an object another
    way than `CREATE TABLE` or `CREATE FUNCTION` must be taught to `newsbot_objects`."""
    tables, functions = newsbot_objects()
    with psycopg.connect(pg_url) as conn:
        made = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        made_functions = conn.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace"
        ).fetchall()
    assert {name for (name,) in made} == set(tables)
    assert {name for (name,) in made_functions} <= set(functions)
    assert made_functions


async def archive_of_202(url: str, folder: Path) -> dict[str, str]:
    """The PostgreSQL archive at `url` holding #202; the environment newsbot runs on it with."""
    env = {"NEWSBOT_ARCHIVE__URL": url, "NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    code, _, err = await newsbot("ingest", str(ISSUES / "202.md"), env=env)
    assert code == 0, err
    return env


def empty(url: str) -> None:
    """The database at `url` (made migrated) emptied, as a new machine's is."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


async def test_restore_of_a_pg_dump_into_an_empty_database_creates_the_archive(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    env = await archive_of_202(pg_url, folder)
    dump = tmp_path / "newsbot-Mon.dump"
    assert (await newsbot("backup", str(dump), env=env))[0] == 0
    await asyncio.to_thread(empty, pg_url)
    code, out, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    said = " ".join(out.split())
    assert f"no archive was at {shown_url(pg_url)}: created it from {dump}: 1 issue(s)" in said
    async with await Archive.open(pg_url, create=False) as archive:
        assert (await archive.issues.stats()).latest_issue == 202


async def test_restore_into_an_archive_of_a_newer_newsbot_on_postgresql_is_refused(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """Its tables may be ones this newsbot does not know to clear first."""
    env = await archive_of_202(pg_url, folder)
    dump = tmp_path / "newsbot-Mon.dump"
    assert (await newsbot("backup", str(dump), env=env))[0] == 0
    await asyncio.to_thread(set_schema_version, pg_url, 999)
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 1, err
    assert "has schema version 999, newer than this newsbot knows" in " ".join(err.split())
    async with await Archive.open(pg_url, create=False, migrate=False) as archive:
        assert await archive.schema_version() == 999  # left as it was
        assert (await archive.issues.stats()).latest_issue == 202


def set_schema_version(url: str, version: int) -> None:
    """The archive at `url` marked as a newsbot of schema `version` left it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE newsbot_schema SET version = %s", (version,))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_restore_is_refused_while_a_newsbot_publish_sends(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, folder: Path
) -> None:
    """A `newsbot publish` (a timer's) takes no running lease: its claim says it sends."""
    location: Path | str = tmp_path / "newsbot.db"
    env = {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    if backend == "postgres":
        location = str(request.getfixturevalue("pg_url"))
        env["NEWSBOT_ARCHIVE__URL"] = location
    else:
        env["NEWSBOT_ARCHIVE__PATH"] = str(location)
    dump = tmp_path / "newsbot-Mon.db"
    assert (await newsbot("ingest", str(ISSUES / "202.md"), env=env))[0] == 0
    assert (await newsbot("backup", str(dump), env=env))[0] == 0
    assert (await newsbot("ingest", str(issue_203(folder / "203.md")), env=env))[0] == 0
    async with await Archive.open(location, create=False) as archive:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        assert await archive.ledger.claim(203, "discord", "1234", "elsewhere:4321", until)
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 1, err
    said = " ".join(err.split())
    assert "newsbot publishes from this archive (#203 to discord by elsewhere:4321)" in said
    async with await Archive.open(location, create=False) as archive:
        assert (await archive.issues.stats()).latest_issue == 203


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_restore_looks_for_issues_the_archive_it_replaces_knew(
    backend: str, tmp_path: Path, folder: Path, request: pytest.FixtureRequest
) -> None:
    """#203, ingested from outside the issue folder after the backup, is in neither the backup
    nor the folder, but the archive replaced knew it (and may have published it): a publish of
    it after the restore looks for what it made, instead of making it again."""
    if backend == "postgres":
        url: str = request.getfixturevalue("pg_url")
        env = await archive_of_202(url, folder)
        where: list[str] = []
        location: Path | str = url
    else:
        location = tmp_path / "newsbot.db"
        env = {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}
        where = ["--db", str(location)]
        assert (await newsbot(*where, "ingest", str(ISSUES / "202.md"), env=env))[0] == 0
    backup = tmp_path / "newsbot-Mon.backup"
    assert (await newsbot(*where, "backup", str(backup), env=env))[0] == 0
    drafts = tmp_path / "drafts"
    await asyncio.to_thread(drafts.mkdir)
    later = issue_203(drafts / "203.md")
    assert (await newsbot(*where, "ingest", str(later), env=env))[0] == 0
    code, out, err = await newsbot(*where, "restore", str(backup), env=env)
    assert code == 0, err
    assert "issues up to #203 is looked for" in " ".join(out.split())
    assert await state_of(location, RESTORED) == "203"
