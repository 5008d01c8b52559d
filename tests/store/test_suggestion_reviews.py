"""Editors' reviews of suggestions, on every backend alike: a review made from the status an
editor saw applies only while the suggestion still has it, so two editors deciding at once (or
the bot and `newsbot suggestions` in another process) never overrule each other unseen."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import cast

import psycopg
import pytest

from bot.models import Suggestion, SuggestionStatus, Supporter
from bot.store import Archive
from bot.store.sqlite.suggestions import SqliteSuggestions
from bot.suggestions import export_draft
from tests.factories import issue, item
from tests.store.conftest import OpenStore

AT = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
READER = Supporter(user_id=1, name="Ada", source="command")
PENDING, ACCEPTED, REJECTED = (
    SuggestionStatus.PENDING,
    SuggestionStatus.ACCEPTED,
    SuggestionStatus.REJECTED,
)


async def _suggested(archive: Archive, url: str) -> int:
    return (await archive.suggestions.add(url, READER, at=AT)).id


async def _race(first: Archive, second: Archive, suggestion_id: int) -> None:
    """An editor accepts and another rejects at once, both from the pending card they saw:
    exactly one decides, and the other learns the status it has now."""
    accepted, rejected = await asyncio.gather(
        first.suggestions.review(suggestion_id, ACCEPTED, by="discord:1", shown=PENDING),
        second.suggestions.review(suggestion_id, REJECTED, by="cli", shown=PENDING),
    )
    assert accepted is not None and rejected is not None
    made = [s for s, wanted in ((accepted, ACCEPTED), (rejected, REJECTED)) if s.status is wanted]
    assert len(made) == 1, f"exactly one decision is made, not {len(made)}"
    assert accepted.status is rejected.status, "the other is told the status it has"
    stored = await first.suggestions.get(suggestion_id)
    assert stored is not None and stored.status is made[0].status


async def test_of_two_processes_deciding_at_once_exactly_one_decides(
    open_store: OpenStore,
) -> None:
    bot, cli = await open_store(), await open_store()  # the bot and `newsbot suggestions`
    try:
        for n in range(30):
            await _race(bot, cli, await _suggested(bot, f"https://a.example/{n}"))
    finally:
        await bot.close()
        await cli.close()


async def test_a_decision_made_while_a_review_waits_to_write_stands(
    backend: str, archive: Archive, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Another process decides, and holds its write open until the review waits to write: a
    # review that read the status before it wrote would overrule that decision unseen.
    suggestion_id = await _suggested(archive, "https://a.example/")
    decide = "UPDATE suggestions SET status = 'rejected' WHERE id = {}"
    if backend == "postgres":
        url = request.getfixturevalue("pg_url")
        async with (
            await psycopg.AsyncConnection.connect(url) as cli,
            await psycopg.AsyncConnection.connect(url, autocommit=True) as watch,
        ):
            await cli.execute(
                decide.format("%s"), (suggestion_id,)
            )  # in a transaction, the row locked until it commits
            review = asyncio.create_task(_accept(archive, suggestion_id))

            async def waiting() -> bool:
                found = await watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE suggestions%%'"
                )
                row = await found.fetchone()
                return row is not None and row[0] == 1

            await _until(waiting, review)
            await cli.commit()
            seen = await review
    else:
        started: list[str] = []
        connection = cast(SqliteSuggestions, archive.suggestions)._db
        await connection.set_trace_callback(started.append)  # the driver's statement hook
        with closing(sqlite3.connect(tmp_path / "archive.db", isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")  # the write lock, held until it commits
            other.execute(decide.format("?"), (suggestion_id,))
            review = asyncio.create_task(_accept(archive, suggestion_id))

            async def waiting() -> bool:
                return any(sql.startswith("UPDATE suggestions SET status") for sql in started)

            await _until(waiting, review)
            other.execute("COMMIT")
            seen = await review
    assert seen is not None and seen.status is REJECTED, "the decision made meanwhile stands"
    stored = await archive.suggestions.get(suggestion_id)
    assert stored is not None and stored.status is REJECTED


async def _accept(archive: Archive, suggestion_id: int) -> Suggestion | None:
    return await archive.suggestions.review(suggestion_id, ACCEPTED, by="ed", shown=PENDING)


async def _until(check: Callable[[], Awaitable[bool]], review: asyncio.Task[object]) -> None:
    """Wait (up to 5 s) until `check` sees the review wait to write."""
    for _ in range(500):
        assert not review.done(), "the review did not wait for the other process's write"
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the review never came to write")


async def test_a_review_from_a_status_it_no_longer_has_changes_nothing(
    archive: Archive,
) -> None:
    suggestion_id = await _suggested(archive, "https://a.example/")
    await archive.suggestions.review(suggestion_id, REJECTED, by="cli")
    seen = await archive.suggestions.review(
        suggestion_id, ACCEPTED, by="discord:1", section="news", shown=PENDING
    )
    assert seen is not None and seen.status is REJECTED, "the caller learns what it is now"
    assert seen.section is None, "nothing of it is written"

    # Knowing it, the editor decides again from what they now see.
    again = await archive.suggestions.review(
        suggestion_id, ACCEPTED, by="discord:1", shown=REJECTED
    )
    assert again is not None and again.status is ACCEPTED
    # Without a status seen (the command line), a review applies whatever the status is.
    last = await archive.suggestions.review(suggestion_id, PENDING, by="cli")
    assert last is not None and last.status is PENDING
    assert await archive.suggestions.review(999, ACCEPTED, shown=PENDING) is None


async def test_a_suggestion_published_meanwhile_stays_published(archive: Archive) -> None:
    suggestion_id = await _suggested(archive, "https://a.example/")
    await archive.issues.ingest_many(
        [(issue(7, {"News": [item("A", "https://a.example/")]}), None)]
    )
    for shown in (PENDING, None):
        seen = await archive.suggestions.review(suggestion_id, ACCEPTED, by="ed", shown=shown)
        assert seen is not None and seen.status is SuggestionStatus.PUBLISHED
        assert seen.issue_number == 7


async def test_export_drafts_every_accepted_suggestion_however_many(
    archive: Archive, tmp_path: Path
) -> None:
    """A long backlog accepted at once: the draft holds every one (it held the first 1,000,
    and the rest stayed accepted, unseen, for a later export to repeat)."""
    many = 1003

    async def accepted(n: int) -> None:
        suggestion_id = await _suggested(archive, f"https://backlog.example/{n}")
        await archive.suggestions.review(suggestion_id, ACCEPTED, by="cli")

    for start in range(0, many, 100):  # a hundred at a time: quicker on PostgreSQL's pool
        await asyncio.gather(*(accepted(n) for n in range(start, min(start + 100, many))))
    every = await archive.suggestions.list((ACCEPTED,), limit=None)
    assert len(every) == many

    done = await export_draft(archive, tmp_path / "issues")
    assert len(done.issue.items) == many
    drafted = {item.link for _, item in done.issue.items}
    assert drafted == {f"https://backlog.example/{n}" for n in range(many)}


async def test_a_section_is_chosen_only_from_the_status_the_editor_saw(archive: Archive) -> None:
    """Choosing a section is checked as a review is: not over a decision made meanwhile, and
    never for a published suggestion (its issue placed it), even one whose issue was ingested
    after the suggestion was last read."""
    suggestion_id = await _suggested(archive, "https://a.example/paper")
    await archive.suggestions.review(suggestion_id, REJECTED, by="cli")
    stale = await archive.suggestions.set_section(suggestion_id, "industry", shown=PENDING)
    assert stale is not None and stale.section is None and stale.status is REJECTED
    placed = await archive.suggestions.set_section(suggestion_id, "industry", shown=REJECTED)
    assert placed is not None and placed.section == "industry"

    await archive.issues.ingest(issue(9, {"Learning": [item("Paper", "https://a.example/paper")]}))
    kept = await archive.suggestions.set_section(suggestion_id, "learning")
    assert kept is not None and kept.status is SuggestionStatus.PUBLISHED
    assert kept.section == "industry"
    assert await archive.suggestions.set_section(10**9, "learning") is None
