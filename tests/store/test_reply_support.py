"""A reader's reply edited or deleted takes back its support, on every backend alike: a pending
suggestion nobody supports any more is withdrawn; the editors' decisions stay; what the reader
suggested still counts toward their daily limit."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import discord
import psycopg
import pytest

from bot.models import SuggestionStatus, Supporter
from bot.store import Archive
from bot.store.interfaces import LIMIT_WINDOW, REPLIES_READ_KEPT, first_id_at
from bot.store.migrations import Migration
from bot.store.postgres.database import migrations as pg_migrations
from bot.store.sqlite.database import migrations as sqlite_migrations
from bot.suggestions import Outcome, SuggestionService, day_start
from tests.factories import issue, item
from tests.store.old_archive import make_old_archive

AT = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
READER = Supporter(user_id=1, name="Ada", note="read this", source="reply")
OTHER = Supporter(user_id=2, name="Bob", source="reply")
DAY = AT - dt.timedelta(hours=1)
"""The start of a daily limit's count that takes in everything suggested at `AT`."""


class Clock:
    """The archive's clock, which the test moves on (an hour after `AT` to begin with)."""

    def __init__(self) -> None:
        self.now = AT + dt.timedelta(hours=1)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The clock the test's archive keeps its time by."""
    return Clock()


@pytest.fixture
async def archive(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> AsyncIterator[Archive]:
    """An empty archive on the backend under test, its time told by `clock`."""
    location: str | Path = (
        request.getfixturevalue("pg_url") if backend == "postgres" else tmp_path / "archive.db"
    )
    opened = await Archive.open(location, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()


def posted_at(moment: dt.datetime, n: int = 0) -> int:
    """The id of a reply posted at `moment` (the `n`th of that millisecond)."""
    return first_id_at(moment) + n


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


async def test_support_taken_back_still_counts_toward_the_daily_limit(archive: Archive) -> None:
    lone = await _suggest(archive, "https://a.example/", READER, 100)
    shared = await _suggest(archive, "https://b.example/", READER, 100)
    await _suggest(archive, "https://b.example/", OTHER, 200)
    decided = await _suggest(archive, "https://c.example/", READER, 100)
    await archive.suggestions.review(decided, SuggestionStatus.ACCEPTED, by="ed")
    for suggestion_id in (lone, shared, decided):
        await archive.suggestions.withdraw(suggestion_id, 100)
    assert await archive.suggestions.from_reply(100) == []
    assert await archive.suggestions.suggested_since(READER.user_id, DAY) == 3
    assert await archive.suggestions.suggested_since(OTHER.user_id, DAY) == 1
    # A day later, they count no more.
    later = AT + dt.timedelta(days=1)
    assert await archive.suggestions.suggested_since(READER.user_id, later) == 0


async def test_a_link_a_reply_puts_back_counts_once(archive: Archive) -> None:
    url = "https://a.example/"
    first = await _suggest(archive, url, READER, 100)
    await archive.suggestions.withdraw(first, 100)
    again = AT + dt.timedelta(hours=5)
    back = await archive.suggestions.add(url, READER, at=again, message_id=100)
    assert await archive.suggestions.suggested_since(READER.user_id, DAY) == 1
    await archive.suggestions.withdraw(back.id, 100)
    assert await archive.suggestions.suggested_since(READER.user_id, DAY) == 1
    # Counted from when it was put back: past a day from the first time, it still counts.
    assert (
        await archive.suggestions.suggested_since(READER.user_id, AT + dt.timedelta(hours=1)) == 1
    )
    assert await archive.suggestions.suggested_since(READER.user_id, again) == 0
    # The same link from another reply is another suggestion.
    await _suggest(archive, url, READER, 300)
    assert await archive.suggestions.suggested_since(READER.user_id, DAY) == 2


async def test_what_the_bot_read_in_a_reply_is_kept_until_it_is_forgotten(
    archive: Archive,
) -> None:
    first, second = posted_at(AT, 1), posted_at(AT, 2)
    assert await archive.suggestions.reply_read(first) is None
    await archive.suggestions.keep_reply_read(first, '{"links": ["https://a.example/"]}')
    await archive.suggestions.keep_reply_read(second, "{}")
    await archive.suggestions.keep_reply_read(first, '{"links": []}')
    assert await archive.suggestions.reply_read(first) == '{"links": []}'
    await archive.suggestions.keep_reply_read(first, None)
    assert await archive.suggestions.reply_read(first) is None
    assert await archive.suggestions.reply_read(second) == "{}", "only that reply is forgotten"


async def test_support_no_limit_counts_any_more_is_not_kept(archive: Archive, clock: Clock) -> None:
    first = await _suggest(archive, "https://a.example/", READER, 100)
    await archive.suggestions.withdraw(first, 100)
    later = AT + dt.timedelta(hours=12)
    second = await archive.suggestions.add("https://b.example/", READER, at=later, message_id=101)
    clock.now = later + dt.timedelta(hours=1)
    await archive.suggestions.withdraw(second.id, 101)
    assert (await archive.counts())["withdrawn_support"] == 2, "both still count"

    # A day after the first was given, another reader's reply takes its link back.
    clock.now = AT + LIMIT_WINDOW + dt.timedelta(seconds=1)
    third = await archive.suggestions.add("https://c.example/", OTHER, at=clock.now, message_id=200)
    await archive.suggestions.withdraw(third.id, 200)
    assert (await archive.counts())["withdrawn_support"] == 2, "the first is gone"
    since = day_start(clock.now)
    assert await archive.suggestions.suggested_since(READER.user_id, since) == 1, "the second"
    assert await archive.suggestions.suggested_since(OTHER.user_id, since) == 1


async def test_what_was_read_in_old_replies_is_not_kept(archive: Archive, clock: Clock) -> None:
    clock.now = AT
    old = posted_at(AT - REPLIES_READ_KEPT - dt.timedelta(minutes=1))
    recent = posted_at(AT - REPLIES_READ_KEPT + dt.timedelta(minutes=1))
    await archive.suggestions.keep_reply_read(old, "{}")
    assert await archive.suggestions.reply_read(old) == "{}", "kept until the next write"
    await archive.suggestions.keep_reply_read(recent, "{}")
    assert await archive.suggestions.reply_read(old) is None
    assert await archive.suggestions.reply_read(recent) == "{}"

    # Time goes on: reading a new reply lets one that got old go; forgetting one does too.
    clock.now = AT + dt.timedelta(minutes=2)
    new = posted_at(clock.now)
    await archive.suggestions.keep_reply_read(new, '{"links": []}')
    assert await archive.suggestions.reply_read(recent) is None
    assert await archive.suggestions.reply_read(new) == '{"links": []}'
    await archive.suggestions.keep_reply_read(recent, "{}")
    clock.now = AT + REPLIES_READ_KEPT + dt.timedelta(minutes=3)
    await archive.suggestions.keep_reply_read(posted_at(clock.now), None)
    assert (await archive.counts())["replies_read"] == 0


def test_a_replys_id_tells_when_it_was_posted() -> None:
    assert discord.utils.snowflake_time(posted_at(AT)) == AT
    assert posted_at(AT) == discord.utils.time_snowflake(AT)
    assert first_id_at(dt.datetime(2014, 1, 1, tzinfo=dt.UTC)) == 0, "nothing is older"


def _before_withdrawals(migrations: list[Migration]) -> list[Migration]:
    """The migrations of a newsbot that did not yet keep the support replies took back."""
    (version,) = [m.version for m in migrations if m.name.endswith("_withdrawn_support.sql")]
    return migrations[: version - 1]


_OLD_SUGGESTIONS = (
    "INSERT INTO suggestions (id, url, created_at, updated_at)"
    " VALUES (1, 'https://a.example/', '2026-03-01T12:00:00+00:00', '2026-03-01T12:00:00+00:00')",
    "INSERT INTO suggestion_supporters (suggestion_id, user_id, name, note, source, guild_id,"
    " channel_id, message_id, created_at) VALUES (1, 1, 'Ada', 'read this', 'reply', 5, 6, 100,"
    " '2026-03-01T12:00:00+00:00'), (1, 2, 'Bob', NULL, 'command', 5, 6, NULL,"
    " '2026-03-01T12:00:00+00:00')",
)
"""An older newsbot's queue: one suggestion, from a reply and a /suggest."""


async def test_an_archive_from_before_kept_withdrawals_upgrades_whole(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    location: str | Path
    if backend == "postgres":
        location = request.getfixturevalue("pg_url")
        with psycopg.connect(str(location), autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")  # the test's database comes migrated
            conn.execute("CREATE SCHEMA public")
            conn.execute("CREATE TABLE newsbot_schema (version INTEGER NOT NULL)")
            old = _before_withdrawals(pg_migrations())
            for migration in old:
                conn.execute(migration.sql.encode())
            conn.execute("INSERT INTO newsbot_schema (version) VALUES (%s)", (len(old),))
            for statement in _OLD_SUGGESTIONS:
                conn.execute(statement.encode())
    else:
        location = tmp_path / "old.db"
        make_old_archive(location, len(_before_withdrawals(sqlite_migrations())), [])
        with closing(sqlite3.connect(location)) as db, db:
            for statement in _OLD_SUGGESTIONS:
                db.execute(statement)
    async with await Archive.open(location) as archive:
        kept = await archive.suggestions.get(1)
        assert kept is not None and kept.url == "https://a.example/"
        assert [(s.user_id, s.note, s.source) for s in kept.supporters] == [
            (1, "read this", "reply"),
            (2, None, "command"),
        ]
        assert [s.id for s in await archive.suggestions.from_reply(100)] == [1]
        assert await archive.suggestions.withdraw(1, 100) is False
        assert await archive.suggestions.suggested_since(READER.user_id, DAY) == 1
        assert (await archive.counts())["withdrawn_support"] == 1
        await archive.suggestions.keep_reply_read(100, "{}")
        assert await archive.suggestions.reply_read(100) == "{}"


async def test_a_reader_over_the_daily_limit_is_told_when_they_may_suggest_again(
    archive: Archive, clock: Clock
) -> None:
    """A day after the suggestion whose end makes room, taken-back ones included; a link a
    reply took back and put back counts from when it was put back."""
    service = SuggestionService(archive.issues, archive.suggestions)
    hour = dt.timedelta(hours=1)
    taken_back = await service.suggest("https://a.example/1", READER, message_id=100, now=AT)
    assert taken_back.outcome is Outcome.ADDED
    await service.revise(100)  # the reply deleted: it still counts
    await service.suggest("https://a.example/2", READER, message_id=101, now=AT)
    await service.revise(101)
    await service.revise(
        101, ["https://a.example/2"], new=["https://a.example/2"], reader=READER, now=AT + 2 * hour
    )  # put back two hours later
    await service.suggest("https://a.example/3", READER, now=AT + 3 * hour)
    assert await archive.suggestions.suggested_since(READER.user_id, DAY) == 3

    url = "https://a.example/4"
    stopped = await service.suggest(url, READER, per_day=3, now=AT + 4 * hour)
    assert stopped.outcome is Outcome.LIMITED
    assert stopped.again == AT + LIMIT_WINDOW, "the first one stops counting then"
    lowered = await service.suggest(url, READER, per_day=2, now=AT + 4 * hour)
    assert lowered.again == AT + 2 * hour + LIMIT_WINDOW, "two must stop counting"
    assert (await service.suggest(url, OTHER, per_day=3, now=AT + 4 * hour)).again is None

    clock.now = stopped.again
    assert (await service.suggest(url, READER, per_day=3, now=stopped.again)).taken
