"""An item with no blurb is valid (a back issue's bare link may be one) but is named at its
heading by `newsbot check` and by `newsbot ingest` when it stores the issue: a draft made of
readers' suggestions has none until the editor writes them, and must not go out so by mistake."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.models import SuggestionStatus, Supporter
from bot.store import Archive
from bot.suggestions import SuggestionService
from tests.factories import issue, item

NO_BLURB = "has no blurb: readers would see its title alone; write one under its heading"


def newsbot(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"NEWSBOT_ISSUES__DIRECTORY": str(tmp_path / "issues")}
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "archive.db"), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


async def accept_two_suggestions(db: Path) -> None:
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(
            issue(7, {"Industry": [item("Old", "https://old.example/")]}, title="Weekly #7")
        )
        suggestions = SuggestionService(archive.issues, archive.suggestions)
        for n, url in enumerate(["https://a.example/", "https://b.example/"]):
            await suggestions.suggest(url, Supporter(user_id=n, name=f"Reader {n}"))
            await archive.suggestions.review(n + 1, SuggestionStatus.ACCEPTED, section="industry")


def test_a_draft_s_items_are_named_until_their_blurbs_are_written(tmp_path: Path) -> None:
    asyncio.run(accept_two_suggestions(tmp_path / "archive.db"))
    assert newsbot(tmp_path, "suggestions", "export")[0] == 0
    draft = tmp_path / "issues" / "drafts" / "8.md"
    final = tmp_path / "issues" / "8.md"
    draft.rename(final)
    text = final.read_text(encoding="utf-8")
    headings = [n for n, line in enumerate(text.splitlines(), start=1) if line.startswith("###")]

    code, out, err = newsbot(tmp_path, "check", str(final))
    assert code == 0, err
    assert out == "1 issue file(s) are valid, with 2 warning(s).\n"
    warned = [line for line in err.splitlines() if "no blurb" in line]
    assert warned == [
        f"{final}:{headings[0]}: item 1 (a.example) {NO_BLURB}",
        f"{final}:{headings[1]}: item 2 (b.example) {NO_BLURB}",
    ]

    # Ingested as it is, the issue is stored, and the editor told again what it lacks.
    code, out, err = newsbot(tmp_path, "ingest", str(final))
    assert code == 0, err
    assert "1 added" in out
    assert [line for line in err.splitlines() if "no blurb" in line] == warned
    # Unchanged, it was shown already.
    code, out, err = newsbot(tmp_path, "ingest", str(final))
    assert (code, "1 unchanged" in out, "no blurb" in err) == (0, True, False), err

    # One blurb written: the other item is still named, after the issue is updated.
    lines = text.splitlines()
    lines.insert(headings[0] + 2, "\nWhat a.example says.")
    final.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = newsbot(tmp_path, "ingest", str(final))
    assert code == 0, err
    assert "1 updated" in out
    assert [line for line in err.splitlines() if "no blurb" in line] == [
        f"{final}:{headings[1] + 2}: item 2 (b.example) {NO_BLURB}"
    ]
    code, out, err = newsbot(tmp_path, "check", str(final))
    assert (code, out) == (0, "1 issue file(s) are valid, with 1 warning(s).\n"), err


def test_publish_names_the_items_readers_would_see_bare(tmp_path: Path) -> None:
    """From the archive, where the file's lines are unknown: by issue and item."""

    async def store() -> None:
        async with await Archive.open(tmp_path / "archive.db") as archive:
            await archive.issues.ingest(issue(7, {"News": [item("Whole")]}))
            bare = item("Weekly \\*\\*kwargs\\*\\*", "https://b.example/", blurb="")
            await archive.issues.ingest(issue(8, {"News": [item("Whole"), bare]}))

    asyncio.run(store())
    bare = "#8: item 2 (Weekly **kwargs**) has no blurb: readers will see its title alone"
    for args in ((), ("8",)):
        code, out, err = newsbot(tmp_path, "publish", *args, "--dry-run", "--outlet", "x")
        assert code == 0, err
        assert "Publishing #8 on X" in out
        assert [line for line in err.splitlines() if "no blurb" in line] == [bare]
    code, out, err = newsbot(tmp_path, "publish", "7", "--dry-run", "--outlet", "x")
    assert (code, "Publishing #7 on X" in out, "no blurb" in err) == (0, True, False), err
