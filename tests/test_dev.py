"""The development set-up: dev.py gives each Python its own environment, CI finds the Pythons to
test on, and the normal test run is the same every time."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from coverage import CoverageData
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import LONG_RUNNING, ROOT


def load_dev() -> ModuleType:
    """dev.py, the script at the top of the checkout, as a module."""
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = load_dev()


def fake_environment(root: Path, version: str) -> Path:
    """A folder laid out like dev.py's environment for `version`."""
    environment: Path = dev.environment_for(version, None, root)
    (environment / "bin").mkdir(parents=True)
    return environment


def test_each_python_has_its_own_environment(tmp_path: Path) -> None:
    assert dev.environment_for("3.12", None, tmp_path) == tmp_path / ".venvs" / "3.12"
    assert dev.environment_for("3.13", None, tmp_path) == tmp_path / ".venvs" / "3.13"
    assert dev.environment_for("3.13", str(tmp_path / "mine"), tmp_path) == tmp_path / "mine"


def test_dot_venv_points_at_the_environment_used_last(tmp_path: Path) -> None:
    current = tmp_path / ".venv"
    (current / "bin").mkdir(parents=True)  # the one environment dev.py used to make
    py312, py313 = fake_environment(tmp_path, "3.12"), fake_environment(tmp_path, "3.13")
    for environment in (py312, py313, py312):
        dev.point_current_at(environment, tmp_path)
        assert current.is_symlink()
        assert current.resolve() == environment.resolve()
    assert not (tmp_path / ".venv.new").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_ignores_every_environment(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for version in ("3.11", "3.13"):
        (fake_environment(tmp_path, version) / "bin" / "python").write_text("")
    dev.point_current_at(tmp_path / ".venvs" / "3.13", tmp_path)
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert untracked.stdout.split() == [".gitignore"]


def test_ci_tests_on_the_oldest_and_the_newest_python() -> None:
    found = {(3, 11): "a", (3, 12): "b", (3, 13): "c"}
    assert dev.oldest_and_newest(found) == [(3, 11), (3, 13)]
    assert dev.oldest_and_newest({(3, 12): "b"}) == [(3, 12)]


def test_ci_finds_the_python_running_the_tests_when_it_is_supported() -> None:
    oldest = dev.oldest_supported((ROOT / "pyproject.toml").read_text())
    assert oldest == (3, 11)
    running = sys.version_info[:2]
    assert running in dev.pythons_here(oldest)
    assert running not in dev.pythons_here((running[0], running[1] + 1))


def test_a_python_that_does_not_run_is_not_found(tmp_path: Path) -> None:
    broken = tmp_path / "python3.99"
    broken.write_text("#!/bin/sh\necho 'pyenv: python3.99: command not found' >&2\nexit 127\n")
    broken.chmod(0o755)
    assert dev.python_version(broken) is None
    assert dev.python_version(tmp_path / "missing") is None
    assert dev.python_version(sys.executable) == sys.version_info[:2]


def test_the_normal_run_draws_the_same_examples_every_time() -> None:
    ci = settings.get_profile("ci")
    assert ci.database is None  # nothing an earlier run found changes this one
    runs: list[list[int]] = []

    @settings(ci, max_examples=30)
    @given(st.integers())
    def draw(value: int) -> None:
        runs[-1].append(value)

    for _ in range(2):
        runs.append([])
        draw()
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 10


def test_the_ci_profile_is_the_one_loaded_unless_another_is_chosen(
    request: pytest.FixtureRequest,
) -> None:
    if request.config.getoption("hypothesis_profile") not in (None, "ci"):
        pytest.skip("another hypothesis profile was chosen for this run")
    loaded = settings.default
    assert loaded is not None
    assert loaded.derandomize
    assert loaded.database is None


def test_mypy_checks_the_cogs_the_tests_and_dev_py_as_strictly_as_bot() -> None:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["strict"] is True
    assert set(mypy["files"]) == {"bot", "cogs", "tests", "dev.py"}


def test_only_a_run_of_the_whole_suite_is_held_to_the_coverage_floors() -> None:
    assert not dev.selects_tests([])
    assert not dev.selects_tests(["-x", "-q", "--hypothesis-profile=explore", "-p", "no:warnings"])
    for part in (
        ["tests/x"],
        ["-q", "tests/test_dev.py::test_each_python_has_its_own_environment"],
        ["-k", "crash"],
        ["-kcrash"],
        ["-m", "slow"],
        ["--lf"],
        ["--deselect=tests/x"],
    ):
        assert dev.selects_tests(part), part


def test_coverage_is_measured_on_one_python_of_ci_only() -> None:
    assert dev.measures_coverage([], {}, (3, 13))
    assert not dev.measures_coverage([], {dev.COVERAGE_SWITCH: "off"}, (3, 13))
    assert not dev.measures_coverage(["tests/x"], {}, (3, 13))
    # Where only a tracer can measure, it is measured when asked for.
    assert not dev.measures_coverage([], {}, (3, 11))
    assert dev.measures_coverage([], {dev.COVERAGE_SWITCH: "on"}, (3, 11))
    assert not dev.measures_coverage(["tests/x"], {dev.COVERAGE_SWITCH: "on"}, (3, 11))
    chosen = [(3, 11), (3, 13)]
    assert not dev.measures_coverage([], dev.ci_environment((3, 11), chosen), (3, 11))
    assert dev.measures_coverage([], dev.ci_environment((3, 13), chosen), (3, 13))
    assert dev.measures_coverage([], dev.ci_environment((3, 11), [(3, 11)]), (3, 11))


def test_coverage_is_measured_with_sys_monitoring_where_python_has_it() -> None:
    assert dev.measure_environment((3, 11), {}) == {}
    assert dev.measure_environment((3, 12), {}) == {"COVERAGE_CORE": "sysmon"}
    assert dev.measure_environment((3, 13), {}) == {"COVERAGE_CORE": "sysmon"}
    assert dev.measure_environment((3, 13), {"COVERAGE_CORE": "ctrace"}) == {}


def test_a_part_below_its_coverage_floor_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    half = tmp_path / "half.py"
    half.write_text("a = 1\nb = 2\nif a:\n    c = 3\n")
    measured = CoverageData(str(tmp_path / ".coverage"))
    measured.add_lines({str(half): [1, 2]})
    measured.write()
    bin = Path(sys.executable).parent
    assert dev.coverage_kept(bin, {"the half": ((), 50.0)}, tmp_path) == 0
    assert dev.coverage_kept(bin, {"the half": ((), 51.0)}, tmp_path) == 1
    printed = capsys.readouterr()
    assert "coverage of the half: 50.0% (floor 51%)" in printed.out
    assert "coverage below its floor: the half" in printed.err


def test_coverage_follows_the_processes_the_tests_start_and_stop() -> None:
    run = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]["run"]
    assert "subprocess" in run["patch"]
    assert run["sigterm"] is True


def test_the_long_running_tests_start_first(request: pytest.FixtureRequest) -> None:
    assert [name for name in LONG_RUNNING if not (ROOT / name).is_file()] == []
    modules = [item.nodeid.split("::")[0] for item in request.session.items]
    long_running = [module in LONG_RUNNING for module in modules]
    assert long_running == sorted(long_running, reverse=True)


def test_the_suite_runs_two_workers_a_core_and_idle_workers_take_waiting_tests() -> None:
    assert dev.parallel(2) == ("-n", "4", "--dist", "worksteal")
    assert dev.parallel(None) == ("-n", "2", "--dist", "worksteal")


def test_the_tests_run_with_their_bytecode_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(dev.NO_BYTECODE, "1")
    said = "import os, sys; sys.exit(3 if os.environ.get('{}') else 0)"
    assert dev.run(sys.executable, "-c", said.format(dev.NO_BYTECODE)) == 3
    cached = dev.run(sys.executable, "-c", said.format(dev.NO_BYTECODE), unset=[dev.NO_BYTECODE])
    assert cached == 0
    assert dev.run(sys.executable, "-c", said.format("EXTRA"), env={"EXTRA": "1"}) == 3
