"""Search inside Chinese, Japanese and Korean text, where words are not separated by spaces."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit
from bot.store import Archive
from bot.store.query import fts_query
from bot.store.sqlite.database import migrations
from tests.factories import issue, item
from tests.properties import examples
from tests.store.old_archive import make_old_archive

NEWS = item(
    "最新の機械学習ニュース",
    "https://news.example/jp",
    "PyTorchで学ぶ深層学習の入門。GPT-4の使い方も解説します。",
)
CHINESE = item("机器学习入门", "https://news.example/zh", "这是一篇关于机器学习和深度学习的文章。")
KOREAN = item("한국어 기계학습을 소개합니다", "https://news.example/ko", "딥러닝 튜토리얼")
ENGLISH = item("Machine learning news", "https://news.example/en", "Nothing but English here.")


def shown(hit: SearchHit) -> str:
    """The snippet with its highlights as brackets."""
    return hit.snippet.replace(HIGHLIGHT_START, "[").replace(HIGHLIGHT_END, "]")


async def titles(archive: Archive, query: str) -> list[str]:
    return [hit.item.title for hit in (await archive.issues.search(query)).hits]


@pytest.fixture
async def filled(archive: Archive) -> Archive:
    await archive.issues.ingest(issue(1, {"ニュース": [NEWS, CHINESE, KOREAN, ENGLISH]}))
    return archive


async def test_a_word_inside_a_run_of_cjk_letters_is_found(filled: Archive) -> None:
    page = await filled.issues.search("機械学習")
    assert [hit.item.title for hit in page.hits] == ["最新の機械学習ニュース"]
    assert shown(page.hits[0]) == "最新の[機械学習]ニュース"
    assert await titles(filled, "机器学习") == ["机器学习入门"]
    assert await titles(filled, "기계학습") == ["한국어 기계학습을 소개합니다"]
    # The end of a run, and a Latin word glued to one.
    assert await titles(filled, "ニュース") == ["最新の機械学習ニュース"]
    hit = (await filled.issues.search("pytorch")).hits[0]
    assert shown(hit) == "[PyTorch]で学ぶ深層学習の入門。GPT-4の使い方…"


async def test_two_letter_and_one_letter_words(filled: Archive) -> None:
    # 学習 is in the Japanese blurb; 学习 (simplified) only in the Chinese item, twice.
    hit = (await filled.issues.search("学習")).hits[0]
    assert hit.item.title == "最新の機械学習ニュース"
    assert "深層[学習]の入門" in shown(hit)
    chinese = (await filled.issues.search("学习")).hits
    assert [h.item.title for h in chinese] == ["机器学习入门"]
    assert shown(chinese[0]).count("[学习]") == 2
    # One letter finds every word it starts, and a run's last letter.
    assert set(await titles(filled, "学")) == {"最新の機械学習ニュース", "机器学习入门"}
    assert await titles(filled, "ス") == ["最新の機械学習ニュース"]


async def test_letters_that_are_not_together_do_not_match(filled: Archive) -> None:
    assert await titles(filled, "機械ニュース") == []
    assert await titles(filled, "習機") == []
    assert await titles(filled, '"機械学習ニュース"') == ["最新の機械学習ニュース"]
    assert await titles(filled, '"機械 ニュース"') == []


async def test_cjk_and_other_words_are_one_query(filled: Archive) -> None:
    # All words must match, in one ranking: a CJK word ANDs with a Latin one.
    assert await titles(filled, "学習 pytorch") == ["最新の機械学習ニュース"]
    assert await titles(filled, "学習 english") == []
    assert await titles(filled, "GPT-4の使い方") == ["最新の機械学習ニュース"]
    assert await titles(filled, "学習*") == ["最新の機械学習ニュース"]
    assert await titles(filled, "learning") == ["Machine learning news"]


async def test_a_cjk_title_outranks_a_cjk_blurb(archive: Archive) -> None:
    await archive.issues.ingest(
        issue(
            3,
            {
                "N": [
                    item("今週のまとめ", "https://a.example/1", "強化学習の論文を紹介。"),
                    item("強化学習の基礎", "https://a.example/2", "今週の入門記事。"),
                ]
            },
        )
    )
    assert await titles(archive, "強化学習") == ["強化学習の基礎", "今週のまとめ"]


async def test_an_edited_or_removed_item_leaves_the_cjk_index(sqlite_archive: Archive) -> None:
    link = "https://a.example/1"
    await sqlite_archive.issues.ingest(
        issue(2, {"N": [item("深層学習", link), item("自然言語処理", "https://b.example")]})
    )
    await sqlite_archive.issues.ingest(issue(2, {"N": [item("強化学習", link)]}))
    assert await titles(sqlite_archive, "深層") == []
    assert await titles(sqlite_archive, "自然言語") == []
    assert await titles(sqlite_archive, "強化") == ["強化学習"]
    with closing(sqlite3.connect(sqlite_archive.path)) as db, db:
        db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")


async def test_related_links_share_cjk_words(filled: Archive) -> None:
    hits = await filled.issues.related("機械学習を始めたいのですが、おすすめの入門はありますか？")
    assert hits and hits[0].item.title == "最新の機械学習ニュース"


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("機械学習", '" 機械 械学 学習 "'),
        ("学", '" 学 "*'),
        ('"機械学習 ニュース"', '" 機械 械学 学習 習   ニュ ュー ース "'),
        ("GPT-4の", '"GPT-4 の "*'),
        ('機械"学習', '" 機械 械 "" 学習 "'),
    ],
)
def test_cjk_reader_text_is_quoted_as_the_index_holds_it(text: str, query: str) -> None:
    assert fts_query(text) == query


CJK = "機械学習深層の入門ニュースー学习한국어"


@examples(150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    run=st.text(alphabet=CJK, min_size=1, max_size=30),
    span=st.tuples(st.integers(0, 30), st.integers(1, 30)),
    before=st.sampled_from(["", "Intro ", "GPT-4", "「"]),
    after=st.sampled_from(["", " news", "です。", "AI"]),
)
async def test_every_part_of_a_run_is_found_and_shown_as_written(
    sqlite_archive: Archive, run: str, span: tuple[int, int], before: str, after: str
) -> None:
    # Each example edits the same item: the index must follow every edit.
    blurb = f"{before}{run}{after}"
    await sqlite_archive.issues.ingest(
        issue(1, {"N": [item("Title", "https://a.example/1", blurb)]})
    )
    start = min(span[0], len(run) - 1)
    part = run[start : start + span[1]]
    page = await sqlite_archive.issues.search(part)
    assert [hit.item.blurb for hit in page.hits] == [blurb]
    snippet = page.hits[0].snippet
    assert snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "").strip("…") in blurb
    marks = [text for text, marked in page.hits[0].snippet_parts() if marked]
    assert marks and all(part in marked or marked in part for marked in marks)
    with closing(sqlite3.connect(sqlite_archive.path)) as db, db:
        db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")


@examples(200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=CJK + 'ab *"-:()^', max_size=60))
async def test_no_cjk_search_text_can_raise(filled: Archive, text: str) -> None:
    await filled.issues.search(text)
    await filled.issues.related(text)


def make_schema_5_archive(path: Path) -> None:
    """An archive as newsbot made it at schema version 5, holding one issue with CJK items."""
    make_old_archive(
        path,
        5,
        [("最新の機械学習ニュース", "Deep learning."), ("English only", "深層学習の入門。")],
    )


async def test_an_archive_at_schema_5_is_reindexed_for_cjk(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_schema_5_archive(path)
    with closing(sqlite3.connect(path)) as db, db:  # before: the whole run is one token
        found = db.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH '学習'")
        assert found.fetchone()[0] == 0
    async with await Archive.open(path) as archive:
        assert await archive.schema_version() == len(migrations())
        page = await archive.issues.search("学習")
        assert {hit.item.title for hit in page.hits} == {"最新の機械学習ニュース", "English only"}
        assert await titles(archive, "deep learning") == ["最新の機械学習ニュース"]
        # New items are indexed the new way, next to the migrated ones.
        await archive.issues.ingest(issue(8, {"N": [item("機械翻訳", "https://c.example")]}))
        assert await titles(archive, "機械") == ["機械翻訳", "最新の機械学習ニュース"]
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")
