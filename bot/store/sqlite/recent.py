"""The index of the newest items: which items it holds, and bringing it up to date after an ingest.

bm25 counts every item a word matches in the index it ranks from, and for a word in 40 % of a
million items that count costs a search more than everything else (12 of its 13 ms). The
newest `RECENT_ITEMS` items (whole issues) are indexed a second time, in `items_recent_fts`; a
word whose newest `SEARCH_CANDIDATES` matches all lie among them is ranked there (search.py),
where the count is a few thousand. The candidates are the same either way; bm25's statistics
(how rare each word is, how long an item is on average) come from the newest items.

The index holds exactly the items of issues `first_issue` to `last_issue` (`recent_window`):
triggers keep it so as items inside that range are added, edited or removed, and `refresh`
moves the range to the newest issues at the end of each ingest, in its transaction.
"""

from __future__ import annotations

import aiosqlite

from bot.store.ingest import SLOT_BITS

RECENT_ITEMS = 50_000
"""Items (of the newest whole issues) the recent index holds: enough for a word in 2 % of items
to have its newest 1,000 matches there; each costs an ingest a second indexing."""

RECENT_FROM_ITEMS = 10 * RECENT_ITEMS
"""Items an archive holds before it has a recent index: below, bm25's count over every item
costs a few milliseconds at most, less than indexing the newest items twice costs an ingest."""

_FIELDS = "id, title, blurb, abstract"
"""`items_indexed`'s columns, as the index reads them."""


async def refresh(db: aiosqlite.Connection) -> None:
    """Make the recent index hold the newest issues' items, `RECENT_ITEMS` of them or more
    (none in an archive of fewer than `RECENT_FROM_ITEMS`).

    Run inside the transaction that changed the items. Items of issues that fell out of the
    window are removed and those of newer issues added, or, when fewer items stay than go, the
    index is emptied and filled again.
    """
    # The window held now (first > last: none) beside where it should be.
    rows = await db.execute_fetchall(
        "SELECT first_issue, last_issue, (SELECT count(*) FROM items),"
        " (SELECT max(id) FROM items) >> :bits,"
        " (SELECT id FROM items ORDER BY id DESC LIMIT 1 OFFSET :skip) >> :bits"
        " FROM recent_window",
        {"bits": SLOT_BITS, "skip": RECENT_ITEMS - 1},
    )
    held_first, held_last, items, last, first = next(iter(rows))
    if items < RECENT_FROM_ITEMS or first is None:
        if held_first <= held_last:
            await _empty(db)
            await db.execute("UPDATE recent_window SET first_issue = 1, last_issue = 0")
        return
    first, last = int(first), int(last)
    if (held_first, held_last) == (first, last):
        return
    if held_first > held_last or await _items_between(db, held_first, first - 1) > RECENT_ITEMS:
        await _empty(db)
        await _index(db, first, last)
    else:
        # Out: issues before the new first; in: issues before the old first or after the old
        # last (an archive that lost its newest items reaches further back).
        await _index(db, held_first, min(first - 1, held_last), remove=True)
        await _index(db, first, min(held_first - 1, last))
        await _index(db, max(first, held_last + 1), last)
    await db.execute("UPDATE recent_window SET first_issue = ?, last_issue = ?", (first, last))


async def _empty(db: aiosqlite.Connection) -> None:
    """Remove every item from the recent index."""
    await db.execute("INSERT INTO items_recent_fts (items_recent_fts) VALUES ('delete-all')")


async def _items_between(db: aiosqlite.Connection, first: int, last: int) -> int:
    """How many items issues `first` to `last` hold."""
    if first > last:
        return 0
    rows = await db.execute_fetchall(
        "SELECT count(*) FROM items WHERE id >= ? AND id < ?",
        (first << SLOT_BITS, (last + 1) << SLOT_BITS),
    )
    return int(next(iter(rows))[0])


async def _index(db: aiosqlite.Connection, first: int, last: int, *, remove: bool = False) -> None:
    """Add the items of issues `first` to `last` to the recent index, or remove them."""
    if first > last:
        return
    # An external-content index removes a row given the values it indexed: the items' own.
    command = ("items_recent_fts, ", "'delete', ") if remove else ("", "")
    await db.execute(
        f"INSERT INTO items_recent_fts ({command[0]}rowid, title, blurb, abstract)"  # noqa: S608
        f" SELECT {command[1]}{_FIELDS} FROM items_indexed WHERE id >= ? AND id < ?",
        (first << SLOT_BITS, (last + 1) << SLOT_BITS),
    )
