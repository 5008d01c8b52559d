"""Every benchmark, run as a user runs it in its `--smoke` mode: it must finish and meet its
small-size targets, so a benchmark cannot rot unnoticed when the code it measures changes.

The benchmarks run at once, each a subprocess in its own process group (the interactions one
starts `newsbot run`), killed at the end whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import ROOT, unmeasured

BENCHMARKS = (
    "search.py",
    "publish.py",
    "interactions.py",
    "x_cost.py",
    "mastodon_thread.py",
    "bluesky_thread.py",
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    return unmeasured(env) | {"PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def smoke_runs() -> Iterator[dict[str, Run]]:
    """Every benchmark's `--smoke` run, started together and waited for."""
    with tempfile.TemporaryDirectory(prefix="newsbot-smoke-") as scratch, ExitStack() as logs:
        started: dict[str, tuple[subprocess.Popen[bytes], IO[str]]] = {}
        try:
            for name in BENCHMARKS:
                log: IO[str] = logs.enter_context(
                    Path(scratch, f"{name}.log").open("w+", encoding="utf-8")
                )
                started[name] = (
                    subprocess.Popen(
                        [sys.executable, str(ROOT / "benchmarks" / name), "--smoke"],
                        cwd=ROOT,
                        env=_env() | {"TMPDIR": scratch},
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    ),
                    log,
                )
            runs: dict[str, Run] = {}
            for name, (process, log) in started.items():
                try:
                    returncode = process.wait(timeout=TIMEOUT)
                except subprocess.TimeoutExpired:
                    returncode = -1
                log.seek(0)
                runs[name] = Run(returncode, log.read())
            yield runs
        finally:
            for process, _ in started.values():
                # The whole group: a benchmark that failed may leave `newsbot run` behind.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_every_benchmark_has_a_smoke_run() -> None:
    assert sorted(path.name for path in (ROOT / "benchmarks").glob("*.py")) == sorted(BENCHMARKS)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_a_benchmark_meets_its_small_size_targets(smoke_runs: dict[str, Run], name: str) -> None:
    run = smoke_runs[name]
    assert run.returncode == 0, run.output
    assert "every target met" in run.output, run.output
    assert "NOT MET" not in run.output, run.output
