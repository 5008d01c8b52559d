"""Every benchmark, run as a user runs it in its `--smoke` mode: it must finish and meet its
small-size targets, so a benchmark cannot rot unnoticed when the code it measures changes.

Each runs as a subprocess in its own process group (the interactions one starts `newsbot run`),
killed at the end whatever happened; the test workers run them side by side.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, unmeasured
from tests.newsbot_process import without_settings

BENCHMARKS = (
    "search.py",
    "publish.py",
    "interactions.py",
    "x_cost.py",
    "mastodon_thread.py",
    "bluesky_thread.py",
    "start.py",
)
TIMEOUT = 180


@dataclass(frozen=True)
class Run:
    """How one benchmark's smoke run ended."""

    returncode: int
    output: str


def _env() -> dict[str, str]:
    """The caller's environment without its NEWSBOT_ settings, the checkout importable, and
    unmeasured: a benchmark runs code the tests measure, many times over, and measuring it
    would double the smoke runs' CPU."""
    return unmeasured(without_settings(os.environ)) | {"PYTHONPATH": str(ROOT)}


def smoke_run(name: str) -> Run:
    """One benchmark's `--smoke` run, waited for; its process group killed at the end, whatever
    happened (a benchmark that failed may leave `newsbot run` behind)."""
    with (
        tempfile.TemporaryDirectory(prefix="newsbot-smoke-") as scratch,
        Path(scratch, f"{name}.log").open("w+", encoding="utf-8") as log,
    ):
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / name), "--smoke"],
            cwd=ROOT,
            env=_env() | {"TMPDIR": scratch},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            returncode = -1
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.seek(0)
        return Run(returncode, log.read())


def test_every_benchmark_has_a_smoke_run() -> None:
    assert sorted(path.name for path in (ROOT / "benchmarks").glob("*.py")) == sorted(BENCHMARKS)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_a_benchmark_meets_its_small_size_targets(name: str) -> None:
    run = smoke_run(name)
    assert run.returncode == 0, run.output
    assert "every target met" in run.output, run.output
    assert "NOT MET" not in run.output, run.output
