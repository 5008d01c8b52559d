"""Search typed in full-width Latin letters and digits (`ＴＯＲＣＨ`, as a CJK keyboard in
full-width mode types them) finds what its ASCII spelling finds, and an item written so
(`ＯｐｅｎＡＩ`, common in Japanese text) is found by either spelling and shown as written, on
every backend."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from bot.models import SearchHit
from bot.store import Archive, query
from bot.store.postgres import words
from bot.store.postgres.database import migrations as pg_migrations
from bot.store.sqlite.database import migrations
from tests.factories import issue, item
from tests.store.old_archive import make_old_archive

TORCH = item(
    "Torch compile in depth",
    "https://news.example/torch",
    "How torch.compile speeds up GPT-4 inference on deep learning clusters.",
)
OTHER = item("Tensor tricks", "https://news.example/tensor", "Deep tricks for learning faster.")
SQUARED = item("Why x² loss works", "https://news.example/squared", "The squared error, explained.")


def found(hits: tuple[SearchHit, ...] | list[SearchHit]) -> list[tuple[str, str]]:
    """Each hit's title and highlighted snippet."""
    return [(hit.item.title, hit.snippet) for hit in hits]


@pytest.fixture
async def filled(archive: Archive) -> Archive:
    await archive.issues.ingest(issue(1, {"News": [TORCH, OTHER, SQUARED]}))
    return archive


@pytest.mark.parametrize(
    ("wide", "ascii"),
    [
        ("ＴＯＲＣＨ", "torch"),
        ("ＧＰＴ－４", "GPT-4"),
        ("＂ｄｅｅｐ　ｌｅａｒｎｉｎｇ＂", '"deep learning"'),  # a phrase, its space U+3000
        ("ｔｏｒ＊", "tor*"),  # a prefix
        ("ＤＥＥＰ　ｃｌｕｓｔｅｒｓ", "deep clusters"),
    ],
)
async def test_full_width_text_finds_what_its_ascii_spelling_finds(
    filled: Archive, wide: str, ascii: str
) -> None:
    expected = found((await filled.issues.search(ascii)).hits)
    assert [title for title, _ in expected] == ["Torch compile in depth"]
    assert found((await filled.issues.search(wide)).hits) == expected


async def test_full_width_words_find_related_links(filled: Archive) -> None:
    hits = await filled.issues.related("Ｈｏｗ　ｄｏｅｓ　ＣＯＭＰＩＬＥ　ｗｏｒｋ？")
    assert [hit.item.title for hit in hits] == ["Torch compile in depth"]


async def test_only_width_is_folded_not_superscripts(filled: Archive) -> None:
    # The index keeps `x²` as written: Unicode's NFKC would have searched `x²` as `x2`.
    page = await filled.issues.search("x²")
    assert [hit.item.title for hit in page.hits] == ["Why x² loss works"]
    assert (await filled.issues.search("x2")).hits == ()


WIDE_OPENAI = item(
    "ＯｐｅｎＡＩ ships ＧＰＴ５",
    "https://news.example/wide",
    "A Tokyo newsroom writes ＯｐｅｎＡＩ in full-width letters.",
    abstract=" ".join(
        [f"filler{n}" for n in range(20)] + ["zebra", "ＯｐｅｎＡＩ"] + ["padding"] * 20
    ),
)
NARROW_OPENAI = item("OpenAI in plain letters", "https://news.example/narrow", "Plain text.")


@pytest.fixture
async def written_both_ways(archive: Archive) -> Archive:
    await archive.issues.ingest(issue(1, {"News": [WIDE_OPENAI, NARROW_OPENAI, OTHER]}))
    return archive


@pytest.mark.parametrize("text", ["openai", "ＯＰＥＮＡＩ", "ｏｐｅｎ＊", "OpenAI"])
async def test_an_item_written_in_either_width_is_found_by_both(
    written_both_ways: Archive, text: str
) -> None:
    page = await written_both_ways.issues.search(text)
    titles = {hit.item.title for hit in page.hits}
    assert titles == {"ＯｐｅｎＡＩ ships ＧＰＴ５", "OpenAI in plain letters"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("ＧＰＴ５", "ＯｐｅｎＡＩ ships \x02ＧＰＴ５\x03"),
        ("gpt5", "ＯｐｅｎＡＩ ships \x02ＧＰＴ５\x03"),
        ('"openai ships gpt5"', "\x02ＯｐｅｎＡＩ ships ＧＰＴ５\x03"),
        ("newsroom", "A Tokyo \x02newsroom\x03 writes ＯｐｅｎＡＩ in full-width letters."),
        (
            "ＮＥＷＳＲＯＯＭ openai",
            "A Tokyo \x02newsroom\x03 writes \x02ＯｐｅｎＡＩ\x03 in full-width letters.",
        ),
    ],
)
async def test_a_snippet_shows_full_width_letters_as_written(
    written_both_ways: Archive, text: str, shown: str
) -> None:
    # The index reads ＯｐｅｎＡＩ as openai; the reader still sees the item's own letters.
    page = await written_both_ways.issues.search(text)
    # A phrase's words are highlighted as one on SQLite, each on its own on PostgreSQL.
    assert [hit.snippet.replace("\x03 \x02", " ") for hit in page.hits] == [shown]


async def test_a_cut_snippet_and_related_links_show_full_width_letters_as_written(
    written_both_ways: Archive,
) -> None:
    (hit,) = (await written_both_ways.issues.search("zebra")).hits
    assert hit.snippet.startswith("…filler"), hit.snippet
    assert hit.snippet.endswith("padding…"), hit.snippet
    assert "\x02zebra\x03 ＯｐｅｎＡＩ padding" in hit.snippet
    hits = await written_both_ways.issues.related("What did ＯＰＥＮＡＩ ship in ＧＰＴ５?")
    assert hits[0].snippet == "\x02ＯｐｅｎＡＩ\x03 ships \x02ＧＰＴ５\x03"


async def test_an_item_in_full_width_ranks_as_its_ascii_spelling_does(archive: Archive) -> None:
    # Each full-width word is one word of the same length to bm25, as its ASCII spelling.
    wide = item("ＯｐｅｎＡＩ ships ＧＰＴ５ today", "https://news.example/w", "Ｆｕｌｌ width.")
    narrow = item("OpenAI ships GPT5 today", "https://news.example/n", "Full width.")
    await archive.issues.ingest(issue(1, {"News": [wide, narrow, OTHER]}))
    for text in ("openai", "ＧＰＴ５ today", "full"):
        scores = [hit.score for hit in (await archive.issues.search(text)).hits]
        assert len(scores) == 2, text
        assert scores[0] == pytest.approx(scores[1]), text


OLD_ITEMS = [
    ("ＯｐｅｎＡＩ ships ＧＰＴ５", "Written in full width."),
    ("OpenAI in plain letters", "Plain text."),
    ("Plain punctuation", "Full-width punctuation alone：（株）！"),
]


def make_old_pg_archive(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database at `url` as the newsbot before full-width letters were indexed as ASCII
    left it (schema 10), holding `OLD_ITEMS` in issue 7."""
    # That newsbot's index text: CJK runs as bigrams, every other letter as written.
    monkeypatch.setattr(query, "index_text", query.cjk_index_text)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")  # the test's database comes migrated
        conn.execute("CREATE SCHEMA public")
        conn.execute("CREATE TABLE newsbot_schema (version INTEGER NOT NULL)")
        for migration in pg_migrations()[:10]:
            conn.execute(migration.sql.encode())
        conn.execute("INSERT INTO newsbot_schema (version) VALUES (10)")
        conn.execute(
            "INSERT INTO issues (number, title, intro, content_hash, next_slot, ingested_at,"
            " updated_at) VALUES (7, 'Weekly #7', '', 'x', 3, '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO sections (issue_number, slug, name, position)"
            " VALUES (7, 'news', 'News', 0)"
        )
        for slot, (title, blurb) in enumerate(OLD_ITEMS):
            conn.execute(
                "INSERT INTO items (id, issue_number, section_id, key, position, title, blurb,"
                " words) VALUES (%s, 7, (SELECT id FROM sections), %s, %s, %s, %s, %s::tsvector)",
                ((7 << 20) | slot, f"k{slot}", slot, title, blurb,
                 words.tsvector(title, blurb, section="news")),
            )  # fmt: skip
    monkeypatch.undo()


async def test_an_upgraded_archive_finds_items_written_in_full_width(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location: str | Path
    if backend == "postgres":
        location = url = str(request.getfixturevalue("pg_url"))
        make_old_pg_archive(url, monkeypatch)
    else:
        location = tmp_path / "old.db"
        wide = next(m.version for m in migrations() if m.name.endswith("_full_width_search.sql"))
        make_old_archive(location, wide - 1, OLD_ITEMS)
        with closing(sqlite3.connect(location)) as db:  # before: ｏｐｅｎａｉ, not openai
            found = db.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH 'openai'")
            assert len(found.fetchall()) == 1
    both = {"ＯｐｅｎＡＩ ships ＧＰＴ５", "OpenAI in plain letters"}
    async with await Archive.open(location) as archive:
        for text in ("openai", "ＯＰＥＮＡＩ", "ope*"):
            assert {hit.item.title for hit in (await archive.issues.search(text)).hits} == both
        (hit,) = (await archive.issues.search("gpt5")).hits
        assert hit.snippet == "ＯｐｅｎＡＩ ships \x02ＧＰＴ５\x03"
        page = await archive.issues.search("株")  # full-width punctuation still separates
        assert [hit.item.title for hit in page.hits] == ["Plain punctuation"]
        # New items are indexed the new way, next to the migrated ones.
        await archive.issues.ingest(
            issue(8, {"News": [item("ＯｐｅｎＡＩ again", "https://w.example")]})
        )
        page = await archive.issues.search("openai")
        assert {hit.item.title for hit in page.hits} == {*both, "ＯｐｅｎＡＩ again"}
    if backend == "postgres":
        with psycopg.connect(str(location)) as conn:
            # Each item's words as this newsbot writes them: positions, weights, section.
            for title, blurb in OLD_ITEMS:
                same = conn.execute(
                    "SELECT words = %s::tsvector FROM items WHERE title = %s",
                    (words.tsvector(title, blurb, section="news"), title),
                )
                assert same.fetchone() == (True,), title
    else:
        with closing(sqlite3.connect(location)) as db, db:
            db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")
            rows = db.execute("SELECT title FROM items WHERE title_cjk IS NOT NULL ORDER BY id")
            assert rows.fetchall() == [("ＯｐｅｎＡＩ ships ＧＰＴ５",), ("ＯｐｅｎＡＩ again",)]


async def test_full_width_letters_inside_cjk_text_are_found_and_shown_as_written(
    archive: Archive,
) -> None:
    mixed = item("最新のＯｐｅｎＡＩモデル", "https://news.example/mixed", "東京から。")
    await archive.issues.ingest(issue(1, {"News": [mixed, OTHER]}))
    for text, shown in [
        ("openai", "最新の\x02ＯｐｅｎＡＩ\x03モデル"),
        ("ＯＰＥＮＡＩ", "最新の\x02ＯｐｅｎＡＩ\x03モデル"),
        ("モデル", "最新のＯｐｅｎＡＩ\x02モデル\x03"),
    ]:
        page = await archive.issues.search(text)
        assert [hit.snippet for hit in page.hits] == [shown], text
