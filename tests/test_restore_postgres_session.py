"""`newsbot restore` into an archive on PostgreSQL whose server limits or ends the restore's
session: the limits lifted for the restore's transaction, and the server's reason for ending
it said."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from bot.restore_postgres import load_dump
from tests.conftest import eventually
from tests.pg_server import PgServer, shimmed
from tests.test_restore import names_in, newsbot
from tests.test_restore_postgres import backed_up, latest_in
from tests.test_restore_postgres_publish import gated_path

SLOW_PG_DUMP = """#!/bin/sh
# Two seconds before it dumps: an archive large enough to take twice the server's limit.
sleep 2
exec {real} "$@"
"""


def slow_path(tools: Path) -> str:
    """A PATH whose pg_dump is `SLOW_PG_DUMP`."""
    return shimmed(tools, "pg_dump", SLOW_PG_DUMP)


def limited(admin_url: str, url: str) -> None:
    """The database at `url` ending every session idle in a transaction for a second."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} SET idle_in_transaction_session_timeout = '1s'").format(
                sql.Identifier(url.rpartition("/")[2])
            )
        )


async def test_a_restore_outlasts_the_servers_idle_transaction_limit(
    pg_server: PgServer, pg_url: str, tmp_path: Path
) -> None:
    """The restore's transaction waits, idle, while the archive it replaces is dumped: a
    server ending sessions idle in a transaction for a second does not end it."""
    folder, backups = tmp_path / "issues", tmp_path / "backups"
    folder.mkdir()
    env = await backed_up(pg_url, folder, backups)
    await asyncio.to_thread(limited, pg_server.admin_url, pg_url)
    env["PATH"] = await asyncio.to_thread(slow_path, tmp_path / "bin")
    code, _, err = await newsbot("restore", str(backups / "newsbot-Mon.dump"), env=env)
    assert code == 0, err
    assert await latest_in(pg_url) == 202


def end_the_restores_session(admin_url: str, url: str) -> bool:
    """End psql's session of the database at `url` (as an administrator may); whether one was."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = 'psql'",
            (url.rpartition("/")[2],),
        ).fetchone()
    return bool(row and row[0])


async def test_a_restore_whose_session_the_server_ends_says_why(
    pg_server: PgServer, pg_url: str, tmp_path: Path
) -> None:
    """The server says why it ended the session (FATAL), before psql says the connection was
    lost: the restore's error gives that reason, and the archive is left as it was."""
    folder, backups = tmp_path / "issues", tmp_path / "backups"
    folder.mkdir()
    env = await backed_up(pg_url, folder, backups)
    env["PATH"] = await asyncio.to_thread(gated_path, tmp_path / "bin")
    gate = tmp_path / "gate"
    restoring = asyncio.create_task(
        newsbot("restore", str(backups / "newsbot-Mon.dump"), env=env | {"PG_DUMP_GATE": str(gate)})
    )
    try:
        await eventually(lambda: restoring.done() or Path(f"{gate}.reached").exists())
        assert not restoring.done(), restoring.result()
        assert await asyncio.to_thread(end_the_restores_session, pg_server.admin_url, pg_url)
    finally:
        await asyncio.to_thread(Path(f"{gate}.open").touch)
        code, _, err = await restoring
    assert code == 1, err
    said = " ".join(err.split())
    assert "psql could not restore" in said
    assert said.endswith(
        ": terminating connection due to administrator command; the archive is left as it was"
    ), said
    assert await latest_in(pg_url) == 203
    assert names_in(backups) == ["newsbot-Mon.dump"]


TALKATIVE_PG_RESTORE = """#!{python}
# pg_restore writing its script (--file=-): under TALK=pg_restore, it says 200 KB on stderr
# first; under TALK=psql, it adds a statement the server answers with 200 KB of warnings,
# which psql writes on its stderr.
import os, subprocess, sys
real, args = {real!r}, sys.argv[1:]
if "--file=-" not in args or os.environ.get("TALK") != "psql":
    if "--file=-" in args:
        sys.stderr.write(("pg_restore: warning: " + "w" * 200 + "\\n") * 1000)
        sys.stderr.flush()
    os.execv(real, [real, *args])
if code := subprocess.call([real, *args]):
    sys.exit(code)
print("DO $$ BEGIN FOR i IN 1..1000 LOOP RAISE WARNING '%', repeat('w', 200); END LOOP; END $$;")
"""
"""pg_restore, saying more than a pipe holds on its stderr, or making psql say it on its."""


def talkative_path(tools: Path) -> str:
    """A PATH whose pg_restore is `TALKATIVE_PG_RESTORE`."""
    return shimmed(tools, "pg_restore", TALKATIVE_PG_RESTORE)


@pytest.mark.parametrize("talker", ["pg_restore", "psql"])
async def test_a_restore_whose_tools_say_much_on_stderr_goes_on(
    talker: str, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a tool says on stderr while the dump loads is read as it says it: more than its
    pipe holds does not stop the tool, and the restore with it, holding the claims."""
    folder, backups = tmp_path / "issues", tmp_path / "backups"
    folder.mkdir()
    await backed_up(pg_url, folder, backups)
    monkeypatch.setenv("PATH", await asyncio.to_thread(talkative_path, tmp_path / "bin"))
    monkeypatch.setenv("TALK", talker)
    # Bounded: a tool stopped by a full pipe would hang the restore for ever.
    await asyncio.wait_for(load_dump(pg_url, backups / "newsbot-Mon.dump", keep=False), 30)
    assert await latest_in(pg_url) == 202
