"""An ingest that stores a good part of the archive leaves its full-text index merged into one
b-tree, which every search reads faster; a small ingest leaves merging to FTS5."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.models import Issue
from bot.store import Archive
from bot.store.sqlite.ingest import MERGE_FROM_ITEMS
from tests.factories import issue, item


def weekly(number: int) -> Issue:
    return issue(number, {"News": [item(f"Story {number} {n} w{n}") for n in range(25)]})


def b_trees(path: Path) -> int:
    """How many b-trees (segments) make up the archive's full-text index."""
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT count(DISTINCT segid) FROM items_fts_idx").fetchone()[0])


async def test_a_bulk_ingest_merges_the_index_and_a_weekly_one_does_not(
    sqlite_archive: Archive, tmp_path: Path
) -> None:
    path = tmp_path / "archive.db"
    for number in range(1, 31):  # one transaction each: FTS5 writes a b-tree for each
        await sqlite_archive.issues.ingest(weekly(number))
    piled = b_trees(path)
    assert piled > 1
    bulk = [weekly(number) for number in range(31, 31 + MERGE_FROM_ITEMS // 25)]
    await sqlite_archive.issues.ingest_many([(one, None) for one in bulk])
    assert b_trees(path) == 1
    assert len((await sqlite_archive.issues.search("w7")).hits) == 10
    # A weekly issue is a small part of the archive: FTS5's own merging is left to it.
    await sqlite_archive.issues.ingest(weekly(100))
    assert b_trees(path) == 2
    # Ingesting the same issues again stores nothing: nothing to merge.
    await sqlite_archive.issues.ingest_many([(one, None) for one in bulk])
    assert b_trees(path) == 2
