"""Full-text search on PostgreSQL: a GIN-indexed tsvector per item, the same query syntax and
the same hits as SQLite (`sqlite/query.py` reads what a reader typed; `words.py` turns it into
a tsquery over the tokens SQLite's index holds)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from psycopg.rows import DictRow

from bot.models import Item, SearchHit, SearchPage
from bot.store.postgres.database import PgDatabase
from bot.store.postgres.words import snippet, tsquery
from bot.store.sqlite import query as query_syntax
from bot.store.sqlite.query import fts_any_query, search_plan
from bot.store.sqlite.search import SEARCH_CANDIDATES

SEARCH_TIMEOUT_MS = 1_000
"""How long one statement of a search may run before PostgreSQL cancels it."""
_RANK_WEIGHTS = "{0.0, 0.1, 0.2, 1.0}"
"""ts_rank's weights of D, C (abstracts), B (blurbs), A (titles): SQLite's bm25 10, 2, 1 scaled."""

_LIMITED_RANKING = "ranking took too long: matches are listed newest first, not ranked"
_LIMITED_STOPPED = "the search took too long and was stopped: try rarer or fewer words"


async def search(
    database: PgDatabase,
    text: str,
    *,
    section: str | None = None,
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
    query = tsquery(plan.fts) if plan is not None else None
    if plan is None or query is None:
        return SearchPage(hits=(), offset=offset, has_more=False)
    filters: dict[str, Any] = {"section": section, "issue": issue, "since": since, "until": until}
    filters["recent"] = query_syntax.COMMON_WORDS_ISSUES if plan.recent else None
    held = await database.held_issues()
    limited = plan.limited
    rows = None
    if plan.ranked:
        rows = await _rows(database, query, True, filters, held, limit, offset)
        if rows is None:
            limited = _told(plan.limited, _LIMITED_RANKING)
    if rows is None:
        rows = await _rows(database, query, False, filters, held, limit, offset)
    if rows is None:
        stopped = _told(plan.limited, _LIMITED_STOPPED)
        return SearchPage(hits=(), offset=offset, has_more=False, limited=stopped)
    hits = tuple(_hit(row, plan.fts) for row in rows[:limit])
    return SearchPage(hits=hits, offset=offset, has_more=len(rows) > limit, limited=limited)


async def related(database: PgDatabase, text: str, *, limit: int = 5) -> list[SearchHit]:
    """Items sharing the telling words of `text` (a reader's message), best first."""
    fts = fts_any_query(text)
    query = tsquery(fts) if fts is not None else None
    if fts is None or query is None:
        return []
    limit = max(1, min(limit, 25))
    filters: dict[str, Any] = {"section": None, "issue": None, "since": None, "until": None}
    filters["recent"] = None
    held = await database.held_issues()
    rows = await _rows(database, query, True, filters, held, limit, 0)
    return [_hit(row, fts) for row in (rows or [])[:limit]]


def _told(*notes: str | None) -> str:
    return "; ".join(note for note in notes if note)


async def _rows(
    database: PgDatabase,
    query: str,
    ranked: bool,
    filters: dict[str, Any],
    held: list[int],
    limit: int,
    offset: int,
) -> list[DictRow] | None:
    """The page's rows (one extra tells `has_more`), or None if the statement took too long."""
    sql, params = search_statement(ranked=ranked, **filters)
    params.update(query=query, held=held, limit=limit + 1, offset=offset)
    try:
        async with database.transaction() as conn:
            await conn.execute(f"SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS}")
            # Never a prepared statement: a generic plan cannot tell a rare word's few matches
            # from a common one's, and walks every item newest first for the rare one.
            cursor = await conn.execute(sql, params, prepare=False)
            return await cursor.fetchall()
    except psycopg.errors.QueryCanceled:
        return None


def search_statement(
    *,
    ranked: bool,
    section: str | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    recent: int | None,
) -> tuple[str, dict[str, Any]]:
    """The SQL `search` runs and its filter parameters; `query` (a tsquery's text), `held`,
    `limit` and `offset` are added by the caller. Module-level so benchmarks run the very
    same SQL.

    Ranked, the newest `SEARCH_CANDIDATES` matches are ranked (ts_rank, titles weighted most,
    ties to newer issues, as on SQLite); unranked, the newest matches come first.
    """
    joins: list[str] = []
    clauses: list[str] = []
    newest: list[str] = []  # the newest issue each filter allows
    params: dict[str, Any] = {}
    if section:
        joins.append("JOIN sections fs ON fs.id = i.section_id")
        clauses.append("AND fs.slug = %(section)s")
        newest.append("(SELECT max(issue_number) FROM sections WHERE slug = %(section)s)")
        params["section"] = section
    if issue is not None:
        clauses.append("AND i.issue_number = %(issue)s")
        newest.append("%(issue)s")
        params["issue"] = issue
    if since is not None or until is not None:
        joins.append("JOIN issues fn ON fn.number = i.issue_number")
        window: list[str] = []
        if since is not None:
            window.append("date >= %(since)s")
            params["since"] = since.isoformat()
        if until is not None:
            window.append("date <= %(until)s")
            params["until"] = until.isoformat()
        clauses.extend(f"AND fn.{condition}" for condition in window)
        newest.append(f"(SELECT max(number) FROM issues WHERE {' AND '.join(window)})")  # noqa: S608 - fixed clauses
    if recent is not None:
        newest.append("(SELECT max(number) FROM issues)")
        clauses.append(f"AND i.issue_number >= least({', '.join(newest)}) - %(recent)s + 1")
        params["recent"] = recent
    where = f"""
        FROM items i {" ".join(joins)}
        WHERE i.words @@ %(query)s::tsquery AND NOT (i.issue_number = ANY(%(held)s))
        {" ".join(clauses)}
    """
    if ranked:
        page = f"""
            WITH candidates AS (
                SELECT i.id {where} ORDER BY i.id DESC LIMIT %(candidates)s
            )
            SELECT i.id, -ts_rank('{_RANK_WEIGHTS}', i.words, %(query)s::tsquery) AS score
            FROM candidates c JOIN items i ON i.id = c.id
            ORDER BY score, i.issue_number DESC, i.position
            LIMIT %(limit)s OFFSET %(offset)s
        """  # noqa: S608 - the joins and clauses are fixed text; every value is a parameter
        params["candidates"] = SEARCH_CANDIDATES
    else:
        page = f"""
            SELECT i.id, 0.0::real AS score {where}
            ORDER BY i.id DESC LIMIT %(limit)s OFFSET %(offset)s
        """
    sql = f"""
        WITH page AS MATERIALIZED ({page})
        SELECT i.id, i.title, i.link, i.blurb, i.abstract, i.editor_note,
               i.issue_number, n.title AS issue_title, n.date AS issue_date,
               s.name AS section_name, s.slug AS section_slug, page.score AS score
        FROM page
        JOIN items i ON i.id = page.id
        JOIN sections s ON s.id = i.section_id
        JOIN issues n ON n.number = i.issue_number
        ORDER BY {"page.score, i.issue_number DESC, i.position" if ranked else "i.id DESC"}
    """  # noqa: S608 - the joins and clauses are fixed text; every value is a parameter
    return sql, params


def _hit(row: DictRow, fts: str) -> SearchHit:
    # Validated as part of an `Issue` on ingest; validating each hit again costs more than the
    # query itself.
    item = Item.model_construct(
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
        score=float(row["score"]),
        snippet=snippet((row["title"], row["blurb"], row["abstract"]), fts),
    )
