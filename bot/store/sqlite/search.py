"""Full-text search in SQLite: which statements a search runs, their budget, and the read
connections they run on. `query.py` turns what a reader typed into FTS5 syntax, `statement.py`
writes the statements."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.models import SearchHit, SearchPage
from bot.store import query as query_syntax
from bot.store.held import Clock
from bot.store.query import SearchPlan, as_written, search_plan
from bot.store.related import fts_any_query
from bot.store.rows import read_hit
from bot.store.sections import SoughtSection
from bot.store.sqlite import statement

SEARCH_BUDGET = 2_000_000
"""SQLite VM steps a statement of a search may take before it is interrupted."""
SEARCH_TIME_BUDGET = 0.25
"""Seconds a statement of a search may take before it is interrupted, whatever its steps."""
BUDGET_GRAIN = 1_000
"""VM steps between two looks at the budget."""

_LIMITED_RANKING = "ranking took too long: matches are listed newest first, not ranked"
_LIMITED_STOPPED = "the search took too long and was stopped: try rarer or fewer words"


class SearchBudget:
    """How much work the statement on one connection may still do: SQLite's progress handler,
    which interrupts it once `SEARCH_BUDGET` steps or `SEARCH_TIME_BUDGET` are spent."""

    def __init__(self) -> None:
        self.left = 0
        self.deadline: float | None = None

    def start(self) -> None:
        """Give the next statement the whole budget."""
        self.left = SEARCH_BUDGET
        self.deadline = None

    def __call__(self) -> int:
        self.left -= BUDGET_GRAIN
        now = time.monotonic()
        # The clock starts in the database thread, at the statement's first look at the budget:
        # time spent queued behind other work on a busy machine is not the statement's.
        if self.deadline is None:
            self.deadline = now + SEARCH_TIME_BUDGET
        return 1 if self.left < 0 or now > self.deadline else 0


@dataclass(frozen=True)
class SearchReader:
    """A read-only connection for searches and the budget its progress handler enforces."""

    db: aiosqlite.Connection
    budget: SearchBudget

    async def rows(self, sql: str, params: dict[str, Any]) -> list[aiosqlite.Row] | None:
        """The statement's rows, or None if it ran over its budget and was interrupted."""
        self.budget.start()
        try:
            # One round trip to the database thread: execute and fetch together.
            return list(await self.db.execute_fetchall(sql, params))
        except sqlite3.OperationalError as error:
            if str(error) != "interrupted":
                raise
            return None


async def search(
    reader: SearchReader,
    clock: Clock,
    text: str,
    *,
    section: SoughtSection | None = None,
    issue: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 10,
    offset: int = 0,
) -> SearchPage:
    """Items matching `text`, best first (bm25, titles weighted most, ties to newer issues).

    A term matching very many items is ranked among its newest `SEARCH_CANDIDATES` matches,
    which keeps every query fast on a large archive; rarer terms rank all their matches.
    Queries bm25 cannot rank fast (see `search_plan`), and any that runs over
    `SEARCH_BUDGET`, list their matches newest first instead; one still over it answers no
    hits. Either way the page's `limited` tells the reader. Issues readers cannot see yet are
    left out.
    """
    limit = max(1, min(limit, 100))
    offset = max(0, offset)
    plan = search_plan(text)
    if plan is None:
        return SearchPage(hits=(), offset=offset, has_more=False)
    # Excluded terms are FTS5's NOT in every statement: an item holding one never matches.
    plan = plan.in_fts5()
    filters: dict[str, Any] = {"section": section, "issue": issue, "since": since, "until": until}
    filters["recent_issues"] = query_syntax.COMMON_WORDS_ISSUES if plan.recent else None
    limited = plan.limited
    rows = None
    if plan.ranked:
        phrase = await _phrase_in_recent(reader, plan, filters, clock())
        if phrase is None:
            sql, params = _statement(plan.fts, True, filters, limit, offset, clock())
            rows = await reader.rows(sql, params)
        else:
            rows = await _recent_ranked_first(reader, plan, filters, phrase, limit, offset, clock())
            limited = _told(plan.limited, _phrase_note(phrase))
        if rows is None:
            limited = _told(plan.limited, _LIMITED_RANKING)
    if rows is None:
        sql, params = _statement(plan.newest_first, False, filters, limit, offset, clock())
        rows = await reader.rows(sql, params)
    if rows is None:
        stopped = _told(plan.limited, _LIMITED_STOPPED)
        return SearchPage(hits=(), offset=offset, has_more=False, limited=stopped)
    hits = tuple(_hit(row) for row in rows[:limit])
    return SearchPage(hits=hits, offset=offset, has_more=len(rows) > limit, limited=limited)


def _told(*notes: str | None) -> str:
    """What was limited, each note after the other."""
    return "; ".join(note for note in notes if note)


def _statement(
    fts: str,
    ranked: bool,
    filters: dict[str, Any],
    limit: int,
    offset: int,
    now: dt.datetime,
    **recent: Any,
) -> tuple[str, dict[str, Any]]:
    searched = statement.search_statement(
        "", **filters, limit=limit, offset=offset, fts=fts, now=now, ranked=ranked, **recent
    )
    assert searched is not None
    return searched


@dataclass(frozen=True)
class _RecentPhrase:
    """A phrase whose words meet in too many items to check its order in each: its matches
    in the recent index are ranked, older ones follow newest first."""

    matches: int
    """The query's matches the recent index holds (under the filters): fewer than
    `SEARCH_CANDIDATES`."""
    first_issue: int
    """The recent index's first issue: older matches are in issues before it."""
    issues: int
    """How many issues the recent index holds."""


async def _phrase_in_recent(
    reader: SearchReader, plan: SearchPlan, filters: dict[str, Any], now: dt.datetime
) -> _RecentPhrase | None:
    """Whether a ranked query's phrase is ranked in the recent index alone: when its words
    are common there (in `SEARCH_CANDIDATES` of its items or more) but the phrase is not.

    bm25 counts every item holding a phrase, and finding those means reading its words'
    positions in every item holding them all: for two words meeting in 10 % of a million
    items, twice 10-20 ms. None for any other query, or without a recent index.
    """
    if plan.apart is None:
        return None
    probe = statement.phrase_statement(filters, plan.fts, plan.apart, now)
    found = await reader.rows(*probe)
    if not found:
        return None
    row = found[0]
    candidates = statement.SEARCH_CANDIDATES
    common = row["words"] == candidates and row["matches"] < candidates
    if not common:
        return None
    issues = row["last_issue"] - row["first_issue"] + 1
    return _RecentPhrase(row["matches"], row["first_issue"], issues)


async def _recent_ranked_first(
    reader: SearchReader,
    plan: SearchPlan,
    filters: dict[str, Any],
    phrase: _RecentPhrase,
    limit: int,
    offset: int,
    now: dt.datetime,
) -> list[aiosqlite.Row] | None:
    """The page (and one row more) of a phrase ranked in the recent index, followed by its
    older matches newest first: the newest `SEARCH_CANDIDATES` matches in all, as any other
    ranked query's. None if a statement ran over its budget."""
    rows: list[aiosqlite.Row] = []
    if offset < phrase.matches:
        ranked = _statement(plan.fts, True, filters, limit, offset, now, recent_only=True)
        found = await reader.rows(*ranked)
        if found is None:
            return None
        rows = found
    older_offset = max(0, offset - phrase.matches)
    left = statement.SEARCH_CANDIDATES - phrase.matches - older_offset
    older = min(limit + 1 - len(rows), left)
    if older > 0:
        newest = _statement(
            plan.newest_first,
            False,
            filters,
            older - 1,
            older_offset,
            now,
            before_issue=phrase.first_issue,
        )
        found = await reader.rows(*newest)
        if found is None:
            return None
        rows += found
    return rows


def _phrase_note(phrase: _RecentPhrase) -> str:
    return (
        f"a phrase of common words: its matches in the newest {phrase.issues:,} issues are"
        " ranked, older ones follow newest first"
    )


async def related(
    reader: SearchReader, clock: Clock, text: str, *, limit: int = 5
) -> list[SearchHit]:
    """Items sharing the telling words of `text` (a reader's message), best first; none if
    that takes more than `SEARCH_BUDGET`."""
    query = fts_any_query(text)
    if query is None:
        return []
    limit = max(1, min(limit, 25))
    filters: dict[str, Any] = {
        "section": None,
        "issue": None,
        "since": None,
        "until": None,
        "recent_issues": None,
    }
    sql, params = _statement(query, True, filters, limit, 0, clock())
    rows = await reader.rows(sql, params)
    return [_hit(row) for row in (rows or [])[:limit]]


def _hit(row: aiosqlite.Row) -> SearchHit:
    """One hit, its snippet (cut by FTS5 from the text as indexed) as the item writes it."""
    fields = (row["title"], row["blurb"], row["abstract"])
    return read_hit(row, as_written(row["snippet"] or "", fields))
