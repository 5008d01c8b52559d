"""Issue files as an editor names them to `newsbot check` and `newsbot ingest`: a folder and a
file in it, one file twice, and two files holding the same issue number."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.issuefiles import numbered_issue_files
from bot.schedule.files import scan_issue_files, signature
from tests.conftest import ISSUES

OTHER_203 = """---
title: Another draft of #203
subtitle: The number is on line 4 here
number: 203
---

## News

### An item

Its blurb.
"""


@pytest.fixture
def issues_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    text = (ISSUES / "202.md").read_text(encoding="utf-8")
    (folder / "203.md").write_text(text.replace("number: 202", "number: 203"), encoding="utf-8")
    return folder


def newsbot(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_file_named_twice_is_one_issue(
    tmp_path: Path, issues_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsbot ingest issues/ issues/203.md`, as a shell glob or a hurried editor writes it,
    names 203.md twice: that is one issue, not a clash of #203 with itself."""
    monkeypatch.chdir(tmp_path)
    named = ["issues", "issues/203.md", str(issues_dir / "202.md"), "./issues/../issues"]
    code, out, err = newsbot(tmp_path / "a.db", "check", *named)
    assert (code, out) == (0, "2 issue file(s) are valid.\n"), err
    code, out, err = newsbot(tmp_path / "a.db", "ingest", *named)
    assert code == 0, err
    assert "2 added, 0 updated, 0 unchanged" in out


def test_two_files_with_one_number_are_reported_on_the_number_line(
    tmp_path: Path, issues_dir: Path
) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "203.md").write_text(OTHER_203, encoding="utf-8")
    db = tmp_path / "a.db"
    code, _, err = newsbot(db, "ingest", str(issues_dir), str(drafts))
    assert code == 1
    assert (
        f"{drafts / '203.md'}:4: issue #203 is also in {issues_dir / '203.md'}: "
        "name only one of the two files"
    ) in err
    assert "nothing was ingested" in err
    assert not db.exists(), "no archive is made for a batch that is refused"


def test_an_issues_folder_that_is_a_file_is_said_so(tmp_path: Path) -> None:
    """`issues.directory` naming a file was read as one broken issue file, and `import`
    blamed an `--out` never given."""
    notes = tmp_path / "notes.md"
    notes.write_text("my notes\n", encoding="utf-8")
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[issues]\ndirectory = "{notes.as_posix()}"\n', encoding="utf-8")
    db = tmp_path / "a.db"
    for command in (["check"], ["ingest"]):
        result = CliRunner().invoke(app, ["--config", str(config), "--db", str(db), *command])
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (
            f"error: the issues folder {notes} is not a folder (issues.directory)\n"
        )
    sample = ISSUES.parent / "samples" / "deep-learning-weekly-202.txt"
    result = CliRunner().invoke(app, ["--config", str(config), "import", "text", str(sample)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {notes}: is not a folder; issues.directory names the folder of the issue files\n"
    )
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    assert not db.exists()


@pytest.mark.parametrize("name", ["204.MD", "204.Md", "204.markdown"])
def test_a_file_that_looks_like_an_issue_file_but_is_not_read_is_named(
    issues_dir: Path, tmp_path: Path, name: str
) -> None:
    """`204.MD` is not read (an issue file's name ends in `.md`): check and ingest say so,
    where they would otherwise pass over it in silence."""
    text = (ISSUES / "202.md").read_text(encoding="utf-8")
    (issues_dir / name).write_text(text.replace("number: 202", "number: 204"), encoding="utf-8")
    told = f"{issues_dir / name}: not read: an issue file's name ends in .md (rename it to 204.md)"
    for command in ("check", "ingest"):
        code, out, err = newsbot(tmp_path / "archive.db", command, str(issues_dir))
        assert code == 0, err
        assert told in err, command
        assert "2 issue file(s) are valid" in out or ": 2 added," in out, out


def test_the_schedule_logs_a_file_it_does_not_read(
    issues_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (issues_dir / "204.MD").write_text("an editor's save", encoding="utf-8")
    with caplog.at_level("WARNING", logger="bot.schedule.files"):
        scan = scan_issue_files(issues_dir)
    assert scan.errors == [] and [path.name for path, _ in scan.files] == ["202.md", "203.md"]
    assert f"{issues_dir / '204.MD'} is not read: an issue file's name ends in .md" in caplog.text


def test_markdown_files_beside_the_issues_are_left_alone(
    issues_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A `README.md` explaining the folder, as a git repository of issues has, was read as a
    broken issue file: `check` failed, and every ingest, the schedule's too, stopped there.
    A file not named after a number and without front matter is not an issue file: every
    reader of the folder leaves it alone, and `check` names it once."""
    (issues_dir / "README.md").write_text("# Our issues\n\nOne file each.\n", encoding="utf-8")
    (issues_dir / "CHANGELOG.md").write_text("\ufeff## 2026-12\n\n- #203\n", encoding="utf-8")
    (issues_dir / "notes.MD").write_text("to do\n", encoding="utf-8")
    (issues_dir / "empty.markdown").write_text("", encoding="utf-8")
    left_out = ", ".join(
        str(issues_dir / name)
        for name in ("CHANGELOG.md", "README.md", "empty.markdown", "notes.MD")
    )
    code, out, err = newsbot(tmp_path / "archive.db", "check", str(issues_dir))
    assert (code, out) == (0, "2 issue file(s) are valid.\n"), err
    told = f"left out, not issue files (not named <number>.md, and no front matter): {left_out}"
    assert err.splitlines()[0] == told and err.count("left out") == 1
    code, out, err = newsbot(tmp_path / "archive.db", "ingest", str(issues_dir))
    assert code == 0 and ": 2 added," in out, err
    assert "left out" not in err and "not read" not in err
    with caplog.at_level("WARNING", logger="bot.schedule.files"):
        scan = scan_issue_files(issues_dir)
    assert scan.errors == [] and [path.name for path, _ in scan.files] == ["202.md", "203.md"]
    assert caplog.text == ""
    assert [name for name, _, _ in signature(issues_dir)] == ["202.md", "203.md"]
    for name in ("202.md", "203.md"):
        (issues_dir / name).unlink()
    code, _, err = newsbot(tmp_path / "archive.db", "check", str(issues_dir))
    assert code == 1
    assert err.splitlines() == [told, f"error: no issue files (*.md) in {issues_dir}"]


@pytest.mark.parametrize(
    ("name", "encoding", "told"),
    [
        ("issue-204.md", "utf-8", ":2: an issue file is named after its number: rename it"),
        ("204 .md", "utf-8-sig", ":2: an issue file is named after its number: rename it"),
        ("issue-204.md", "utf-16", ":1: the file is not valid UTF-8: it is saved as UTF-16"),
        ("\u00b2\u2070\u2074.md", "utf-8", ":2: an issue file is named after its number: rename"),
        ("\u0662\u0660\u0664.md", "utf-8", ":2: an issue file is named after its number: rename"),
    ],
)
def test_a_misnamed_issue_file_is_still_reported(
    issues_dir: Path, tmp_path: Path, name: str, encoding: str, told: str
) -> None:
    """A file that starts with front matter is an issue file whatever its name: one saved as
    `issue-204.md`, `204 .md`, or in digits that are not ASCII (`²⁰⁴.md`, `٢٠٤.md`, which
    Python's `isdigit` takes for a number) is reported, not left out in silence."""
    text = (ISSUES / "202.md").read_text(encoding="utf-8").replace("number: 202", "number: 204")
    (issues_dir / name).write_text(text.replace("\n", "\r\n"), encoding=encoding)
    code, _, err = newsbot(tmp_path / "archive.db", "check", str(issues_dir))
    assert code == 1
    assert f"{issues_dir / name}{told}" in err
    assert "left out" not in err
    assert [error.path.name for error in scan_issue_files(issues_dir).errors] == [name]


@pytest.mark.parametrize("name", ["\u00b2\u2070\u00b2.md", "\u0662\u0660\u0662.md"])
def test_a_file_named_in_other_digits_without_front_matter_is_left_alone(
    issues_dir: Path, tmp_path: Path, name: str
) -> None:
    """`²⁰².md` or `٢٠٢.md` is not named after a number as an issue's is written (`202`): like
    a `README.md`, without front matter it is left out, and every reader of the folder goes
    on, where it was taken for an issue file and `int("²⁰²")` stopped them with a traceback."""
    (issues_dir / name).write_text("# Notes\n\nNot an issue.\n", encoding="utf-8")
    code, out, err = newsbot(tmp_path / "archive.db", "check", str(issues_dir))
    assert (code, out) == (0, "2 issue file(s) are valid.\n"), err
    told = "left out, not issue files (not named <number>.md, and no front matter): "
    told += str(issues_dir / name)
    assert err.splitlines()[0] == told and "error" not in err
    code, out, err = newsbot(tmp_path / "archive.db", "ingest", str(issues_dir))
    assert code == 0 and ": 2 added," in out, err
    scan = scan_issue_files(issues_dir)
    assert scan.errors == [] and [path.name for path, _ in scan.files] == ["202.md", "203.md"]
    assert numbered_issue_files(issues_dir) == {
        202: issues_dir / "202.md",
        203: issues_dir / "203.md",
    }
