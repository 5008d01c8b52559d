"""`newsbot search --section` in a section an older newsbot archived under another slug
(`## 業界ニュース` as `section`): the issues from before the upgrade are found with those after,
not those of another section given the same slug then (`## 論文`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.models import Supporter
from bot.store import Archive
from tests.cogs.test_older_slugs import industry, papers
from tests.store.test_older_slugs import as_archived_before

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


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


def test_suggestions_are_filed_and_named_by_the_sections_slugs_today(tmp_path: Path) -> None:
    """`newsbot suggestions accept --section 論文` files it under the slug readers' choices
    give (`論文`, not the older `section` `## 業界ニュース` had too), and the list names each
    suggestion's section; one filed under `section` is named by neither."""

    async def suggested() -> None:
        await archived_before(tmp_path / "a.db")
        async with await Archive.open(tmp_path / "a.db") as archive:
            for n in range(3):
                reader = Supporter(user_id=n, name=f"Reader {n}")
                await archive.suggestions.add(f"https://s.example/{n}", reader, at=AT)
            await archive.suggestions.set_section(1, "業界ニュース")
            await archive.suggestions.set_section(3, "section")

    asyncio.run(suggested())
    db = str(tmp_path / "a.db")
    result = CliRunner().invoke(
        app, ["--db", db, "suggestions", "accept", "2", "--section", "論文"]
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        app,
        [
            "--db",
            db,
            "suggestions",
            "list",
            "--json",
            "--status",
            "pending",
            "--status",
            "accepted",
        ],
    )
    assert result.exit_code == 0, result.output
    named = sorted((row["section"], row["section_name"]) for row in json.loads(result.stdout))
    assert named == [("section", None), ("業界ニュース", "業界ニュース"), ("論文", "論文")]
