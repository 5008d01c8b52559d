"""`newsbot status` says whether `newsbot run` runs on its archive, since when and as which
process: while it runs, and not once it stopped, cleanly or killed."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.conftest import clear_settings
from tests.test_run import newsbot_run, run_env

NOT_RUNNING = "newsbot run: not running on this archive"


async def status(db: Path, *args: str) -> str:
    """What `newsbot status` prints of the archive at `db` (run apart from the test's loop)."""
    result = await asyncio.to_thread(CliRunner().invoke, app, ["--db", str(db), "status", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


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
    async with await Archive.open(db):
        pass
    assert NOT_RUNNING in (await status(db)).splitlines()

    process = await newsbot_run(run_env(emulator, seed, db), stdout=asyncio.subprocess.DEVNULL)
    try:
        line = await said_running(db, process.pid)
        assert line.startswith("newsbot run: running since ") and " UTC (UTC+00:00)" in line
        assert NOT_RUNNING not in await status(db)
        (run,) = json.loads(await status(db, "--json"))["runs"]
        assert (run["pid"], run["host"]) == (process.pid, socket.gethostname())
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    # Stopped cleanly: it gave its lease up on the way out.
    assert NOT_RUNNING in (await status(db)).splitlines()

    # Killed: nothing given up, but this host knows the process has ended.
    killed = await newsbot_run(run_env(emulator, seed, db), stdout=asyncio.subprocess.DEVNULL)
    try:
        await said_running(db, killed.pid)
    finally:
        killed.send_signal(signal.SIGKILL)
        await asyncio.wait_for(killed.communicate(), 30)
    assert NOT_RUNNING in (await status(db)).splitlines()
    assert json.loads(await status(db, "--json"))["runs"] == []
