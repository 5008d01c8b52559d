"""The archive's WAL file shrinks back after a large ingest, while newsbot keeps the archive
open (`newsbot run`), instead of keeping the ingest's size on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Archive
from bot.store.sqlite import database
from tests.factories import issue, item

LIMIT = 64 * 1024
"""The WAL size kept in this test, instead of the archive's 64 MB (an ingest of that size
would take seconds)."""


def size(path: Path) -> int:
    return path.stat().st_size


async def test_a_large_ingest_leaves_no_large_wal_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = [p for p in database._PRAGMAS if p.startswith("journal_size_limit")]
    assert limits == ["journal_size_limit = 67108864"]
    pragmas = [p for p in database._PRAGMAS if p not in limits]
    monkeypatch.setattr(database, "_PRAGMAS", (*pragmas, f"journal_size_limit = {LIMIT}"))
    path = tmp_path / "archive.db"
    wal = Path(f"{path}-wal")
    async with await Archive.open(path) as archive:
        bulk = [
            issue(
                n,
                {"News": [item(f"Story {n} {i}", blurb="word " * 40 + "end.") for i in range(25)]},
            )
            for n in range(1, 401)
        ]
        await archive.issues.ingest_many([(one, None) for one in bulk])
        grown = size(wal)
        assert grown > 64 * LIMIT
        assert (await archive.issues.search("story")).hits  # a reader, as newsbot run has
        # SQLite checkpointed the WAL as it grew; the next writes start it over, cut back.
        await archive.issues.ingest(issue(500))
        await archive.issues.ingest(issue(501))
        # Two small ingests' pages, not the bulk's.
        assert size(wal) <= 4 * LIMIT
