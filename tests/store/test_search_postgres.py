"""How PostgreSQL answers a search: in one statement that leaves held issues out, without walking
the whole archive for a query with few or no matches, with statistics renewed after a large
ingest; and, across the newest items it walks and the older ones it looks up, the same pages
as SQLite."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager, closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Issue, SearchPage
from bot.store import Archive
from bot.store.postgres import recent, statement, words
from bot.store.postgres import search as pg_search
from bot.store.postgres.database import PgDatabase
from bot.store.postgres.database import migrations as pg_migrations
from bot.store.postgres.words import matching
from bot.store.query import SEARCH_CANDIDATES, search_plan
from bot.store.sections import SoughtSection
from tests.factories import issue, item
from tests.pg_server import PgServer

NOW = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)
ISSUES = 200
"""Issues of 25 items: 5,000 items, more than an unranked search walks newest first."""
RARE = {1: 0, 2: 7, 3: 24, 199: 3, ISSUES: 11}
"""The issues holding the one item with a rare word (and its slot): most of them long ago."""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def archive_issues() -> list[Issue]:
    made = []
    for number in range(1, ISSUES + 1):
        items = [
            item(
                f"Plain robots {number} {slot}" + (" zqueen" if RARE.get(number) == slot else ""),
                f"https://n.example/{number}/{slot}",
                f"Plain news about {'alpha' if slot % 2 else 'beta'} robots.",
            )
            for slot in range(25)
        ]
        made.append(issue(number, {"News": items}, date=dt.date(2020, 1, 1) + dt.timedelta(number)))
    return made


async def _ingest_archive_issues(*locations: Path | str) -> None:
    for location in locations:
        async with await Archive.open(location) as archive:
            await archive.issues.ingest_many([(made, None) for made in archive_issues()])


@pytest.fixture(scope="module")
def ingested_once(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`archive_issues()` ingested once for the module: a SQLite file, and a PostgreSQL database
    (named in the file `template`) to copy. A copy is far cheaper than 2 ingests a test."""
    folder = tmp_path_factory.mktemp("ingested")
    url = pg_server.database()
    # In a thread of its own: the test asking for it may run in an event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _ingest_archive_issues(folder / "archive.db", url)).result()
    (folder / "template").write_text(url.rpartition("/")[2])
    try:
        yield folder
    finally:
        pg_server.drop(url)


@pytest.fixture
def copied(tmp_path: Path, pg_url: str, pg_server: PgServer, ingested_once: Path) -> None:
    """`tmp_path`/archive.db and the database at `pg_url` made copies of the module's."""
    for part in ingested_once.glob("archive.db*"):
        shutil.copy(part, tmp_path / part.name)
    name, template = pg_url.rpartition("/")[2], (ingested_once / "template").read_text()
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


@pytest.fixture
async def both(tmp_path: Path, pg_url: str, copied: None) -> AsyncIterator[tuple[Archive, Archive]]:
    """A SQLite and a PostgreSQL archive (at `pg_url`) holding `archive_issues()`, as they were
    right after their ingest, for this test alone."""
    sqlite = await Archive.open(tmp_path / "archive.db")
    postgres = await Archive.open(pg_url)
    try:
        yield sqlite, postgres
    finally:
        await sqlite.close()
        await postgres.close()


@asynccontextmanager
async def holding(
    tmp_path: Path, pg_url: str, made: list[Issue]
) -> AsyncIterator[tuple[Archive, Archive]]:
    """A SQLite archive in `tmp_path` and the PostgreSQL one at `pg_url`, both holding `made`."""
    sqlite = await Archive.open(tmp_path / "archive.db")
    postgres = await Archive.open(pg_url)
    try:
        for archive in (sqlite, postgres):
            await archive.issues.ingest_many([(one, None) for one in made])
        yield sqlite, postgres
    finally:
        await sqlite.close()
        await postgres.close()


async def pages(
    archive: Archive, text: str, limit: int, *, deeper: int | None = None
) -> list[list[int]]:
    """The item ids of every page of a search, in order: the first of `limit` hits, the next
    of `deeper` (by default `limit` too)."""
    found, offset = [], 0
    while True:
        page = await archive.issues.search(text, limit=limit, offset=offset)
        found.append([hit.item_id for hit in page.hits])
        if not page.has_more:
            return found
        offset += limit
        limit = deeper or limit


async def test_a_rare_short_prefix_lists_old_and_new_matches_as_sqlite_does(
    both: tuple[Archive, Archive],
) -> None:
    sqlite, postgres = both
    assert search_plan("zq*") is not None and not search_plan("zq*").ranked  # type: ignore[union-attr]
    for limit in (1, 2, 3, 10):
        on_sqlite = await pages(sqlite, "zq*", limit)
        assert sum(len(page) for page in on_sqlite) == len(RARE)
        assert await pages(postgres, "zq*", limit) == on_sqlite
    assert await pages(postgres, "qx*", 10) == await pages(sqlite, "qx*", 10) == [[]]
    assert await pages(postgres, "al* be*", 10) == await pages(sqlite, "al* be*", 10) == [[]]


def plan_of(
    pg_url: str,
    fts: str,
    *,
    ranked: bool,
    explain: str = "EXPLAIN (ANALYZE)",
    bounds: dict[str, Any] | None = None,
    random_page_cost: float | None = None,
    **filters: Any,
) -> list[str]:
    """The lines `explain` prints for the search statement of the FTS5 query `fts`, a page of
    ten asked, its filters none but `filters`."""
    match = matching(fts)
    assert match is not None
    asked = {"section": None, "issue": None, "since": None, "until": None, "recent": None}
    sql, params = statement.search_statement(
        ranked=ranked, **{**asked, **filters}, match=match, bounds=bounds
    )
    params.update(limit=11, offset=0, released=[], horizon="2026-01-01T00:00:00")
    with psycopg.connect(pg_url, cursor_factory=psycopg.ClientCursor) as conn:
        if random_page_cost is not None:
            conn.execute(f"SET random_page_cost = {random_page_cost}")
        return [row[0] for row in conn.execute(f"{explain} {sql}", params).fetchall()]


def rows_walked(plan: list[str]) -> int:
    """How many items the plan read and threw away, over every scan."""
    return sum(int(n) for line in plan for n in re.findall(r"Rows Removed by Filter: (\d+)", line))


async def test_a_search_without_matches_does_not_walk_the_archive(
    both: tuple[Archive, Archive], pg_url: str
) -> None:
    # Half the items say alpha, the other half beta, none both: the planner, counting each
    # word's items, expects a quarter of the archive to match.
    plan = plan_of(pg_url, '"alpha" "beta"', ranked=False)
    assert rows_walked(plan) <= statement.WALKED_ITEMS + 1, "\n".join(plan)


def items_read(plan: list[str]) -> int:
    """How many items the plan's scans of `items` returned or threw away, over their loops."""
    read, in_items, loops = 0, False, 1
    for line in plan:
        if "(cost=" in line:
            in_items = " on items " in line
            found = re.search(r"actual .* rows=(\d+) loops=(\d+)", line)
            loops = int(found.group(2)) if found else 1
            if in_items and found:
                read += int(found.group(1)) * loops
        elif in_items and (removed := re.search(r"Rows Removed by Filter: (\d+)", line)):
            # Shown for one loop, on average.
            read += int(removed.group(1)) * loops
    return read


async def test_a_search_of_old_issues_starts_at_them(
    both: tuple[Archive, Archive], pg_url: str
) -> None:
    until = dt.date(2020, 1, 1) + dt.timedelta(20)  # issues 1 to 20: 500 items
    plan = plan_of(pg_url, '"robots"', ranked=False, until=until)
    assert items_read(plan) <= 2 * 500 + 100, "\n".join(plan)


async def test_a_date_window_of_issues_dated_in_order_is_a_range_of_ids(
    both: tuple[Archive, Archive], pg_url: str, tmp_path: Path
) -> None:
    # Issues 51 to 60: joined to the issues' dates, the planner counts the window's share of
    # the archive twice, and at a million items sorted a lossy bitmap (73 ms, not 5 ms).
    sqlite, postgres = both
    since, until = (dt.date(2020, 1, 1) + dt.timedelta(number) for number in (51, 60))

    async def window() -> tuple[list[int], list[str]]:
        filters: dict[str, Any] = {"section": None, "issue": None, "since": since, "until": until}
        page = await postgres.issues.search("robots", since=since, until=until)
        expected = await sqlite.issues.search("robots", since=since, until=until)
        assert [hit.item_id for hit in page.hits] == [hit.item_id for hit in expected.hits]
        bounding = statement.filter_bounds(**filters, recent=None)
        assert bounding is not None
        with psycopg.connect(pg_url, cursor_factory=psycopg.ClientCursor) as conn:
            cursor = conn.execute(*bounding)
            row = cursor.fetchone()
            assert row is not None and cursor.description is not None
            bounds = dict(zip([column.name for column in cursor.description], row, strict=True))
        plan = plan_of(pg_url, '"robots"', ranked=True, bounds=bounds, since=since, until=until)
        return sorted({hit.issue_number for hit in page.hits}), plan

    numbers, plan = await window()
    assert numbers == [60]
    assert not any(" fn" in line for line in plan), "\n".join(plan)  # no join to the dates
    assert items_read(plan) <= 10 * 25 + 11, "\n".join(plan)
    # Issue 55 dated out of order, a year later: the range holds an issue outside the window.
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE issues SET date = '2021-02-24' WHERE number = 55")
    with closing(sqlite3.connect(tmp_path / "archive.db")) as db, db:
        db.execute("UPDATE issues SET date = '2021-02-24' WHERE number = 55")
    numbers, plan = await window()
    assert numbers == [60]
    assert any(" fn" in line for line in plan), "\n".join(plan)


async def test_a_large_ingest_renews_the_planners_statistics(pg_url: str) -> None:
    # Its own ingest: a copy of a database starts without the statistics' activity counters.
    await _ingest_archive_issues(pg_url)
    with psycopg.connect(pg_url) as conn:
        analysed = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
            " AND relname IN ('items', 'sections', 'issues') ORDER BY relname"
        ).fetchall()
    assert [name for (name,) in analysed] == ["issues", "items", "sections"]


async def test_a_held_issue_is_found_once_its_time_has_come(pg_url: str) -> None:
    clock = Clock(NOW - dt.timedelta(minutes=1))
    held = issue(7, {"News": [item("Qubits in silicon", "https://q.example/1")]}, publish_at=NOW)
    seen = issue(6, {"News": [item("Qubits in glass", "https://q.example/2")]})
    async with await Archive.open(pg_url, clock=clock) as archive:
        await archive.issues.ingest_many([(seen, None), (held, None)])
        assert [hit.issue_number for hit in (await archive.issues.search("qubits")).hits] == [6]
        assert [hit.issue_number for hit in (await archive.issues.search("qu*")).hits] == [6]
        related = await archive.issues.related("anyone know qubits?")
        assert [hit.issue_number for hit in related] == [6]
        # Its time has come, though nothing of it was sent yet: readers may find it now.
        clock.now = NOW
        found = await archive.issues.search("qubits")
        assert sorted(hit.issue_number for hit in found.hits) == [6, 7]
        assert [hit.issue_number for hit in (await archive.issues.search("qu*")).hits] == [7, 6]


async def test_a_date_window_reaches_the_planner_as_issue_numbers(
    both: tuple[Archive, Archive], pg_url: str
) -> None:
    since, until = dt.date(2020, 1, 1) + dt.timedelta(50), dt.date(2020, 1, 1) + dt.timedelta(60)
    filters: dict[str, Any] = {
        "section": None, "issue": None, "since": since, "until": until, "recent": None
    }  # fmt: skip
    bounding = statement.filter_bounds(**filters)
    assert bounding is not None
    with psycopg.connect(pg_url, cursor_factory=psycopg.ClientCursor) as conn:
        bounds = conn.execute(*bounding).fetchone()
        # The newest and the oldest issue in the dates, every issue between them in the
        # dates too, the archive's newest issue; no newest items indexed apart.
        assert bounds == (60, 50, True, 200, None)
        # Found by the dates' index, once, not by walking the issues by number to the window's.
        explained = [
            line for (line,) in conn.execute(f"EXPLAIN ANALYZE {bounding[0]}", bounding[1])
        ]
        assert rows_walked(explained) == 0, explained
        assert sum("issues_by_date" in line for line in explained) == 1, "\n".join(explained)
    bounded = {"window_newest": 60, "window_oldest": 50}
    plan = plan_of(pg_url, '"robots"', ranked=True, explain="EXPLAIN", bounds=bounded, **filters)
    # The planner sees where the window ends, not a subquery it must guess a third of.
    assert any("63963136" in line for line in plan), "\n".join(plan)  # (60 + 1) << 20
    page = await both[1].issues.search("robots", since=since, until=until, limit=100)
    assert page.hits
    assert {hit.issue_number for hit in page.hits} <= set(range(50, 61))


async def test_a_wide_date_window_is_checked_on_each_match(
    both: tuple[Archive, Archive], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite, postgres = both
    statements = sent_statements(monkeypatch)
    day = dt.date(2020, 1, 1)
    # zqueen is in 5 items, robots in every one; the first 150 issues are 3/4 of the archive.
    cases: list[tuple[str, dict[str, Any], bool]] = [
        ("zqueen", {"until": day + dt.timedelta(150)}, True),
        ("zqueen", {"since": day + dt.timedelta(2), "until": day + dt.timedelta(150)}, True),
        ("robots", {"until": day + dt.timedelta(150)}, False),  # walked to by the ids' index
        ("zqueen", {}, False),
    ]
    for text, filters, checked in cases:
        statements.clear()
        page = await postgres.issues.search(text, **filters)
        expected = await sqlite.issues.search(text, **filters)
        assert [hit.item_id for hit in page.hits] == [hit.item_id for hit in expected.hits]
        assert page.hits, (text, filters)
        searched = [one for one in statements if "held AS MATERIALIZED" in one]
        assert ("i.id + 0" in searched[0]) is checked, (text, filters)


async def test_a_very_common_word_walks_a_date_window_newest_first(
    both: tuple[Archive, Archive], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite, postgres = both
    statements = sent_statements(monkeypatch)
    until = dt.date(2020, 1, 1) + dt.timedelta(150)
    # Alpha is in half the items: the walk finds its newest matches; walking 10 items, too
    # few, and the index lists the rest.
    for walked_items in (statement.RANGE_WALKED_ITEMS, 10):
        monkeypatch.setattr(statement, "RANGE_WALKED_ITEMS", walked_items)
        for text in ("alpha", "robots alpha"):
            statements.clear()
            page = await postgres.issues.search(text, until=until, offset=5)
            expected = await sqlite.issues.search(text, until=until, offset=5)
            assert [hit.item_id for hit in page.hits] == [hit.item_id for hit in expected.hits]
            assert page.hits, text
            searched = [one for one in statements if "held AS MATERIALIZED" in one]
            assert "ts_match_vq(i.words" in searched[0], text


async def test_a_query_of_many_words_asks_the_index_its_rarest(
    both: tuple[Archive, Archive], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite, postgres = both
    # Statistics of ten words: in an archive this small, the default lists them all.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE items ALTER COLUMN words SET STATISTICS 1")
        conn.execute("ANALYZE items")
    statements = sent_statements(monkeypatch)
    # zqueen is in 5 items, alpha in half, plain, robots and news in all; no item says both
    # alpha and beta, though zqueen and alpha meet.
    for text, asked, found in [
        ("zqueen plain robots news", True, True),
        ("plain zqueen alpha beta", True, False),
        ("robots plain news alpha", False, True),  # every word frequent: all asked
        ("zqueen robots", False, True),  # two words: both asked
    ]:
        statements.clear()
        page = await postgres.issues.search(text)
        expected = await sqlite.issues.search(text)
        # (Half the archive's items tie with each other, ranked by either backend its way.)
        if "zqueen" in text:
            assert [hit.item_id for hit in page.hits] == [hit.item_id for hit in expected.hits]
        assert bool(page.hits) is found is bool(expected.hits), text
        searched = [one for one in statements if "held AS MATERIALIZED" in one]
        assert ("%(asked)s" in searched[0]) is asked, text
        plan = search_plan(text)
        assert plan is not None
        rarest = await recent.asked_words(postgres.issues._database, plan.fts)  # type: ignore[attr-defined]
        assert (rarest or "").startswith("'zqueen' & ") is asked, rarest


def test_a_date_window_is_checked_apart_where_its_ids_outnumber_the_matches_spared() -> None:
    # Measured at a million items, 40,000 issues: a word in 1.4 % of the items and a third of
    # them in the window took 48 ms with the ids' index, 19 ms without; one in 6.2 % and a
    # window of 8 %, 29 ms with it, and past a second without.
    whole = {"window_whole": True, "archive_newest": 40_000}
    third = {**whole, "window_oldest": 1, "window_newest": 14_089}
    eighth = {**whole, "window_oldest": 1_558, "window_newest": 4_896}
    assert statement.ids_checked_apart(third, 0.0144)
    assert not statement.ids_checked_apart(eighth, 0.0615)
    # A tenth of the archive's issues: its ids are read from their index if it is that range
    # of ids, not if the ids from the first issue to its newest, 60 % of them, would be.
    tenth = {**whole, "window_oldest": 20_001, "window_newest": 24_000}
    assert not statement.ids_checked_apart(tenth, 0.0144)
    assert statement.ids_checked_apart({**tenth, "window_whole": False}, 0.0144)
    assert not statement.ids_checked_apart({**eighth, "archive_newest": None}, 0.0144)
    assert not statement.ids_checked_apart(third, None)


async def test_a_short_prefix_is_one_lexeme_of_the_prefix_index(
    both: tuple[Archive, Archive], pg_url: str
) -> None:
    sqlite, postgres = both
    # Every match, the oldest too, as on SQLite, and nothing told beyond what the plan says.
    for text in ("zq*", "zqu*", "zq* ro*", "zqu* robots"):
        on_sqlite = await sqlite.issues.search(text)
        assert await pages(postgres, text, 10) == await pages(sqlite, text, 10), text
        assert (await postgres.issues.search(text)).limited == on_sqlite.limited, text
    # Every item matches these: the first, a middle and the last page.
    for text in ("ro* pl*", "robots pl*"):
        for offset in (0, 2500, 4990):
            on_sqlite = await sqlite.issues.search(text, offset=offset)
            on_postgres = await postgres.issues.search(text, offset=offset)
            assert [hit.item_id for hit in on_postgres.hits] == [
                hit.item_id for hit in on_sqlite.hits
            ], (text, offset)
            assert len(on_sqlite.hits) == 10 and on_postgres.limited == on_sqlite.limited
    # Asked of the prefixes' index, one lexeme: the words' index would merge every word the
    # prefix starts, and ranking reads only the five items holding one.
    plan = plan_of(pg_url, '"zqu"*', ranked=True, random_page_cost=1.1)
    assert any("items_prefixes" in line for line in plan), "\n".join(plan)
    assert not any("items_words" in line for line in plan), "\n".join(plan)
    assert items_read(plan) <= 2 * len(RARE), "\n".join(plan)


async def test_a_section_search_reads_the_sections_items_alone(pg_url: str) -> None:
    # Robots are in every item of News (8,000), and in Tools' item of one issue in ten (40):
    # the search reads those 40, neither the word's 8,040 matches nor the section's 400 items.
    made = [
        issue(
            number,
            {
                "News": [item(f"Robots {number} {slot}", f"https://n.example/{number}/{slot}")
                         for slot in range(20)],
                "Tools": [item(f"{'Robots' if number % 10 == 0 else 'Gears'} kit {number}",
                               f"https://t.example/{number}")],
            },
            date=dt.date(2020, 1, 1) + dt.timedelta(number),
        )
        for number in range(1, 401)
    ]  # fmt: skip
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest_many([(one, None) for one in made])
        page = await archive.issues.search("robots", section="tools", limit=3)
        assert [hit.issue_number for hit in page.hits] == [400, 390, 380]
        assert {hit.section_slug for hit in page.hits} == {"tools"}
    plan = plan_of(
        pg_url,
        '"robots"',
        ranked=True,
        bounds={"section_newest": 400},
        random_page_cost=1.1,
        section=SoughtSection("tools"),
    )
    # One lookup of the words' index, for the word and the section together.
    asked = [line for line in plan if "Index Cond: (words @@" in line]
    assert len(asked) == 1 and "'robots' & '§tools'" in asked[0].replace("''", "'"), "\n".join(plan)
    # The section's 40 matches, and the page's items.
    assert items_read(plan) <= 40 + 11 + 10, "\n".join(plan)


def sent_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the test's searches send from now on, each after whether it was to be
    prepared ("prepare=False …"); not the pool's check of a connection as it hands it out (an
    empty statement), which is no part of a search."""
    statements: list[str] = []
    sent = psycopg.AsyncCursor.execute

    async def execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if query != "":
            statements.append(f"prepare={kwargs.get('prepare')} {query}")
        return await sent(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", execute)
    return statements


async def test_a_query_no_item_holds_is_answered_by_the_index_alone(
    both: tuple[Archive, Archive], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite, postgres = both
    statements = sent_statements(monkeypatch)
    # More times than psycopg runs a statement before it prepares it: a generic plan would
    # scan every item for a word none holds. (A query of words alone is searched at once:
    # `test_words_in_few_items_are_searched_by_one_statement_planned_once`.)
    for text in ["zzqqx ro*"] * 8 + ["ro* zzqqx pl*", "zx* ro*", "zqx*"]:
        statements.clear()
        page = await postgres.issues.search(text)
        assert page == await sqlite.issues.search(text)
        assert len(statements) == 1, (text, statements)
        assert "held" not in statements[0], statements  # not the search statement
        assert statements[0].startswith("prepare=False"), statements
    statements.clear()
    on_postgres = await postgres.issues.search("zqueen", section="news")
    assert len(on_postgres.hits) == len(RARE)
    # The names archived under the section's slug (`bot.store.sections.sought_section`), the
    # look (bounds and index), the search (and the planner's frequent words, read once in a
    # while, which tell whether the index is asked by era).
    assert len(searches(statements)) == 3, statements
    # A phrase whose pair shares its lexeme with another's (as about 40 do at a million
    # items): its words, asked apart, tell that no item holds it.
    held, other = colliding_pairs()
    added = issue(ISSUES + 1, {"News": [item(" ".join(held), "https://n.example/held")]})
    for archive in (sqlite, postgres):
        await archive.issues.ingest_many([(added, None)])
    for text, found in ((f'"{" ".join(held)}"', 1), (f'"{" ".join(other)}"', 0)):
        statements.clear()
        page = await postgres.issues.search(text)
        expected = await sqlite.issues.search(text)
        assert [hit.item_id for hit in page.hits] == [hit.item_id for hit in expected.hits]
        assert len(page.hits) == found
        assert len([one for one in statements if "held" in one]) == found, statements


async def test_only_a_phrase_of_rarer_words_is_looked_up_by_its_pairs(
    both: tuple[Archive, Archive], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A phrase of very common words alone is walked to among the newest issues: the lists of
    # its pairs are long (intersecting them took 5 ms at a million items).
    _, postgres = both
    statements = sent_statements(monkeypatch)
    for text, paired in (('"of the"', False), ('"plain robots"', True)):
        statements.clear()
        page = await postgres.issues.search(text)
        assert bool(page.hits) is paired, text  # no item says "of the"
        assert ("newsbot_pairs" in statements[0]) is paired, (text, statements)


def shown(page: SearchPage) -> tuple[Any, ...]:
    """What a reader sees of a page: its items and snippets, in order, and what it says (the
    scores are each backend's own)."""
    hits = [(hit.item_id, hit.snippet) for hit in page.hits]
    return hits, page.offset, page.has_more, page.limited


def searches(statements: list[str]) -> list[str]:
    """The statements of `sent_statements` that are a search's, not the statistics' it reads."""
    return [one for one in statements if "pg_stats" not in one]


def statistics_of_few_words(pg_url: str) -> None:
    """The planner's statistics of the items' words, listing the 100 most frequent alone."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE items ALTER COLUMN words SET STATISTICS 10")
        conn.execute("ANALYZE items")


async def test_words_in_few_items_are_searched_by_one_statement_planned_once(
    both: tuple[Archive, Archive], monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    # A word the statistics do not count as frequent: no look first, and the search's plan,
    # the same for every such word, is not made again for each (half its time at a million
    # items, with the look's round trip).
    statistics_of_few_words(pg_url)  # not zqueen, in 5 items of 5,000
    sqlite, postgres = both
    frequent = await recent.frequent_words(postgres.issues._database)  # type: ignore[attr-defined]
    assert "zqueen" not in frequent and "plain" in frequent
    statements = sent_statements(monkeypatch)
    texts = ["zqueen", "plain zzqqx", "zqueen plain", "zzqqx", "Zqueen"] * 3
    for text in texts:
        sent = len(statements)
        for limit, offset in ((10, 0), (2, 2), (10, 4)):
            page = await postgres.issues.search(text, limit=limit, offset=offset)
            expected = await sqlite.issues.search(text, limit=limit, offset=offset)
            assert shown(page) == shown(expected), text
        one_each = searches(statements[sent:])
        assert len(one_each) == 3, one_each
        assert all("EXECUTE newsbot_search_" in one for one in one_each), one_each
    # Prepared once on each connection of the pool, the first time it ran it.
    pool_size = postgres.issues._database.pool.get_stats()["pool_size"]  # type: ignore[attr-defined]
    assert 1 <= len([one for one in statements if "PREPARE" in one]) <= pool_size
    assert len((await postgres.issues.search("zqueen")).hits) == len(RARE)
    # The plan made without the words reads their index, and the items it lists alone.
    match = matching('"zqueen"')
    assert match is not None
    asked: dict[str, Any] = {"section": None, "issue": None, "since": None, "until": None}
    sql, params = statement.search_statement(
        ranked=True, **asked, recent=None, match=match, bounds={"window_first": None}
    )
    params.update(limit=11, offset=0, released=[], horizon="2026-01-01T00:00:00")
    _, prepare, execute = pg_search._prepared_statement(sql)
    with psycopg.connect(pg_url, cursor_factory=psycopg.ClientCursor) as conn:
        conn.execute(prepare.removesuffix(";"))
        # As the search runs it (`search._SETTINGS`, `search._GENERIC`).
        conn.execute("SET random_page_cost = 1.1")
        conn.execute("SET plan_cache_mode = force_generic_plan")
        plan = [row[0] for row in conn.execute(f"EXPLAIN (ANALYZE) {execute}", params)]
    shown_plan = "\n".join(plan)
    assert "$1" in prepare and "Bitmap Index Scan on items_words" in shown_plan, shown_plan
    assert items_read(plan) <= 2 * len(RARE) + 11, shown_plan


async def test_a_rare_word_of_a_held_issue_is_found_once_its_time_has_come(
    both: tuple[Archive, Archive], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The prepared statement run again with the issue released, as any search's statement.
    clock = Clock(NOW - dt.timedelta(minutes=1))
    held = issue(
        ISSUES + 1, {"News": [item("Zqueen qubits", "https://q.example/1")]}, publish_at=NOW
    )
    async with await Archive.open(pg_url, clock=clock) as archive:
        await archive.issues.ingest_many([(held, None)])
        statistics_of_few_words(pg_url)
        statements = sent_statements(monkeypatch)
        hidden = await archive.issues.search("zqueen")
        assert sorted(hit.issue_number for hit in hidden.hits) == sorted(RARE)
        clock.now = NOW
        found = await archive.issues.search("zqueen")
        assert sorted(hit.issue_number for hit in found.hits) == sorted([*RARE, ISSUES + 1])
    sent = searches(statements)
    assert len(sent) == 3 and all("EXECUTE newsbot_search_" in one for one in sent), sent


async def test_a_search_prepares_its_statement_again_once_deallocated(
    both: tuple[Archive, Archive], monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    statistics_of_few_words(pg_url)
    sqlite, postgres = both
    expected = shown(await sqlite.issues.search("zqueen"))
    assert shown(await postgres.issues.search("zqueen")) == expected
    statements = sent_statements(monkeypatch)
    pg_database = postgres.issues._database  # type: ignore[attr-defined]
    async with AsyncExitStack() as held:
        # Every connection of the pool, as a pooler resetting its connections does.
        for _ in range(pg_database.pool.get_stats()["pool_size"]):
            pooled = await held.enter_async_context(pg_database.connection())
            await pooled.execute("DEALLOCATE ALL")
    statements.clear()
    assert shown(await postgres.issues.search("zqueen")) == expected
    # Run as prepared, told it is not, prepared again.
    sent = searches(statements)
    assert len(sent) == 2 and "PREPARE" not in sent[0] and "PREPARE" in sent[1], sent
    # Each connection of the pool then runs it at once, prepared again or not yet.
    for _ in range(2 * pg_database.pool.get_stats()["pool_size"]):
        statements.clear()
        assert shown(await postgres.issues.search("zqueen")) == expected
        assert len(searches(statements)) == 1, statements


def colliding_pairs() -> tuple[tuple[str, str], tuple[str, str]]:
    """Two pairs of made-up words whose lexemes in `newsbot_pairs(words)` are the same."""
    seen: dict[str, tuple[str, str]] = {}
    for n in itertools.count():
        pair = (f"zq{n}", f"zx{n}")
        lexeme = words.pair_lexeme(*pair)
        if lexeme in seen:
            return seen[lexeme], pair
        seen[lexeme] = pair
    raise AssertionError("unreachable")


async def test_a_look_asks_the_words_and_the_prefixes_apart(
    both: tuple[Archive, Archive], pg_url: str
) -> None:
    # Half the items say alpha, the other half beta: asked together whether some item holds
    # alpha and a word starting "be", the planner reads items in order expecting one at once,
    # and reads them all. Asked apart, each is found in the first few.
    probe = [("words", "'alpha'"), ("prefixes", "'be*'")]
    filters: dict[str, Any] = {"section": None, "issue": None, "since": None, "until": None}
    bounding = statement.filter_bounds(**filters, recent=None, probe=probe)
    assert bounding is not None
    with psycopg.connect(pg_url, cursor_factory=psycopg.ClientCursor) as conn:
        assert conn.execute(*bounding).fetchone() == (None, True)  # no window; found
        explain = "EXPLAIN (ANALYZE) " + bounding[0]
        plan = [row[0] for row in conn.execute(explain, bounding[1]).fetchall()]
    assert items_read(plan) <= 10, "\n".join(plan)
    sqlite, postgres = both
    assert await pages(postgres, "alpha be*", 10) == await pages(sqlite, "alpha be*", 10) == [[]]


async def test_a_search_is_never_compiled_just_in_time(
    both: tuple[Archive, Archive], pg_url: str
) -> None:
    # A part of the search that never runs, priced past the threshold, was compiled for 33 ms.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        database = conn.execute("SELECT current_database()").fetchone()
        assert database is not None
        conn.execute(f'ALTER DATABASE "{database[0]}" SET jit = on')
    _, postgres = both
    pg_database = postgres.issues._database  # type: ignore[attr-defined]
    assert isinstance(pg_database, PgDatabase)
    found = await pg_search._run(pg_database, "SELECT current_setting('jit') AS jit", {})
    assert found == [{"jit": "off"}]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=120))
def test_a_snippet_reads_plain_text_as_the_tokenizer_does(text: str) -> None:
    # A snippet finds a plain field's words in one pass of the tokenizer's own pattern.
    runs = list(words._RUN.finditer(text))
    assert [run.group().lower() for run in runs] == words._RUN.findall(text.lower())
    assert [(run.group().lower(), run.start(), run.end()) for run in runs] == list(
        words.tokens(text)
    )


def ranked_rows(plan: list[str]) -> int:
    """The most rows a node of the plan with ts_rank among its columns gave, over its loops."""
    ranked, rows = 0, 0
    for line in plan:
        if found := re.search(r"actual .* rows=(\d+) loops=(\d+)", line):
            rows = int(found.group(1)) * int(found.group(2))
        elif "Output:" in line and "ts_rank" in line:
            ranked = max(ranked, rows)
    return ranked


async def test_a_common_word_ranks_only_its_newest_matches(tmp_path: Path, pg_url: str) -> None:
    # A fifth of 6,000 items say gamma: more than a search ranks, too many to walk to.
    made = [
        issue(
            number,
            {"News": [item(f"Robots {number} {slot}" + (" gamma" if slot % 5 == 0 else ""),
                           f"https://n.example/{number}/{slot}") for slot in range(25)]},
            date=dt.date(2020, 1, 1) + dt.timedelta(number),
        )
        for number in range(1, 241)
    ]  # fmt: skip
    async with holding(tmp_path, pg_url, made) as (sqlite, postgres):
        on_sqlite = await sqlite.issues.search("gamma")
        on_postgres = await postgres.issues.search("gamma")
    assert [hit.item_id for hit in on_postgres.hits] == [hit.item_id for hit in on_sqlite.hits]
    explain = "EXPLAIN (ANALYZE, VERBOSE)"
    plan = plan_of(pg_url, '"gamma"', ranked=True, explain=explain, random_page_cost=1.1)
    # The newest 1,000 matches are ranked, not the 200 older ones, as they are found: never
    # copied into a store first, words and all.
    assert 0 < ranked_rows(plan) <= SEARCH_CANDIDATES, "\n".join(plan)
    assert not [line for line in plan if "CTE candidates" in line], "\n".join(plan)


async def test_a_phrase_of_common_words_reads_the_items_where_they_meet(
    tmp_path: Path, pg_url: str
) -> None:
    # Every item says alpha and beta; in one of 50 they meet, "alpha beta".
    made = [
        issue(
            number,
            {"News": [item(f"Alpha {'beta' if slot == 0 and number % 2 else 'and beta'} {number}",
                           f"https://n.example/{number}/{slot}", blurb=f"Beta {slot} alpha.")
                      for slot in range(25)]},
            date=dt.date(2020, 1, 1) + dt.timedelta(number),
        )
        for number in range(1, 121)
    ]  # fmt: skip
    async with holding(tmp_path, pg_url, made) as (sqlite, postgres):
        for text in ('"alpha beta"', '"alpha and beta"', '"alpha beta" 7', '"beta alpha"'):
            # Every hit compared, the first page as readers ask it, the rest 100 at a time:
            # the 1,000 hits of "alpha and beta" in 10 statements, not 100 of 55 ms each.
            assert await pages(postgres, text, 10, deeper=100) == await pages(
                sqlite, text, 10, deeper=100
            ), text
    # The pair's index lists the 60 items where they meet: those alone are read, not the 3,000
    # holding both words.
    plan = plan_of(pg_url, '"alpha beta"', ranked=True, random_page_cost=1.1)
    assert any("items_pairs" in line for line in plan), "\n".join(plan)
    assert items_read(plan) <= 60 + 11, "\n".join(plan)
    # Nor is the index of words asked for those: at a million items, the planner intersected
    # the pair's 2,700 items with its list of the 105,000 holding both words (91 ms).
    for section in (None, SoughtSection("news")):
        sql, _ = statement.search_statement(
            ranked=True, section=section, issue=None, since=None, until=None, recent=None,
            match=matching('"alpha beta"'),
        )  # fmt: skip
        assert "i.words @@" not in sql and "ts_match_vq(i.words" in sql, section


async def test_a_search_of_a_late_issue_finds_its_items(tmp_path: Path, pg_url: str) -> None:
    # From issue 2,047 on, the next issue shifted to its first item id no longer fits in 32 bits.
    made = [
        issue(number, {"News": [item(f"Robots {number}", f"https://n.example/{number}")]})
        for number in (7, 2047, 2048, 3419)
    ]
    async with holding(tmp_path, pg_url, made) as (sqlite, postgres):
        for number in (7, 2047, 2048, 3419):
            for text in ("robots", "ro*"):
                on_sqlite = await sqlite.issues.search(text, issue=number)
                on_postgres = await postgres.issues.search(text, issue=number)
                assert [hit.issue_number for hit in on_postgres.hits] == [number], (text, number)
                assert [hit.item_id for hit in on_postgres.hits] == [
                    hit.item_id for hit in on_sqlite.hits
                ]


async def test_a_query_of_very_common_words_reads_the_recent_items_alone(
    both: tuple[Archive, Archive], pg_url: str
) -> None:
    # A phrase no item holds: every item of the newest 5 issues (125) is read, and no other;
    # the index, which would list every item holding each word, is not asked.
    plan = plan_of(pg_url, '"alpha beta"', ranked=False, recent=5)
    assert not any("items_words" in line for line in plan), "\n".join(plan)
    assert items_read(plan) <= 125 + 11, "\n".join(plan)
    sqlite, postgres = both
    for text in ('"of the"', "the a"):
        assert await pages(postgres, text, 10) == await pages(sqlite, text, 10)


def make_old_archive(pg_url: str, version: int) -> None:
    """The database at `pg_url` as the newsbot of schema `version` left it, issue 7 holding one
    item, "Robots of Zürich"."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")  # the test's database comes migrated
        conn.execute("CREATE SCHEMA public")
        conn.execute("CREATE TABLE newsbot_schema (version INTEGER NOT NULL)")
        for migration in pg_migrations()[:version]:
            conn.execute(migration.sql.encode())
        conn.execute("INSERT INTO newsbot_schema (version) VALUES (%s)", (version,))
        conn.execute(
            "INSERT INTO issues (number, title, intro, content_hash, next_slot, ingested_at,"
            " updated_at) VALUES (7, 'Weekly #7', '', 'x', 1, '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO sections (id, issue_number, slug, name, position)"
            " VALUES (1, 7, 'news', 'News', 0)"
        )
        conn.execute(
            "INSERT INTO items (id, issue_number, section_id, key, position, title, blurb, words)"
            " VALUES (%s, 7, 1, 'k0', 0, 'Robots of Zürich', 'Plain news.', %s::tsvector)",
            ((7 << 20), words.tsvector("Robots of Zürich", "Plain news.", section="news")),
        )


async def test_an_upgraded_archive_finds_its_items_by_short_prefixes(pg_url: str) -> None:
    # An archive as the newsbot before the prefix index left it: its items get their prefixes
    # as it is opened.
    make_old_archive(pg_url, 2)
    async with await Archive.open(pg_url) as archive:
        for text in ("ro*", "zu*", "zür*", "pla*", "robots zu*"):
            page = await archive.issues.search(text)
            assert [hit.issue_number for hit in page.hits] == [7], text
        assert (await archive.issues.search("zx*")).hits == ()


def window_issues(first: int, last: int) -> list[Issue]:
    """Issues of 25 items: every fifth says gamma; issue 2's first item says zqueen too."""
    return [
        issue(
            number,
            {"News": [item(f"Robots {number} {slot}" + (" gamma" if slot % 5 == 0 else "")
                           + (" zqueen" if (number, slot) == (2, 0) else ""),
                           f"https://n.example/{number}/{slot}") for slot in range(25)]},
            date=dt.date(2020, 1, 1) + dt.timedelta(number),
        )
        for number in range(first, last + 1)
    ]  # fmt: skip


def small_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window scaled down: from 200 items, the newest 100 (moved past 150), and searches
    ranking their newest 20 matches."""
    monkeypatch.setattr(recent, "RECENT_ITEMS", 100)
    monkeypatch.setattr(recent, "RECENT_FROM_ITEMS", 200)
    monkeypatch.setattr(recent, "_MOVE_AT", 150)
    monkeypatch.setattr(statement, "SEARCH_CANDIDATES", 20)


async def test_frequent_words_not_walked_to_are_asked_of_the_window_planned_once(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Words the statistics count as frequent, but not so common that the newest items are
    # walked: no look first, and one plan, made once, asks the window's index of words.
    small_window(monkeypatch)
    monkeypatch.setattr(recent, "WALKED_FROM_SHARE", 0.5)  # gamma is in a fifth of the items
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest_many([(one, None) for one in window_issues(1, 12)])
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ANALYZE items")
        assert "gamma" in await recent.frequent_words(archive.issues._database)  # type: ignore[attr-defined]
        statements = sent_statements(monkeypatch)

        async def newest_gamma() -> list[int]:
            return [hit.item_id for hit in (await archive.issues.search("gamma")).hits]

        found = await newest_gamma()
        # The same hits as by the look (a filter that leaves every issue in).
        everything = await archive.issues.search("gamma", since=dt.date(2000, 1, 1))
        assert found == [hit.item_id for hit in everything.hits] and len(found) == 10
        # One statement each (the filtered search's after its look), the first prepared.
        prepared = [one for one in statements if "EXECUTE newsbot_search_" in one]
        assert len(prepared) == 1 and f"i.id >= {9 << 20}::bigint" in prepared[0], statements
        read = [one for one in statements if one.endswith("SELECT first_id FROM search_window")]
        assert len(read) == 1, statements  # kept for the searches after
        # A prefix (past the indexed first letters) may start a word in most items: looked at
        # first, planned for its words.
        statements.clear()
        assert (await archive.issues.search("gamm*")).hits
        assert not [one for one in statements if "EXECUTE" in one], statements
        # The window moved by this process: its new first id at once.
        await archive.issues.ingest_many([(one, None) for one in window_issues(13, 16)])
        statements.clear()
        moved = await newest_gamma()
        prepared = [one for one in statements if "EXECUTE newsbot_search_" in one]
        assert moved[0] >> 20 == 16 and f"i.id >= {13 << 20}::bigint" in prepared[0], statements
    # The plan made without the words can read the window's index (its condition matched to
    # the statement's), and the items it lists alone. (A few hundred items are walked
    # sooner than any index is read: the walk is set aside to see the rest.)
    match = matching('"gamma"')
    assert match is not None
    asked: dict[str, Any] = {"section": None, "issue": None, "since": None, "until": None}
    bounds: dict[str, int | None] = {"window_first": 13 << 20}
    sql, params = statement.search_statement(
        ranked=True, **asked, recent=None, match=match, bounds=bounds
    )
    params.update(limit=11, offset=0, released=[], horizon="2026-01-01T00:00:00")
    _, prepare, execute = pg_search._prepared_statement(pg_search.generic_text(sql, params))
    with psycopg.connect(pg_url, cursor_factory=psycopg.ClientCursor) as conn:
        conn.execute(prepare.removesuffix(";"))
        conn.execute("SET random_page_cost = 1.1")
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute("SET enable_indexscan = off")
        plan = [row[0] for row in conn.execute(f"EXPLAIN (ANALYZE) {execute}", params)]
    shown_plan = "\n".join(plan)
    assert f"Bitmap Index Scan on items_words_from_{13 << 20}" in shown_plan, shown_plan
    assert items_read(plan) <= 2 * 20 + 11 + 5, shown_plan


async def test_the_newest_items_are_indexed_apart_and_asked_first(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_window(monkeypatch)
    monkeypatch.setattr(statement, "WALKED_ITEMS", 10)

    def window(conn: psycopg.Connection[Any]) -> tuple[Any, list[str]]:
        row = conn.execute("SELECT first_id FROM search_window").fetchone()
        names = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s ORDER BY 1", ("%_from_%",)
        ).fetchall()
        return (row[0] if row else None), [name for (name,) in names]

    async def hits(archive: Archive, text: str, **filters: Any) -> list[int]:
        return [hit.item_id for hit in (await archive.issues.search(text, **filters)).hits]

    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest_many([(one, None) for one in window_issues(1, 7)])
        with psycopg.connect(pg_url, autocommit=True) as conn:
            assert window(conn) == (None, [])  # 175 items: too few to need one
            await archive.issues.ingest_many([(one, None) for one in window_issues(8, 12)])
            # The newest 100 items are issues 9 to 12.
            first = 9 << 20
            names = [f"items_{column}_from_{first}" for column in ("pairs", "prefixes", "words")]
            assert window(conn) == (first, names)
            found = {
                text: await hits(archive, text, **filters)
                for text, filters in [("gamma", {}), ("gam*", {}), ("zqueen", {}),
                                      ("robots gamma", {"section": "news"}), ("ga*", {}),
                                      ("zq*", {}), ("robots zq*", {})]
            }  # fmt: skip
            assert found["gamma"] and found["ga*"]
            assert found["zqueen"] == found["zq*"] == found["robots zq*"] == [2 << 20]
            # The newest 20 of gamma's 60 matches are all in the window: asked of its index.
            filters: dict[str, Any] = {"section": None, "issue": None, "since": None, "until": None}
            bounding = statement.filter_bounds(**filters, recent=None)
            assert bounding is not None
            bounds = dict(
                zip(["window_first"], conn.execute(*bounding).fetchone() or (), strict=True)
            )
            explain = "EXPLAIN (ANALYZE, VERBOSE)"
            plan = plan_of(
                pg_url, '"gamma"', ranked=True, explain=explain, bounds=bounds, random_page_cost=1.1
            )
            assert any(f"items_words_from_{first}" in line for line in plan), "\n".join(plan)
            assert items_read(plan) <= 2 * 20 + 11 + 5, "\n".join(plan)
            # Sorted and kept without their words, read again for the 20 ranked alone.
            kept = plan[[line.strip() for line in plan].index("CTE newest") + 2]
            assert "Output:" in kept and "words" not in kept, "\n".join(plan)
            # Unranked, past the newest 10 items: the window's index, then the whole one.
            plan = plan_of(pg_url, '"zq"*', ranked=False, bounds=bounds)
            assert any(f"items_prefixes_from_{first}" in line for line in plan), "\n".join(plan)
            # The same hits as without the window.
            conn.execute("DELETE FROM search_window")
            for text, ids in found.items():
                asked = {"section": "news"} if text == "robots gamma" else {}
                assert await hits(archive, text, **asked) == ids, text
            conn.execute("INSERT INTO search_window (first_id) VALUES (%s)", (first,))
            # A frequent word asks the window first; one the planner does not count as
            # frequent, which could not fill it, asks the whole index alone.
            # (Statistics of ten words: in an archive this small, the default lists them all.)
            conn.execute("ALTER TABLE items ALTER COLUMN words SET STATISTICS 1")
            conn.execute("ANALYZE items")
            monkeypatch.setattr(recent, "FREQUENT_WORDS_SECONDS", 0.0)
            statements = sent_statements(monkeypatch)

            async def asks_window(text: str, **filters: Any) -> bool:
                sent = len(statements)
                got = await hits(archive, text, **filters)
                known = text in ("gamma", "zqueen", "gam*") and not filters
                assert not known or got == found[text], text
                # A statement prepared before is sent by its name alone.
                prepared = {
                    name: one
                    for one in statements
                    for name in re.findall(r"PREPARE (newsbot_search_\w+)", one)
                }
                sent_searches = [
                    prepared.get(
                        next(iter(re.findall(r"EXECUTE (newsbot_search_\w+)", one)), ""), one
                    )
                    for one in statements[sent:]
                    if "held AS MATERIALIZED" in one or "EXECUTE newsbot_search_" in one
                ]
                return "newest AS MATERIALIZED" in sent_searches[0]

            # (Scaled down: here no word is common enough to be walked to.)
            monkeypatch.setattr(recent, "WALKED_FROM_SHARE", 1.0)
            for text, windowed in [("gamma", True), ("zqueen", False), ("robots zqueen", False),
                                   ("gam*", True), ("robots gamma", True)]:  # fmt: skip
                assert await asks_window(text) is windowed, text
            # Not for a date window of frequent words, whose matches are asked era by era
            # (tests/store/test_search_eras.py); whether or not it ends before the newest
            # items (issue 9 on), whose indexes then hold none of its matches.
            for last in (8, 9):
                until = dt.date(2020, 1, 1) + dt.timedelta(last)
                assert not await asks_window("gamma", until=until), last
                assert "generate_series" in statements[-1], last
            # Robots, in every item, is walked to in the whole index; gamma, in a fifth of
            # them, asks the window, alone or with robots.
            monkeypatch.setattr(recent, "WALKED_FROM_SHARE", 0.3)
            assert [await asks_window(text) for text in ("robots", "gamma", "robots gamma")] == [
                False, True, True
            ]  # fmt: skip
            # A stray index of another window (a crash between building and dropping) goes.
            conn.execute("CREATE INDEX items_words_from_7 ON items USING gin (words) WHERE id >= 7")
            # 175 items in the window after three more issues: it moves to issues 12 to 15.
            await archive.issues.ingest_many([(one, None) for one in window_issues(13, 15)])
            moved = 12 << 20
            assert window(conn) == (
                moved, [f"items_{column}_from_{moved}" for column in ("pairs", "prefixes", "words")]
            )  # fmt: skip
            assert await hits(archive, "zqueen") == [2 << 20]
            assert len(await hits(archive, "gamma")) == 10


async def test_an_upgraded_archive_gets_its_window_when_opened(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recent, "RECENT_ITEMS", 100)
    monkeypatch.setattr(recent, "RECENT_FROM_ITEMS", 200)
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest_many([(one, None) for one in window_issues(1, 12)])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        # As the newsbot before the window left it: no table, no indexes, no pairs, schema
        # version 3.
        for column in ("words", "prefixes", "pairs"):
            conn.execute(f"DROP INDEX items_{column}_from_{9 << 20}")
        conn.execute("DROP TABLE search_window")
        conn.execute("DROP INDEX items_pairs")
        conn.execute("DROP FUNCTION newsbot_pairs(tsvector)")
        conn.execute("DROP INDEX items_words")
        conn.execute("DROP FUNCTION newsbot_era(bigint)")
        conn.execute("CREATE INDEX items_words ON items USING gin (words)")
        conn.execute("DROP INDEX supporters_by_message")
        conn.execute("DROP TABLE withdrawn_support, replies_read")
        conn.execute("ALTER TABLE subscriptions DROP COLUMN section_names")
        conn.execute("UPDATE newsbot_schema SET version = 3")
    async with await Archive.open(pg_url) as archive:
        with psycopg.connect(pg_url) as conn:
            assert conn.execute("SELECT first_id FROM search_window").fetchall() == [(9 << 20,)]
        assert [hit.issue_number for hit in (await archive.issues.search("zqueen")).hits] == [2]


async def test_an_upgraded_archive_finds_its_phrases_by_their_pairs(pg_url: str) -> None:
    # An archive as the newsbot before pairs left it: its items get theirs as it is opened.
    make_old_archive(pg_url, 5)
    async with await Archive.open(pg_url) as archive:
        for text in ('"robots of zürich"', '"of zurich"', '"plain news"'):
            page = await archive.issues.search(text)
            assert [hit.issue_number for hit in page.hits] == [7], text
        for text in ('"zürich plain"', '"news plain"'):
            assert (await archive.issues.search(text)).hits == (), text
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT newsbot_pairs(words)::text FROM items").fetchone()
        indexes = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'items_pairs'")
        assert "gin (newsbot_pairs(words), newsbot_era(id))" in str(indexes.fetchone())
    # Each title's and blurb's neighbours, never across the two, nor with the section.
    assert row is not None
    pairs = [("robots", "of"), ("of", "zurich"), ("plain", "news")]
    assert set(re.findall(r"'(\w+)'", row[0])) == {words.pair_lexeme(*pair) for pair in pairs}


async def test_an_upgraded_archive_finds_its_items_by_section(pg_url: str) -> None:
    # An archive as the newsbot before section lexemes left it: its items' words name their
    # sections once it is opened, as an ingest now writes them.
    items = [("news", "Robots of Zürich", "Plain news."), ("tools", "Robots kit", "A tool.")]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")  # the test's database comes migrated
        conn.execute("CREATE SCHEMA public")
        conn.execute("CREATE TABLE newsbot_schema (version INTEGER NOT NULL)")
        for migration in pg_migrations()[:4]:
            conn.execute(migration.sql.encode())
        conn.execute("INSERT INTO newsbot_schema (version) VALUES (4)")
        conn.execute(
            "INSERT INTO issues (number, title, intro, content_hash, next_slot, ingested_at,"
            " updated_at) VALUES (7, 'Weekly #7', '', 'x', 2, '2026-01-01', '2026-01-01')"
        )
        for slot, (slug, title, blurb) in enumerate(items):
            conn.execute(
                "INSERT INTO sections (id, issue_number, slug, name, position)"
                " VALUES (%s, 7, %s, %s, %s)",
                (slot + 1, slug, slug.title(), slot),
            )
            # The words as they were: without the section's lexeme.
            conn.execute(
                "INSERT INTO items (id, issue_number, section_id, key, position, title, blurb,"
                " words) VALUES (%s, 7, %s, %s, %s, %s, %s, ts_delete(%s::tsvector, %s))",
                ((7 << 20) | slot, slot + 1, f"k{slot}", slot, title, blurb,
                 words.tsvector(title, blurb, section=slug), f"§{slug}"),
            )  # fmt: skip
    async with await Archive.open(pg_url) as archive:
        for text in ("robots", "ro*", "rob*"):
            for slug, title, _ in items:
                page = await archive.issues.search(text, section=slug)
                assert [hit.item.title for hit in page.hits] == [title], (text, slug)
        assert (await archive.issues.search("zürich", section="tools")).hits == ()
    with psycopg.connect(pg_url) as conn:
        for slot, (slug, title, blurb) in enumerate(items):
            row = conn.execute(
                "SELECT words = %s::tsvector, prefixes::text FROM items WHERE id = %s",
                (words.tsvector(title, blurb, section=slug), (7 << 20) | slot),
            ).fetchone()
            assert row is not None
            # The same words as an ingest writes, their positions kept; no prefix of '§'.
            assert row[0] is True, slug
            assert "§" not in row[1], row[1]
