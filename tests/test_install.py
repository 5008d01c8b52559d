"""newsbot as installed on the Python running the tests: its command runs without a warning, and
nothing it imports needs pkg_resources, which Python 3.12 and later no longer install."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tomllib
from fnmatch import fnmatchcase
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Everything newsbot has, imported with every warning an error, as pyproject's pytest settings
# have it (discord.py's audioop import warns before 3.13, and newsbot has no voice).
IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
import bot, cogs
for package in (bot, cogs):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name.split(".")[0] == "pkg_resources"))
"""


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a command in the checkout, capturing what it prints."""
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def test_newsbot_help_prints_no_warning() -> None:
    script = Path(sys.executable).with_name("newsbot.exe" if sys.platform == "win32" else "newsbot")
    assert script.exists(), f"{script} is missing: install newsbot (`python3 dev.py test` does)"
    done = run(script, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Usage: newsbot" in done.stdout


def test_python_m_bot_help_warns_of_no_deprecation() -> None:
    errors = ("-W", "error::DeprecationWarning", "-W", "error::UserWarning")
    done = run(sys.executable, *errors, "-m", "bot", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_every_module_imports_without_warning_or_pkg_resources() -> None:
    errors = ("-W", "error", "-W", "ignore:'audioop' is deprecated:DeprecationWarning")
    done = run(sys.executable, *errors, "-c", IMPORT_EVERYTHING)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_editable_install_is_a_path_entry_not_an_import_hook() -> None:
    """setuptools prints a warning block whenever it installs newsbot in development through an
    import hook; a plain path entry in a .pth file installs without one."""
    # The checkout's own newsbot.egg-info is on sys.path too: read what pip installed.
    purelib = [sysconfig.get_path("purelib")]
    installed = next(iter(metadata.distributions(name="newsbot", path=purelib)))
    origin = json.loads(installed.read_text("direct_url.json") or "{}")
    if not origin.get("dir_info", {}).get("editable"):
        pytest.skip("newsbot is not installed in development mode here")
    files = [str(name) for name in installed.files or []]
    assert [name for name in files if name.endswith(".pth")], files
    assert not [name for name in files if "finder" in name], files


def test_every_file_newsbot_reads_ships_in_a_regular_install() -> None:
    """A file in bot/ or cogs/ that is not Python reaches a `pip install .` only through
    pyproject's package-data; a missing one (the emoji data X's length rules load) breaks
    newsbot for everyone but developers."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]
    missing = []
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc"):
                continue
            if not any(
                path.is_relative_to(ROOT / package.replace(".", "/"))
                and fnmatchcase(
                    path.relative_to(ROOT / package.replace(".", "/")).as_posix(), pattern
                )
                for package, patterns in shipped.items()
                for pattern in patterns
            ):
                missing.append(path.relative_to(ROOT).as_posix())
    assert missing == []
