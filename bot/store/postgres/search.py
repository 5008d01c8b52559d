"""Full-text search on PostgreSQL: a GIN-indexed tsvector per item, the same query syntax and
the same hits as SQLite (`store/query.py` reads what a reader typed; `words.py` turns it into
a tsquery over the tokens SQLite's index holds)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import weakref
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

from bot.models import SearchHit, SearchPage
from bot.store import query as query_syntax
from bot.store.held import held_function, held_horizon
from bot.store.ingest import SLOT_BITS
from bot.store.postgres import recent, statement
from bot.store.postgres.database import PgConnection, PgDatabase
from bot.store.postgres.sections import section_query
from bot.store.postgres.statement import filter_bounds
from bot.store.postgres.words import (
    Matching,
    matching,
    phrases_of,
    snippet,
    tsquery,
)
from bot.store.query import SearchPlan, search_plan
from bot.store.related import fts_any_query
from bot.store.rows import read_hit
from bot.store.sections import SoughtSection

SEARCH_TIMEOUT_MS = 1_000
"""How long one statement of a search may run before PostgreSQL cancels it."""

_LIMITED_RANKING = "ranking took too long: matches are listed newest first, not ranked"
_LIMITED_STOPPED = "the search took too long and was stopped: try rarer or fewer words"


async def search(
    database: PgDatabase,
    text: str,
    *,
    section: SoughtSection | None = None,
    issue: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 10,
    offset: int = 0,
) -> SearchPage:
    """Items matching `text`, best first, as `SqliteIssues.search` finds them: the same plan
    (prefixes, common words, unranked lists), the same filters, issues readers cannot see yet
    left out; a statement over `SEARCH_TIMEOUT_MS` falls back as SQLite's budget does."""
    limit = max(1, min(limit, 100))
    offset = max(0, offset)
    plan = search_plan(text)
    match = matching(plan.fts) if plan is not None else None
    if plan is None or match is None:
        return SearchPage(hits=(), offset=offset, has_more=False)
    if plan.excluded is not None:
        match = match._replace(excluded=tsquery(plan.excluded))
    filters: dict[str, Any] = {"section": section, "issue": issue, "since": since, "until": until}
    filters["recent"] = query_syntax.COMMON_WORDS_ISSUES if plan.recent else None
    asked = await recent.asked_words(database, plan.fts)
    if asked is not None:
        match = match._replace(asked=asked)
    if section and section_query(section) is None:
        # No section has such a slug (a NUL, or longer than a lexeme): nothing is in it.
        return SearchPage(hits=(), offset=offset, has_more=False, limited=plan.limited)
    once = await _planned_once(database, plan.fts, match, filters) if plan.ranked else None
    first: DictRow | None
    if once is not None:
        # No look first: the search's own plan, made once (`_run`), answers a word no item
        # holds as soon as the look did (the index lists nothing).
        first, checked, walked, eras = once, False, False, False
    else:
        first = await _first_look(database, filters, match)
        if first is not None and first.get("found") is False:
            return SearchPage(hits=(), offset=offset, has_more=False, limited=plan.limited)
        first, checked, walked, eras = await _ways_in(database, plan, match, filters, first)
    limited = plan.limited
    rows = None
    if plan.ranked:
        rows = await _rows(
            database,
            match,
            True,
            filters,
            first,
            limit,
            offset,
            checked,
            walked,
            eras_walked=eras,
            generic=once is not None,
        )
        if rows is None:
            limited = _told(plan.limited, _LIMITED_RANKING)
    if rows is None:
        rows = await _rows(database, match, False, filters, first, limit, offset)
    if rows is None:
        stopped = _told(plan.limited, _LIMITED_STOPPED)
        return SearchPage(hits=(), offset=offset, has_more=False, limited=stopped)
    hits = tuple(_hit(row, plan.fts) for row in rows[:limit])
    return SearchPage(hits=hits, offset=offset, has_more=len(rows) > limit, limited=limited)


async def related(database: PgDatabase, text: str, *, limit: int = 5) -> list[SearchHit]:
    """Items sharing the telling words of `text` (a reader's message), best first."""
    fts = fts_any_query(text)
    match = matching(fts) if fts is not None else None
    if fts is None or match is None:
        return []
    limit = max(1, min(limit, 25))
    filters: dict[str, Any] = {"section": None, "issue": None, "since": None, "until": None}
    filters["recent"] = None
    first = await _first_look(database, filters, match)
    if first is not None and first.get("found") is False:
        return []
    found = await _rows(database, match, True, filters, first, limit, 0)
    return [_hit(row, fts) for row in (found or [])[:limit]]


async def _planned_once(
    database: PgDatabase, fts: str, match: Matching, filters: dict[str, Any]
) -> DictRow | None:
    """The bounds of a ranked search of `fts` when it runs the one statement whose plan is the
    same for every query it serves (`_run`'s `generic`); None when it does not.

    Nothing but words (a prefix, a phrase or many words are each a statement of its own), no
    filter (whose bounds the planner must know), and words whose best plan does not depend on
    which they are: in few items (`recent.few_matches`), listed by the words' index and sorted;
    or frequent, but not together in `recent.WALKED_FROM_SHARE` of items
    (`recent.may_fill_window`), listed by the window's index (`recent.window_first`) and
    sorted: a word in 0.7 % of a million items spent 0.65 ms on the look and 0.8 on planning,
    of its 6.5 ms.
    """
    if any(value is not None for value in filters.values()):
        return None
    if match.prefixes is not None or match.pairs is not None or match.asked is not None:
        return None
    if any(prefix for _, prefix in phrases_of(fts)):
        return None  # it may start a word in most items
    if await recent.few_matches(database, fts):
        # Nothing asks the window's indexes: they would not hold enough.
        return {"window_first": None}
    if await recent.may_fill_window(database, fts):
        return {"window_first": await recent.window_first(database)}
    return None


def _told(*notes: str | None) -> str:
    return "; ".join(note for note in notes if note)


async def _first_look(
    database: PgDatabase, filters: dict[str, Any], match: Matching
) -> DictRow | None:
    """The filters' issue bounds (`filter_bounds`) and whether some item matches the query's
    words, some its short prefixes and some its phrases' pairs (`found`), in one short
    statement; None if nothing is asked."""
    # Asking the index costs a lookup, and a query nothing matches (a typo, a made-up word)
    # is then answered without the search statement, whose planning is most of its time. A
    # prefix in `words` would have the index merge every word it starts (the search does
    # that); a short prefix is one lexeme of `prefixes`, as cheap as a word. A phrase's
    # words are asked apart, and its pairs of `pairs`: `words` knows no order, and would
    # read each item holding its words to find one where they meet.
    words = match.words if match.pairs is None else match.apart
    # Many words: their rarest (an item holding those may lack the rest, and the search finds
    # out; one holding none of them is answered here).
    words = words if match.asked is None else match.asked
    # Not for a phrase of very common words alone (`recent`), walked to among the newest
    # issues: the lists of their pairs are long, and intersecting them took 5 ms.
    pairs = match.pairs if filters["recent"] is None else None
    asked = (("words", words), ("prefixes", match.prefixes), ("pairs", pairs))
    probe = [(column, query) for column, query in asked if query and ":*" not in query]
    bounding = filter_bounds(**filters, probe=probe)
    if bounding is None:
        return None
    # Never prepared: a generic plan guesses a word's matches, and scans every item for one
    # that no item holds.
    found = await _run(database, *bounding)
    return found[0] if found else None


async def _ways_in(
    database: PgDatabase,
    plan: SearchPlan,
    match: Matching,
    filters: dict[str, Any],
    bounds: DictRow | None,
) -> tuple[DictRow | None, bool, bool, bool]:
    """How a ranked search finds its candidates: `bounds` without the window's start when the
    newest items' own indexes are not asked first (`recent.may_fill_window`, and not for a
    date window that ends before them or is walked or for eras walked), whether a date
    window's range of ids is checked on each match (`statement.ids_checked_apart`), whether it
    is walked newest first (for very common words, when the window is a range of ids), and
    whether the indexes are asked era by era, the newest first (`statement.ERA_BITS`).

    By era in a section or a date window, when every word of the query is among the
    planner's frequent ones: the newest eras hold the newest matches. Not for a prefix, whose
    words are not known, nor for a rare word: its few matches are listed at once, and a word
    in 300 of a million items took 3.5 ms asked era by era, 0.5 listed at once. Nor for one
    issue's items, nor for very common words among the recent issues alone. A phrase of
    frequent words without filters asks the window first, then the older eras if it found
    many matches there but too few (`statement.DENSE_IN_WINDOW`).
    """
    if bounds is None:
        return None, False, False, False
    dated = filters["since"] is not None or filters["until"] is not None
    filtered = dated or filters["section"] is not None
    by_era = filtered or match.pairs is not None
    by_era = by_era and filters["issue"] is None and filters["recent"] is None
    share = await recent.words_share(database, plan.fts) if dated or by_era else None
    common = dated and share is not None and share >= recent.WALKED_FROM_SHARE
    walked = common and bool(bounds.get("window_whole"))
    by_era = by_era and share is not None and not walked
    eras = by_era and not await recent.few_matches(database, plan.fts)
    if eras and filtered:
        return {**bounds, "window_first": None}, False, False, True
    checked = dated and share is not None and not common
    checked = checked and statement.ids_checked_apart(bounds, share)
    window_first, newest = bounds.get("window_first"), bounds.get("window_newest")
    if window_first is None:
        return bounds, checked, walked, eras
    before = newest is not None and (newest + 1) << SLOT_BITS <= window_first
    if walked or before or not await recent.may_fill_window(database, plan.fts):
        bounds = {**bounds, "window_first": None}
    return bounds, checked, walked, eras


async def _rows(
    database: PgDatabase,
    match: Matching,
    ranked: bool,
    filters: dict[str, Any],
    bounds: DictRow | None,
    limit: int,
    offset: int,
    ids_checked: bool = False,
    range_walked: bool = False,
    *,
    eras_walked: bool = False,
    generic: bool = False,
) -> list[DictRow] | None:
    """The page's rows (one extra tells `has_more`); None if the statement took too long.
    With `generic`, its plan is made once for every query (`_run`).

    One round trip: the statement itself leaves out the issues that may be held back (a
    publish_at ahead of the horizon, nothing sent); the rare one among them whose time has
    come after all is released by running the statement again without it.
    """
    # The bounds as numbers, not subqueries: a date window's bound read as a third of the
    # archive made the planner intersect the word's matches with a bitmap of every item.
    sql, params = statement.search_statement(
        ranked=ranked,
        **filters,
        match=match,
        bounds=bounds,
        ids_checked=ids_checked,
        range_walked=range_walked,
        eras_walked=eras_walked,
    )
    params.update(limit=limit + 1, offset=offset)
    params["horizon"] = held_horizon(database.clock())
    params["released"] = []
    held = held_function(database.clock, database.zone)
    while True:
        found = await _run(database, sql, params, generic=generic)
        if found is None:
            return None
        maybe_held = zip(found[0]["held_numbers"], found[0]["held_publish_at"], strict=True)
        released = [number for number, publish_at in maybe_held if not held(publish_at)]
        if not released:
            return [row for row in found if row["id"] is not None]
        params["released"] = params["released"] + released


_SETTINGS = (
    f"SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS};"
    # Starting parallel workers costs more than a search's whole plan.
    " SET LOCAL max_parallel_workers_per_gather = 0;"
    # The index and the items it points to are in memory: priced as read from a spinning
    # disk, the planner walked 140,000 items for a word in 7,000 rather than fetch those.
    " SET LOCAL random_page_cost = 1.1;"
    # A part of the statement that never runs (older matches, once the newest filled the
    # page) can be priced past JIT's threshold: compiling it took 33 ms of a 2 ms search.
    " SET LOCAL jit = off;"
)
"""The settings a search's statements run with, for that statement only."""


_GENERIC = " SET LOCAL plan_cache_mode = force_generic_plan;"
"""For a statement `_run` prepares: its one plan, made without the parameters' values, is what
it was prepared for (left to choose, PostgreSQL plans it again for each query's words)."""

_PARAMETER = re.compile(r"%\((\w+)\)s")
"""A parameter of a statement's SQL, as psycopg takes it: `%(name)s`."""

_prepared: weakref.WeakKeyDictionary[PgConnection, set[str]] = weakref.WeakKeyDictionary()
"""The statements each connection of the pool has prepared (`_run`'s `generic`), by name."""


async def _run(
    database: PgDatabase, sql: str, params: dict[str, Any], *, generic: bool = False
) -> list[DictRow] | None:
    """The rows of a search's statement, sent with its settings in one message, or None if it
    ran past `SEARCH_TIMEOUT_MS`. With `generic`, the statement is prepared once on each
    connection, and one plan, made without the parameters' values, serves every query: for
    statements whose best plan is the same whatever the values are."""
    # Parameters bound here, in one simple query, and the settings travel with the statement,
    # for it only. Not prepared unless asked: a generic plan cannot tell a rare word's few
    # matches from a common one's.
    try:
        async with database.connection() as conn:
            cursor = psycopg.AsyncClientCursor(conn, row_factory=dict_row)
            if generic:
                await _execute_prepared(conn, cursor, sql, params)
            else:
                await cursor.execute(_SETTINGS + sql, params, prepare=False)
            while cursor.nextset():
                pass
            return await cursor.fetchall()
    except psycopg.errors.QueryCanceled:
        return None


async def _execute_prepared(
    conn: PgConnection,
    cursor: psycopg.AsyncClientCursor[DictRow],
    sql: str,
    params: dict[str, Any],
) -> None:
    """Run `sql` as the statement the connection prepared of it, preparing it first if the
    connection has not: in one message with the settings, as `_run` sends any statement."""
    name, prepare, execute = _prepared_statement(generic_text(sql, params))
    prepared = _prepared.setdefault(conn, set())
    run = _SETTINGS + _GENERIC + execute
    first = name not in prepared
    # Prepared from now on: a statement stopped for its time was prepared all the same.
    prepared.add(name)
    try:
        await cursor.execute(prepare + run if first else run, params, prepare=False)
    except psycopg.errors.InvalidSqlStatementName:
        if first:
            raise
        # Deallocated on the server since (DEALLOCATE ALL, DISCARD ALL): prepared again.
        await cursor.execute(prepare + run, params, prepare=False)


def generic_text(sql: str, params: dict[str, Any]) -> str:
    """`sql` as it is prepared for one plan: the window's first id a number in its text."""
    if params.get("window_first") is None:
        return sql
    # As the window's indexes' condition is: the planner cannot match a parameter to it, and
    # a generic plan listed all 200,000 of the window's ids to keep a word's matches there
    # (18 ms, where the window's index of words took 5).
    return sql.replace("%(window_first)s", str(int(params["window_first"])))


@functools.lru_cache(maxsize=16)
def _prepared_statement(sql: str) -> tuple[str, str, str]:
    """The name a search's statement is prepared as, its PREPARE, and its EXECUTE, whose
    arguments are the statement's parameters, bound as `_run` binds them (its types are
    PostgreSQL's reading of the statement)."""
    names: list[str] = []

    def numbered(parameter: re.Match[str]) -> str:
        if parameter.group(1) not in names:
            names.append(parameter.group(1))
        return f"${names.index(parameter.group(1)) + 1}"

    body = _PARAMETER.sub(numbered, sql)
    digest = hashlib.md5(sql.encode(), usedforsecurity=False).hexdigest()
    name = f"newsbot_search_{digest[:16]}"
    arguments = ", ".join(f"%({parameter})s" for parameter in names)
    return name, f"PREPARE {name} AS {body};", f" EXECUTE {name}({arguments})"


def _hit(row: DictRow, fts: str) -> SearchHit:
    """One hit, with the snippet made here: PostgreSQL has no FTS5 `snippet()`."""
    return read_hit(row, snippet((row["title"], row["blurb"], row["abstract"]), fts))
