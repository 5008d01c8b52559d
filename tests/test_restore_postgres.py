"""`newsbot restore FILE` into an archive on PostgreSQL: the archive it replaces kept as a dump
beside the backup, refused when that dump cannot be taken; the restored archive marked with
the time the dump was taken."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import socket
from pathlib import Path

import psycopg
import pytest

from bot.errors import RestoreError
from bot.pg_tools import pg_client
from bot.publishing.restored import SINCE, restored
from bot.restore_postgres import load_dump
from bot.store import Archive
from tests.pg_server import shimmed
from tests.test_restore import archive_of_202, issue_203, names_in, newsbot


async def latest_in(url: str) -> int | None:
    """The highest issue number the archive at `url` holds."""
    async with await Archive.open(url, create=False, migrate=False) as archive:
        return (await archive.issues.stats()).latest_issue


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "issues"
    made.mkdir()
    return made


async def backed_up(url: str, folder: Path, backups: Path) -> dict[str, str]:
    """The archive at `url` holding #202, dumped into `backups`/newsbot-Mon.dump, then #203
    ingested into it; the environment newsbot runs on it with."""
    env = await archive_of_202(url, folder)
    await asyncio.to_thread(backups.mkdir)
    code, _, err = await newsbot("backup", str(backups / "newsbot-Mon.dump"), env=env)
    assert code == 0, err
    assert (await newsbot("ingest", str(issue_203(folder / "203.md")), env=env))[0] == 0
    return env


async def test_restore_keeps_the_archive_it_replaces_as_a_dump_beside_the_backup(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """The wrong day's backup restored loses nothing: the archive it replaced (with #203) is
    dumped beside the backup, under a name the output gives, and restores like any backup."""
    backups = tmp_path / "backups"
    env = await backed_up(pg_url, folder, backups)
    code, out, err = await newsbot("restore", str(backups / "newsbot-Mon.dump"), env=env)
    assert code == 0, err
    assert await latest_in(pg_url) == 202
    [kept] = [name for name in names_in(backups) if name != "newsbot-Mon.dump"]
    database = pg_url.rpartition("/")[2]
    assert kept.startswith(f"{database}.replaced-") and kept.endswith(".dump"), kept
    said = " ".join(out.split())
    assert f"the archive it replaced is kept as {backups / kept} " in said
    assert await asyncio.to_thread(lambda: (backups / kept).stat().st_mode & 0o077) == 0
    # Put back: the archive as it was before the restore, kept under a name of its own though
    # the name of this minute (and of the next two, whichever it is by then) is taken.
    now = dt.datetime.now(dt.UTC)
    taken = {
        f"{database}.replaced-{now + dt.timedelta(minutes=n):%Y-%m-%dT%H%M}" for n in (0, 1, 2)
    }
    for name in taken - {kept.removesuffix(".dump")}:
        await asyncio.to_thread((backups / f"{name}.dump").write_bytes, b"")
    before = set(names_in(backups))
    code, out, err = await newsbot("restore", str(backups / kept), env=env)
    assert code == 0, err
    assert await latest_in(pg_url) == 203
    [second] = set(names_in(backups)) - before
    assert second.endswith("-2.dump") and second.removesuffix("-2.dump") in taken, second


FAILING_PG_DUMP = """#!/bin/sh
echo "pg_dump: error: aborting because of server version mismatch" >&2
exit 1
"""
"""A pg_dump older than the server, which refuses to dump it (as pg_dump does)."""


def failing_pg_dump(tools: Path) -> str:
    """A PATH whose pg_dump fails (`FAILING_PG_DUMP`), its other client tools the real ones."""
    tools.mkdir()
    (tools / "pg_dump").write_text(FAILING_PG_DUMP)
    (tools / "pg_dump").chmod(0o755)
    for name in ("pg_restore", "psql"):
        real = shutil.which(name)
        assert real, f"{name} is not installed"
        (tools / name).symlink_to(real)
    return f"{tools}{os.pathsep}{os.environ['PATH']}"


async def test_restore_is_refused_when_the_archive_it_replaces_cannot_be_kept(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    backups = tmp_path / "backups"
    env = await backed_up(pg_url, folder, backups)
    env["PATH"] = await asyncio.to_thread(failing_pg_dump, tmp_path / "bin")
    code, _, err = await newsbot("restore", str(backups / "newsbot-Mon.dump"), env=env)
    assert code == 1, err
    said = " ".join(err.split())
    assert "the archive it would replace could not be kept (pg_dump could not back up" in said
    assert "server version mismatch); the archive is left as it was" in said
    assert await latest_in(pg_url) == 203
    assert names_in(backups) == ["newsbot-Mon.dump"]  # nothing half-written left


RECORDING_PG_DUMP = """#!/bin/sh
# pg_dump, writing the file it dumps into in $DUMPED first.
for arg; do
    case "$arg" in --file=*) echo "${{arg#--file=}}" >> "$DUMPED" ;; esac
done
exec {real} "$@"
"""
"""pg_dump, saying what it dumped into: whether the restore kept the archive it replaces."""


def recording_pg_dump(tools: Path) -> str:
    """A PATH whose pg_dump is `RECORDING_PG_DUMP`."""
    return shimmed(tools, "pg_dump", RECORDING_PG_DUMP)


async def test_a_restore_refused_leaves_no_dump_of_the_archive_behind(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """A dump cut short is refused as it loads, after the archive was dumped: that dump of an
    archive left as it was is removed."""
    backups = tmp_path / "backups"
    env = await backed_up(pg_url, folder, backups)
    dump = backups / "newsbot-Mon.dump"
    whole = await asyncio.to_thread(dump.read_bytes)
    await asyncio.to_thread(dump.write_bytes, whole[:-64])  # its table of contents whole
    dumped = tmp_path / "dumped"
    env["PATH"] = await asyncio.to_thread(recording_pg_dump, tmp_path / "bin")
    code, _, err = await newsbot("restore", str(dump), env=env | {"DUMPED": str(dumped)})
    assert code == 1, err
    said = " ".join(err.split())
    # Refused by the load's pg_restore (the table of contents read whole), once the archive
    # it would replace was dumped beside the backup.
    assert f"pg_restore could not restore {dump} into " in said, said
    assert "could not read from input file: end of file" in said, said
    [kept] = (await asyncio.to_thread(dumped.read_text)).splitlines()
    assert Path(kept).parent == backups and ".replaced-" in Path(kept).name, kept
    assert said.endswith("the archive is left as it was"), said
    assert await latest_in(pg_url) == 203
    assert names_in(backups) == ["newsbot-Mon.dump"]


SUMMER_WEST = "XST5XDT,0/0,J365/25"
"""A zone five hours behind UTC, on summer time all year (four hours behind)."""


async def since_of(url: str, folder: Path) -> dt.datetime:
    """When the restored archive at `url` says its backup was taken, as a publish reads it."""
    async with await Archive.open(url, create=False) as archive:
        since = await archive.state.get(SINCE)
        found = await restored(archive, folder)
    assert since is not None, "the restored dump is marked without a time"
    assert found is not None and found.since == dt.datetime.fromisoformat(since)
    return found.since


async def test_a_restored_dump_is_marked_with_the_time_it_was_taken(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """As a restored SQLite backup is: a channel's lookups read back to the dump's time, not
    only its latest messages. Taken where the clock reads 9 hours ahead of UTC, and restored
    where it reads behind UTC on summer time, it still says the time it was taken."""
    env = await archive_of_202(pg_url, folder)
    dump = tmp_path / "newsbot-Mon.dump"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    code, _, err = await newsbot("backup", str(dump), env=env | {"TZ": "Asia/Tokyo"})
    assert code == 0, err
    after = dt.datetime.now(dt.UTC)
    code, _, err = await newsbot("restore", str(dump), env=env | {"TZ": SUMMER_WEST})
    assert code == 0, err
    assert before <= await since_of(pg_url, folder) <= after


async def test_a_dump_taken_by_hand_is_marked_no_later_than_it_was_taken(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """pg_dump run by hand where the clock reads 9 hours ahead of UTC writes that clock's time,
    naming no zone: the restore reads it as taken as early as any zone's clock allows, so that
    a publish looks for everything made since, not only what was made 9 hours later."""
    env = await archive_of_202(pg_url, folder)
    dump = tmp_path / "by-hand.dump"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with pg_client(pg_url) as (client_url, environment):
        dumped = await asyncio.create_subprocess_exec(
            "pg_dump", "--format=custom", f"--file={dump}", f"--dbname={client_url}",
            env=environment | {"TZ": "Asia/Tokyo"},
        )  # fmt: skip
        assert await dumped.wait() == 0
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    since = await since_of(pg_url, folder)
    assert before - dt.timedelta(hours=14) <= since <= before, since


async def claimed(url: str, holder: str) -> None:
    """A claim to publish #203 to Discord, held by `holder` for another minute."""
    async with await Archive.open(url, create=False) as archive:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        assert await archive.ledger.claim(203, "discord", "1234", holder, until)


async def test_the_load_is_refused_while_a_publish_holds_a_claim(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """Checked again as the load locks the claims: a publish that claimed after the first
    check stops the restore, the archive left as it was."""
    backups = tmp_path / "backups"
    await backed_up(pg_url, folder, backups)
    await claimed(pg_url, "elsewhere:4321:abcd")
    with pytest.raises(RestoreError) as refused:
        await load_dump(pg_url, backups / "newsbot-Mon.dump", keep=True)
    said = str(refused.value)
    assert said.startswith("newsbot publishes from this archive (#203 to discord by elsewhere")
    assert said.endswith("let it finish, or stop it, first; the archive is left as it was")
    assert await latest_in(pg_url) == 203
    assert names_in(backups) == ["newsbot-Mon.dump"]  # nothing kept: nothing replaced


async def test_the_claim_of_a_publish_killed_does_not_hold_a_restore_back(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    backups = tmp_path / "backups"
    env = await backed_up(pg_url, folder, backups)
    ended = await asyncio.create_subprocess_exec("true")
    await ended.wait()
    await claimed(pg_url, f"{socket.gethostname()}:{ended.pid}:abcd")
    code, _, err = await newsbot("restore", str(backups / "newsbot-Mon.dump"), env=env)
    assert code == 0, err
    assert await latest_in(pg_url) == 202


def with_a_large_object(url: str) -> int:
    """A large object of another application's put in the database at `url`; its OID."""
    with psycopg.connect(url, autocommit=True) as database:
        row = database.execute("SELECT lo_from_bytea(0, 'not newsbot''s')").fetchone()
    assert row is not None
    return int(row[0])


def large_object_of(url: str, oid: int) -> bytes | None:
    """The large object `oid` in the database at `url`; None if there is none."""
    with psycopg.connect(url, autocommit=True) as database:
        row = database.execute(
            "SELECT lo_get(oid) FROM pg_largeobject_metadata WHERE oid = %s", (oid,)
        ).fetchone()
    return None if row is None else bytes(row[0])


async def test_a_backup_leaves_out_the_large_objects_of_another_application(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """A database newsbot shares with an application that keeps large objects: the backup
    holds none of them, and restores with them left as they are."""
    backups = tmp_path / "backups"
    oid = await asyncio.to_thread(with_a_large_object, pg_url)
    env = await backed_up(pg_url, folder, backups)
    listing = await asyncio.create_subprocess_exec(
        "pg_restore", "--list", str(backups / "newsbot-Mon.dump"),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    contents, _ = await listing.communicate()
    assert listing.returncode == 0 and b" TABLE DATA " in contents
    assert b" BLOB" not in contents, contents.decode()
    code, _, err = await newsbot("restore", str(backups / "newsbot-Mon.dump"), env=env)
    assert code == 0, err
    assert await latest_in(pg_url) == 202
    assert await asyncio.to_thread(large_object_of, pg_url, oid) == b"not newsbot's"


def rewrite_large_object(url: str, oid: int, data: bytes) -> None:
    """Put `data` in the large object `oid` of the database at `url`, in place of its own."""
    with psycopg.connect(url, autocommit=True) as database:
        database.execute("SELECT lo_truncate(lo_open(%s, 131072), 0)", (oid,))
        database.execute("SELECT lo_put(%s, 0, %s)", (oid, data))


async def test_a_dump_holding_large_objects_restores_newsbots_archive_alone(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """A dump by hand of a database whose other application keeps large objects: pg_restore's
    script would load them between a BEGIN and a COMMIT of its own, committing the restore half
    done, but they are no part of newsbot's archive, which is all a restore loads. They are left
    as they are now: one changed since the dump keeps its change, one made since stays."""
    backups = tmp_path / "backups"
    await asyncio.to_thread(backups.mkdir)
    env = await archive_of_202(pg_url, folder)
    kept = await asyncio.to_thread(with_a_large_object, pg_url)
    dump = backups / "by-hand.dump"
    with pg_client(pg_url) as (client_url, environment):
        dumped = await asyncio.create_subprocess_exec(
            "pg_dump", "--format=custom", f"--file={dump}", f"--dbname={client_url}",
            env=environment,
        )  # fmt: skip
        assert await dumped.wait() == 0
    assert (await newsbot("ingest", str(issue_203(folder / "203.md")), env=env))[0] == 0
    await asyncio.to_thread(rewrite_large_object, pg_url, kept, b"changed since")
    made = await asyncio.to_thread(with_a_large_object, pg_url)
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert await latest_in(pg_url) == 202
    assert await asyncio.to_thread(large_object_of, pg_url, kept) == b"changed since"
    assert await asyncio.to_thread(large_object_of, pg_url, made) == b"not newsbot's"


FAILING_PSQL = """#!/bin/sh
# psql losing its connection as the restore commits: it runs, then fails. Asked whether the
# restore committed (psql --command=), it answers, unless under PSQL_CHECK_FAILS.
case "$*" in
*--command=*) if [ -n "$PSQL_CHECK_FAILS" ]; then exit 2; fi; exec {real} "$@" ;;
esac
{real} "$@"
echo "psql: error: server closed the connection unexpectedly" >&2
exit 2
"""


def failing_psql(tools: Path) -> str:
    """A PATH whose psql fails once it has run the restore (`FAILING_PSQL`)."""
    return shimmed(tools, "psql", FAILING_PSQL)


async def test_a_restore_that_committed_as_psql_failed_is_done(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """psql fails after it sent the COMMIT: the server, asked, says the restore committed, so
    it is done, and the archive it replaced kept."""
    backups = tmp_path / "backups"
    env = await backed_up(pg_url, folder, backups)
    env["PATH"] = await asyncio.to_thread(failing_psql, tmp_path / "bin")
    code, out, err = await newsbot("restore", str(backups / "newsbot-Mon.dump"), env=env)
    assert code == 0, err
    assert await latest_in(pg_url) == 202
    [kept] = [name for name in names_in(backups) if name != "newsbot-Mon.dump"]
    assert f"the archive it replaced is kept as {backups / kept} " in " ".join(out.split())


async def test_a_restore_not_known_to_have_committed_keeps_the_archive_it_replaced(
    pg_url: str, tmp_path: Path, folder: Path
) -> None:
    """psql fails after it sent the COMMIT, and the server cannot be asked whether the restore
    committed: it may have, so the dump of the archive it replaced is kept, and named."""
    backups = tmp_path / "backups"
    env = await backed_up(pg_url, folder, backups)
    env["PATH"] = await asyncio.to_thread(failing_psql, tmp_path / "bin")
    env["PSQL_CHECK_FAILS"] = "1"
    code, _, err = await newsbot("restore", str(backups / "newsbot-Mon.dump"), env=env)
    assert code == 1, err
    said = " ".join(err.split())
    assert "psql failed as it committed the restore of" in said, said
    assert "server closed the connection unexpectedly" in said
    assert "the archive may be restored, or left as it was" in said
    [kept] = [name for name in names_in(backups) if name != "newsbot-Mon.dump"]
    assert said.endswith(f"the archive it would replace is kept as {backups / kept}"), said
    assert await latest_in(pg_url) == 202  # it had committed
