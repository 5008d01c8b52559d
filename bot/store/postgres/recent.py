"""The newest items' own full-text indexes on PostgreSQL, and moving them as the archive grows.

A GIN index lists a word's matches in no order a search can use: to find a word's newest
`SEARCH_CANDIDATES` matches, every match's row is read (7,000 rows, 16 ms, for a word in 0.7 %
of a million items), where SQLite's index reads them newest first and stops. Partial GIN indexes
over the items from `search_window.first_id` on (the newest `RECENT_ITEMS` or more, whole
issues) list the newest matches alone; a ranked search asks them first (search.py), and when
they hold `SEARCH_CANDIDATES` matches that pass its filters, those are the newest overall.

That holds however far the window lags behind the archive: every item from `first_id` on is in
the indexes (a partial index takes every new row its condition admits), and every match before
it is older. So the window need not move in the ingest's transaction: `refresh` moves it after,
building the new indexes without blocking readers or writers, once it holds half again as many
items as it should. Searches read `first_id` as a number, which lets the planner match it to the
indexes' condition; an index being dropped or not yet built only makes a search slower.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.store.ingest import SLOT_BITS
from bot.store.postgres.database import PgConnection, PgDatabase
from bot.store.postgres.statement import indexed
from bot.store.postgres.words import all_of, phrases_of

log = logging.getLogger(__name__)

RECENT_ITEMS = 200_000
"""Items (of the newest whole issues) the window starts with: a word in 0.5 % of items finds its
newest 1,000 matches there."""
RECENT_FROM_ITEMS = 2 * RECENT_ITEMS
"""Items an archive holds before it has a window: below, a word's matches in the whole index are
few enough to read."""
_MOVE_AT = 3 * RECENT_ITEMS // 2
"""Items the window may hold before it moves to the newest `RECENT_ITEMS` again."""
_REFRESH_LOCK = 0x6E657777  # one newsbot process moves the window at a time
_INDEXES = ("words", "prefixes", "pairs")
"""The full-text indexes made again over the window (`statement.INDEXED`), as
`items_<name>_from_<first_id>`."""
WINDOW_INDEX = f"^items_(?:{'|'.join(_INDEXES)})_from_[0-9]+$"
"""The names of the window's indexes on `items` (a regular expression, as Python and
PostgreSQL read it alike): newsbot's, though made as it runs, not by a migration; a restore
keeps them with the archive's `search_window`, and takes them for no other application's."""


async def refresh(database: PgDatabase) -> None:
    """Make the window hold the newest `RECENT_ITEMS` items or more (none in an archive of
    fewer than `RECENT_FROM_ITEMS`), and drop the indexes of windows no longer used."""
    window_first.forget(database)
    async with database.connection() as conn:
        cursor = await conn.execute("SELECT pg_try_advisory_lock(%s) AS locked", (_REFRESH_LOCK,))
        locked = await cursor.fetchone()
        if not locked or not locked["locked"]:
            return  # another process is moving it
        try:
            await _move(conn)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_REFRESH_LOCK,))


async def _move(conn: PgConnection) -> None:
    cursor = await conn.execute(
        "SELECT (SELECT first_id FROM search_window) AS held,"
        " (SELECT id FROM items ORDER BY id DESC OFFSET %(from)s LIMIT 1) IS NOT NULL AS large,"
        " (SELECT id FROM items ORDER BY id DESC OFFSET %(keep)s LIMIT 1) AS boundary",
        {"from": RECENT_FROM_ITEMS - 1, "keep": RECENT_ITEMS - 1},
    )
    row = await cursor.fetchone()
    assert row is not None
    held, first = row["held"], None
    if row["large"]:
        first = (int(row["boundary"]) >> SLOT_BITS) << SLOT_BITS
        if held is not None and await _items_from(conn, int(held)) <= _MOVE_AT:
            first = int(held)
    indexes = await _window_indexes(conn)
    if first is not None:
        for column in _INDEXES:
            name = f"items_{column}_from_{first}"
            if indexes.get(name) is False:
                # Left half built by a crash: PostgreSQL keeps it, unused, until dropped.
                await conn.execute(f"DROP INDEX CONCURRENTLY {name}")
            if indexes.get(name) is not True:
                if held != first:
                    log.info("indexing the archive's newest items apart, from item id %s", first)
                # Concurrently: searches and ingests go on while it is built.
                await conn.execute(
                    f"CREATE INDEX CONCURRENTLY {name} ON items USING gin ({indexed(column)})"
                    f" WHERE id >= {first}"
                )
    if first != held:
        async with conn.transaction():
            await conn.execute("DELETE FROM search_window")
            if first is not None:
                await conn.execute("INSERT INTO search_window (first_id) VALUES (%s)", (first,))
    keep = {f"items_{column}_from_{first}" for column in _INDEXES}
    for name in set(await _window_indexes(conn)) - keep:
        await conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


async def _items_from(conn: PgConnection, first: int) -> int:
    cursor = await conn.execute("SELECT count(*) AS n FROM items WHERE id >= %s", (first,))
    row = await cursor.fetchone()
    return int(row["n"]) if row else 0


async def _window_indexes(conn: PgConnection) -> dict[str, bool]:
    """The window indexes on `items`, by name, and whether each is valid (fully built)."""
    cursor = await conn.execute(
        "SELECT c.relname AS name, x.indisvalid AS valid"
        " FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid"
        " WHERE x.indrelid = 'items'::regclass AND c.relname ~ %s",
        (WINDOW_INDEX,),
    )
    return {str(row["name"]): bool(row["valid"]) for row in await cursor.fetchall()}


FREQUENT_WORDS_SECONDS = 300.0
"""How long the words the planner counts as frequent are kept before they are read again."""
WALKED_FROM_SHARE = 0.04
"""The share of items a query's words are in (as the planner counts them), from which walking
the newest items finds its newest matches sooner than the window's indexes list them all: at a
million items, a word in 5 % of them took 11.6 ms from the window and 10.7 ms walked, one in
40 % 6.4 and 3.5 ms; one in 3 % 16.2 and 19.3 ms."""


T = TypeVar("T")


class _Kept(Generic[T]):
    """What `read` reads of a database, kept for `FREQUENT_WORDS_SECONDS` for each database."""

    def __init__(self, read: Callable[[PgDatabase], Awaitable[T]]) -> None:
        self.read = read
        self.kept: weakref.WeakKeyDictionary[PgDatabase, tuple[float, T]] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, database: PgDatabase) -> T:
        now = time.monotonic()
        kept = self.kept.get(database)
        if kept is not None and now - kept[0] < FREQUENT_WORDS_SECONDS:
            return kept[1]
        value = await self.read(database)
        self.kept[database] = (now, value)
        return value

    def forget(self, database: PgDatabase) -> None:
        """Read it again next time."""
        self.kept.pop(database, None)


async def _frequent_words(database: PgDatabase) -> dict[str, float]:
    row = await database.row(
        "SELECT most_common_elems::text::text[] AS words, most_common_elem_freqs AS shares"
        " FROM pg_stats"
        " WHERE schemaname = current_schema() AND tablename = 'items' AND attname = 'words'"
    )
    # The shares list one per word, then figures of the whole list (the least, the most).
    return dict(zip(row["words"] or (), row["shares"] or (), strict=False)) if row else {}


frequent_words = _Kept(_frequent_words)
"""The words of `items.words` that the planner's statistics list as most common (each in 0.5 %
of items or more, at the default statistics target), with the share of items each is in, read
at most every `FREQUENT_WORDS_SECONDS`; empty before the table was first analysed."""


async def _window_first(database: PgDatabase) -> int | None:
    row = await database.row("SELECT first_id FROM search_window")
    return int(row["first_id"]) if row and row["first_id"] is not None else None


window_first = _Kept(_window_first)
"""The window's first item id, None without a window; read at most every
`FREQUENT_WORDS_SECONDS` (and again after this process moved it).

A search may ask with one older than the window's: every id from any first id on is newer than
every one before it, so the matches are the same; only the window's indexes go unused until it
is read again (another process moved the window, once in 100,000 items)."""


async def may_fill_window(database: PgDatabase, fts: str) -> bool:
    """Whether a search of `fts` (every word of it must match) asks the window's indexes
    first: not if one of its words is not among the planner's frequent ones, nor if its words
    alone are in `WALKED_FROM_SHARE` of items or more.

    A word that is not frequent is in under 0.5 % of items, under the 1,000 matches a search
    ranks among the newest 200,000: asking the window first would only cost a rare word's
    search a part it never fills (0.4 of its 2.5 ms). A very common word's newest matches are
    among the first items walked, newest first. A prefix may start frequent words, and a
    phrase is rarer than its words: the window is asked.
    """
    frequent = await frequent_words(database)
    phrases = phrases_of(fts)
    if any(prefix for _, prefix in phrases):
        return True
    if not all(word in frequent for words, _ in phrases for word in words):
        return False
    if any(len(words) > 1 for words, _ in phrases):
        return True
    # Words taken as independent, as the planner takes them.
    return math.prod(frequent[words[0]] for words, _ in phrases) < WALKED_FROM_SHARE


FEW_SHARE = 0.01
"""The share of items a search's matches stay under for `few_matches`: listed by the words'
index and sorted, never walked to."""


async def few_matches(database: PgDatabase, fts: str) -> bool:
    """Whether a search of `fts` (every word of it must match) matches few items whatever its
    words are: one of them is not among the planner's frequent words, so it is in fewer items
    than the least frequent of those (0.5 % at the default statistics target), which must be
    under `FEW_SHARE`. False for a prefix (it may start frequent words), and before the table
    was first analysed (every word would look rare)."""
    frequent = await frequent_words(database)
    phrases = phrases_of(fts)
    if not frequent or min(frequent.values()) >= FEW_SHARE:
        return False
    if any(prefix for _, prefix in phrases):
        return False
    return any(word not in frequent for words, _ in phrases for word in words)


async def words_share(database: PgDatabase, fts: str) -> float | None:
    """The share of items a search of `fts` matches at most, as the planner's statistics count
    it: its words' shares multiplied, taken as independent as the planner takes them, a phrase
    counted as its least frequent word, and a word that is not frequent as the least frequent
    that is. None when that is not known: a prefix, or no statistics yet."""
    frequent = await frequent_words(database)
    phrases = phrases_of(fts)
    if not frequent or any(prefix for _, prefix in phrases):
        return None
    rarest = min(frequent.values())
    return math.prod(min(frequent.get(word, rarest) for word in words) for words, _ in phrases)


ASKED_WORDS = 2
"""How many of a query's words the index is asked when it has many (`asked_words`)."""


async def asked_words(database: PgDatabase, fts: str) -> str | None:
    """For a query of three words or more and nothing else (no phrase, no prefix), its
    `ASKED_WORDS` rarest as a tsquery: the index of words is asked those alone, and every item
    it lists is checked for the rest. None otherwise, or when every word is frequent.

    Asked of every word, the index reads every word's whole list: nine words, a few of them
    common, took 9 ms at a million items, where the two rarest hold four items between them.
    The rarest are the words the planner's statistics do not count as frequent, the longest
    of those first, then the least frequent.
    """
    phrases = phrases_of(fts)
    if len(phrases) < 3 or any(prefix or len(words) != 1 for words, prefix in phrases):
        return None
    frequent = await frequent_words(database)
    words = {words[0] for words, _ in phrases}
    rarest = sorted(words, key=lambda word: (word in frequent, frequent.get(word, 0.0), -len(word)))
    if rarest[0] in frequent:
        return None
    return all_of(rarest[:ASKED_WORDS])
