"""Storing issues in PostgreSQL: new issues in bulk, edited ones in place, all in one
transaction. Items keep their ids across edits (`issue << SLOT_BITS | slot`), as on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bot.models import IngestOutcome, Issue, Item
from bot.store.ingest import SLOT_BITS, ingest_batches, issue_columns, store_batch
from bot.store.interfaces import IssueStream
from bot.store.postgres import recent
from bot.store.postgres.database import PgConnection, PgDatabase
from bot.store.postgres.words import tsvector
from bot.store.rows import now_text


async def ingest_many(
    database: PgDatabase,
    issues: IssueStream,
    *,
    progress: Callable[[Issue, IngestOutcome], None] | None = None,
) -> list[IngestOutcome]:
    """Store several issues in one transaction: all of them, or on error none.

    `issues` is read as it is stored, one batch at a time; an error raised by the stream
    itself also undoes the whole call.
    """
    outcomes: list[IngestOutcome] = []
    stored_items = 0
    async with database.transaction() as conn:
        async for batch in ingest_batches(issues):
            done = await _ingest_batch(conn, batch)
            outcomes.extend(done)
            stored_items += sum(
                len(issue.items)
                for (issue, _), outcome in zip(batch, done, strict=True)
                if outcome is not IngestOutcome.UNCHANGED
            )
            if progress is not None:
                for (issue, _), outcome in zip(batch, done, strict=True):
                    progress(issue, outcome)
    if stored_items >= SETTLE_AFTER_ITEMS:
        await _settle(database)
    if stored_items:
        await recent.refresh(database)
    return outcomes


SETTLE_AFTER_ITEMS = 1_000
"""Items an ingest stores before the search index and the planner's statistics are brought up
to date at once, rather than by autovacuum a while later."""


async def _settle(database: PgDatabase) -> None:
    """Vacuum and analyse the archive's tables: the search index's pending entries merged, the
    rows marked visible (an id lookup reads the index alone) and the planner's statistics
    renewed, so that the searches right after a large ingest plan on what is there."""
    async with database.connection() as conn:
        # Not the tables' owner, PostgreSQL only warns and autovacuum does it later.
        await conn.execute("VACUUM (ANALYZE) items, sections, issues")


async def _ingest_batch(
    conn: PgConnection, batch: Sequence[tuple[Issue, Path | None]]
) -> list[IngestOutcome]:
    """Store issues with distinct numbers: new ones in bulk, edited ones one by one."""
    cursor = await conn.execute(
        "SELECT number, content_hash, next_slot FROM issues WHERE number = ANY(%s)",
        ([issue.number for issue, _ in batch],),
    )
    stored = {
        int(row["number"]): (str(row["content_hash"]), int(row["next_slot"]))
        for row in await cursor.fetchall()
    }
    return await store_batch(
        batch,
        stored,
        lambda added: _insert_new(conn, added),
        lambda issue, source, digest, slot: _update(conn, issue, source, digest, next_slot=slot),
        lambda number: _archived_slugs(conn, number),
    )


async def _archived_slugs(conn: PgConnection, number: int) -> dict[str, str]:
    """The sections of archived issue `number`, slug by name."""
    cursor = await conn.execute(
        "SELECT name, slug FROM sections WHERE issue_number = %s", (number,)
    )
    return {str(row["name"]): str(row["slug"]) for row in await cursor.fetchall()}


async def _insert_new(conn: PgConnection, added: Sequence[tuple[Issue, Path | None, str]]) -> None:
    """Insert issues not yet archived, with one `executemany` per table."""
    if not added:
        return
    sections = sum(len(issue.sections) for issue, _, _ in added)
    cursor = await conn.execute(
        "SELECT nextval(pg_get_serial_sequence('sections', 'id')) AS id"
        " FROM generate_series(1, %s) ORDER BY 1",
        (sections,),
    )
    section_ids = iter([int(row["id"]) for row in await cursor.fetchall()])
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
            section_id = next(section_ids)
            section_rows.append(
                (section_id, issue.number, section.slug, section.name, section_position)
            )
            for item in section.items:
                item_id = (issue.number << SLOT_BITS) | slot
                fields = _item_fields(item, section.slug)
                item_rows.append((section_id, slot, *fields, item_id, issue.number, item.key))
                slot += 1
    async with conn.cursor() as cur:
        await cur.executemany(_INSERT_ISSUE, issue_rows)
        await cur.executemany(
            "INSERT INTO sections (id, issue_number, slug, name, position)"
            " VALUES (%s, %s, %s, %s, %s)",
            section_rows,
        )
        # COPY: many times faster than row-by-row inserts for a large ingest.
        async with cur.copy(_COPY_ITEMS) as copy:
            for row in item_rows:
                await copy.write_row(row)


async def _update(
    conn: PgConnection, issue: Issue, source: Path | None, digest: str, *, next_slot: int
) -> None:
    """Update an archived issue in place: kept items keep their ids, new ones get new slots."""
    await conn.execute(
        "UPDATE issues SET title = %s, subtitle = %s, date = %s, link = %s, intro = %s,"
        " content_hash = %s, source_path = %s, publish_at = %s, updated_at = %s"
        " WHERE number = %s",
        (*issue_columns(issue, source, digest), now_text(), issue.number),
    )
    section_ids: dict[str, int] = {}
    for position, section in enumerate(issue.sections):
        cursor = await conn.execute(
            "INSERT INTO sections (issue_number, slug, name, position) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (issue_number, slug)"
            " DO UPDATE SET name = excluded.name, position = excluded.position RETURNING id",
            (issue.number, section.slug, section.name, position),
        )
        row = await cursor.fetchone()
        assert row is not None
        section_ids[section.slug] = int(row["id"])
    await conn.execute(
        "DELETE FROM sections WHERE issue_number = %s AND NOT (id = ANY(%s))",
        (issue.number, list(section_ids.values())),
    )
    cursor = await conn.execute(
        "SELECT id, key FROM items WHERE issue_number = %s", (issue.number,)
    )
    ids_by_key = {str(row["key"]): int(row["id"]) for row in await cursor.fetchall()}
    kept: list[int] = []
    for position, (section, item) in enumerate(issue.items):
        values = (section_ids[section.slug], position, *_item_fields(item, section.slug))
        item_id = ids_by_key.get(item.key)
        if item_id is None:
            item_id = (issue.number << SLOT_BITS) | next_slot
            next_slot += 1
            await conn.execute(_INSERT_ITEM, (*values, item_id, issue.number, item.key))
        else:
            await conn.execute(
                "UPDATE items SET section_id = %s, position = %s, title = %s, link = %s,"
                " blurb = %s, abstract = %s, editor_note = %s, words = %s::tsvector"
                " WHERE id = %s",
                (*values, item_id),
            )
        kept.append(item_id)
    stale = sorted(set(ids_by_key.values()) - set(kept))
    await conn.execute("DELETE FROM items WHERE id = ANY(%s)", (stale,))
    await conn.execute(
        "UPDATE issues SET next_slot = %s WHERE number = %s", (next_slot, issue.number)
    )


_INSERT_ISSUE = (
    "INSERT INTO issues (title, subtitle, date, link, intro, content_hash, source_path,"
    " publish_at, number, next_slot, ingested_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_COPY_ITEMS = (
    "COPY items (section_id, position, title, link, blurb, abstract, editor_note,"
    " words, id, issue_number, key) FROM STDIN"
)
_INSERT_ITEM = (
    "INSERT INTO items (section_id, position, title, link, blurb, abstract, editor_note,"
    " words, id, issue_number, key)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s::tsvector, %s, %s, %s)"
)


def _item_fields(item: Item, section: str) -> tuple[object, ...]:
    """The item's own columns, in the order `_INSERT_ITEM` and the update take them; its words
    name `section` (a slug), the section holding it."""
    return (
        item.title,
        item.link,
        item.blurb,
        item.abstract,
        item.editor_note,
        tsvector(item.title, item.blurb, item.abstract, section=section),
    )
