"""Full-text search in SQLite: FTS5 queries built from readers' text, CJK words as bigram
phrases, and the search statements. No reader's text reaches MATCH as syntax."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START, Item, SearchHit, SearchPage
from bot.store.sqlite.held import HELD_ISSUES, Clock, held_horizon
from bot.text import without_controls

SLOT_BITS = 20
"""An item id is `issue_number << SLOT_BITS | slot`."""

MAX_QUERY_TERMS = 16
MAX_QUERY_LENGTH = 300
SEARCH_CANDIDATES = 2_000
"""How many of the newest matches a search ranks; a rarer term ranks all its matches."""

_NO_ROWID = 2**63 - 1
"""Above every item id (those stay below 2**40): `rowid >= _NO_ROWID` matches nothing."""

_QUERY_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')

_CJK_LETTERS = (
    "\u1100-\u11ff\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3041-\u3096"
    "\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97c\uac00-\ud7a3\ud7b0-\ud7fb\uf900-\ufaff\uff66-\uffdc"
    "\U00020000-\U0003134f"
)
"""Han, kana and Hangul letters: scripts written without spaces between words (a regex class)."""
_CJK_RUN = re.compile(f"[{_CJK_LETTERS}]+")
_HIRAGANA = re.compile("[\u3041-\u309f]+")
CJK_SEPARATOR = "\u200b"
"""Between the tokens of a CJK run in the indexed text: FTS5 splits there; readers see nothing."""
CJK_INDEX_FUNCTION = "newsbot_cjk_index"
"""The SQL name of `cjk_index_text`, which migration 6 uses to fill the index columns."""
_SNIPPET_PIECE = re.compile(
    f"([{_CJK_LETTERS}]+)|({CJK_SEPARATOR})|({HIGHLIGHT_START})|({HIGHLIGHT_END})"
    f"|([^{_CJK_LETTERS}{CJK_SEPARATOR}{HIGHLIGHT_START}{HIGHLIGHT_END}]+)"
)


@dataclass(frozen=True)
class _Term:
    """One term of a reader's query: its FTS5 string, and what the reader wrote."""

    quoted: str
    prefix: bool
    written: str
    cjk: bool


def fts_query(text: str) -> str | None:
    """Turn a reader's search text into a safe FTS5 query, or None if nothing is searchable.

    `"a phrase"` stays a phrase and `word*` a prefix; everything else is taken literally, each
    word quoted as an FTS5 string, so no input reaches MATCH as syntax.
    """
    terms = _query_terms(text)
    return _joined(terms) if terms else None


def _joined(terms: list[_Term]) -> str:
    return " ".join(term.quoted + "*" if term.prefix else term.quoted for term in terms)


def _query_terms(text: str) -> list[_Term]:
    terms: list[_Term] = []
    # FTS5 strings end at a NUL, so control characters become plain separators first.
    text = without_controls(text[:MAX_QUERY_LENGTH])
    for match in _QUERY_TOKEN.finditer(text):
        phrase, word = match.group(1), match.group(2)
        raw = phrase if phrase is not None else word
        prefix = phrase is None and raw.endswith("*")
        raw = raw.rstrip("*") if prefix else raw
        if not any(ch.isalnum() for ch in raw):
            continue
        indexed, one_letter = _cjk_query_text(raw)
        quoted = '"' + indexed.replace('"', '""') + '"'
        written = f'"{raw}"' if phrase is not None else raw + ("*" if prefix else "")
        terms.append(_Term(quoted, prefix or one_letter, written, indexed != raw))
        if len(terms) == MAX_QUERY_TERMS:
            break
    return terms


MIN_RANKED_PREFIX = 3
"""Letters a prefix needs to be ranked; shorter ones (down to 2) match newest first."""

COMMON_WORDS_ISSUES = 200
"""How many of the newest issues a query of only very common words searches: a phrase of them
is checked in every item holding its words, most of the archive."""

_COMMON_WORDS = frozenset(
    """a an as at be by do he i if in is it me my no of on or so to up us we""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class SearchPlan:
    """How a reader's query is answered: the FTS5 query, whether it is ranked by bm25 or
    matches come newest first, and what was limited, told to the reader (None if nothing)."""

    fts: str
    ranked: bool
    limited: str | None
    recent: bool = False
    """Only the newest `COMMON_WORDS_ISSUES` issues are searched."""


def search_plan(text: str) -> SearchPlan | None:
    """The FTS5 query for a reader's `text`, bounded so that it answers fast, or None if
    nothing is searchable.

    bm25 counts every item a term matches, and a one-letter prefix merges every word it
    starts: so a one-letter prefix is searched as that word, very common words are left out
    beside others, and a query of only very common words or with a prefix under
    `MIN_RANKED_PREFIX` letters lists its matches newest first, unranked.
    """
    terms = _query_terms(text)
    if not terms:
        return None
    notes: list[str] = []
    for index, term in enumerate(terms):
        letters = term.written.rstrip("*")
        if term.prefix and not term.cjk and len(letters) < 2:
            terms[index] = _Term(term.quoted, False, letters, False)
            notes.append(
                f"a prefix needs at least 2 letters: “{term.written}” was searched as "
                f"the word “{letters}”"
            )
    common = [term for term in terms if _is_common(term)]
    only_common = len(common) == len(terms)
    if common and not only_common:
        terms = [term for term in terms if not _is_common(term)]
        words = ", ".join(f"“{term.written}”" for term in common)
        notes.append(f"very common words were left out: {words}")
    short = [
        term
        for term in terms
        if term.prefix and not term.cjk and len(term.written.rstrip("*")) < MIN_RANKED_PREFIX
    ]
    ranked = not short and not only_common
    if short:
        notes.append(
            f"“{short[0].written}” is a short prefix: matches are listed newest first, not ranked"
        )
    elif only_common:
        notes.append(
            f"only very common words: matches in the newest {COMMON_WORDS_ISSUES} issues are"
            " listed newest first, not ranked"
        )
    return SearchPlan(_joined(terms), ranked, "; ".join(notes) or None, only_common and not short)


def _is_common(term: _Term) -> bool:
    """Whether every word of the term is a stop word (bm25 would count most of the archive)."""
    if term.prefix or term.cjk:
        return False
    words = _WORD.findall(term.written.lower())
    return bool(words) and all(word in _STOPWORDS or word in _COMMON_WORDS for word in words)


# CJK words are phrases of overlapping bigrams in the one unicode61 index, not a second trigram
# table (whose queries need three letters): two-letter words (学習) need no special case, and
# CJK and other words rank together under one bm25 with the title, blurb and abstract weights.
def cjk_index_text(text: str | None) -> str | None:
    """`text` as the full-text index reads it if it holds CJK letters, else None.

    Each run of CJK letters becomes its overlapping bigrams and then its last letter, between
    zero-width spaces (機械学習 → 機械 械学 学習 習): a word of two letters or more is the
    phrase of its bigrams wherever it sits in a run, and a single letter starts a token.
    """
    # Most text is ASCII, and that test costs a fraction of the search for CJK letters.
    if not text or text.isascii() or _CJK_RUN.search(text) is None:
        return None
    return _CJK_RUN.sub(_indexed_run, text)


def _indexed_run(run: re.Match[str]) -> str:
    return CJK_SEPARATOR + CJK_SEPARATOR.join(_cjk_tokens(run.group())) + CJK_SEPARATOR


def _cjk_tokens(letters: str) -> list[str]:
    """A CJK run's tokens in the index: its overlapping bigrams, then its last letter."""
    return [letters[i : i + 2] for i in range(len(letters) - 1)] + [letters[-1]]


def _cjk_query_text(raw: str) -> tuple[str, bool]:
    """A reader's word or phrase with its CJK runs as the index holds them; True if it must be
    a prefix.

    A run followed by more letters in the query ends there in the text too, so it ends with
    its last letter as in the index. A run at the end may go on in the text: only its bigrams
    are asked for, and a single letter there is a prefix of the token it starts.
    """
    parts: list[str] = []
    end, one_letter = 0, False
    for run in _CJK_RUN.finditer(raw):
        letters = run.group()
        tokens = _cjk_tokens(letters)
        closed = any(ch.isalnum() for ch in raw[run.end() :])
        if not closed and len(letters) > 1:
            tokens.pop()
        one_letter = not closed and len(letters) == 1
        parts += [raw[end : run.start()], " ", " ".join(tokens), " "]
        end = run.end()
    if not parts:
        return raw, False
    parts.append(raw[end:])
    return "".join(parts), one_letter


def _as_written(snippet: str) -> str:
    """A snippet of indexed text as the item reads: CJK runs joined back from their bigrams,
    a letter highlighted when any token covering it is."""
    if CJK_SEPARATOR not in snippet:
        return snippet
    letters: list[str] = []
    marked: list[bool] = []
    highlighted = False
    previous = ""  # the last CJK token, while only separators and highlight marks follow it
    for piece in _SNIPPET_PIECE.finditer(snippet):
        token, _, start, end, other = piece.groups()
        if start or end:
            highlighted = bool(start)
        elif token:
            if len(previous) == 2 and token[0] == previous[1]:
                marked[-1] = marked[-1] or highlighted
                letters.extend(token[1:])
                marked.extend([highlighted] * (len(token) - 1))
            else:
                letters.extend(token)
                marked.extend([highlighted] * len(token))
            previous = token
        elif other:
            letters.extend(other)
            marked.extend([highlighted] * len(other))
            previous = ""
    written: list[str] = []
    on = False
    for letter, mark in zip(letters, marked, strict=True):
        if mark != on:
            written.append(HIGHLIGHT_START if mark else HIGHLIGHT_END)
            on = mark
        written.append(letter)
    if on:
        written.append(HIGHLIGHT_END)
    return "".join(written)


_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    """about after again also and any are because been before being but can could did does
    doing for from had has have having her here hers him his how into its just more most
    not now off once only other our out over own same she should some such than that the
    their them then there these they this those through too under until very was were what
    when where which while who whom why will with would you your yours anyone someone
    something anything know good read thanks thank please""".split()  # noqa: SIM905
)
RELATED_TERMS = 12


def fts_any_query(text: str) -> str | None:
    """An FTS5 query matching any of the telling words of `text` (for "related" lookups).

    Stop words and words under three letters are dropped, and CJK text gives the letter pairs
    of its runs; each word is quoted, so no input reaches MATCH as syntax. bm25 then favours
    items that share the rarer words.
    """
    words: list[str] = []
    for word in _telling_words(without_controls(text[: MAX_QUERY_LENGTH * 10])):
        if word not in words:
            words.append(word)
        if len(words) == RELATED_TERMS:
            break
    return " OR ".join(f'"{word}"' for word in words) if words else None


def _telling_words(text: str) -> Iterator[str]:
    """Words of three letters or more that are not stop words, and the bigrams of CJK runs
    that are not all hiragana (mostly particles and endings), in the order of `text`."""
    for match in _WORD.finditer(text.lower()):
        word, start = match.group(0), 0
        for run in _CJK_RUN.finditer(word):
            yield from _telling(word[start : run.start()])
            for pair in _cjk_tokens(run.group())[:-1]:
                if not _HIRAGANA.fullmatch(pair):
                    yield pair
            start = run.end()
        yield from _telling(word[start:])


def _telling(word: str) -> Iterator[str]:
    if len(word) >= 3 and word not in _STOPWORDS and not word.isdigit():
        yield word


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
    filters["recent_issues"] = COMMON_WORDS_ISSUES if plan.recent else None
    limited = plan.limited
    rows = None
    if plan.ranked:
        sql, params = _statement(plan.fts, True, filters, limit, offset, clock())
        rows = await reader.rows(sql, params)
        if rows is None:
            limited = _told(plan.limited, _LIMITED_RANKING)
    if rows is None:
        sql, params = _statement(plan.fts, False, filters, limit, offset, clock())
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
    of the newest issues are searched. Module-level so benchmarks run the
    very same SQL.
    """
    query = fts_query(text) if fts is None else fts
    if query is None:
        return None
    joins, filters, params = _search_filters(
        section=section, issue=issue, since=since, until=until, recent_issues=recent_issues
    )
    if now is not None:
        filters += f" AND (items_fts.rowid >> {SLOT_BITS}) NOT IN ({HELD_ISSUES})"
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
    # One pass over the full-text index, newest first, scores each candidate as it goes (FTS5
    # walks rowids backwards natively); only the page's rows are joined and get a snippet.
    sql = f"""
        WITH candidates AS (
            SELECT items_fts.rowid AS id, items_fts.rank AS score
            FROM items_fts {joins}
            WHERE items_fts MATCH :query {filters}
            ORDER BY items_fts.rowid DESC LIMIT :candidates
        ),
        page AS (
            SELECT c.id, c.score, i.issue_number, i.position
            FROM candidates c JOIN items i ON i.id = c.id
            ORDER BY c.score, i.issue_number DESC, i.position
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
    *,
    section: str | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    recent_issues: int | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """Joins, WHERE clauses and parameters restricting the candidate scan to the filters (and
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
        joins.append("JOIN items i ON i.id = items_fts.rowid")
        joins.append("JOIN sections s ON s.id = i.section_id")
        clauses.append("AND s.slug = :section")
        lowest.append("(SELECT min(issue_number) FROM sections WHERE slug = :section)")
        highest.append("(SELECT max(issue_number) FROM sections WHERE slug = :section)")
        params["section"] = section
    if issue is not None:
        lowest.append(":issue")
        highest.append(":issue")
        params["issue"] = issue
    if since is not None or until is not None:
        joins.append(f"JOIN issues n ON n.number = items_fts.rowid >> {SLOT_BITS}")
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
            f"AND items_fts.rowid >= coalesce({_scalar('max', lowest)} << {SLOT_BITS}, {_NO_ROWID})"
        )
    if highest:
        clauses.append(
            f"AND items_fts.rowid < coalesce(({_scalar('min', highest)} + 1) << {SLOT_BITS}, 0)"
        )
    return " ".join(joins), " ".join(clauses), params


def _scalar(function: str, terms: list[str]) -> str:
    """SQL for the scalar `min` or `max` of `terms` (NULL if any is NULL)."""
    # With one argument, min() and max() would be the aggregate functions.
    return terms[0] if len(terms) == 1 else f"{function}({', '.join(terms)})"


def _hit(row: aiosqlite.Row) -> SearchHit:
    # The row was validated as part of an `Issue` on ingest; validating the item again (its
    # link through markdown-it) would cost more than the query itself.
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
        score=row["score"],
        snippet=_as_written(row["snippet"] or ""),
    )
