"""The `newsbot` command line, run as a user runs it with typer's runner (the demo, a real
subprocess, is in test_demo.py)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import ISSUES

BROKEN = """---
number: 203
title: Broken Weekly
---

## News

### [Bad link](javascript:alert(1))

Blurb.
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def issues_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    return folder


def newsbot(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def dump(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return list(db.iterdump())


def test_ingest_then_search_json_finds_the_paper(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    code, out, _ = newsbot(runner, db, "ingest", str(issues_dir))
    assert code == 0
    assert "1 added, 0 updated, 0 unchanged" in out
    code, out, _ = newsbot(runner, db, "search", "knowledge distillation", "--json")
    assert code == 0
    payload = json.loads(out)
    top = payload["hits"][0]
    assert top["title"] == "Does Knowledge Distillation Really Work?"
    assert (top["issue"], top["section"]) == (202, "Papers & Publications")
    assert [m.lower() for m in top["matches"]] == ["knowledge", "distillation"]


def test_search_filters(runner: CliRunner, tmp_path: Path, issues_dir: Path) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))

    def sections(*args: str) -> set[str]:
        code, out, _ = newsbot(runner, db, "search", "pytorch", "--json", *args)
        assert code == 0
        return {hit["section"] for hit in json.loads(out)["hits"]}

    assert sections() == {"Industry", "Learning", "Libraries & Code"}
    assert sections("--section", "Learning") == {"Learning"}
    assert sections("--section", "libraries-code") == {"Libraries & Code"}
    assert sections("--issue", "202") == sections()
    assert sections("--issue", "201") == set()


def test_reingest_reports_unchanged(runner: CliRunner, tmp_path: Path, issues_dir: Path) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, _ = newsbot(runner, db, "ingest", str(issues_dir))
    assert code == 0
    assert "0 added, 0 updated, 1 unchanged" in out


def test_a_broken_file_fails_with_its_line_and_changes_nothing(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    before = dump(db)
    edited = (issues_dir / "202.md").read_text(encoding="utf-8").replace("Hey folks", "Hi all")
    (issues_dir / "202.md").write_text(edited, encoding="utf-8")
    (issues_dir / "203.md").write_text(BROKEN, encoding="utf-8")

    code, _, err = newsbot(runner, db, "ingest", str(issues_dir))
    assert code == 1
    assert f"{issues_dir / '203.md'}:8: this link is not valid" in err
    assert "nothing was ingested" in err
    assert dump(db) == before, "the valid, edited 202.md was not ingested either"

    code, _, err = newsbot(runner, db, "check", str(issues_dir))
    assert code == 1
    assert f"{issues_dir / '203.md'}:8:" in err


def test_check_reports_every_problem_of_every_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "5.md").write_text(BROKEN.replace("203", "5").replace("## News", "# News"))
    (tmp_path / "6.md").write_text(BROKEN)
    code, _, err = newsbot(runner, tmp_path / "db", "check", str(tmp_path))
    assert code == 1
    assert f"{tmp_path / '5.md'}:6: a level-1 heading" in err
    assert f"{tmp_path / '5.md'}:8: this item comes before any section" in err
    assert f"{tmp_path / '6.md'}:2: number 203 does not match the file name 6.md" in err
    assert "5 problem(s) in 2 file(s)" in err
    assert not (tmp_path / "db").exists(), "check never touches the archive"


def test_check_passes_on_the_bundled_issues_and_shows_editor_notes(runner: CliRunner) -> None:
    code, out, err = newsbot(runner, Path("unused.db"), "check", str(ISSUES))
    assert code == 0
    assert "issue file(s) are valid" in out
    assert "The Global AI Index" in err and "title guessed" in err


def test_reading_commands_without_an_archive_say_how_to_create_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    for args in (["latest"], ["issue", "202"], ["search", "x"]):
        code, _, err = newsbot(runner, tmp_path / "none.db", *args)
        assert code == 1
        assert "newsbot ingest issues/" in err
    assert not (tmp_path / "none.db").exists()


def test_latest_and_issue(runner: CliRunner, tmp_path: Path, issues_dir: Path) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, _ = newsbot(runner, db, "latest")
    assert code == 0 and "#202" in out and "Papers & Publications" in out
    code, out, _ = newsbot(runner, db, "latest", "--section", "Mobile & Edge")
    assert code == 0 and "Mythic" in out and "Quantum AI campus" not in out
    code, _, err = newsbot(runner, db, "latest", "--section", "Sports")
    assert code == 1 and "no section 'Sports'" in err
    code, out, _ = newsbot(runner, db, "issue", "202", "--json")
    assert code == 0 and json.loads(out)["number"] == 202
    code, _, err = newsbot(runner, db, "issue", "7")
    assert code == 1 and "Issue #7 is not in the archive" in err


def test_search_with_nothing_found_and_bad_dates(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, _ = newsbot(runner, db, "search", "zebra")
    assert code == 0 and "No items match 'zebra'" in out
    code, _, err = newsbot(runner, db, "search", "x", "--since", "last week")
    assert code == 1 and "--since takes a date written YYYY-MM-DD" in err


def test_config_file_and_environment(
    runner: CliRunner, tmp_path: Path, issues_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[archive]\npath = "{tmp_path / "from-file.db"}"\n')
    monkeypatch.setenv("NEWSBOT_ISSUES__DIRECTORY", str(issues_dir))
    result = runner.invoke(app, ["--config", str(config), "ingest"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "from-file.db").exists()
    monkeypatch.setenv("NEWSBOT_ARCHIVE__PATH", str(tmp_path / "from-env.db"))
    assert runner.invoke(app, ["--config", str(config), "ingest"]).exit_code == 0
    assert (tmp_path / "from-env.db").exists(), "the environment overrides the file"


def test_a_bad_config_names_the_key(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[archive]\npaht = "x.db"\n')
    result = runner.invoke(app, ["--config", str(config), "latest"])
    assert result.exit_code == 1
    assert "archive.paht: unknown setting" in result.stderr
    config.write_text("[archive\n")
    result = runner.invoke(app, ["--config", str(config), "latest"])
    assert result.exit_code == 1 and "not valid TOML" in result.stderr


def test_schema_check(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["schema", "--check"])
    assert result.exit_code == 0, result.stderr
    monkeypatch.setenv("NEWSBOT_ISSUES__DIRECTORY", str(tmp_path))
    result = runner.invoke(app, ["schema", "--check"])
    assert result.exit_code == 1 and "stale" in result.stderr
    assert runner.invoke(app, ["schema"]).exit_code == 0
    assert runner.invoke(app, ["schema", "--check"]).exit_code == 0
