"""Every search hit carries the snippet FTS5 cuts from its own item, whichever way the page's
snippets are read (one scan of the page's range of ids, or one lookup per item): on an index
of many segments, across pages, filters, phrases, exclusions, prefixes, CJK runs, and an
issue held back from readers in the middle of a page's range."""

from __future__ import annotations

import datetime as dt
import random
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START, Item, SearchPage
from bot.store import Archive
from bot.store.query import as_written, fts_query, holds_phrase
from tests.factories import issue, item

NOW = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)
WORDS = [f"w{n}" for n in range(40)]
HELD = 17
"""An issue scheduled after NOW: among the others, no search may show it."""
QUERIES = [
    "w0",  # in most items
    "w39",  # in few
    "w1 w2",
    "w3 -w4",
    '"w5 w6"',  # a phrase: ranked, its rows are looked up one by one
    "w7*",
    "w1*",  # a short prefix: newest first
    "学習",
    "nothing",
]


def items_of(number: int, rng: random.Random) -> list[Item]:
    made = []
    for slot in range(8):
        # Early words are frequent: w0 in nearly every item, w39 in a few.
        words = [WORDS[min(int(rng.paretovariate(0.6)) - 1, 39)] for _ in range(12)]
        blurb = " ".join(words) + (" 機械学習の記事" if slot % 3 == 0 else "")
        made.append(item(f"{words[0]} story {number}-{slot}", blurb=blurb))
    return made


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[Archive]:
    rng = random.Random(202)
    opened = await Archive.open(tmp_path / "archive.db", clock=lambda: NOW)
    # One issue a transaction: the full-text index grows to several segments, as it does.
    for number in range(1, 41):
        publish_at = NOW + dt.timedelta(days=2) if number == HELD else None
        sections = {"News": items_of(number, rng)[:4], "Papers": items_of(number, rng)[4:]}
        date = dt.date(2026, 1, 1) + dt.timedelta(weeks=number)
        await opened.issues.ingest(issue(number, sections, date=date, publish_at=publish_at))
    try:
        yield opened
    finally:
        await opened.close()


def own_snippet(path: Path, query: str, item_id: int) -> str:
    """The snippet FTS5 cuts for `query` from item `item_id` alone, as the item writes it."""
    fts = fts_query(query)
    with closing(sqlite3.connect(path)) as db:
        row = db.execute(
            "SELECT snippet(items_fts, -1, ?, ?, '…', 16), i.title, i.blurb, i.abstract"
            " FROM items_fts JOIN items i ON i.id = items_fts.rowid"
            " WHERE items_fts MATCH ? AND items_fts.rowid = ?",
            (HIGHLIGHT_START, HIGHLIGHT_END, fts, item_id),
        ).fetchone()
    assert row is not None, f"item {item_id} does not match {query!r}"
    return as_written(row[0], row[1:])


def visible_matches(path: Path, query: str, filters: dict[str, object]) -> int:
    """How many items readers can see match `query` under `filters`, counted plainly."""
    sql = (
        "SELECT count(*) FROM items_fts JOIN items i ON i.id = items_fts.rowid"
        " JOIN sections s ON s.id = i.section_id JOIN issues n ON n.number = i.issue_number"
        " WHERE items_fts MATCH :query AND i.issue_number != :held"
    )
    params: dict[str, object] = {"query": fts_query(query), "held": HELD}
    if "section" in filters:
        sql += " AND s.slug = :section"
    if "issue" in filters:
        sql += " AND i.issue_number = :issue"
    if "since" in filters:
        sql += " AND n.date BETWEEN :since AND :until"
    params.update({name: str(value) for name, value in filters.items()})
    params["issue"] = filters.get("issue")
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute(sql, params).fetchone()[0])


async def every_page(archive: Archive, query: str, filters: dict[str, object]) -> list[SearchPage]:
    found = [await archive.issues.search(query, **filters)]  # type: ignore[arg-type]
    while found[-1].has_more:
        offset = 10 * len(found)
        found.append(await archive.issues.search(query, offset=offset, **filters))  # type: ignore[arg-type]
    return found


@pytest.mark.parametrize("query", QUERIES)
async def test_every_hit_has_its_own_items_snippet(
    archive: Archive, tmp_path: Path, query: str
) -> None:
    path = tmp_path / "archive.db"
    with closing(sqlite3.connect(path)) as db:
        segments = db.execute("SELECT count(DISTINCT segid) FROM items_fts_idx").fetchone()[0]
    assert segments > 1
    filtered: list[dict[str, object]] = [
        {},
        {"section": "papers"},
        {"issue": 12},
        {"since": dt.date(2026, 3, 1), "until": dt.date(2026, 6, 30)},
    ]
    for filters in filtered:
        shown = []
        for page in await every_page(archive, query, filters):
            for hit in page.hits:
                assert hit.issue_number != HELD
                assert hit.snippet == own_snippet(path, query, hit.item_id), (query, filters)
                assert HIGHLIGHT_START in hit.snippet, (query, hit.snippet)
                shown.append(hit.item_id)
        # Every match, each once: no page lost a row whose snippet it read.
        assert len(set(shown)) == len(shown) == visible_matches(path, query, filters), filters


TOKENIZER = "unicode61 remove_diacritics 2"
"""The archive's full-text tokenizer (its items_fts)."""
READER_TEXTS = [
    "learning model", "deep -learning", '"deep learning" model', "model-of", "don't",
    "node.js", "x_y_z", "c++", "学習", "機械学習", "ＧＰＴ－４", "café crème", "w1*", "e-ma*",
]  # fmt: skip


def tokens_of(db: sqlite3.Connection, text: str) -> int:
    """How many tokens FTS5's tokenizer, as the archive's index sets it, reads in `text`."""
    db.execute("DELETE FROM probe")
    db.execute("INSERT INTO probe (text) VALUES (?)", (text,))
    return int(db.execute("SELECT count(*) FROM probe_tokens").fetchone()[0])


def test_a_query_holds_a_phrase_when_the_index_reads_two_tokens_in_one_string() -> None:
    """A ranked phrase's page reads its rows one by one (`holds_phrase`): its range would have
    every item holding its words checked. Told from FTS5's own tokenizer, for what readers
    type: a hyphenated word is a phrase, two quoted words side by side are not."""
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute(f"CREATE VIRTUAL TABLE probe USING fts5(text, tokenize = '{TOKENIZER}')")
        db.execute("CREATE VIRTUAL TABLE probe_tokens USING fts5vocab(probe, instance)")
        for text in READER_TEXTS:
            fts = fts_query(text)
            assert fts is not None
            strings = [s.replace('""', '"') for s in re.findall(r'"((?:[^"]|"")*)"', fts)]
            read = any(tokens_of(db, string) > 1 for string in strings)
            assert holds_phrase(fts) == read, (text, fts)
    assert not holds_phrase(fts_query("learning model") or "")
    assert holds_phrase(fts_query("model-of") or "")
