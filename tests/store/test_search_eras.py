"""How PostgreSQL finds the newest matches of frequent words in a section or a date window, and
of a phrase the newest items hold too few of: it asks its indexes era by era, the newest first
(`statement.ERA_BITS`), stops once it has found the newest it ranks, and finds what SQLite
finds."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.models import Issue
from bot.store import Archive
from bot.store.ingest import SLOT_BITS
from bot.store.postgres import recent, statement
from bot.store.postgres.words import matching
from bot.store.sections import SoughtSection
from bot.store.sqlite import statement as sqlite_statement
from tests.factories import issue, item
from tests.store.test_search_postgres import (
    holding,
    make_old_archive,
    searches,
    sent_statements,
)

ERA_ISSUES = 1 << (statement.ERA_BITS - SLOT_BITS)
"""The issues of one era: 512."""
NUMBERS = [1 + 300 * k for k in range(12)]
"""Issues 300 apart, over seven eras (0 to 6), in the order of their dates."""
DAY = dt.date(2020, 1, 1)
CANDIDATES = 5
"""The newest matches a search ranks, scaled down: fewer than an era holds."""


def era_issues() -> list[Issue]:
    """Each issue: News of six items, each saying robots, every other one gamma; Tools of two,
    the first saying gamma. The oldest issue's last News item says zqueen."""
    return [
        issue(
            number,
            {
                "News": [item(f"Robots {number} {slot}" + (" gamma" if slot % 2 == 0 else "")
                              + (" zqueen" if (number, slot) == (1, 5) else ""),
                              f"https://n.example/{number}/{slot}") for slot in range(6)],
                "Tools": [item(f"Kit {number} {slot}" + (" gamma" if slot == 0 else ""),
                               f"https://t.example/{number}/{slot}") for slot in range(2)],
            },
            date=DAY + dt.timedelta(k),
        )
        for k, number in enumerate(NUMBERS)
    ]  # fmt: skip


def newest_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both backends rank the newest `CANDIDATES` matches."""
    monkeypatch.setattr(statement, "SEARCH_CANDIDATES", CANDIDATES)
    monkeypatch.setattr(sqlite_statement, "SEARCH_CANDIDATES", CANDIDATES)


async def every_page(archive: Archive, text: str, **filters: Any) -> list[list[int]]:
    """The item ids of every page of three, in order."""
    found, offset = [], 0
    while True:
        page = await archive.issues.search(text, limit=3, offset=offset, **filters)
        found.append([hit.item_id for hit in page.hits])
        if not page.has_more:
            return found
        offset += 3


async def test_frequent_words_in_a_section_or_a_window_are_asked_era_by_era(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest_candidates(monkeypatch)
    # (Scaled down: no word here is common enough for a date window to be walked item by item.)
    monkeypatch.setattr(recent, "WALKED_FROM_SHARE", 1.0)
    async with holding(tmp_path, pg_url, era_issues()) as (sqlite, postgres):
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ANALYZE items")
        statements = sent_statements(monkeypatch)
        cases: list[tuple[str, dict[str, Any]]] = [
            ("gamma", {"section": "tools"}),
            ("robots gamma", {"section": "news"}),
            ("gamma", {"until": DAY + dt.timedelta(7)}),
            ("gamma", {"since": DAY + dt.timedelta(2), "until": DAY + dt.timedelta(9)}),
            ("kit", {"section": "tools", "since": DAY + dt.timedelta(4)}),
            ('"robots 1"', {"section": "news", "until": DAY + dt.timedelta(10)}),
            ('"0 gamma"', {}),  # a phrase: its pairs' index is asked by era
            ('"robots 1"', {}),  # found in the oldest era alone
        ]
        for text, filters in cases:
            statements.clear()
            found = [one for page in await every_page(postgres, text, **filters) for one in page]
            # The newest five matches the filters allow, each once: those SQLite ranks (each
            # ranks them its own way: bm25 counts an item's length, ts_rank does not).
            expected = [one for page in await every_page(sqlite, text, **filters) for one in page]
            assert sorted(found) == sorted(expected), (text, filters)
            assert len(set(found)) == len(found) == CANDIDATES, (text, filters)
            searched = [one for one in searches(statements) if "held AS MATERIALIZED" in one]
            assert searched and all("generate_series" in one for one in searched), (text, filters)


def era_walk_plan(
    pg_url: str, text: str, bounds: dict[str, Any] | None = None, **filters: Any
) -> list[str]:
    """EXPLAIN ANALYZE of the statement that walks the eras for `text` under `filters`."""
    match = matching(text)
    assert match is not None
    asked = {"section": None, "issue": None, "since": None, "until": None, "recent": None}
    sql, params = statement.search_statement(
        ranked=True, **{**asked, **filters}, match=match, bounds=bounds, eras_walked=True
    )
    params.update(limit=11, offset=0, released=[], horizon="2026-01-01T00:00:00")
    with psycopg.connect(pg_url, cursor_factory=psycopg.ClientCursor) as conn:
        return [row[0] for row in conn.execute(f"EXPLAIN (ANALYZE) {sql}", params).fetchall()]


def matches_read(plan: list[str]) -> int:
    """How many items the walk's scans of the index read, over their loops, as EXPLAIN shows
    them (rows averaged over the loops, rounded down); the page's own items are read apart."""
    read = 0
    for line in plan:
        if "Bitmap Heap Scan on items" in line:
            rows, loops = re.findall(r"actual .* rows=(\d+) loops=(\d+)", line)[0]
            read += int(rows) * int(loops)
    return read


def eras_asked(plan: list[str]) -> int:
    """How many eras the walk asked the index for."""
    for line in plan:
        if "Function Scan on generate_series" in line:
            return int(re.findall(r"actual .* rows=(\d+)", line)[0])
    raise AssertionError("\n".join(plan))


async def test_an_era_walk_stops_once_it_holds_the_newest_matches(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest_candidates(monkeypatch)
    async with holding(tmp_path, pg_url, era_issues()):
        pass
    # Gamma is in three News items of each issue. The newest era holds one issue (3301), the
    # one before it two (2701, 3001): the walk stops after those two eras, having read their
    # nine matches.
    plan = era_walk_plan(pg_url, '"gamma"', section=SoughtSection("news"))
    assert eras_asked(plan) == 2, "\n".join(plan)
    assert matches_read(plan) <= 9, "\n".join(plan)
    # A window that ends at issue 2101 (era 4) starts there, and reads its four matches (News
    # and Tools), then 1801's (era 3).
    plan = era_walk_plan(pg_url, '"gamma"', until=DAY + dt.timedelta(7))
    assert eras_asked(plan) == 2, "\n".join(plan)
    assert matches_read(plan) <= 8, "\n".join(plan)
    # Zqueen is in the oldest issue alone: every era is asked, newest first, and one found.
    plan = era_walk_plan(pg_url, '"zqueen"', section=SoughtSection("news"))
    assert eras_asked(plan) == NUMBERS[-1] // ERA_ISSUES + 1, "\n".join(plan)


async def test_a_rare_word_in_a_section_is_listed_at_once(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not among the planner's frequent words: its few matches are listed by the index at
    # once, not era by era.
    monkeypatch.setattr(recent, "FEW_SHARE", 0.5)
    async with holding(tmp_path, pg_url, era_issues()) as (sqlite, postgres):
        # Statistics of ten words, which leave zqueen out (the default lists them all here).
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE items ALTER COLUMN words SET STATISTICS 1")
            conn.execute("ANALYZE items")
        assert "zqueen" not in await recent.frequent_words(postgres.issues._database)  # type: ignore[attr-defined]
        statements = sent_statements(monkeypatch)
        cases: list[tuple[str, dict[str, Any]]] = [
            ("zqueen", {"section": "news"}),
            ("zqueen", {"until": DAY}),
        ]
        for text, filters in cases:
            statements.clear()
            page = await postgres.issues.search(text, **filters)
            expected = await sqlite.issues.search(text, **filters)
            assert [hit.item_id for hit in page.hits] == [hit.item_id for hit in expected.hits]
            assert page.hits, (text, filters)
            searched = [one for one in searches(statements) if "held AS MATERIALIZED" in one]
            assert searched and "generate_series" not in searched[0], (text, filters)


async def test_an_items_era_is_its_issues_high_bits(pg_url: str) -> None:
    # The index's era (migration 0007) is the one the search asks for.
    with psycopg.connect(pg_url) as conn:
        for number in (1, ERA_ISSUES - 1, ERA_ISSUES, 3 * ERA_ISSUES + 7, 1 << 40):
            item_id = number << SLOT_BITS | 3
            era = conn.execute("SELECT newsbot_era(%s)::text", (item_id,)).fetchone()
            assert era == (f"'{number // ERA_ISSUES}'",), number


async def test_an_upgraded_archive_asks_its_indexes_by_era(pg_url: str) -> None:
    # An archive as the newsbot before eras left it: its indexes list them once it is opened.
    make_old_archive(pg_url, 6)
    async with await Archive.open(pg_url) as archive:
        cases: list[tuple[str, dict[str, Any]]] = [
            ("robots", {"section": "news"}),
            ('"robots of"', {}),
        ]
        for text, filters in cases:
            page = await archive.issues.search(text, **filters)
            assert [hit.issue_number for hit in page.hits] == [7], text
    with psycopg.connect(pg_url) as conn:
        indexes: dict[str, str] = dict(
            conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE indexname IN ('items_words', 'items_pairs')"
            ).fetchall()
        )
    assert indexes["items_words"].endswith("USING gin (words, newsbot_era(id))"), indexes
    pairs = "USING gin (newsbot_pairs(words), newsbot_era(id))"
    assert indexes["items_pairs"].endswith(pairs), indexes


def phrase_issues() -> list[Issue]:
    """24 issues 150 apart (eras 0 to 6) of ten News items: the first says "deep nets", the
    second of every fourth issue "sparse nets", the rest "wide nets"."""
    return [
        issue(
            number,
            {"News": [item(f"Robots {number} {slot} "
                           + ("deep" if slot == 0 else "sparse" if slot == 1 and k % 4 == 0
                              else "wide") + " nets",
                           f"https://n.example/{number}/{slot}") for slot in range(10)]},
            date=DAY + dt.timedelta(k),
        )
        for k, number in enumerate(1 + 150 * k for k in range(24))
    ]  # fmt: skip


def ran(plan: list[str], scan: str) -> bool:
    """Whether the plan's first node whose line holds `scan` ran."""
    line = next(line for line in plan if scan in line)
    return "never executed" not in line


async def test_a_phrase_found_often_in_the_window_asks_the_older_eras(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window scaled down to the newest 100 items (ten issues), 20 matches ranked, and a
    # phrase with 5 of them in the window dense enough to walk the older eras.
    monkeypatch.setattr(recent, "RECENT_ITEMS", 100)
    monkeypatch.setattr(recent, "RECENT_FROM_ITEMS", 200)
    monkeypatch.setattr(statement, "SEARCH_CANDIDATES", 20)
    monkeypatch.setattr(sqlite_statement, "SEARCH_CANDIDATES", 20)
    monkeypatch.setattr(statement, "DENSE_IN_WINDOW", 5)
    async with holding(tmp_path, pg_url, phrase_issues()) as (sqlite, postgres):
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ANALYZE items")
            row = conn.execute("SELECT first_id FROM search_window").fetchone()
        assert row is not None and row[0] == (1 + 150 * 14) << SLOT_BITS
        statements = sent_statements(monkeypatch)
        # Deep nets: 10 in the window, 14 older, the newest 10 of those by era. Sparse nets: 3
        # in the window, 3 older, listed at once. Wide nets: 80 in the window, enough.
        for text, walked, listed in [
            ('"deep nets"', True, False),
            ('"sparse nets"', False, True),
            ('"wide nets"', False, False),
        ]:
            statements.clear()
            found = [one for page in await every_page(postgres, text) for one in page]
            expected = [one for page in await every_page(sqlite, text) for one in page]
            assert sorted(found) == sorted(expected) and len(set(found)) == len(found), text
            searched = [one for one in searches(statements) if "held AS MATERIALIZED" in one]
            assert all("newest AS MATERIALIZED" in one for one in searched), text
            assert all("generate_series" in one for one in searched), text
            plan = era_walk_plan(pg_url, text, bounds={"window_first": row[0]})
            assert ran(plan, "Function Scan on generate_series") is walked, "\n".join(plan)
            assert ran(plan, "Bitmap Index Scan on items_pairs ") is listed, "\n".join(plan)
            if walked:
                # From the window's era (4, from issue 2101) down to issue 601's (1), the
                # oldest of the newest 20, and not the one below.
                assert eras_asked(plan) == 4, "\n".join(plan)
