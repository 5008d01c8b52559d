"""Archived items' links, normalised as suggestions are, and the suggestions they publish."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.models import Issue
from bot.store import Archive
from tests.factories import issue, item


def with_links() -> Issue:
    return issue(
        205,
        {
            "Industry": [item("Chips", "https://News.example/chips?utm_source=rss#top")],
            "Learning": [item("Course", "https://learn.example/course")],
        },
    )


async def test_an_edited_item_link_is_seen_and_a_deleted_item_forgotten(
    archive: Archive,
) -> None:
    await archive.issues.ingest(issue(206, {"News": [item("A", "https://a.example/1")]}))
    assert await archive.issues.archived_link("https://a.example/1") is not None
    await archive.issues.ingest(issue(206, {"News": [item("B", "https://a.example/2")]}))
    assert await archive.issues.archived_link("https://a.example/1") is None
    assert await archive.issues.archived_link("https://a.example/2") is not None


async def test_an_existing_archive_learns_its_links_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with await Archive.open(path) as archive:
        await archive.issues.ingest(with_links())
    with closing(sqlite3.connect(path)) as db:  # as if the suggestions migration had never run
        db.executescript(
            "DROP TRIGGER item_sections_insert; DROP TRIGGER item_sections_update;"
            " DROP TRIGGER item_sections_delete; DROP TABLE item_sections;"
            " DROP TRIGGER items_recent_insert; DROP TRIGGER items_recent_delete;"
            " DROP TRIGGER items_recent_update; DROP TABLE items_recent_fts;"
            " DROP TABLE recent_window;"
            " DROP INDEX issues_by_publish_at; DROP INDEX outbox_unfinished;"
            " ALTER TABLE issues DROP COLUMN publish_at;"
            " DROP TABLE item_links; DROP TABLE item_links_pending; DROP TABLE"
            " suggestion_supporters; DROP TABLE suggestions; DROP INDEX outbox_threads;"
            " DROP TRIGGER item_links_insert; DROP TRIGGER item_links_update;"
            " DROP TRIGGER item_links_delete;"
            " DROP TRIGGER items_fts_insert; DROP TRIGGER items_fts_delete;"
            " DROP TRIGGER items_fts_update; DROP TABLE items_fts; DROP VIEW items_indexed;"
            " ALTER TABLE items DROP COLUMN title_cjk; ALTER TABLE items DROP COLUMN blurb_cjk;"
            " ALTER TABLE items DROP COLUMN abstract_cjk; DROP TABLE claims;"
            " DROP TABLE withdrawn_support; DROP TABLE replies_read;"
            " ALTER TABLE subscriptions DROP COLUMN section_names;"
            " PRAGMA user_version = 3;"
        )
    async with await Archive.open(path) as archive:
        found = await archive.issues.archived_link("https://news.example/chips")
        assert found is not None and found.issue_number == 205
