"""One page spelled with or without its trailing slash (or with http for https) is one link on
every backend: one suggestion whichever spelling came first, already in the archive whichever
spelling the issue had, and published by the item that carries it."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import SuggestionStatus, Supporter
from bot.store import Archive
from bot.suggestions import Outcome, SuggestionService
from tests.factories import issue, item

ADA = Supporter(user_id=1, name="Ada")
BOB = Supporter(user_id=2, name="Bob")


@pytest.fixture
def service(archive: Archive) -> SuggestionService:
    """The suggestions service on the backend under test."""
    return SuggestionService(archive.issues, archive.suggestions)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("https://a.example/agents/", "https://a.example/agents"),
        ("https://a.example/agents", "https://a.example/agents/"),
        ("https://a.example/agents", "http://a.example/agents/"),
    ],
)
async def test_a_page_suggested_spelled_the_other_way_supports_the_first_suggestion(
    archive: Archive, service: SuggestionService, first: str, then: str
) -> None:
    added = await service.suggest(first, ADA, section="industry")
    assert added.outcome is Outcome.ADDED
    supported = await service.suggest(then, BOB)
    assert supported.outcome is Outcome.SUPPORTED and supported.suggestion is not None
    assert supported.suggestion.url == first, "the link stays as it was first stored"
    assert [s.name for s in supported.suggestion.supporters] == ["Ada", "Bob"]
    assert (await service.suggest(then, ADA)).outcome is Outcome.REPEATED
    (queued,) = await archive.suggestions.list()
    assert (queued.url, queued.support) == (first, 2)

    other_page = await service.suggest("https://a.example/agents?page=2", BOB)
    assert other_page.outcome is Outcome.ADDED, "with a query, the slash may be another page"


async def test_a_page_the_editors_rejected_stays_rejected_spelled_the_other_way(
    archive: Archive, service: SuggestionService
) -> None:
    added = await service.suggest("https://a.example/spam/", ADA)
    assert added.suggestion is not None
    await archive.suggestions.review(added.suggestion.id, SuggestionStatus.REJECTED, by="ed")
    assert (await service.suggest("https://a.example/spam", BOB)).outcome is Outcome.CLOSED


async def test_a_page_archived_with_one_spelling_is_already_in_its_issue_with_the_other(
    archive: Archive, service: SuggestionService
) -> None:
    await archive.issues.ingest(
        issue(
            206,
            {
                "News": [
                    item("Agents", "https://a.example/agents/"),
                    item("Tools", "https://a.example/tools"),
                ]
            },
        )
    )
    for url, title in [
        ("https://a.example/agents", "Agents"),
        ("http://a.example/tools/", "Tools"),
    ]:
        result = await service.suggest(url, ADA)
        assert result.outcome is Outcome.ARCHIVED and result.archived is not None
        assert (result.archived.issue_number, result.archived.title) == (206, title)
    assert await archive.suggestions.list() == []


async def test_an_issue_carrying_a_page_publishes_its_suggestion_spelled_the_other_way(
    archive: Archive, service: SuggestionService
) -> None:
    added = await service.suggest("https://a.example/guide", ADA)
    assert added.suggestion is not None
    await archive.issues.ingest(issue(207, {"News": [item("Guide", "https://a.example/guide/")]}))
    published = await archive.suggestions.get(added.suggestion.id)
    assert published is not None
    assert (published.status, published.issue_number) == (SuggestionStatus.PUBLISHED, 207)
    assert [s.name for s in published.supporters] == ["Ada"]


async def test_of_two_spellings_stored_apart_the_nearest_is_found(archive: Archive) -> None:
    """Suggestions stored before both spellings were one page stay as they are; each spelling
    finds its own first, and the other scheme finds the one spelled the same way."""
    at = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with_slash = await archive.suggestions.add("https://a.example/dup/", ADA, at=at)
    without = await archive.suggestions.add("https://a.example/dup", BOB, at=at)
    assert with_slash.id != without.id
    for url, expected in [
        ("https://a.example/dup/", with_slash.id),
        ("https://a.example/dup", without.id),
        ("http://a.example/dup/", with_slash.id),
        ("http://a.example/dup", without.id),
    ]:
        found = await archive.suggestions.find(url)
        assert found is not None and found.id == expected, url

    await archive.issues.ingest(
        issue(
            208,
            {
                "News": [
                    item("With a slash", "https://a.example/two/"),
                    item("Without", "https://a.example/two"),
                ]
            },
        )
    )
    for url, title in [
        ("https://a.example/two", "Without"),
        ("http://a.example/two/", "With a slash"),
    ]:
        archived = await archive.issues.archived_link(url)
        assert archived is not None and archived.title == title, url


async def test_a_path_with_square_brackets_is_one_page_written_plain_or_encoded(
    archive: Archive, service: SuggestionService
) -> None:
    """An issue file stores a link's path brackets percent-encoded, as markdown-it writes
    them, while a reader's link keeps them as typed: the issue carrying the link must still
    publish the suggestion (else it stays accepted and comes back in every draft), and the
    link is already in that issue whichever way a reader writes it."""
    added = await service.suggest("https://a.example/wiki/Agent_[ML]", ADA)
    assert added.suggestion is not None
    supported = await service.suggest("https://a.example/wiki/Agent_%5BML%5D", BOB)
    assert supported.outcome is Outcome.SUPPORTED, "one page, one suggestion"
    await archive.suggestions.review(added.suggestion.id, SuggestionStatus.ACCEPTED, by="ed")

    carried = item("Agents", "https://a.example/wiki/Agent_[ML]")
    assert carried.link == "https://a.example/wiki/Agent_%5BML%5D", "as the issue stores it"
    await archive.issues.ingest(issue(209, {"News": [carried]}))
    published = await archive.suggestions.get(added.suggestion.id)
    assert published is not None
    assert (published.status, published.issue_number) == (SuggestionStatus.PUBLISHED, 209)
    assert await archive.suggestions.list([SuggestionStatus.ACCEPTED]) == []
    for url in ("https://a.example/wiki/Agent_[ML]", "http://a.example/wiki/Agent_%5BML%5D/"):
        result = await service.suggest(url, Supporter(user_id=3, name="Cy"))
        assert result.outcome is Outcome.ARCHIVED, url
