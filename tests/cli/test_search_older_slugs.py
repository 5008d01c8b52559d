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
