"""How long `newsbot --help` and `newsbot search foo` take to start and finish, cold.

Each run is a fresh process, as a user's command is: the `newsbot` console script beside this
Python (else `python -m bot`), plain settings (no NEWSBOT_ variables), and for the search a small
archive (#202) built in a temporary directory first. One run of each is left out as a warm-up
(the files in the page cache and the modules' bytecode cached, as on a machine that ran newsbot
before: PYTHONDONTWRITEBYTECODE is left out of the runs' environment); then each command runs
`--runs` times, and the median wall time is held against the target; the median CPU (user +
system, the process's own) is printed beside it. Exits 1 if a target is missed.

    PYTHONPATH=. python benchmarks/start.py            # 10 runs each, target 0.25 s
    PYTHONPATH=. python benchmarks/start.py --smoke    # 3 runs each, target 3 s

The machine's load average is printed before and after: on shared cores, a start waits for one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot._settings_plain import without_settings

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.25
"""Seconds of wall time, median, for each command on an idle machine."""
SMOKE_TARGET = 3.0
"""The smoke run's bound: it only catches a start gone pathological on a loaded machine."""


def newsbot_command() -> list[str]:
    """How a user starts newsbot: its console script, installed beside this Python."""
    script = Path(sys.executable).with_name("newsbot")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bot"]


def run_once(command: Sequence[str], folder: Path, env: dict[str, str]) -> tuple[float, float]:
    """One fresh process of `command`: its wall time and its CPU (user + system), in seconds.

    Fails if the command does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def timed(
    command: Sequence[str], folder: Path, env: dict[str, str], runs: int
) -> list[tuple[float, float]]:
    """`runs` fresh processes of `command` after one left out, each one's wall and CPU time."""
    run_once(command, folder, env)
    return [run_once(command, folder, env) for _ in range(runs)]


def main(argv: Sequence[str] | None = None) -> int:
    """Time both commands and print them against the target; 1 if one misses it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="3 runs each, a 3 s target")
    parser.add_argument("--runs", type=int, help="runs of each command (default 10; smoke 3)")
    parser.add_argument("--target", type=float, help="seconds, median wall (default 0.25)")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.smoke else 10)
    target = args.target or (SMOKE_TARGET if args.smoke else TARGET)
    newsbot = newsbot_command()
    # Compiled modules are cached as on a user's machine, where newsbot ran before.
    env = without_settings(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"newsbot as: {' '.join(newsbot)}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="newsbot-start-") as scratch:
        folder = Path(scratch)
        shutil.copy(ROOT / "issues" / "202.md", folder / "202.md")
        run_once([*newsbot, "--db", "archive.db", "ingest", "202.md"], folder, env)
        commands = {
            "newsbot --help": [*newsbot, "--help"],
            "newsbot search foo": [*newsbot, "--db", "archive.db", "search", "foo"],
        }
        figures = {name: timed(command, folder, env, runs) for name, command in commands.items()}
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"median of {runs} fresh processes each (wall / CPU, seconds):")
    missed = []
    for name, times in figures.items():
        wall = statistics.median(w for w, _ in times)
        cpu = statistics.median(c for _, c in times)
        met = wall <= target
        if not met:
            missed.append(name)
        spread = f"{min(w for w, _ in times):.3f}–{max(w for w, _ in times):.3f}"
        print(
            f"  {name}: wall {wall:.3f} (runs {spread}), CPU {cpu:.3f}"
            f" — target wall ≤ {target:.2f}: {'met' if met else 'NOT MET'}"
        )
    if missed:
        print(f"missed: {', '.join(missed)}")
        return 1
    print("every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
