"""An archive file as an older newsbot left it, for the tests of upgrading one."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from bot.store.ingest import SLOT_BITS
from bot.store.query import INDEX_FUNCTION, cjk_index_text
from bot.store.sqlite.database import migrations


def make_old_archive(path: Path, version: int, items: Sequence[tuple[str, str]]) -> None:
    """An archive at schema `version`, holding issue 7 with `items` (title, blurb) in order."""
    with closing(sqlite3.connect(path)) as db, db:
        # The index text of the newsbot before schema 14: full-width letters as written.
        db.create_function(INDEX_FUNCTION, 1, cjk_index_text)
        for migration in migrations()[:version]:
            db.executescript(migration.sql)
        db.execute(
            "INSERT INTO issues (number, title, intro, content_hash, next_slot, ingested_at,"
            " updated_at) VALUES (7, 'Weekly #7', '', 'x', ?, '2026-01-01', '2026-01-01')",
            (len(items),),
        )
        db.execute(
            "INSERT INTO sections (id, issue_number, slug, name, position)"
            " VALUES (1, 7, 'news', 'News', 0)"
        )
        db.executemany(
            "INSERT INTO items (id, issue_number, section_id, key, position, title, blurb)"
            " VALUES (?, 7, 1, ?, ?, ?, ?)",
            [
                ((7 << SLOT_BITS) | slot, f"k{slot}", slot, title, blurb)
                for slot, (title, blurb) in enumerate(items)
            ],
        )
        db.execute(f"PRAGMA user_version = {version}")
