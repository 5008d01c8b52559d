"""The rules of suggesting, on a real archive: dedup against the archive and the queue, the
daily limit, reviews, and links published in an issue."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import Issue, SuggestionStatus, Supporter
from bot.store import Archive
from bot.suggestions import Outcome, SuggestionService, normalise
from tests.factories import issue, item

GRACE = Supporter(user_id=1, name="Grace", note="worth a read")
ADA = Supporter(user_id=2, name="Ada")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def service(archive: Archive) -> SuggestionService:
    """The suggestions service on the test's archive."""
    return SuggestionService(archive.issues, archive.suggestions)


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
    service: SuggestionService,
) -> None:
    url = normalise("https://blog.example/post?utm_source=x")
    first = await service.suggest(url, GRACE, section="industry", now=NOW)
    assert first.outcome is Outcome.ADDED and first.suggestion is not None
    assert first.suggestion.url == "https://blog.example/post"
    assert first.suggestion.section == "industry"

    again = await service.suggest(url, GRACE, now=NOW)
    assert again.outcome is Outcome.REPEATED

    other = await service.suggest(url, ADA, section="learning", now=NOW)
    assert other.outcome is Outcome.SUPPORTED and other.suggestion is not None
    assert [s.name for s in other.suggestion.supporters] == ["Grace", "Ada"]
    assert other.suggestion.section == "industry", "the first reader's section stays"

    (queued,) = await archive.suggestions.list()
    assert queued.support == 2 and queued.supporters[0].note == "worth a read"


async def test_an_archived_link_is_answered_with_its_issue_and_section(
    archive: Archive, service: SuggestionService
) -> None:
    await archive.issues.ingest(with_links())
    result = await service.suggest(normalise("http://news.example/chips"), GRACE, now=NOW)
    assert result.outcome is Outcome.ARCHIVED
    assert result.archived is not None
    assert (result.archived.issue_number, result.archived.section_name) == (205, "Industry")
    assert result.archived.title == "Chips"
    assert await archive.suggestions.list() == []


async def test_queue_order_is_most_supported_first(
    archive: Archive, service: SuggestionService
) -> None:
    for n, readers in enumerate([1, 3, 2]):
        for reader in range(readers):
            await service.suggest(
                f"https://x.example/{n}", Supporter(user_id=10 + reader, name=f"r{reader}")
            )
    assert [s.url for s in await archive.suggestions.list()] == [
        "https://x.example/1",
        "https://x.example/2",
        "https://x.example/0",
    ]


async def test_readers_are_limited_per_day(archive: Archive, service: SuggestionService) -> None:
    for n in range(3):
        result = await service.suggest(f"https://x.example/{n}", GRACE, per_day=3, now=NOW)
        assert result.outcome is Outcome.ADDED
    limited = await service.suggest("https://x.example/3", GRACE, per_day=3, now=NOW)
    assert limited.outcome is Outcome.LIMITED
    assert len(await archive.suggestions.list()) == 3, "nothing was recorded"
    tomorrow = NOW + dt.timedelta(days=1, seconds=1)
    later = await service.suggest("https://x.example/3", GRACE, per_day=3, now=tomorrow)
    assert later.outcome is Outcome.ADDED


async def test_reviews_and_a_rejected_link_stays_rejected(
    archive: Archive, service: SuggestionService
) -> None:
    added = await service.suggest("https://x.example/a", GRACE)
    assert added.suggestion is not None
    accepted = await archive.suggestions.review(
        added.suggestion.id, SuggestionStatus.ACCEPTED, by="ada", section="learning"
    )
    assert accepted is not None and accepted.status == SuggestionStatus.ACCEPTED
    assert accepted.section == "learning"
    assert [s.url for s in await archive.suggestions.list((SuggestionStatus.ACCEPTED,))] == [
        "https://x.example/a"
    ]

    rejected = await service.suggest("https://x.example/b", GRACE)
    assert rejected.suggestion is not None
    await archive.suggestions.review(rejected.suggestion.id, SuggestionStatus.REJECTED, by="ada")
    again = await service.suggest("https://x.example/b", ADA)
    assert again.outcome is Outcome.CLOSED
    mine = await service.suggest("https://x.example/b", GRACE)
    assert mine.outcome is Outcome.CLOSED, "its own suggester is told it was passed on, too"
    assert await archive.suggestions.review(999, SuggestionStatus.ACCEPTED) is None


async def test_ingesting_an_issue_with_a_suggested_link_marks_it_published(
    archive: Archive,
    service: SuggestionService,
) -> None:
    added = await service.suggest(normalise("https://news.example/chips"), GRACE)
    assert added.suggestion is not None
    await archive.suggestions.review(added.suggestion.id, SuggestionStatus.ACCEPTED)
    await archive.issues.ingest(with_links())
    published = await archive.suggestions.get(added.suggestion.id)
    assert published is not None
    assert (published.status, published.issue_number) == (SuggestionStatus.PUBLISHED, 205)
    assert await archive.suggestions.list((SuggestionStatus.ACCEPTED,)) == []
    assert (
        await archive.suggestions.review(added.suggestion.id, SuggestionStatus.REJECTED)
        == published
    )


async def test_a_status_reads_back_as_a_suggestion_status(
    archive: Archive, service: SuggestionService
) -> None:
    added = await service.suggest("https://x.example/a", GRACE)
    assert added.suggestion is not None
    assert type(added.suggestion.status) is SuggestionStatus
    reviewed = await archive.suggestions.review(added.suggestion.id, SuggestionStatus.REJECTED)
    assert reviewed is not None and reviewed.status is SuggestionStatus.REJECTED
