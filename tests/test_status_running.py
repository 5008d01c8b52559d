"""`newsbot status` says whether `newsbot run` runs on its archive, since when and as which
process: while it runs, and not once it stopped, cleanly or killed. Stopped cleanly, it leaves
no row in the archive, and starting it forgets those of processes ended long ago."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import signal
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.store.rows import LEASE_PREFIX, lease_value
from bot.workers import RUNNING_LEASE, RUNNING_SINCE
from tests.conftest import clear_settings
from tests.test_run import newsbot_run, run_env

NOT_RUNNING = "newsbot run: not running on this archive"
LONG_ENDED = "gone-host:7"
"""A `newsbot run` killed two days ago, on another machine."""


async def status(db: Path, *args: str) -> str:
    """What `newsbot status` prints of the archive at `db` (run apart from the test's loop)."""
    result = await asyncio.to_thread(CliRunner().invoke, app, ["--db", str(db), "status", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def rows_naming(db: Path, process: str) -> list[str]:
    """The keys of the rows the archive at `db` keeps for the process `process` (`host:pid`)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        keys = [str(key) for (key,) in connection.execute("SELECT key FROM state ORDER BY key")]
    return [key for key in keys if key.endswith(":" + process)]


async def said_running(db: Path, pid: int) -> str:
    """The status line of the `newsbot run` of `pid`, once `newsbot status` shows it."""
    shown = f", pid {pid} on {socket.gethostname()}"
    for _ in range(600):
        found = [line for line in (await status(db)).splitlines() if line.endswith(shown)]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"newsbot status never said {shown!r}")


async def test_newsbot_status_says_whether_newsbot_run_runs(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_settings(monkeypatch)
    db = tmp_path / "archive.db"
    async with await Archive.open(db) as archive:
        # As an older newsbot left them: the lease, run out two days ago, and the start apart.
        ran_out = time.time() - 2 * 24 * 3600
        lease = lease_value(LONG_ENDED, ran_out, 60)
        await archive.state.set(LEASE_PREFIX + RUNNING_LEASE + LONG_ENDED, lease)
        await archive.state.set(RUNNING_SINCE + LONG_ENDED, "2026-01-02T03:04:05+00:00")
    assert NOT_RUNNING in (await status(db)).splitlines()
    assert len(rows_naming(db, LONG_ENDED)) == 2

    process = await newsbot_run(run_env(emulator, seed, db), stdout=asyncio.subprocess.DEVNULL)
    try:
        line = await said_running(db, process.pid)
        assert line.startswith("newsbot run: running since ") and " UTC (UTC+00:00)" in line
        assert NOT_RUNNING not in await status(db)
        (run,) = json.loads(await status(db, "--json"))["runs"]
        assert (run["pid"], run["host"]) == (process.pid, socket.gethostname())
        name = f"{socket.gethostname()}:{process.pid}"
        assert rows_naming(db, name) == [LEASE_PREFIX + RUNNING_LEASE + name], "one row"
        assert rows_naming(db, LONG_ENDED) == [], "forgotten when it took its lease"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    # Stopped cleanly: it gave its lease up on the way out, and left nothing behind.
    assert NOT_RUNNING in (await status(db)).splitlines()
    assert rows_naming(db, name) == []

    # Killed: nothing given up, but this host knows the process has ended.
    killed = await newsbot_run(run_env(emulator, seed, db), stdout=asyncio.subprocess.DEVNULL)
    try:
        await said_running(db, killed.pid)
    finally:
        killed.send_signal(signal.SIGKILL)
        await asyncio.wait_for(killed.communicate(), 30)
    assert NOT_RUNNING in (await status(db)).splitlines()
    assert json.loads(await status(db, "--json"))["runs"] == []


async def test_a_publish_claimed_by_a_process_killed_here_is_not_said_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `newsbot publish` killed mid-way leaves its claim for up to a minute; `status` said
    "Publishing now … by" it all that time, though the next publish takes it over at once."""
    clear_settings(monkeypatch)
    db = tmp_path / "a.db"
    ended = await asyncio.create_subprocess_exec("true")
    await ended.wait()
    killed, elsewhere = f"{socket.gethostname()}:{ended.pid}:ab", "other-host:42:cd"
    async with await Archive.open(db) as archive:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
        assert await archive.ledger.claim(202, "discord", "111", killed, until)
        assert await archive.ledger.claim(202, "discord", "222", elsewhere, until)
    said = await status(db)
    assert f"Publishing now: #202 on discord to 222, by {elsewhere}" in said
    assert killed not in said
    assert [claim["holder"] for claim in json.loads(await status(db, "--json"))["claims"]] == [
        elsewhere
    ]
