#!/usr/bin/env python3
"""Set up newsbot from nothing but Python, then run its demo or its checks.

    python3 dev.py demo    # the demo, on the bundled emulators; no accounts needed
    python3 dev.py test    # ruff, mypy and the whole test suite

The first run makes a virtual environment in `.venv` and installs newsbot into it; later runs
reinstall only when pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("NEWSBOT_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".newsbot-installed"
PYTEST_NO_TESTS = 5


def run(*args: str | Path) -> int:
    """Run a command in the project folder and return its exit code."""
    print("+", " ".join(str(arg) for arg in args), flush=True)
    return subprocess.run([str(arg) for arg in args], cwd=ROOT, check=False).returncode


def ensure_installed() -> None:
    """Create .venv and install newsbot with its development tools, unless already current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs before anything else checks it
        sys.exit(f"newsbot needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [BIN / "python", "-m", "pip", "--disable-pip-version-check", "-q"]
    if run(*pip, "install", "--upgrade", "pip") or run(*pip, "install", "-e", ".[dev]"):
        sys.exit("installing newsbot failed (see above)")
    STAMP.write_text(wanted)


def test() -> int:
    """Lint, type-check, then run the tests; the first failure decides the exit code."""
    for check in (
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy"],
    ):
        if code := run(*check):
            return code
    code = run(BIN / "python", "-m", "pytest", *sys.argv[2:])
    if code == PYTEST_NO_TESTS:
        print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
    return code


def demo() -> int:
    """Run the demo: newsbot on the bundled emulators, playing an editor and a reader."""
    return run(BIN / "newsbot", "demo", *sys.argv[2:])


def main() -> int:
    commands = {"test": test, "demo": demo}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    ensure_installed()
    return commands[sys.argv[1]]()


if __name__ == "__main__":
    sys.exit(main())
