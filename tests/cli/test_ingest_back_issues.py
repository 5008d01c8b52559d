"""`newsbot ingest` after an upgrade whose rules refuse a back issue archived before them: as
`newsbot run` does, it leaves that issue as archived, says so, and ingests the other files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.issuefiles import format_issue
from bot.store import Archive
from tests.factories import issue, item


def ingest(db: Path, *paths: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", *map(str, paths)])
    return result.exit_code, result.stdout, result.stderr


def test_a_back_issue_archived_before_a_stricter_rule_does_not_stop_the_ingest(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.db"
    folder = tmp_path / "issues"
    folder.mkdir()
    # Archived by a newsbot that let raw HTML through; its file is in the folder as it was.
    back = issue(1, {"Rust": [item("A faster Vec", "https://example.com/vec", "Use Vec<T> less.")]})
    (folder / "1.md").write_text(format_issue(back), encoding="utf-8")

    async def archived_then() -> None:
        async with await Archive.open(db, create=True) as archive:
            await archive.issues.ingest(back)

    asyncio.run(archived_then())
    (folder / "2.md").write_text(format_issue(issue(2)), encoding="utf-8")
    code, out, err = ingest(db, folder)
    assert code == 0, err
    assert "1 added, 0 updated, 0 unchanged." in out, "the back issue is left as archived"
    assert "1.md:10: raw HTML" in err and "stays as archived until fixed" in err

    # Edited since, the back issue meets today's rules, as a new file does.
    edited = back.model_copy(update={"title": "Rust Weekly: Issue #1, edited"})
    (folder / "1.md").write_text(format_issue(edited), encoding="utf-8")
    code, _, err = ingest(db, folder)
    assert code == 1 and "1.md:10: raw HTML" in err and "nothing was ingested" in err
    # Where there is no archive yet, nothing was archived under the older rules.
    (folder / "1.md").write_text(format_issue(back), encoding="utf-8")
    code, _, err = ingest(tmp_path / "new.db", folder)
    assert code == 1 and "nothing was ingested" in err
    assert not (tmp_path / "new.db").exists()


def test_so_is_one_whose_section_in_another_script_an_older_newsbot_slugged(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.db"
    folder = tmp_path / "issues"
    folder.mkdir()
    back = issue(1, {"業界": [item("A faster Vec", "https://example.com/vec", "Use Vec<T> less.")]})
    (folder / "1.md").write_text(format_issue(back), encoding="utf-8")
    # That newsbot archived `## 業界` under the slug of its ASCII letters: none, `section`.
    (industry,) = back.sections
    then = back.model_copy(update={"sections": (industry.model_copy(update={"slug": "section"}),)})

    async def archived_then() -> None:
        async with await Archive.open(db, create=True) as archive:
            await archive.issues.ingest(then)

    asyncio.run(archived_then())
    (folder / "2.md").write_text(format_issue(issue(2)), encoding="utf-8")
    code, out, err = ingest(db, folder)
    assert code == 0, err
    assert "1 added, 0 updated, 0 unchanged." in out, "the back issue is left as archived"
    assert "1.md:10: raw HTML" in err and "stays as archived until fixed" in err


def test_and_one_edited_after_the_upgrade_with_a_section_of_another_script_added(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.db"
    folder = tmp_path / "issues"
    folder.mkdir()
    back = issue(1, {"業界": [item("A faster Vec", "https://example.com/vec", "Use Vec<T> less.")]})
    (industry,) = back.sections
    then = back.model_copy(update={"sections": (industry.model_copy(update={"slug": "section"}),)})
    # Edited once slugs kept other scripts, before raw HTML was refused: `## 業界` keeps
    # `section`, and the `## 論文` added gets its own slug.
    edited = issue(
        1,
        {
            "業界": [item("A faster Vec", "https://example.com/vec", "Use Vec<T> less.")],
            "論文": [item("A paper", "https://example.com/paper", "A study.")],
        },
    )
    (folder / "1.md").write_text(format_issue(edited), encoding="utf-8")

    async def archived_then() -> list[str]:
        async with await Archive.open(db, create=True) as archive:
            await archive.issues.ingest(then)
            await archive.issues.ingest(edited)
            return [s.slug for s in (await archive.issues.issue(1)).sections]

    assert asyncio.run(archived_then()) == ["section", "論文"]
    (folder / "2.md").write_text(format_issue(issue(2)), encoding="utf-8")
    code, out, err = ingest(db, folder)
    assert code == 0, err
    assert "1 added, 0 updated, 0 unchanged." in out, "the back issue is left as archived"
    assert "1.md:10: raw HTML" in err and "stays as archived until fixed" in err
