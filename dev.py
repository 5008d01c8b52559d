#!/usr/bin/env python3
"""Set up newsbot from nothing but Python, then run its demo or its checks.

    python3 dev.py demo    # the demo, on the bundled emulators; no accounts needed
    python3 dev.py test    # ruff, mypy, the whole test suite (and its coverage, on 3.12+)
    python3 dev.py ci      # `test` on the oldest and the newest supported Python found here

Each Python gets its own virtual environment, `.venvs/3.13` for Python 3.13, made and filled
on its first run and refilled only when pyproject.toml changed; `.venv` points at the one used
last. `python3.13 dev.py test` runs the checks on Python 3.13. NEWSBOT_VENV names one
environment to use instead (remade when it belongs to another Python).

`test` runs the tests with two pytest-xdist workers a core. Run whole on Python 3.12 or later
(or anywhere with DEV_PY_COVERAGE=on), the suite's coverage is measured, in the processes the
tests start too, and each part must reach its floor; arguments that pick some of the tests (a
path, -k, -m, --lf …) skip the measure.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
STAMP = ".newsbot-installed"
PYTEST_NO_TESTS = 5
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
EMULATORS_AND_DEMO = "bot/sandbox/*,bot/demo/*"
Floors = Mapping[str, tuple[Sequence[str], float]]
COVERAGE_FLOORS: Floors = {
    "bot/ and cogs/": (("--omit", EMULATORS_AND_DEMO), 90.0),
    # They reach 90.0-90.1% as timing varies: 89 keeps a run from failing on a tenth.
    "the emulators and the demo": (("--include", EMULATORS_AND_DEMO), 89.0),
}
"""Each part of the code, as `coverage report` selects it, and the least coverage it may have."""
COVERAGE_SWITCH = "DEV_PY_COVERAGE"
"""`off`: run the whole suite without measuring it; `on`: measure it on any Python (by default
it is measured where sys.monitoring makes the measure cheap, see `MONITORING`; CI measures it on
one Python only)."""
SELECTING = ("-k", "-m", "--lf", "--last-failed", "--deselect", "--sw", "--stepwise")


def bin_dir(environment: Path) -> Path:
    """Where an environment keeps its python and its scripts."""
    return environment / ("Scripts" if os.name == "nt" else "bin")


def environment_for(version: str, override: str | None, root: Path = ROOT) -> Path:
    """The environment dev.py uses for Python `version` ("3.13"): NEWSBOT_VENV's if set."""
    return Path(override) if override else root / ".venvs" / version


def run(*args: str | Path, env: Mapping[str, str] | None = None, unset: Sequence[str] = ()) -> int:
    """Run a command in the project folder (with `env` added to the environment and the
    variables named in `unset` left out); its exit code."""
    print("+", " ".join(str(arg) for arg in args), flush=True)
    environment = None
    if env is not None or unset:
        merged = os.environ | dict(env or {})
        environment = {name: value for name, value in merged.items() if name not in unset}
    return subprocess.run(
        [str(arg) for arg in args], cwd=ROOT, env=environment, check=False
    ).returncode


def python_version(python: Path | str) -> tuple[int, int] | None:
    """The (major, minor) of a CPython interpreter, or None if it is not one that runs."""
    probe = "import sys; print(sys.implementation.name, *sys.version_info[:2])"
    try:
        found = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = found.stdout.split()
    if found.returncode or len(words) != 3 or words[0] != "cpython":
        return None
    return int(words[1]), int(words[2])


def point_current_at(environment: Path, root: Path = ROOT) -> None:
    """Make `.venv` a link to `environment`, replacing the single `.venv` dev.py used to make."""
    current = root / ".venv"
    if current.is_dir() and not current.is_symlink():
        print(f"removing {current}: each Python now has its own environment in .venvs/")
        shutil.rmtree(current)
    link = root / ".venv.new"
    link.unlink(missing_ok=True)
    try:
        link.symlink_to(os.path.relpath(environment, root), target_is_directory=True)
        os.replace(link, current)
    except OSError:  # Windows without the right to make links: .venvs/ still works
        link.unlink(missing_ok=True)


def ensure_installed() -> Path:
    """This Python's environment with newsbot and its development tools installed and current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs before anything else checks it
        sys.exit(f"newsbot needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    override = os.environ.get("NEWSBOT_VENV")
    environment = environment_for(VERSION, override)
    python = bin_dir(environment) / "python"
    stamp = environment / STAMP
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    fresh = python_version(python) != sys.version_info[:2]
    if fresh:
        print(f"creating {environment} for Python {VERSION}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(environment)
    if fresh or not stamp.exists() or stamp.read_text() != wanted:
        pip: list[str | Path] = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
        if run(*pip, "install", "--upgrade", "pip") or run(*pip, "install", "-e", ".[dev]"):
            sys.exit("installing newsbot failed (see above)")
        stamp.write_text(wanted)
    if not override:
        point_current_at(environment)
    return bin_dir(environment)


def selects_tests(args: Sequence[str], root: Path = ROOT) -> bool:
    """Whether these pytest arguments run part of the suite: a path, a test id, -k, -m, --lf …"""
    for arg in args:
        option = arg.split("=", 1)[0]
        if option in SELECTING or (not arg.startswith("--") and arg[:2] in ("-k", "-m")):
            return True
        if not arg.startswith("-") and (root / arg.split("::")[0]).exists():
            return True
    return False


def measures_coverage(
    args: Sequence[str], environ: Mapping[str, str], version: tuple[int, int]
) -> bool:
    """Whether `test` with these pytest arguments measures coverage on Python `version`: a run of
    the whole suite does where sys.monitoring makes it cheap (`MONITORING`), or where
    `COVERAGE_SWITCH` is `on`, not where it is `off`."""
    switch = environ.get(COVERAGE_SWITCH)
    wanted = switch == "on" or (switch != "off" and version >= MONITORING)
    return wanted and not selects_tests(args)


def coverage_kept(bin: Path, floors: Floors = COVERAGE_FLOORS, root: Path = ROOT) -> int:
    """Print the coverage the last run measured, part by part; 1 if a part is below its floor."""
    below = []
    for part, (selection, floor) in floors.items():
        report = [str(bin / "coverage"), "report", "--format=total", "--precision=1", *selection]
        done = subprocess.run(report, cwd=root, capture_output=True, text=True, check=False)
        if done.returncode:
            print(done.stdout + done.stderr, file=sys.stderr, end="")
            return done.returncode
        total = float(done.stdout)
        print(f"coverage of {part}: {total:.1f}% (floor {floor:.0f}%)", flush=True)
        if total < floor:
            below.append(part)
    if below:
        print(
            f"coverage below its floor: {', '.join(below)}; `coverage report -m` shows the lines"
            " no test runs",
            file=sys.stderr,
        )
    return 1 if below else 0


WORKERS_PER_CORE = 2
"""Many tests spend much of their time waiting (on newsbot processes, emulators, leases): with
one worker per core the cores were busy 55 % of a run, with two 80 % (4:33 → 3:19 on 2 cores)."""


NO_BYTECODE = "PYTHONDONTWRITEBYTECODE"
"""Left out of the tests' environment, as benchmarks/start.py leaves it out: each of the
hundreds of Python processes a run starts (its workers, `newsbot` commands, the demo) would
compile newsbot's and the tests' modules again. The bytecode goes to `__pycache__/`, which git
ignores."""


def parallel(cores: int | None) -> tuple[str, ...]:
    """pytest-xdist's options: `WORKERS_PER_CORE` workers a core; a worker that runs out of tests
    takes some of another's, so a few long tests (the crash tests, the demo) do not leave a
    core idle at the end."""
    return ("-n", str(WORKERS_PER_CORE * (cores or 1)), "--dist", "worksteal")


def test(bin: Path) -> int:
    """Lint, type-check, then run the tests; the first failure decides the exit code."""
    for check in (
        [bin / "ruff", "check", "."],
        [bin / "ruff", "format", "--check", "."],
        [bin / "mypy"],
    ):
        if code := run(*check):
            return code
    measured = measures_coverage(sys.argv[2:], os.environ, sys.version_info[:2])
    if not measured and os.environ.get(COVERAGE_SWITCH) is None and not selects_tests(sys.argv[2:]):
        print(
            f"coverage is not measured on Python {VERSION}: its tracer would add a third to the"
            f" run (measured on 3.12 and later, and in CI; {COVERAGE_SWITCH}=on measures it here)",
            flush=True,
        )
    # The measure is written to .coverage; pytest-cov prints nothing, this script the totals.
    measure = ["--cov", "--cov-report="] if measured else []
    env = measure_environment(sys.version_info[:2], os.environ) if measured else {}
    pytest: list[str | Path] = [bin / "python", "-m", "pytest", *parallel(os.cpu_count())]
    code = run(*pytest, *measure, *sys.argv[2:], env=env, unset=(NO_BYTECODE,))
    if code == PYTEST_NO_TESTS:
        print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
    if code or not measured:
        return code
    return coverage_kept(bin)


def demo(bin: Path) -> int:
    """Run the demo: newsbot on the bundled emulators, playing an editor and a reader."""
    return run(bin / "newsbot", "demo", *sys.argv[2:])


def oldest_supported(pyproject: str) -> tuple[int, int]:
    """The oldest Python that pyproject.toml's requires-python (">=3.N") allows."""
    found = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)', pyproject, re.MULTILINE)
    if not found:
        sys.exit('pyproject.toml: requires-python must read ">=3.N"')
    return int(found[1]), int(found[2])


def pythons_here(oldest: tuple[int, int]) -> dict[tuple[int, int], str]:
    """Every supported Python on PATH (python3.N) or installed by pyenv, one per version."""
    names = [f"python3.{minor}" for minor in range(oldest[1], 40)]
    candidates = [sys.executable, *(path for name in names if (path := shutil.which(name)))]
    if pyenv := shutil.which("pyenv"):
        listed = subprocess.run(
            [pyenv, "versions", "--bare", "--skip-aliases"],
            capture_output=True,
            text=True,
            check=False,
        )
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        for name in listed.stdout.split():
            if re.fullmatch(r"\d+\.\d+\.\d+", name) and root.returncode == 0:
                candidates.append(str(Path(root.stdout.strip(), "versions", name, "bin/python3")))
    found: dict[tuple[int, int], str] = {}
    for candidate in candidates:
        version = python_version(candidate)
        if version and version >= oldest and version not in found:
            found[version] = candidate
    return found


def oldest_and_newest(found: dict[tuple[int, int], str]) -> list[tuple[int, int]]:
    """The versions CI tests on: the oldest and the newest found, or the one if only one is."""
    return sorted({min(found), max(found)})


def ci_environment(version: tuple[int, int], chosen: Sequence[tuple[int, int]]) -> dict[str, str]:
    """What CI adds to the environment of its run on `version`: coverage is the tests' property,
    not the Python's, so only the run on the newest measures it (there sys.monitoring makes the
    measure cheap), and the others are spared the tracing's cost."""
    return {COVERAGE_SWITCH: "on" if version == chosen[-1] else "off"}


MONITORING = (3, 12)
"""The first Python whose sys.monitoring coverage.py can measure with (`COVERAGE_CORE=sysmon`),
cheaper than a tracer (the whole run: about a quarter less CPU): newsbot's coverage counts lines,
not branches."""


def measure_environment(version: tuple[int, int], environ: Mapping[str, str]) -> dict[str, str]:
    """What a measured run adds to the environment: the cheapest core this Python has, unless
    COVERAGE_CORE already names one."""
    if version < MONITORING or "COVERAGE_CORE" in environ:
        return {}
    return {"COVERAGE_CORE": "sysmon"}


def ci() -> int:
    """`test` on the oldest and the newest supported Python this machine has, in that order."""
    found = pythons_here(oldest_supported((ROOT / "pyproject.toml").read_text()))
    if not found:
        print("no supported Python found (see requires-python in pyproject.toml)")
        return 1
    chosen = oldest_and_newest(found)
    names = " and ".join(f"{major}.{minor} ({found[major, minor]})" for major, minor in chosen)
    if len(chosen) == 1:
        print(f"only one supported Python found, so testing once: {names}", flush=True)
    else:
        print(f"testing on the oldest and the newest supported Python found: {names}", flush=True)
    failed = []
    for version in chosen:
        env = ci_environment(version, chosen)
        if env[COVERAGE_SWITCH] == "off":
            print(f"coverage is measured on {chosen[-1][0]}.{chosen[-1][1]}", flush=True)
        if code := run(found[version], "dev.py", "test", *sys.argv[2:], env=env):
            failed.append(code)
            print(f"Python {version[0]}.{version[1]}: failed (exit code {code})", flush=True)
    return failed[0] if failed else 0


def main() -> int:
    commands = {"test": test, "demo": demo}
    command = sys.argv[1] if len(sys.argv) >= 2 else ""
    if command == "ci":
        return ci()
    if command not in commands:
        print(__doc__)
        return 2
    return commands[command](ensure_installed())


if __name__ == "__main__":
    sys.exit(main())
