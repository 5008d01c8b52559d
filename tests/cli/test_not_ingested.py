"""`newsbot preview N` and `publish N --dry-run` (which reads the issue as `publish` does) of
an issue whose file is written but not ingested say so, and how to store it, rather than only
that the archive lacks it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.issuefiles import format_issue
from tests.factories import issue


@pytest.mark.parametrize("command", [("preview", "8"), ("publish", "8", "--dry-run")])
def test_an_issue_file_not_ingested_yet_is_named_with_the_command_that_stores_it(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "7.md").write_text(format_issue(issue(7)))
    env = {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    db = str(tmp_path / "a.db")
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db, "ingest"], env=env).exit_code == 0
    (folder / "8.md").write_text(format_issue(issue(8)))

    result = runner.invoke(app, ["--db", db, *command], env=env)
    assert result.exit_code == 1
    written = folder / "8.md"
    assert result.stderr == (
        f"error: issue #8 is not in the archive yet: {written} is stored by `newsbot ingest "
        f"{written}` (`newsbot run` ingests it at a firing, or at its publish_at)\n"
    )

    result = runner.invoke(app, ["--db", db, command[0], "9", *command[2:]], env=env)
    assert result.exit_code == 1
    assert result.stderr == "error: Issue #9 is not in the archive.\n", "no file: as before"
