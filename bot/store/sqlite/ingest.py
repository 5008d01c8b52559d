"""Storing issues in SQLite: new issues in bulk, edited ones in place, all in one transaction.

Each item keeps its id across edits (`issue << SLOT_BITS | slot`), so the search index, links
and anything that points at an item stay right.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite

from bot.models import IngestOutcome
from bot.store.ingest import SLOT_BITS, ingest_batches, issue_columns, store_batch
from bot.store.interfaces import IssueStream
from bot.store.query import index_text
from bot.store.rows import now_text
from bot.store.sqlite import recent
from bot.store.sqlite.database import Database

if TYPE_CHECKING:
    from bot.models import Issue, Item

_ROWS_PER_INSERT = 500
"""Items per INSERT statement (13 values each: far below SQLite's 32,766 variables)."""
MERGE_FROM_ITEMS = 1_000
"""Items an ingest stores, from which it may merge the full-text index (`_merge_index`)."""
MERGE_SHARE = 0.1
"""The share of the archive an ingest stores, from which it merges the full-text index."""


async def ingest_many(
    database: Database,
    issues: IssueStream,
    *,
    progress: Callable[[Issue, IngestOutcome], None] | None = None,
) -> list[IngestOutcome]:
    """Store several issues in one transaction: all of them, or on error none.

    `issues` is read as it is stored, one batch at a time, so a stream of any length takes
    bounded memory; an error raised by the stream itself also undoes the whole call.
    """
    outcomes: list[IngestOutcome] = []
    stored = 0  # items of the issues added or updated
    async with database.transaction() as db:
        async for batch in ingest_batches(issues):
            done = await _ingest_batch(db, batch)
            outcomes.extend(done)
            for (issue, _), outcome in zip(batch, done, strict=True):
                if outcome is not IngestOutcome.UNCHANGED:
                    stored += len(issue.items)
                if progress is not None:
                    progress(issue, outcome)
        await recent.refresh(db)
        await _merge_index(db, stored)
    return outcomes


async def _merge_index(db: aiosqlite.Connection, stored: int) -> None:
    """After an ingest that stored a good part of the archive (`MERGE_FROM_ITEMS` items and
    `MERGE_SHARE` of it), merge the full-text index into one b-tree (FTS5's optimize).

    FTS5 writes each transaction's words as a b-tree of their own and merges them a few at a
    time as they pile up: an archive imported in bulk was left in 13 of them at 100,000 items,
    every search seeking its words in each. Merged, searches of CJK words, long AND queries
    and short prefixes took half the time or less (benchmarks/README.md). The merge rewrites
    the whole index, about 1 s for 100,000 items, so a weekly issue added to a large archive
    leaves it to FTS5's own merging.
    """
    if stored < MERGE_FROM_ITEMS:
        return
    rows = await db.execute_fetchall("SELECT count(*) FROM items")
    if stored >= MERGE_SHARE * int(next(iter(rows))[0]):
        await db.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")


async def _ingest_batch(
    db: aiosqlite.Connection, batch: Sequence[tuple[Issue, Path | None]]
) -> list[IngestOutcome]:
    """Store issues with distinct numbers: new ones in bulk, edited ones one by one."""
    numbers = [issue.number for issue, _ in batch]
    rows = await db.execute_fetchall(
        "SELECT number, content_hash, next_slot FROM issues"
        " WHERE number IN (SELECT value FROM json_each(?))",
        (json.dumps(numbers),),
    )
    stored = {int(row[0]): (str(row[1]), int(row[2])) for row in rows}
    return await store_batch(
        batch,
        stored,
        lambda added: _insert_new(db, added),
        lambda issue, source, digest, slot: _update(db, issue, source, digest, next_slot=slot),
        lambda number: _archived_slugs(db, number),
    )


async def _archived_slugs(db: aiosqlite.Connection, number: int) -> dict[str, str]:
    """The sections of archived issue `number`, slug by name."""
    rows = await db.execute_fetchall(
        "SELECT name, slug FROM sections WHERE issue_number = ?", (number,)
    )
    return {str(row[0]): str(row[1]) for row in rows}


async def _insert_new(
    db: aiosqlite.Connection, added: Sequence[tuple[Issue, Path | None, str]]
) -> None:
    """Insert issues not yet archived, with one `executemany` per table."""
    if not added:
        return
    rows = await db.execute_fetchall("SELECT coalesce(max(id), 0) FROM sections")
    # The ids SQLite would give one by one: each new section takes the largest id plus one.
    next_section_id = int(next(iter(rows))[0]) + 1
    issue_rows: list[tuple[object, ...]] = []
    section_rows: list[tuple[object, ...]] = []
    item_rows: list[tuple[object, ...]] = []
    now = now_text()
    for issue, source, digest in added:
        issue_rows.append(
            (*issue_columns(issue, source, digest), issue.number, len(issue.items), now, now)
        )
        slot = 0
        for section_position, section in enumerate(issue.sections):
            section_id = next_section_id
            next_section_id += 1
            section_rows.append(
                (section_id, issue.number, section.slug, section.name, section_position)
            )
            for item in section.items:
                # A new issue's items take slots 0, 1, 2 … in reading order: slot = position.
                item_rows.append(
                    (
                        section_id,
                        slot,
                        *_item_fields(item),
                        (issue.number << SLOT_BITS) | slot,
                        issue.number,
                        item.key,
                    )
                )
                slot += 1
    await db.executemany(_INSERT_ISSUE, issue_rows)
    await db.executemany(
        "INSERT INTO sections (id, issue_number, slug, name, position) VALUES (?,?,?,?,?)",
        section_rows,
    )
    # Many rows to a statement: FTS5 (3.40) writes its pending index to disk at each
    # statement, so a statement per item makes and merges a segment per item (3× slower).
    for start in range(0, len(item_rows), _ROWS_PER_INSERT):
        chunk = item_rows[start : start + _ROWS_PER_INSERT]
        await db.execute(
            _INSERT_ITEM + ",(?,?,?,?,?,?,?,?,?,?,?,?,?)" * (len(chunk) - 1),
            [value for row in chunk for value in row],
        )


async def _update(
    db: aiosqlite.Connection,
    issue: Issue,
    source: Path | None,
    digest: str,
    *,
    next_slot: int,
) -> None:
    """Update an archived issue in place: kept items keep their ids, new ones get new slots."""
    await db.execute(
        "UPDATE issues SET title = ?, subtitle = ?, date = ?, link = ?, intro = ?,"
        " content_hash = ?, source_path = ?, publish_at = ?, updated_at = ? WHERE number = ?",
        (*issue_columns(issue, source, digest), now_text(), issue.number),
    )
    section_ids = await _store_sections(db, issue)
    next_slot = await _store_items(db, issue, section_ids, next_slot)
    await db.execute("UPDATE issues SET next_slot = ? WHERE number = ?", (next_slot, issue.number))


async def _store_sections(db: aiosqlite.Connection, issue: Issue) -> dict[str, int]:
    section_ids: dict[str, int] = {}
    for position, section in enumerate(issue.sections):
        async with db.execute(
            "INSERT INTO sections (issue_number, slug, name, position) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (issue_number, slug)"
            " DO UPDATE SET name = excluded.name, position = excluded.position"
            " RETURNING id",
            (issue.number, section.slug, section.name, position),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        section_ids[section.slug] = int(row[0])
    await db.execute(
        "DELETE FROM sections WHERE issue_number = ?"
        " AND id NOT IN (SELECT value FROM json_each(?))",
        (issue.number, json.dumps(list(section_ids.values()))),
    )
    return section_ids


async def _store_items(
    db: aiosqlite.Connection,
    issue: Issue,
    section_ids: dict[str, int],
    next_slot: int,
) -> int:
    async with db.execute(
        "SELECT id, key FROM items WHERE issue_number = ?", (issue.number,)
    ) as cursor:
        ids_by_key = {row["key"]: int(row["id"]) async for row in cursor}
    kept: list[int] = []
    for position, (section, item) in enumerate(issue.items):
        values = (section_ids[section.slug], position, *_item_fields(item))
        item_id = ids_by_key.get(item.key)
        if item_id is None:
            item_id = (issue.number << SLOT_BITS) | next_slot
            next_slot += 1
            await db.execute(_INSERT_ITEM, (*values, item_id, issue.number, item.key))
        else:
            await db.execute(
                "UPDATE items SET section_id = ?, position = ?, title = ?, link = ?,"
                " blurb = ?, abstract = ?, editor_note = ?, title_cjk = ?, blurb_cjk = ?,"
                " abstract_cjk = ? WHERE id = ?",
                (*values, item_id),
            )
        kept.append(item_id)
    stale = set(ids_by_key.values()) - set(kept)
    await db.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in sorted(stale)])
    return next_slot


_INSERT_ISSUE = (
    "INSERT INTO issues (title, subtitle, date, link, intro, content_hash, source_path,"
    " publish_at, number, next_slot, ingested_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_ITEM = (
    "INSERT INTO items (section_id, position, title, link, blurb, abstract, editor_note,"
    " title_cjk, blurb_cjk, abstract_cjk, id, issue_number, key)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def _item_fields(item: Item) -> tuple[object, ...]:
    """The item's own columns, in the order `_INSERT_ITEM` and the update take them."""
    return (
        item.title,
        item.link,
        item.blurb,
        item.abstract,
        item.editor_note,
        index_text(item.title),
        index_text(item.blurb),
        index_text(item.abstract),
    )
