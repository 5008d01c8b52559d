"""Suggestions in the archive: dedup against the archive and the queue, limits, reviews."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.archive import Archive
from bot.models import Issue
from bot.suggestions import Outcome, Supporter, normalise
from tests.factories import issue, item

GRACE = Supporter(user_id=1, name="Grace", note="worth a read")
ADA = Supporter(user_id=2, name="Ada")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def with_links() -> Issue:
    return issue(
        205,
        {
            "Industry": [item("Chips", "https://News.example/chips?utm_source=rss#top")],
            "Learning": [item("Course", "https://learn.example/course")],
        },
    )


async def test_a_new_link_is_added_then_supported_and_a_repeat_changes_nothing(
    archive: Archive,
) -> None:
    url = normalise("https://blog.example/post?utm_source=x")
    first = await archive.suggest(url, GRACE, section="industry", now=NOW)
    assert first.outcome is Outcome.ADDED and first.suggestion is not None
    assert first.suggestion.url == "https://blog.example/post"
    assert first.suggestion.section == "industry"

    again = await archive.suggest(url, GRACE, now=NOW)
    assert again.outcome is Outcome.REPEATED

    other = await archive.suggest(url, ADA, section="learning", now=NOW)
    assert other.outcome is Outcome.SUPPORTED and other.suggestion is not None
    assert [s.name for s in other.suggestion.supporters] == ["Grace", "Ada"]
    assert other.suggestion.section == "industry", "the first reader's section stays"

    (queued,) = await archive.suggestions()
    assert queued.support == 2 and queued.supporters[0].note == "worth a read"


async def test_an_archived_link_is_answered_with_its_issue_and_section(archive: Archive) -> None:
    await archive.ingest(with_links())
    result = await archive.suggest(normalise("http://news.example/chips"), GRACE, now=NOW)
    assert result.outcome is Outcome.ARCHIVED
    assert result.archived is not None
    assert (result.archived.issue_number, result.archived.section_name) == (205, "Industry")
    assert result.archived.title == "Chips"
    assert await archive.suggestions() == []


async def test_queue_order_is_most_supported_first(archive: Archive) -> None:
    for n, readers in enumerate([1, 3, 2]):
        for reader in range(readers):
            await archive.suggest(
                f"https://x.example/{n}", Supporter(user_id=10 + reader, name=f"r{reader}")
            )
    assert [s.url for s in await archive.suggestions()] == [
        "https://x.example/1",
        "https://x.example/2",
        "https://x.example/0",
    ]


async def test_readers_are_limited_per_day(archive: Archive) -> None:
    for n in range(3):
        result = await archive.suggest(f"https://x.example/{n}", GRACE, per_day=3, now=NOW)
        assert result.outcome is Outcome.ADDED
    limited = await archive.suggest("https://x.example/3", GRACE, per_day=3, now=NOW)
    assert limited.outcome is Outcome.LIMITED
    assert len(await archive.suggestions()) == 3, "nothing was recorded"
    tomorrow = NOW + dt.timedelta(days=1, seconds=1)
    later = await archive.suggest("https://x.example/3", GRACE, per_day=3, now=tomorrow)
    assert later.outcome is Outcome.ADDED


async def test_reviews_and_a_rejected_link_stays_rejected(archive: Archive) -> None:
    added = await archive.suggest("https://x.example/a", GRACE)
    assert added.suggestion is not None
    accepted = await archive.review_suggestion(
        added.suggestion.id, "accepted", by="ada", section="learning"
    )
    assert accepted is not None and accepted.status == "accepted"
    assert accepted.section == "learning"
    assert [s.url for s in await archive.suggestions(("accepted",))] == ["https://x.example/a"]

    rejected = await archive.suggest("https://x.example/b", GRACE)
    assert rejected.suggestion is not None
    await archive.review_suggestion(rejected.suggestion.id, "rejected", by="ada")
    again = await archive.suggest("https://x.example/b", ADA)
    assert again.outcome is Outcome.CLOSED
    assert await archive.review_suggestion(999, "accepted") is None


async def test_ingesting_an_issue_with_a_suggested_link_marks_it_published(
    archive: Archive,
) -> None:
    added = await archive.suggest(normalise("https://news.example/chips"), GRACE)
    assert added.suggestion is not None
    await archive.review_suggestion(added.suggestion.id, "accepted")
    await archive.ingest(with_links())
    published = await archive.suggestion(added.suggestion.id)
    assert published is not None
    assert (published.status, published.issue_number) == ("published", 205)
    assert await archive.suggestions(("accepted",)) == []
    assert await archive.review_suggestion(added.suggestion.id, "rejected") == published


async def test_an_edited_item_link_is_seen_and_a_deleted_item_forgotten(
    archive: Archive,
) -> None:
    await archive.ingest(issue(206, {"News": [item("A", "https://a.example/1")]}))
    assert await archive.archived_link("https://a.example/1") is not None
    await archive.ingest(issue(206, {"News": [item("B", "https://a.example/2")]}))
    assert await archive.archived_link("https://a.example/1") is None
    assert await archive.archived_link("https://a.example/2") is not None


async def test_an_existing_archive_learns_its_links_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with await Archive.open(path) as archive:
        await archive.ingest(with_links())
    with closing(sqlite3.connect(path)) as db:  # as if the suggestions migration had never run
        db.executescript(
            "DROP INDEX issues_by_publish_at; DROP INDEX outbox_unfinished;"
            " ALTER TABLE issues DROP COLUMN publish_at;"
            " DROP TABLE item_links; DROP TABLE item_links_pending; DROP TABLE"
            " suggestion_supporters; DROP TABLE suggestions; DROP INDEX outbox_threads;"
            " DROP TRIGGER item_links_insert; DROP TRIGGER item_links_update;"
            " DROP TRIGGER item_links_delete;"
            " DROP TRIGGER items_fts_insert; DROP TRIGGER items_fts_delete;"
            " DROP TRIGGER items_fts_update; DROP TABLE items_fts; DROP VIEW items_indexed;"
            " ALTER TABLE items DROP COLUMN title_cjk; ALTER TABLE items DROP COLUMN blurb_cjk;"
            " ALTER TABLE items DROP COLUMN abstract_cjk;"
            " PRAGMA user_version = 3;"
        )
    async with await Archive.open(path) as archive:
        found = await archive.archived_link("https://news.example/chips")
        assert found is not None and found.issue_number == 205


async def test_section_threads_are_found_in_the_ledger(archive: Archive) -> None:
    from bot.archive import OutboxEntry

    for key, action, remote in [
        ("205/discord/9/thread/industry", "thread", "111"),
        ("205/discord/9/thread/industry/message/1", "message", "112"),
        ("205/discord/8/digest", "post", "113"),
    ]:
        await archive.outbox_record(
            OutboxEntry(key, 205, "discord", "9", action, state="sent", remote_id=remote)
        )
    assert await archive.section_thread(111) == (205, "industry")
    assert await archive.section_thread(113) == (205, None)
    assert await archive.section_thread(112) is None
    assert await archive.section_thread(5) is None
