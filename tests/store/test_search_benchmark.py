"""The search benchmark keeps the archives it builds when asked, and times them again without
building them: a run at a million items otherwise spends most of its time on the ingest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.newsbot_process import without_settings


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = without_settings(os.environ)
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "search.py"), "--smoke", *args],
        cwd=ROOT,
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_kept_archives_are_searched_again_without_an_ingest(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    first = bench("--keep", str(kept), "--runs", "5", "--kind-queries", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Archive ingest" in first.stderr
    again = bench("--keep", str(kept), "--runs", "5", "--kind-queries", "2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Archive ingest" not in again.stderr
    assert f"searching the archives kept in {kept}" in again.stderr
    assert f"(ingest figures from the run that built {kept})" in again.stdout
    other = bench("--keep", str(kept), "--items", "1000")
    assert other.returncode != 0
    assert "holds 2,000 items of seed 202: give another --keep folder" in other.stderr
