"""The SQL of full-text searches in SQLite: the ranked and newest-first statements over the
full-text indexes, and the filters bounding each scan. search.py runs them; benchmarks run the
very same SQL."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START
from bot.store.held import held_horizon
from bot.store.ingest import SLOT_BITS
from bot.store.query import SEARCH_CANDIDATES as SEARCH_CANDIDATES  # read here by search.py
from bot.store.query import fts_query, holds_phrase
from bot.store.sections import SoughtSection
from bot.store.sqlite.held import HELD_ISSUES

MAIN_INDEX = "items_fts"
"""The full-text index of every item."""
RECENT_INDEX = "items_recent_fts"
"""The full-text index of the newest items alone (see recent.py)."""

_NO_ROWID = 2**63 - 1
"""Above every item id (those stay below 2**40): `rowid >= _NO_ROWID` matches nothing."""


def search_statement(
    text: str,
    *,
    section: SoughtSection | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    limit: int,
    offset: int,
    fts: str | None = None,
    now: dt.datetime | None = None,
    ranked: bool = True,
    recent_issues: int | None = None,
    recent_only: bool = False,
    before_issue: int | None = None,
) -> tuple[str, dict[str, Any]] | None:
    """The SQL and parameters `search` runs (one extra row tells `has_more`).

    None when `text` has nothing searchable. `fts`, when given, is an FTS5 query built by this
    module and used instead of `text`. With `now`, issues readers cannot see then are left out
    (through the connection's `HELD_FUNCTION`). Without `ranked`, matches come newest first
    (score 0), which reads only as many as the page needs. With `recent_issues`, only that many
    of the newest issues are searched. Ranked, the candidates are scored in the recent index
    when it holds them all (see recent.py), else in the whole one; with `recent_only`, in the
    recent index whatever it holds. With `before_issue`, only older issues are searched.
    Module-level so benchmarks run the very same SQL.
    """
    query = fts_query(text) if fts is None else fts
    if query is None:
        return None
    bounds = (section, issue, since, until, recent_issues, before_issue)
    joins, filters, params = _search_filters(*bounds, index=MAIN_INDEX, now=now)
    recent_joins, recent_filters, _ = _search_filters(*bounds, index=RECENT_INDEX, now=now)
    # The page's snippets are read in one scan of its range of ids (`_page_rows`) where that
    # range holds few other matches: newest first, none; ranked, candidates only (a date,
    # issue or recent filter bounds it as the scan). Not a section's, scattered among other
    # items, nor a ranked phrase's, whose range has every item holding its words checked.
    by_range = section is None and not (ranked and holds_phrase(query))
    if not ranked:
        return _newest_statement(joins, filters, by_range), {
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
                WHERE {RECENT_INDEX} MATCH :query {recent_filters} AND NOT :recent_only
                AND (SELECT last_issue FROM recent_window) >= (SELECT max(number) FROM issues)
                LIMIT :candidates)
        ),
        candidates AS MATERIALIZED (
            SELECT * FROM (
                SELECT {RECENT_INDEX}.rowid AS id, {RECENT_INDEX}.rank AS score
                FROM {RECENT_INDEX} {recent_joins}
                WHERE {RECENT_INDEX} MATCH :query {recent_filters}
                ORDER BY {RECENT_INDEX}.rowid DESC
                LIMIT (SELECT iif(whole OR :recent_only, :candidates, 0) FROM in_recent))
            UNION ALL
            SELECT * FROM (
                SELECT {MAIN_INDEX}.rowid AS id, {MAIN_INDEX}.rank AS score
                FROM {MAIN_INDEX} {joins}
                WHERE {MAIN_INDEX} MATCH :query {filters}
                ORDER BY {MAIN_INDEX}.rowid DESC
                LIMIT (SELECT iif(whole OR :recent_only, 0, :candidates) FROM in_recent))
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
        {_page_rows("page.score", "page.score, page.issue_number DESC, page.position", by_range)}
    """  # noqa: S608 - `joins` and `filters` are fixed clauses; every value is a parameter
    params.update(
        query=query,
        recent_only=recent_only,
        candidates=SEARCH_CANDIDATES,
        start=HIGHLIGHT_START,
        end=HIGHLIGHT_END,
        limit=limit + 1,
        offset=offset,
        last=offset + limit,
    )
    return sql, params


def _newest_statement(joins: str, filters: str, by_range: bool) -> str:
    """The search SQL without bm25: the newest matches, as many as the page needs."""
    return f"""
        WITH page AS (
            SELECT items_fts.rowid AS id
            FROM items_fts {joins}
            WHERE items_fts MATCH :query {filters}
            ORDER BY items_fts.rowid DESC
            LIMIT :limit OFFSET :offset
        )
        {_page_rows("0.0", "page.id DESC", by_range)}
    """  # noqa: S608 - `joins` and `filters` are fixed clauses; every value is a parameter


def _page_rows(score: str, order: str, by_range: bool) -> str:
    """The SQL reading the rows of the `page` of ids: each hit's fields, its `score` and its
    snippet, in `order`.

    The snippet needs the row's match in the full-text index. Looked up by id, each row sets
    FTS5 up to seek the query's terms in every segment of the index again: 11 rows took two
    thirds of a rare word's statement. `by_range` reads them in one scan of the
    matches between the page's ids instead, for pages whose range holds few other matches.
    """
    if by_range:
        # No row for an empty page: the scan is not even set up.
        matched = """(SELECT * FROM (SELECT min(id) AS first, max(id) AS last FROM page)
            WHERE first IS NOT NULL) AS bounds
        CROSS JOIN items_fts
        CROSS JOIN page ON page.id = +items_fts.rowid"""
        in_range = "AND items_fts.rowid >= bounds.first AND items_fts.rowid <= bounds.last"
    else:
        matched, in_range = "page CROSS JOIN items_fts ON items_fts.rowid = page.id", ""
    return f"""
        SELECT i.id, i.title, i.link, i.blurb, i.abstract, i.editor_note,
               i.issue_number, n.title AS issue_title, n.date AS issue_date,
               s.name AS section_name, s.slug AS section_slug, {score} AS score,
               snippet(items_fts, -1, :start, :end, '…', 16) AS snippet
        FROM {matched}
        JOIN items i ON i.id = page.id
        JOIN sections s ON s.id = i.section_id
        JOIN issues n ON n.number = i.issue_number
        WHERE items_fts MATCH :query {in_range}
        ORDER BY {order}
    """  # noqa: S608 - fixed text from this module


def phrase_statement(
    filters: dict[str, Any], query: str, apart: str, now: dt.datetime
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters telling the recent index's issues and how many of its items
    match `query` and `apart` (each at most `SEARCH_CANDIDATES`) under the filters; no row
    without a recent index holding the newest issue."""
    joins, clauses, params = _search_filters(
        filters["section"],
        filters["issue"],
        filters["since"],
        filters["until"],
        filters["recent_issues"],
        None,
        index=RECENT_INDEX,
        now=now,
    )
    matching = f"""SELECT count(*) FROM (
            SELECT 1 FROM {RECENT_INDEX} {joins}
            WHERE {RECENT_INDEX} MATCH :{{}} {clauses} LIMIT :candidates)"""  # noqa: S608
    sql = f"""
        SELECT first_issue, last_issue,
               ({matching.format("query")}) AS matches, ({matching.format("apart")}) AS words
        FROM recent_window
        WHERE first_issue <= last_issue AND last_issue >= (SELECT max(number) FROM issues)
    """  # noqa: S608 - `joins` and `clauses` are fixed clauses; every value is a parameter
    return sql, {**params, "query": query, "apart": apart, "candidates": SEARCH_CANDIDATES}


def _search_filters(
    section: SoughtSection | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    recent_issues: int | None,
    before_issue: int | None,
    *,
    index: str,
    now: dt.datetime | None,
) -> tuple[str, str, dict[str, Any]]:
    """Joins, WHERE clauses and parameters restricting the scan of `index` to the filters (and
    with `recent_issues`, to that many of the newest issues they allow; with `before_issue`,
    to issues before it; with `now`, to issues readers can see then).

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
        # Through a narrow table, not the items' rows: a common word in a section checks
        # thousands of matches, and reading each one's row costs more than ranking it. A join
        # the full-text index leads (CROSS), for the planner never to scan the table first.
        joins.append(f"CROSS JOIN item_sections ins ON ins.id = {index}.rowid")
        clauses.append(_in_section(section, params))
        slugs = "slug = :section" if section.older is None else "slug IN (:section, :older)"
        lowest.append(f"(SELECT min(issue_number) FROM sections WHERE {slugs})")  # noqa: S608
        highest.append(f"(SELECT max(issue_number) FROM sections WHERE {slugs})")  # noqa: S608
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
    if before_issue is not None:
        highest.append(":before")
        params["before"] = before_issue - 1
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
    if now is not None:
        clauses.append(f"AND ({index}.rowid >> {SLOT_BITS}) NOT IN ({HELD_ISSUES})")
        params["horizon"] = held_horizon(now)
    return " ".join(joins), " ".join(clauses), params


def _in_section(sought: SoughtSection, params: dict[str, Any]) -> str:
    """The WHERE clause keeping the items of the `sought` section (`ins`: `item_sections`):
    under a slug other sections have too, only those of its names (an issue has one section
    of a slug, whose row tells its name)."""
    params["section"] = sought.slug
    under = [_under("section", sought.names, params)]
    if sought.older is not None:
        params["older"] = sought.older
        under.append(_under("older", sought.older_names, params))
    return f"AND ({' OR '.join(under)})"


def _under(slug: str, names: tuple[str, ...] | None, params: dict[str, Any]) -> str:
    """The condition on `ins` of an item under the slug of parameter `slug`, in a section
    named one of `names` (any with None)."""
    if names is None:
        return f"ins.slug = :{slug}"
    params[f"{slug}_names"] = json.dumps(names)
    return f"""ins.slug = :{slug} AND EXISTS (SELECT 1 FROM sections s
        WHERE s.slug = :{slug} AND s.issue_number = ins.id >> {SLOT_BITS}
        AND s.name IN (SELECT value FROM json_each(:{slug}_names)))"""  # noqa: S608 - fixed text


def _scalar(function: str, terms: list[str]) -> str:
    """SQL for the scalar `min` or `max` of `terms` (NULL if any is NULL)."""
    # With one argument, min() and max() would be the aggregate functions.
    return terms[0] if len(terms) == 1 else f"{function}({', '.join(terms)})"
