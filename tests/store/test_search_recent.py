"""The index of the newest items (bot/store/sqlite/recent.py): it holds exactly the newest
issues' items through ingests, edits and upgrades, and a word common among them is ranked there."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.models import Issue
from bot.store import Archive
from bot.store.ingest import SLOT_BITS
from bot.store.sqlite import recent, statement
from tests.factories import issue, item
from tests.store.old_archive import make_old_archive


def numbered(number: int, size: int = 2) -> Issue:
    """Issue `number` with `size` items, each titled with a word of its own (`w<number>x<i>`)."""
    return issue(number, {"News": [item(f"w{number}x{i} news") for i in range(size)]})


def indexed(path: Path) -> tuple[tuple[int, int], set[int], dict[str, list[int]]]:
    """The window, the ids the recent index holds, and what its words find there."""
    with closing(sqlite3.connect(path)) as db:
        held = db.execute("SELECT first_issue, last_issue FROM recent_window").fetchone()
        ids = {row[0] for row in db.execute("SELECT id FROM items_recent_fts_docsize")}
        words = [row[0] for row in db.execute("SELECT title FROM items")]
        found = {
            word.split()[0]: [
                row[0]
                for row in db.execute(
                    "SELECT rowid FROM items_recent_fts WHERE items_recent_fts MATCH ?",
                    (f'"{word.split()[0]}"',),
                )
            ]
            for word in words
        }
        every = {row[0] for row in db.execute("SELECT id FROM items")}
    assert ids <= every
    return held, ids, found


def ids_of(path: Path, first: int, last: int) -> set[int]:
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT id FROM items WHERE issue_number BETWEEN ? AND ?", (first, last)
        ).fetchall()
    return {row[0] for row in rows}


async def test_the_recent_index_follows_the_newest_issues_through_ingests_and_edits(
    sqlite_archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recent, "RECENT_ITEMS", 4)
    monkeypatch.setattr(recent, "RECENT_FROM_ITEMS", 6)
    path = tmp_path / "archive.db"
    # A small archive has none.
    await sqlite_archive.issues.ingest_many([(numbered(n), None) for n in range(1, 3)])
    assert indexed(path)[:2] == ((1, 0), set())
    # Past RECENT_FROM_ITEMS, filled whole.
    await sqlite_archive.issues.ingest_many([(numbered(n), None) for n in range(3, 6)])
    held, ids, found = indexed(path)
    assert held == (4, 5) and ids == ids_of(path, 4, 5)
    assert found["w3x0"] == [] and found["w5x1"] == [(5 << SLOT_BITS) | 1]
    # One more issue: the oldest one in the window leaves it, item by item.
    await sqlite_archive.issues.ingest(numbered(6))
    held, ids, found = indexed(path)
    assert held == (5, 6) and ids == ids_of(path, 5, 6)
    assert found["w4x0"] == [] and found["w6x0"] == [6 << SLOT_BITS]
    # An issue in the window edited: its old words are gone from the index, the new one is in;
    # with one item fewer, the window reaches back an issue again.
    await sqlite_archive.issues.ingest(issue(6, {"News": [item("w6y0 news")]}))
    held, ids, found = indexed(path)
    assert held == (4, 6) and ids == ids_of(path, 4, 6)
    assert found["w6y0"] == [(6 << SLOT_BITS) | 2] and found["w4x0"] == [4 << SLOT_BITS]
    with closing(sqlite3.connect(path)) as db:
        gone = db.execute(
            "SELECT count(*) FROM items_recent_fts WHERE items_recent_fts MATCH 'w6x0 OR w6x1'"
        ).fetchone()
    assert gone == (0,)
    # An older issue edited: the window stays as it is.
    await sqlite_archive.issues.ingest(issue(2, {"News": [item("w2y0 news")]}))
    held, ids, found = indexed(path)
    assert held == (4, 6) and found["w2y0"] == []
    # Many newer issues at once: more leave than stay, so the index is made again.
    await sqlite_archive.issues.ingest_many([(numbered(n), None) for n in range(7, 20)])
    held, ids, found = indexed(path)
    assert held == (18, 19) and ids == ids_of(path, 18, 19)
    assert found["w17x1"] == [] and found["w18x1"] == [(18 << SLOT_BITS) | 1]


async def test_a_word_common_among_the_newest_items_is_ranked_by_their_statistics(
    sqlite_archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "alpha" is in nearly every old item, so across the archive bm25 counts it common and
    # "beta" rare; among the newest 20 items it is the other way round. The newest three
    # matches of "alpha beta" all lie among them, so they are ranked there.
    monkeypatch.setattr(recent, "RECENT_ITEMS", 20)
    monkeypatch.setattr(recent, "RECENT_FROM_ITEMS", 20)
    monkeypatch.setattr(statement, "SEARCH_CANDIDATES", 3)
    old = [item(f"Old {n}", blurb="alpha") for n in range(100)]
    filler = [item(f"Filler {n}", blurb="beta" if n < 7 else "gamma") for n in range(17)]
    newest = [
        item("alpha first", blurb="beta"),
        item("beta first", blurb="alpha"),
        item("gamma", blurb="alpha beta"),
    ]
    await sqlite_archive.issues.ingest_many(
        [(issue(1, {"Old": old}), None), (issue(2, {"News": filler + newest}), None)]
    )
    page = await sqlite_archive.issues.search("alpha beta")
    assert [hit.item.title for hit in page.hits] == ["alpha first", "beta first", "gamma"]
    # Matches the recent index does not hold are searched in the whole one.
    older = await sqlite_archive.issues.search("alpha", issue=1)
    assert [hit.item.title for hit in older.hits] == ["Old 97", "Old 98", "Old 99"]


async def phrase_archive(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """An old issue whose titles hold the phrase "deep learning" (bm25 ranks those first), and
    a newest one, the recent index's, where every item holds both words and three the phrase:
    the title of one, the blurbs of the other two."""
    monkeypatch.setattr(recent, "RECENT_ITEMS", 20)
    monkeypatch.setattr(recent, "RECENT_FROM_ITEMS", 20)
    monkeypatch.setattr(statement, "SEARCH_CANDIDATES", 6)
    old = [item(f"Deep learning, part {n}") for n in range(5)]
    old += [item(f"Old {n}", blurb="learning deep") for n in range(25)]
    newest = [item(f"New {n}", blurb="learning deep") for n in range(17)]
    newest += [
        item("Phrase in a blurb", blurb="all about deep learning and more words around it"),
        item("Deep learning in a title", blurb="learning deep"),
        item("Phrase in a short blurb", blurb="deep learning"),
    ]
    await archive.issues.ingest_many(
        [(issue(1, {"Old": old}), None), (issue(2, {"News": newest}), None)]
    )


async def test_a_phrase_of_common_words_is_ranked_among_the_newest_items(
    sqlite_archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bm25 would read the words' positions in every item holding both, in the whole archive:
    # the phrase's matches in the recent index are ranked there, then older ones follow newest
    # first, up to SEARCH_CANDIDATES in all, like any ranked query's.
    await phrase_archive(sqlite_archive, monkeypatch)
    page = await sqlite_archive.issues.search('"deep learning"')
    assert [hit.item.title for hit in page.hits] == [
        "Deep learning in a title",
        "Phrase in a short blurb",
        "Phrase in a blurb",
        "Deep learning, part 4",
        "Deep learning, part 3",
        "Deep learning, part 2",
    ]
    assert not page.has_more
    assert page.limited == (
        "a phrase of common words: its matches in the newest 1 issues are ranked, older ones"
        " follow newest first"
    )
    assert [hit.score < 0 for hit in page.hits] == [True] * 3 + [False] * 3
    # Page by page, across the turn from ranked to newest first, the same hits in that order.
    pages = [
        await sqlite_archive.issues.search('"deep learning"', limit=2, offset=o) for o in (0, 2, 4)
    ]
    assert [hit.item.title for p in pages for hit in p.hits] == [
        hit.item.title for hit in page.hits
    ]
    assert [p.has_more for p in pages] == [True, True, False]
    # Filters hold in both parts.
    assert not (await sqlite_archive.issues.search('"deep learning"', section="old")).limited


async def test_a_phrase_whose_words_are_rare_among_the_newest_items_is_ranked_whole(
    sqlite_archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    await phrase_archive(sqlite_archive, monkeypatch)
    # "part" is in no item of the newest issue: the newest matches are ranked as usual (tied,
    # then in the issue's order).
    page = await sqlite_archive.issues.search('"learning, part"')
    assert page.limited is None
    assert [hit.item.title for hit in page.hits][:2] == [
        "Deep learning, part 0",
        "Deep learning, part 1",
    ]
    # A word, not a phrase, whose newest matches are not all in the recent index: as usual.
    assert (await sqlite_archive.issues.search("deep learning")).limited is None


async def test_an_upgraded_archive_gets_its_recent_index_when_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recent, "RECENT_ITEMS", 2)
    monkeypatch.setattr(recent, "RECENT_FROM_ITEMS", 2)
    path = tmp_path / "old.db"
    make_old_archive(path, 8, [("Chips", "Fast ones."), ("Boards", "Chips on them.")])
    async with await Archive.open(path) as archive:
        hits = (await archive.issues.search("chips")).hits
        assert [hit.item.title for hit in hits] == ["Chips", "Boards"]
    held, ids, _ = indexed(path)
    assert held == (7, 7) and ids == {7340032, 7340033}
