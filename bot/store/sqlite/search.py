"""Full-text search in SQLite: the search statements, their budget, and the read connections
they run on. `query.py` turns what a reader typed into FTS5 syntax."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START, FoundItem, SearchHit, SearchPage
from bot.store.sqlite import query as query_syntax
from bot.store.sqlite.held import HELD_ISSUES, Clock, held_horizon
from bot.store.sqlite.query import as_written, fts_any_query, fts_query, search_plan

SLOT_BITS = 20
"""An item id is `issue_number << SLOT_BITS | slot`."""

SEARCH_CANDIDATES = 1_000
"""How many of the newest matches a search ranks; a rarer term ranks all its matches. Each
costs bm25 a lookup and, under a section filter, its own check: at a million items, 2,000
took up to several times a search's 25 ms."""

MAIN_INDEX = "items_fts"
"""The full-text index of every item."""
RECENT_INDEX = "items_recent_fts"
"""The full-text index of the newest items alone (see recent.py)."""

_NO_ROWID = 2**63 - 1
"""Above every item id (those stay below 2**40): `rowid >= _NO_ROWID` matches nothing."""


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
    section: str | None = None,
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
    filters: dict[str, Any] = {"section": section, "issue": issue, "since": since, "until": until}
    filters["recent_issues"] = query_syntax.COMMON_WORDS_ISSUES if plan.recent else None
    limited = plan.limited
    rows = None
    if plan.ranked:
        sql, params = _statement(plan.fts, True, filters, limit, offset, clock())
        rows = await reader.rows(sql, params)
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
) -> tuple[str, dict[str, Any]]:
    statement = search_statement(
        "", **filters, limit=limit, offset=offset, fts=fts, now=now, ranked=ranked
    )
    assert statement is not None
    return statement


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


def search_statement(
    text: str,
    *,
    section: str | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    limit: int,
    offset: int,
    fts: str | None = None,
    now: dt.datetime | None = None,
    ranked: bool = True,
    recent_issues: int | None = None,
) -> tuple[str, dict[str, Any]] | None:
    """The SQL and parameters `search` runs (one extra row tells `has_more`).

    None when `text` has nothing searchable. `fts`, when given, is an FTS5 query built by this
    module and used instead of `text`. With `now`, issues readers cannot see then are left out
    (through the connection's `HELD_FUNCTION`). Without `ranked`, matches come newest first
    (score 0), which reads only as many as the page needs. With `recent_issues`, only that many
    of the newest issues are searched. Ranked, the candidates are scored in the recent index
    when it holds them all (see recent.py), else in the whole one. Module-level so benchmarks
    run the very same SQL.
    """
    query = fts_query(text) if fts is None else fts
    if query is None:
        return None
    joins, filters, params = _search_filters(
        section, issue, since, until, recent_issues, index=MAIN_INDEX
    )
    recent_joins, recent_filters, _ = _search_filters(
        section, issue, since, until, recent_issues, index=RECENT_INDEX
    )
    if now is not None:
        filters += f" AND ({MAIN_INDEX}.rowid >> {SLOT_BITS}) NOT IN ({HELD_ISSUES})"
        recent_filters += f" AND ({RECENT_INDEX}.rowid >> {SLOT_BITS}) NOT IN ({HELD_ISSUES})"
        params["horizon"] = held_horizon(now)
    if not ranked:
        return _newest_statement(joins, filters), {
            **params,
            "query": query,
            "start": HIGHLIGHT_START,
            "end": HIGHLIGHT_END,
            "limit": limit + 1,
            "offset": offset,
        }
    # One pass over a full-text index, newest first, scores each candidate as it goes (FTS5
    # walks rowids backwards natively); only the page's rows are joined and get a snippet.
    # The recent index is used if it holds the newest issue and the newest :candidates
    # matches: a LIMIT of 0 skips the other scan before it starts (a WHERE would not). The
    # candidates are kept whole before the page is taken, or SQLite repeats the page's join
    # in both arms of the union (a rare word's search took a quarter more time). An item's
    # position (the last tie-break) is read only for candidates up to the page's last one
    # by score and issue: reading every candidate's row cost a CJK word 4 of its 9 ms.
    sql = f"""
        WITH in_recent AS MATERIALIZED (
            SELECT count(*) = :candidates AS whole FROM (
                SELECT 1 FROM {RECENT_INDEX} {recent_joins}
                WHERE {RECENT_INDEX} MATCH :query {recent_filters}
                AND (SELECT last_issue FROM recent_window) >= (SELECT max(number) FROM issues)
                LIMIT :candidates)
        ),
        candidates AS MATERIALIZED (
            SELECT * FROM (
                SELECT {RECENT_INDEX}.rowid AS id, {RECENT_INDEX}.rank AS score
                FROM {RECENT_INDEX} {recent_joins}
                WHERE {RECENT_INDEX} MATCH :query {recent_filters}
                ORDER BY {RECENT_INDEX}.rowid DESC
                LIMIT (SELECT iif(whole, :candidates, 0) FROM in_recent))
            UNION ALL
            SELECT * FROM (
                SELECT {MAIN_INDEX}.rowid AS id, {MAIN_INDEX}.rank AS score
                FROM {MAIN_INDEX} {joins}
                WHERE {MAIN_INDEX} MATCH :query {filters}
                ORDER BY {MAIN_INDEX}.rowid DESC
                LIMIT (SELECT iif(whole, 0, :candidates) FROM in_recent))
        ),
        cutoff AS MATERIALIZED (
            SELECT score, id >> {SLOT_BITS} AS issue FROM candidates
            ORDER BY score, issue DESC LIMIT 1 OFFSET :last
        ),
        page AS (
            SELECT c.id, c.score, c.id >> {SLOT_BITS} AS issue_number, i.position
            FROM candidates c JOIN items i ON i.id = c.id
            WHERE NOT EXISTS (SELECT 1 FROM cutoff)
            OR (c.score, -(c.id >> {SLOT_BITS})) <= (SELECT score, -issue FROM cutoff)
            ORDER BY c.score, issue_number DESC, i.position
            LIMIT :limit OFFSET :offset
        )
        SELECT i.id, i.title, i.link, i.blurb, i.abstract, i.editor_note,
               i.issue_number, n.title AS issue_title, n.date AS issue_date,
               s.name AS section_name, s.slug AS section_slug, page.score AS score,
               snippet(items_fts, -1, :start, :end, '…', 16) AS snippet
        FROM page
        CROSS JOIN items_fts ON items_fts.rowid = page.id
        JOIN items i ON i.id = page.id
        JOIN sections s ON s.id = i.section_id
        JOIN issues n ON n.number = i.issue_number
        WHERE items_fts MATCH :query
        ORDER BY page.score, page.issue_number DESC, page.position
    """  # noqa: S608 - `joins` and `filters` are fixed clauses; every value is a parameter
    params.update(
        query=query,
        candidates=SEARCH_CANDIDATES,
        start=HIGHLIGHT_START,
        end=HIGHLIGHT_END,
        limit=limit + 1,
        offset=offset,
        last=offset + limit,
    )
    return sql, params


def _newest_statement(joins: str, filters: str) -> str:
    """The search SQL without bm25: the newest matches, as many as the page needs."""
    return f"""
        WITH page AS (
            SELECT items_fts.rowid AS id
            FROM items_fts {joins}
            WHERE items_fts MATCH :query {filters}
            ORDER BY items_fts.rowid DESC
            LIMIT :limit OFFSET :offset
        )
        SELECT i.id, i.title, i.link, i.blurb, i.abstract, i.editor_note,
               i.issue_number, n.title AS issue_title, n.date AS issue_date,
               s.name AS section_name, s.slug AS section_slug, 0.0 AS score,
               snippet(items_fts, -1, :start, :end, '…', 16) AS snippet
        FROM page
        CROSS JOIN items_fts ON items_fts.rowid = page.id
        JOIN items i ON i.id = page.id
        JOIN sections s ON s.id = i.section_id
        JOIN issues n ON n.number = i.issue_number
        WHERE items_fts MATCH :query
        ORDER BY page.id DESC
    """  # noqa: S608 - `joins` and `filters` are fixed clauses; every value is a parameter


def _search_filters(
    section: str | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    recent_issues: int | None,
    *,
    index: str,
) -> tuple[str, str, dict[str, Any]]:
    """Joins, WHERE clauses and parameters restricting the scan of `index` to the filters (and
    with `recent_issues`, to that many of the newest issues they allow).

    Besides the exact conditions, each filter bounds the scanned rowid range by the first and
    last issue it can match (ids are `issue << SLOT_BITS | slot`), so FTS5 skips the rest of
    the index: an unknown section or a date range without issues costs nothing, and an old
    date range does not walk through every newer match first.
    """
    joins: list[str] = []
    clauses: list[str] = []
    lowest: list[str] = []  # first issue numbers the filters allow; the scan takes the largest
    highest: list[str] = []
    params: dict[str, Any] = {}
    if section:
        # Through two narrow indexes, not the items' rows: a common word in a section checks
        # thousands of matches, and reading each one's row costs more than ranking it.
        clauses.append(_IN_SECTION.format(index=index))
        lowest.append("(SELECT min(issue_number) FROM sections WHERE slug = :section)")
        highest.append("(SELECT max(issue_number) FROM sections WHERE slug = :section)")
        params["section"] = section
    if issue is not None:
        lowest.append(":issue")
        highest.append(":issue")
        params["issue"] = issue
    if since is not None or until is not None:
        joins.append(f"JOIN issues n ON n.number = {index}.rowid >> {SLOT_BITS}")
        window: list[str] = []
        if since is not None:
            window.append("date >= :since")
            params["since"] = since.isoformat()
        if until is not None:
            window.append("date <= :until")
            params["until"] = until.isoformat()
        clauses.extend(f"AND n.{condition}" for condition in window)
        # Through the date index, the cost follows the issues in the window, not the archive.
        in_window = f"FROM issues INDEXED BY issues_by_date WHERE {' AND '.join(window)}"
        lowest.append(f"(SELECT min(number) {in_window})")
        highest.append(f"(SELECT max(number) {in_window})")
    if recent_issues is not None:
        newest = [*highest, "(SELECT max(number) FROM issues)"]
        lowest.append(f"({_scalar('min', newest)} - :recent + 1)")
        params["recent"] = recent_issues
    # A NULL bound (no such section, no issue in those dates) must match nothing, but FTS5
    # reads a NULL rowid limit as no limit: turn it into an empty range.
    if lowest:
        clauses.append(
            f"AND {index}.rowid >= coalesce({_scalar('max', lowest)} << {SLOT_BITS}, {_NO_ROWID})"
        )
    if highest:
        clauses.append(
            f"AND {index}.rowid < coalesce(({_scalar('min', highest)} + 1) << {SLOT_BITS}, 0)"
        )
    return " ".join(joins), " ".join(clauses), params


_IN_SECTION = f"""AND EXISTS (
    SELECT 1 FROM items INDEXED BY items_by_section
    WHERE id = {{index}}.rowid AND section_id = (
        SELECT id FROM sections WHERE issue_number = {{index}}.rowid >> {SLOT_BITS}
        AND slug = :section))"""  # noqa: S608 - fixed text; the section is a parameter
"""The match is in the section: its issue's section of that slug holds it."""


def _scalar(function: str, terms: list[str]) -> str:
    """SQL for the scalar `min` or `max` of `terms` (NULL if any is NULL)."""
    # With one argument, min() and max() would be the aggregate functions.
    return terms[0] if len(terms) == 1 else f"{function}({', '.join(terms)})"


def _hit(row: aiosqlite.Row) -> SearchHit:
    # The row was validated as part of an `Issue` on ingest; validating the item again (its
    # link through markdown-it) would cost more than the query itself.
    item = FoundItem(
        title=row["title"],
        link=row["link"],
        blurb=row["blurb"],
        abstract=row["abstract"],
        editor_note=row["editor_note"],
    )
    return SearchHit(
        item_id=row["id"],
        item=item,
        issue_number=row["issue_number"],
        issue_title=row["issue_title"],
        issue_date=row["issue_date"],
        section_name=row["section_name"],
        section_slug=row["section_slug"],
        score=row["score"],
        snippet=as_written(row["snippet"] or ""),
    )
