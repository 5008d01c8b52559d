"""`newsbot schedule` reads an issue's own time from its file, as `newsbot run` does: an editor
who writes `publish_at` and asks the schedule sees it before any ingest."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.issuefiles import format_issue
from bot.store import Archive
from tests.factories import issue, item

# The cron's next firing is 29 February (2028 or later): far after the issue's own time.
ENV = {"NEWSBOT_SCHEDULE__CRON": "0 9 29 2 *", "NEWSBOT_SCHEDULE__TIMEZONE": "UTC"}


def test_a_publish_at_written_in_a_file_shows_before_any_ingest(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    folder = tmp_path / "issues"
    folder.mkdir()
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(
        tzinfo=None, second=0, microsecond=0
    )

    async def archived() -> None:
        async with await Archive.open(db) as archive:
            await archive.issues.ingest(issue(7))
            await archive.issues.ingest(issue(8, title="Weekly #8 as ingested"))

    asyncio.run(archived())
    # #8 was ingested without a time; its file now has one. #9 is only written, held.
    (folder / "8.md").write_text(format_issue(issue(8, title="Weekly #8", publish_at=soon)))
    later = soon + dt.timedelta(hours=1)
    (folder / "9.md").write_text(format_issue(issue(9, title="Weekly #9", publish_at=later)))
    env = {**ENV, "NEWSBOT_ISSUES__DIRECTORY": str(folder)}

    result = CliRunner().invoke(app, ["--db", str(db), "schedule", "--count", "1"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()[1:]
    # In time order: the two own times come first, then the cron's firing, which sends #7
    # (the newest issue not held for a time of its own).
    assert lines == [
        f"  {soon:%a %Y-%m-%d %H:%M} UTC (UTC+00:00)  issue #8 'Weekly #8' (its own publish_at)",
        f"  {later:%a %Y-%m-%d %H:%M} UTC (UTC+00:00)  issue #9 'Weekly #9' (its own publish_at)",
        lines[2],
    ]
    assert lines[2].endswith("issue #7 'Test Weekly: Issue #7'")

    result = CliRunner().invoke(app, ["--db", str(db), "schedule", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert '"issue": 9' in result.stdout


def test_a_back_issue_left_as_archived_does_not_hide_a_new_file(tmp_path: Path) -> None:
    # After an upgrade #1 breaks a newer rule (raw HTML) but stays as archived, and the firing
    # still ingests #2: `newsbot schedule` and `newsbot status` say #2 goes out, as it does.
    db, folder = tmp_path / "a.db", tmp_path / "issues"
    folder.mkdir()
    back = issue(1, {"Rust": [item("A faster Vec", "https://example.com/vec", "Use Vec<T> less.")]})
    (folder / "1.md").write_text(format_issue(back), encoding="utf-8")

    async def archived() -> None:
        async with await Archive.open(db) as archive:
            await archive.issues.ingest(back)

    asyncio.run(archived())
    (folder / "2.md").write_text(format_issue(issue(2, title="Weekly #2")), encoding="utf-8")
    env = {**ENV, "NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    result = CliRunner().invoke(app, ["--db", str(db), "schedule", "--count", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].endswith("issue #2 'Weekly #2'"), result.stdout
    assert "ingests none" not in result.stderr
    status = CliRunner().invoke(app, ["--db", str(db), "status"], env=env)
    assert status.exit_code == 0, status.output
    assert "#2" in status.stdout.split("Next firing:")[1].splitlines()[0], status.stdout
    # A new file broken the same way does stop the ingest, and both say so.
    (folder / "3.md").write_text(format_issue(back.model_copy(update={"number": 3})), "utf-8")
    result = CliRunner().invoke(app, ["--db", str(db), "schedule", "--count", "1"], env=env)
    assert "ingests none" in result.stderr
    assert result.stdout.splitlines()[1].endswith("issue #1 'Test Weekly: Issue #1'")
