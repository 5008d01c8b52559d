"""`newsbot ingest` of a published issue's changed file says what `newsbot run` says: what was
posted is unchanged until `newsbot publish N` posts the correction."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.issuefiles import format_issue
from bot.models import OutboxEntry, StepState
from bot.store import Archive
from tests.factories import issue, item


def ingest(db: Path, *paths: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", *map(str, paths)])
    return result.exit_code, result.stdout, result.stderr


def test_ingesting_a_corrected_published_issue_says_to_publish_it_again(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    published, draft = tmp_path / "7.md", tmp_path / "8.md"
    published.write_text(format_issue(issue(7, {"News": [item("Teh title")]})))
    draft.write_text(format_issue(issue(8)))
    assert ingest(db, published, draft)[0] == 0

    async def posted() -> None:
        async with await Archive.open(db) as archive:
            await archive.ledger.record(
                OutboxEntry("7/x/post/1", 7, "x", "account", "post", StepState.SENT, "1")
            )

    asyncio.run(posted())
    published.write_text(format_issue(issue(7, {"News": [item("The title")]})))
    draft.write_text(format_issue(issue(8, {"News": [item("Changed, not published")]})))
    code, out, err = ingest(db, published, draft)
    assert code == 0, err
    assert "0 added, 2 updated, 0 unchanged." in out
    assert "Issue #7 was published and its file has changed since" in err
    assert "`newsbot publish 7` posts the correction" in err
    assert "#8" not in err, "an issue not published has nothing to correct"

    code, out, err = ingest(db, published, draft)
    assert code == 0 and "2 unchanged" in out
    assert err.strip() == "", "nothing changed: nothing to say"
