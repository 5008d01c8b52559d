"""`newsbot` runs forked from the waiting Python behave as runs of a new interpreter: their own
process, environment, folder, output and exit code, and killed by a signal like any other."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import pytest

from bot.settings import load_settings
from tests.conftest import ISSUES, clear_settings
from tests.newsbot_process import (
    NewsbotProcess,
    newsbot_argv,
    newsbot_completed,
    newsbot_process,
    without_settings,
)
from tests.publishing.cli_harness import newsbot_env

LINUX = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="runs fork only on Linux")


@LINUX
def test_a_forked_run_answers_as_a_new_interpreter_does(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = newsbot_env(None) | {"NEWSBOT_ARCHIVE__PATH": "relative.db", "COLUMNS": "200"}
    for args in (["status"], ["--version"], ["search"], ["--help"]):
        forked = newsbot_completed(*args, env=env, cwd=elsewhere)
        real = subprocess.run(
            newsbot_argv(*args), env=env, cwd=elsewhere, capture_output=True, text=True
        )
        assert (forked.returncode, forked.stdout, forked.stderr) == (
            real.returncode,
            real.stdout,
            real.stderr,
        ), args
    # The environment and the folder were the run's own: the archive went where they said.
    assert newsbot_completed("ingest", str(ISSUES), env=env, cwd=elsewhere).returncode == 0
    assert (elsewhere / "relative.db").is_file()


@LINUX
async def test_a_forked_run_is_a_process_of_its_own_that_a_signal_ends(tmp_path: Path) -> None:
    pids: list[int] = []

    def kill_at_once(pid: int) -> None:
        pids.append(pid)
        os.kill(pid, signal.SIGKILL)

    process = await newsbot_process(
        "--db",
        str(tmp_path / "a.db"),
        "ingest",
        str(ISSUES),
        env=newsbot_env(None),
        stderr=subprocess.PIPE,
        started=kill_at_once,
    )
    assert isinstance(process, NewsbotProcess), "forked, not a new interpreter"
    assert pids == [process.pid] and process.pid != os.getpid()
    assert await asyncio.wait_for(process.wait(), 30) == -signal.SIGKILL
    assert not (tmp_path / "a.db").exists(), "killed before it ran"


def test_a_setting_named_in_lower_case_is_left_out_as_well(monkeypatch: pytest.MonkeyPatch) -> None:
    """newsbot reads its variables' names in any case, so an environment without its settings
    has none in any case; other variables stay, even with NEWSBOT in their name."""
    clear_settings(monkeypatch)
    monkeypatch.setenv("newsbot_archive__path", "lower.db")
    monkeypatch.setenv("Newsbot_Publishing__Concurrency", "3")
    monkeypatch.setenv("MY_NEWSBOT_NOTE", "kept")
    monkeypatch.setenv("NEWSBOTS", "kept")
    read = load_settings()
    assert (read.archive.path, read.publishing.concurrency) == (Path("lower.db"), 3)
    env = without_settings(os.environ)
    assert env == {
        name: value
        for name, value in os.environ.items()
        if name not in ("newsbot_archive__path", "Newsbot_Publishing__Concurrency")
    }
    assert env["MY_NEWSBOT_NOTE"] == env["NEWSBOTS"] == "kept"
    clear_settings(monkeypatch)
    assert dict(os.environ) == env
    assert load_settings().archive.path == Path("newsbot.db")
