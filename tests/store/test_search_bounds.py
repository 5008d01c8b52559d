"""Searches a reader can make slow are bounded: what was limited is told, nothing raises, and
one slow search does not hold up the others."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AsyncExitStack, closing
from pathlib import Path

import aiosqlite
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Item
from bot.store import Archive, query
from bot.store.sections import SoughtSection
from bot.store.sqlite import search as fts
from bot.store.sqlite import statement
from bot.store.sqlite.database import READERS, open_database
from tests.factories import issue, item
from tests.store.old_archive import make_old_archive

NOW = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)


async def titles(archive: Archive, query: str) -> list[str]:
    return [hit.item.title for hit in (await archive.issues.search(query)).hits]


TITLES = ["Plan a trip", "Apple news", "Avocado toast"]


async def test_a_one_letter_prefix_is_searched_as_the_word(archive: Archive) -> None:
    await archive.issues.ingest(
        issue(1, {"News": [item(title, blurb="Fresh.") for title in TITLES]})
    )
    page = await archive.issues.search("a*")
    assert [hit.item.title for hit in page.hits] == ["Plan a trip"]
    assert page.limited is not None
    assert "a prefix needs at least 2 letters" in page.limited
    assert "“a”" in page.limited


async def test_a_short_prefix_lists_matches_newest_first(archive: Archive) -> None:
    # bm25 would put the title match first; a two-letter prefix is not ranked.
    await archive.issues.ingest(issue(1, {"News": [item("Apple apple apples", blurb="Fruit.")]}))
    await archive.issues.ingest(issue(2, {"News": [item("Pears", blurb="Not an apple.")]}))
    page = await archive.issues.search("ap*")
    assert [hit.item.title for hit in page.hits] == ["Pears", "Apple apple apples"]
    assert page.limited is not None
    assert "“ap*” is a short prefix" in page.limited
    ranked = await archive.issues.search("app*")
    assert [hit.item.title for hit in ranked.hits] == ["Apple apple apples", "Pears"]
    assert ranked.limited is None


async def test_very_common_words_beside_others_are_left_out(archive: Archive) -> None:
    await archive.issues.ingest(issue(1, {"News": [item("Zebra crossings", blurb="Stripes.")]}))
    page = await archive.issues.search('the zebra "of the" crossings')
    assert [hit.item.title for hit in page.hits] == ["Zebra crossings"]
    assert page.limited == 'very common words were left out: “the”, “"of the"”'


async def test_a_query_of_many_words_lists_matches_newest_first(archive: Archive) -> None:
    # bm25 would put the item with every word in its title first.
    words = "graph neural robot vision agents"
    await archive.issues.ingest(issue(1, {"News": [item(f"{words.title()} all", blurb="Now.")]}))
    await archive.issues.ingest(issue(2, {"News": [item("Later", blurb=f"Also {words}.")]}))
    page = await archive.issues.search(words)
    assert [hit.item.title for hit in page.hits] == ["Later", f"{words.title()} all"]
    assert page.limited == "more than 4 words: matches are listed newest first, not ranked"
    # Four are ranked, and stop words beside them do not count.
    ranked = await archive.issues.search("graph neural robot vision and the")
    assert [hit.item.title for hit in ranked.hits] == [f"{words.title()} all", "Later"]
    assert ranked.limited == "very common words were left out: “and”, “the”"


def test_many_words_are_listed_one_step_at_a_time_longest_first() -> None:
    # FTS5 merges a flat AND into one step, which advances every word past each match of the
    # rarest; an OR with an empty phrase keeps each step its own. Prefixes come last.
    plan = query.search_plan("deep seshi surhesdenta tools lear*")
    assert plan is not None and not plan.ranked
    assert plan.fts == '"deep" "seshi" "surhesdenta" "tools" "lear"*'
    assert plan.newest_first == (
        '(((((((("surhesdenta" AND "seshi") OR "") AND "tools") OR "") AND "deep") OR "")'
        ' AND "lear"*) OR "")'
    )
    # Two are one step anyway.
    two = query.search_plan("deep ne*")
    assert two is not None and two.newest_first == two.fts == '"deep" "ne"*'


_WORDS = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"]


@pytest.fixture(scope="module")
def small_index() -> Iterator[sqlite3.Connection]:
    """300 rows of five words each, drawn from `_WORDS`, in an FTS5 index."""
    rng = random.Random(7)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, blurb)")
    for _ in range(300):
        db.execute(
            "INSERT INTO t VALUES (?, ?)",
            (" ".join(rng.choices(_WORDS, k=2)), " ".join(rng.choices(_WORDS, k=3))),
        )
    yield db
    db.close()


_QUERY_WORD = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_WORDS).map(lambda word: word[:2] + "*"),
    st.lists(st.sampled_from(_WORDS), min_size=2, max_size=2).map(
        lambda pair: f'"{" ".join(pair)}"'
    ),
)


@given(words=st.lists(_QUERY_WORD, min_size=3, max_size=7))
def test_the_steps_match_what_the_words_match(
    small_index: sqlite3.Connection, words: list[str]
) -> None:
    plan = query.search_plan(" ".join(words))
    assert plan is not None

    def matched(fts: str) -> list[int]:
        sql = "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid DESC"
        return [rowid for (rowid,) in small_index.execute(sql, (fts,))]

    assert matched(plan.newest_first) == matched(plan.fts)


async def test_a_section_filter_reads_no_item_rows(tmp_path: Path) -> None:
    """A common word in one section checks thousands of matches: each with one lookup in the
    items' narrow table of sections, never by reading the item's row (big, and mostly not in
    the cache) or its issue's sections."""
    await (await Archive.open(tmp_path / "a.db")).close()
    with closing(sqlite3.connect(tmp_path / "a.db")) as db:
        for ranked in (True, False):
            searched = statement.search_statement(
                "robot", section=SoughtSection("news"), issue=None, since=None, until=None,
                limit=10, offset=0, ranked=ranked,
            )  # fmt: skip
            assert searched is not None
            steps = list(db.execute(f"EXPLAIN QUERY PLAN {searched[0]}", searched[1]))
            # Each walk of a full-text index through its matches (not the page's lookups by id),
            # and the loops nested in it: the steps after it under the same parent.
            walks = [row for row in steps if row[3].startswith("SCAN items_") and "><" in row[3]]
            assert len(walks) == (3 if ranked else 1), steps
            for walk in walks:
                inner = [row[3] for row in steps if row[1] == walk[1] and row[0] > walk[0]]
                lookups = [step for step in inner if step.startswith("SEARCH")]
                assert lookups == ["SEARCH ins USING INTEGER PRIMARY KEY (rowid=?)"], inner
                assert not any("CORRELATED" in step for step in inner), inner


async def test_an_upgraded_archive_knows_its_items_sections(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_old_archive(path, 9, [("Robots", "One."), ("More robots", "Two.")])
    async with await Archive.open(path) as archive:
        found = await archive.issues.search("robots", section="news")
        assert [hit.item.title for hit in found.hits] == ["Robots", "More robots"]
        assert (await archive.issues.search("robots", section="tools")).hits == ()
        # Kept as the items change: one removed, the other moved, a third added.
        await archive.issues.ingest(
            issue(7, {"Tools": [item("More robots", blurb="Two.")], "News": [item("Third")]})
        )
    with closing(sqlite3.connect(path)) as db:
        kept = db.execute("SELECT id, slug FROM item_sections ORDER BY id").fetchall()
        truth = db.execute(
            "SELECT items.id, sections.slug FROM items JOIN sections"
            " ON sections.id = items.section_id ORDER BY items.id"
        ).fetchall()
    assert kept == truth and [slug for _, slug in kept] == ["tools", "news"]


async def test_a_phrase_of_only_stop_words_lists_matches_newest_first(archive: Archive) -> None:
    await archive.issues.ingest(issue(1, {"News": [item("The state of the art of the art")]}))
    await archive.issues.ingest(issue(2, {"News": [item("Plain", blurb="Best of the week.")]}))
    await archive.issues.ingest(issue(3, {"News": [item("Nothing to see", blurb="Of them.")]}))
    page = await archive.issues.search('"of the"')
    assert [hit.item.title for hit in page.hits] == ["Plain", "The state of the art of the art"]
    assert page.limited == (
        "only very common words: matches in the newest 200 issues are listed newest first,"
        " not ranked"
    )


async def test_only_stop_words_search_the_newest_issues(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in (1, 2, 3):
        items = {"News": [item(f"State of the art {number}")]}
        await archive.issues.ingest(issue(number, items, date=dt.date(2026, 1, number)))
    monkeypatch.setattr(query, "COMMON_WORDS_ISSUES", 2)
    assert await titles(archive, '"of the"') == ["State of the art 3", "State of the art 2"]
    assert await titles(archive, "art") == [f"State of the art {n}" for n in (3, 2, 1)]
    # The newest issues of those the filters ask for.
    page = await archive.issues.search('"of the"', until=dt.date(2026, 1, 2))
    assert [hit.item.title for hit in page.hits] == ["State of the art 2", "State of the art 1"]
    page = await archive.issues.search('"of the"', issue=1)
    assert [hit.item.title for hit in page.hits] == ["State of the art 1"]


def robots(issues: int, per_issue: int) -> list[list[Item]]:
    return [
        [item(f"Robot {number}.{slot}", blurb="Robots again.") for slot in range(per_issue)]
        for number in range(1, issues + 1)
    ]


def _sqlite_budget(backend: str) -> None:
    """Skip a test of SQLite's step budget on PostgreSQL, which bounds a search by time."""
    if backend != "sqlite":
        pytest.skip("SQLite's step budget; PostgreSQL has a statement timeout")


@pytest.fixture
async def many_robots(archive: Archive) -> Archive:
    """3,000 items matching "robot", more than a search ranks."""
    await archive.issues.ingest_many(
        [(issue(n, {"News": items}), None) for n, items in enumerate(robots(30, 100), start=1)]
    )
    return archive


async def test_a_very_common_word_is_ranked_among_its_newest_1000_matches(
    archive: Archive,
) -> None:
    # The best match by far is the oldest: 1,049 newer ones are all that is ranked.
    best = item("Robot robot robot", blurb="Robots.")
    issues = [issue(1, {"News": [best]})]
    issues += [issue(n, {"News": items}) for n, items in enumerate(robots(21, 50), start=2)]
    await archive.issues.ingest_many([(made, None) for made in issues])
    page = await archive.issues.search("robot", limit=100)
    assert page.limited is None
    assert "Robot robot robot" not in [hit.item.title for hit in page.hits]
    # Within its own issue it is among the newest matches, and comes first.
    alone = await archive.issues.search("robot", issue=1)
    assert [hit.item.title for hit in alone.hits] == ["Robot robot robot"]


async def test_a_search_over_its_budget_lists_the_newest_matches(
    many_robots: Archive, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    _sqlite_budget(backend)
    full = await many_robots.issues.search("robot")
    assert full.limited is None
    # Enough to read one page of matches, far too little to rank 1,000 candidates.
    monkeypatch.setattr(fts, "SEARCH_BUDGET", 20_000)
    page = await many_robots.issues.search("the robot")
    assert page.limited == (
        "very common words were left out: “the”; "
        "ranking took too long: matches are listed newest first, not ranked"
    )
    assert [hit.item.title for hit in page.hits] == [
        f"Robot 30.{slot}" for slot in range(99, 89, -1)
    ]
    assert page.has_more


async def test_a_search_still_over_its_budget_answers_no_hits(
    many_robots: Archive, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    _sqlite_budget(backend)
    monkeypatch.setattr(fts, "SEARCH_BUDGET", 0)
    page = await many_robots.issues.search("robot", offset=900)
    assert page.hits == ()
    assert not page.has_more
    assert page.limited == "the search took too long and was stopped: try rarer or fewer words"
    assert await many_robots.issues.related("Anything new about robots?") == []
    # Each search gets the whole budget again.
    monkeypatch.undo()
    assert (await many_robots.issues.search("robot", offset=900)).hits
    # Out of time, not of steps: a slow machine is bounded the same way.
    monkeypatch.setattr(fts, "SEARCH_TIME_BUDGET", -1.0)
    page = await many_robots.issues.search("robot", offset=900)
    assert page.hits == ()
    assert page.limited == "the search took too long and was stopped: try rarer or fewer words"
    monkeypatch.undo()
    assert (await many_robots.issues.search("robot", offset=900)).hits
    assert await many_robots.issues.related("Anything new about robots?")


class GatedClock:
    """A clock that, the first time a search's SQL asks it the time, waits for `gate`."""

    def __init__(self) -> None:
        self.loop_thread = threading.get_ident()
        self.waiting = threading.Event()
        self.gate = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        if threading.get_ident() != self.loop_thread:
            with self._lock:
                first = not self.waiting.is_set()
                self.waiting.set()
            if first:
                self.gate.wait(timeout=30)
        return NOW


async def test_a_fast_search_answers_while_a_slow_one_runs(tmp_path: Path) -> None:
    clock = GatedClock()
    archive = await Archive.open(tmp_path / "archive.db", clock=clock)
    try:
        await archive.issues.ingest(issue(1, {"News": [item("Robot news")]}))
        # Held back: each search asks the clock, inside SQLite, whether it may show it.
        await archive.issues.ingest(issue(2, publish_at=NOW + dt.timedelta(days=3)))
        slow = asyncio.create_task(archive.issues.search("robot"))
        assert await asyncio.to_thread(clock.waiting.wait, 30)
        fast = await asyncio.wait_for(archive.issues.search("robot"), timeout=20)
        assert [hit.item.title for hit in fast.hits] == ["Robot news"]
        assert not slow.done()
        clock.gate.set()
        assert (await slow).hits == fast.hits
    finally:
        clock.gate.set()
        await archive.close()


async def test_the_archive_caches_at_most_48_mb_of_pages_in_all(tmp_path: Path) -> None:
    """`newsbot run` holds the writer and every search connection: their page caches together
    stay small, so its memory does not grow with the archive (the system caches the file)."""

    async def cached_kib(db: aiosqlite.Connection) -> int:
        rows = list(await db.execute_fetchall("PRAGMA cache_size"))
        return -int(rows[0][0])  # negative: KiB; SQLite stores it as it was set

    database = await open_database(tmp_path / "a.db")
    try:
        async with AsyncExitStack() as held:
            readers = [await held.enter_async_context(database.reader()) for _ in range(READERS)]
            caches = [await cached_kib(database.db)] + [await cached_kib(r.db) for r in readers]
    finally:
        await database.close()
    assert len(caches) == READERS + 1
    assert sum(caches) <= 48 * 1024
