"""`newsbot search --section` in a section an older newsbot archived under another slug
(`## 業界ニュース` as `section`): the issues from before the upgrade are found with those after,
not those of another section given the same slug then (`## 論文`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.store import Archive
from tests.cogs.test_older_slugs import industry, papers
from tests.store.test_older_slugs import as_archived_before


async def archived(db: Path) -> None:
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(as_archived_before(industry(300)))
        await archive.issues.ingest(as_archived_before(papers(301)))
        await archive.issues.ingest(industry(302))


def test_search_in_a_section_finds_it_under_the_slug_an_older_newsbot_gave(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.db"
    asyncio.run(archived(db))
    result = CliRunner().invoke(
        app, ["--db", str(db), "search", "robots", "--json", "--section", "業界ニュース"]
    )
    assert result.exit_code == 0, result.stderr
    found = sorted((hit["issue"], hit["section"]) for hit in json.loads(result.stdout)["hits"])
    assert found == [(300, "業界ニュース"), (302, "業界ニュース")]


async def archived_before(db: Path) -> None:
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(as_archived_before(industry(300)))
        await archive.issues.ingest(as_archived_before(papers(301)))


def test_a_section_not_in_the_archive_is_told_with_every_section_once(tmp_path: Path) -> None:
    """`## 業界ニュース` and `## 論文` both archived as `section`: each is named, and found."""
    db = tmp_path / "a.db"
    asyncio.run(archived_before(db))
    result = CliRunner().invoke(app, ["--db", str(db), "search", "robots", "--section", "nothing"])
    assert result.exit_code != 0
    assert "sections: 業界ニュース, 論文" in " ".join(result.stderr.split())
    for name, found in (("業界ニュース", "Robots 300"), ("論文", "Robots studied 301")):
        result = CliRunner().invoke(
            app, ["--db", str(db), "search", "robots", "--json", "--section", name]
        )
        assert result.exit_code == 0, result.stderr
        assert [hit["title"] for hit in json.loads(result.stdout)["hits"]] == [found]
