"""A reader's reply edited or deleted takes back its support, on every backend alike: a pending
suggestion nobody supports any more is withdrawn; the editors' decisions stay."""

from __future__ import annotations

import datetime as dt

from bot.models import SuggestionStatus, Supporter
from bot.store import Archive
from tests.factories import issue, item

AT = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
READER = Supporter(user_id=1, name="Ada", note="read this", source="reply")
OTHER = Supporter(user_id=2, name="Bob", source="reply")


async def _suggest(archive: Archive, url: str, reader: Supporter, message_id: int) -> int:
    stored = await archive.suggestions.add(url, reader, at=AT, message_id=message_id)
    return stored.id


async def test_a_reply_finds_what_it_supports(archive: Archive) -> None:
    first = await _suggest(archive, "https://a.example/", READER, 100)
    second = await _suggest(archive, "https://b.example/", READER, 100)
    await _suggest(archive, "https://c.example/", OTHER, 200)
    menu = Supporter(user_id=3, name="Cy", source="menu")
    await archive.suggestions.add("https://a.example/", menu, at=AT, message_id=100)
    found = await archive.suggestions.from_reply(100)
    assert [s.id for s in found] == [first, second]
    assert await archive.suggestions.from_reply(999) == []


async def test_the_last_supporter_withdrawn_withdraws_a_pending_suggestion(
    archive: Archive,
) -> None:
    lone = await _suggest(archive, "https://a.example/", READER, 100)
    shared = await _suggest(archive, "https://b.example/", READER, 100)
    await _suggest(archive, "https://b.example/", OTHER, 200)
    assert await archive.suggestions.withdraw(lone, 100) is True
    assert await archive.suggestions.get(lone) is None
    assert await archive.suggestions.withdraw(shared, 100) is False
    kept = await archive.suggestions.get(shared)
    assert kept is not None and [s.user_id for s in kept.supporters] == [OTHER.user_id]
    assert await archive.suggestions.from_reply(100) == []
    since = AT - dt.timedelta(hours=1)
    assert await archive.suggestions.suggested_since(READER.user_id, since) == 0
    assert await archive.suggestions.suggested_since(OTHER.user_id, since) == 1


async def test_only_that_replys_support_is_taken_back(archive: Archive) -> None:
    url = "https://a.example/"
    suggestion = await _suggest(archive, url, READER, 100)
    menu = Supporter(user_id=3, name="Cy", source="menu")
    await archive.suggestions.add(url, menu, at=AT, message_id=100)
    assert await archive.suggestions.withdraw(suggestion, 999) is False
    assert await archive.suggestions.withdraw(suggestion, 100) is False
    kept = await archive.suggestions.get(suggestion)
    assert kept is not None and [s.user_id for s in kept.supporters] == [3], "the menu's stays"


async def test_decided_suggestions_stay_as_the_editors_left_them(archive: Archive) -> None:
    accepted = await _suggest(archive, "https://a.example/", READER, 100)
    rejected = await _suggest(archive, "https://b.example/", READER, 100)
    await archive.suggestions.review(accepted, SuggestionStatus.ACCEPTED, by="ed")
    await archive.suggestions.review(rejected, SuggestionStatus.REJECTED, by="ed")
    for suggestion_id, status in (
        (accepted, SuggestionStatus.ACCEPTED),
        (rejected, SuggestionStatus.REJECTED),
    ):
        assert await archive.suggestions.withdraw(suggestion_id, 100) is False
        kept = await archive.suggestions.get(suggestion_id)
        assert kept is not None and kept.status is status and kept.supporters == ()


async def test_a_published_suggestion_keeps_who_suggested_it(archive: Archive) -> None:
    published = await _suggest(archive, "https://a.example/", READER, 100)
    number = 7
    await archive.issues.ingest_many(
        [(issue(number, {"News": [item("A", "https://a.example/")]}), None)]
    )
    assert await archive.suggestions.withdraw(published, 100) is False
    kept = await archive.suggestions.get(published)
    assert kept is not None and kept.status is SuggestionStatus.PUBLISHED
    assert [s.user_id for s in kept.supporters] == [READER.user_id]
