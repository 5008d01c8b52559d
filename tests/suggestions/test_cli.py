"""`newsbot suggestions list|accept|reject|export` against a real archive file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.models import SuggestionStatus, Supporter
from bot.store import Archive
from bot.suggestions import SuggestionService
from tests.factories import issue, item


def newsbot(db: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"NEWSBOT_ISSUES__DIRECTORY": str(tmp_path / "issues")}
    result = CliRunner().invoke(app, ["--db", str(db), *args], env=env)
    return result.exit_code, result.output


async def fill(db: Path) -> None:
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(
            issue(7, {"Industry": [item("Old", "https://old.example/")]}, title="Weekly #7")
        )
        suggestions = SuggestionService(archive.issues, archive.suggestions)
        for n, url in enumerate(["https://a.example/", "https://b.example/*[x]"]):
            await suggestions.suggest(
                url, Supporter(user_id=n, name=f"Reader {n}", note="@everyone")
            )


def test_list_accept_reject_and_export_from_the_terminal(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    asyncio.run(fill(db))

    code, output = newsbot(db, tmp_path, "suggestions", "list", "--json")
    assert code == 0, output
    rows = json.loads(output)
    assert [r["url"] for r in rows] == ["https://a.example/", "https://b.example/*[x]"]

    assert newsbot(db, tmp_path, "suggestions", "accept", "1", "--section", "industry")[0] == 0
    assert newsbot(db, tmp_path, "suggestions", "accept", "2")[0] == 0
    code, output = newsbot(db, tmp_path, "suggestions", "reject", "9")
    assert code == 1 and "no suggestion 9" in output
    code, output = newsbot(db, tmp_path, "suggestions", "accept", "1", "--section", "Sports")
    assert code == 1 and "no section is called 'Sports'" in output

    code, output = newsbot(db, tmp_path, "suggestions", "export")
    assert code == 0, output
    draft = tmp_path / "issues" / "drafts" / "8.md"
    final = tmp_path / "issues" / "8.md"
    assert f"move it to {final} (newsbot reads no issue from drafts/)" in output
    assert f"then `newsbot check {final}`." in output
    text = draft.read_text()
    assert "title: Weekly #8" in text
    assert text.index("## Industry") < text.index("## Reader suggestions")
    assert "@\u200beveryone" in text
    assert newsbot(db, tmp_path, "check", str(draft))[0] == 0
    code, output = newsbot(db, tmp_path, "suggestions", "export")
    assert code == 1 and "already exists: edit it, or replace it with --overwrite." in output
    code, output = newsbot(db, tmp_path, "suggestions", "export", "--issue", "7")
    assert code == 1 and "Issue #7 is already in the archive" in output
    assert not (tmp_path / "issues" / "drafts" / "7.md").exists()
    assert newsbot(db, tmp_path, "suggestions", "export", "--overwrite")[0] == 0

    code, output = newsbot(db, tmp_path, "suggestions", "list", "--status", "accepted")
    assert code == 0 and "https://a.example/ [Industry]" in output


def test_the_list_names_each_suggestion_s_section_as_it_reads(tmp_path: Path) -> None:
    """The editor wrote `*Mobile* \\& Edge`: the list shows it as it reads, not its slug
    `mobile-edge`, and `--json` gives the name as written beside the slug. A section no issue
    has any more is shown by its slug."""
    db = tmp_path / "archive.db"

    async def fill_sections() -> None:
        async with await Archive.open(db) as archive:
            await archive.issues.ingest(
                issue(7, {"*Mobile* \\& Edge": [item("Old", "https://old.example/")]})
            )
            suggestions = SuggestionService(archive.issues, archive.suggestions)
            for n, url in enumerate(["https://a.example/", "https://b.example/"]):
                await suggestions.suggest(url, Supporter(user_id=n, name=f"Reader {n}"))
            await archive.suggestions.review(
                1, SuggestionStatus.ACCEPTED, by="cli", section="mobile-edge"
            )
            await archive.suggestions.review(2, SuggestionStatus.ACCEPTED, by="cli", section="gone")

    asyncio.run(fill_sections())
    code, output = newsbot(db, tmp_path, "suggestions", "list", "--status", "accepted")
    assert code == 0, output
    assert "https://a.example/ [*Mobile* & Edge]" in output
    assert "https://b.example/ [gone]" in output
    code, output = newsbot(db, tmp_path, "suggestions", "list", "--status", "accepted", "--json")
    assert code == 0, output
    rows = {row["url"]: row for row in json.loads(output)}
    assert rows["https://a.example/"]["section"] == "mobile-edge"
    assert rows["https://a.example/"]["section_name"] == "*Mobile* \\& Edge"
    assert rows["https://b.example/"]["section"] == "gone"
    assert rows["https://b.example/"]["section_name"] is None


def test_the_draft_is_numbered_after_an_issue_written_but_not_yet_ingested(
    tmp_path: Path,
) -> None:
    """#8 is written and held for its own time, so not in the archive yet: the draft is #9,
    and a draft numbered 8 is refused, naming the file it would replace."""
    db = tmp_path / "archive.db"
    asyncio.run(fill(db))
    written = tmp_path / "issues" / "8.md"
    written.parent.mkdir()
    written.write_text(
        "---\nnumber: 8\ntitle: Weekly #8\npublish_at: 2999-01-04T09:00\n---\n\n"
        "## Industry\n\n### [New](https://new.example/)\n"
    )
    assert newsbot(db, tmp_path, "suggestions", "accept", "1")[0] == 0

    code, output = newsbot(db, tmp_path, "suggestions", "export")
    assert code == 0, output
    assert "#9 with 1 suggested link(s)" in output
    assert "title: Weekly #9" in (tmp_path / "issues" / "drafts" / "9.md").read_text()
    code, output = newsbot(db, tmp_path, "suggestions", "export", "--issue", "8")
    assert code == 1
    assert f"{written} already holds issue #8, not yet in the archive" in output
    assert "Export #9, the next issue" in output
    assert not (tmp_path / "issues" / "drafts" / "8.md").exists()


def test_the_next_draft_leaves_out_links_an_issue_file_not_yet_ingested_has(
    tmp_path: Path,
) -> None:
    """The editor moved the last draft into place as #8, held for its own time: its links
    stay accepted until #8 is ingested, and the draft of #9 must not repeat them, however
    the editor spelled them there."""
    db = tmp_path / "archive.db"
    asyncio.run(fill(db))
    assert newsbot(db, tmp_path, "suggestions", "accept", "1")[0] == 0
    assert newsbot(db, tmp_path, "suggestions", "accept", "2")[0] == 0
    assert newsbot(db, tmp_path, "suggestions", "export")[0] == 0
    draft = tmp_path / "issues" / "drafts" / "8.md"
    moved = tmp_path / "issues" / "8.md"
    text = draft.read_text().replace("https://a.example/", "http://a.example")
    moved.write_text(text.replace("title:", "publish_at: 2999-01-04T09:00\ntitle:"))
    draft.unlink()
    assert newsbot(db, tmp_path, "check", str(moved))[0] == 0

    code, output = newsbot(db, tmp_path, "suggestions", "export")
    assert code == 1, output
    assert f"Every accepted suggestion is already in {moved}, not yet in the archive" in output
    assert not (tmp_path / "issues" / "drafts" / "9.md").exists()

    # A link only named in an editor note (a reader's note quoted there) is in no item.
    noted = "<!-- editor: the reader adds: see also https://c.example/ -->\n"
    moved.write_text(moved.read_text().replace("## ", noted + "\n## ", 1))

    async def one_more() -> None:
        async with await Archive.open(db) as archive:
            suggestions = SuggestionService(archive.issues, archive.suggestions)
            done = await suggestions.suggest("https://c.example/", Supporter(7, "Reader 7"))
            assert done.suggestion is not None
            await archive.suggestions.review(done.suggestion.id, SuggestionStatus.ACCEPTED)

    asyncio.run(one_more())
    code, output = newsbot(db, tmp_path, "suggestions", "export")
    assert code == 0, output
    assert f"#9 with 1 suggested link(s). Left out 2 accepted link(s) already in {moved}." in (
        output.replace("\n", " ")
    )
    next_draft = (tmp_path / "issues" / "drafts" / "9.md").read_text()
    assert "https://c.example/" in next_draft
    assert "a.example" not in next_draft and "b.example" not in next_draft


def test_newsbot_lists_the_suggestions_commands() -> None:
    result = CliRunner().invoke(app, ["suggestions", "--help"])
    assert result.exit_code == 0
    for command in ("list", "accept", "reject", "export"):
        assert command in result.output


def test_the_list_says_when_more_are_left_than_it_shows(tmp_path: Path) -> None:
    """Three pending, two shown: the list says more are left and how to see them (it stopped
    at --limit without a word, 50 by default), on stderr with --json."""
    db = tmp_path / "archive.db"
    asyncio.run(fill(db))

    async def one_more() -> None:
        async with await Archive.open(db) as archive:
            suggestions = SuggestionService(archive.issues, archive.suggestions)
            await suggestions.suggest("https://c.example/", Supporter(user_id=9, name="Reader"))

    asyncio.run(one_more())
    more = "These are the 2 most-supported; more pending suggestions are left: a larger --limit"
    code, output = newsbot(db, tmp_path, "suggestions", "list", "--limit", "2")
    assert code == 0 and output.count("pending") == 3 and more in output, output
    result = CliRunner().invoke(
        app, ["--db", str(db), "suggestions", "list", "--limit", "2", "--json"]
    )
    assert len(json.loads(result.stdout)) == 2 and more in result.stderr
    code, output = newsbot(db, tmp_path, "suggestions", "list", "--limit", "3")
    assert code == 0 and "more pending" not in output
