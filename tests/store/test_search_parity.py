"""Search finds the same items on SQLite and PostgreSQL: one corpus in both, a set of queries
(hostile ones among them) run on each, the hit sets compared (ranking may differ)."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.issuefiles import load_issue
from bot.models import Issue
from bot.store import Archive
from tests.conftest import ISSUES
from tests.factories import issue, item

_WORDS = re.compile(r"\w+")

TRICKY = [
    item(
        "E-mail is dead, long live e-mail",
        "https://tricky.example/1",
        "Don't panic: C++ and C# in 2024.",
    ),
    item(
        "Café crème and naïve résumé",
        "https://tricky.example/2",
        "Über-fast ÆSIR, straße, İstanbul and ǅemal.",
    ),
    item(
        "AND OR NOT NEAR",
        "https://tricky.example/3",
        'Words FTS5 reads as syntax: "quoted" -minus +plus (paren) ^',
    ),
    item(
        "最新の機械学習ニュース",
        "https://tricky.example/4",
        "PyTorchで学ぶ深層学習の入門。GPT-4の使い方も解説します。",
    ),
    item("机器学习入门", "https://tricky.example/5", "这是一篇关于机器学习和深度学习的文章。"),
    item("한국어 기계학습을 소개합니다", "https://tricky.example/6", "딥러닝 튜토리얼"),
    item(
        "URLs: https://example.com/a_b?c=d",
        "https://tricky.example/7",
        "user@example.org wrote a.b.c and x_y_z.",
    ),
    item("Numbers 3.14 and 1,000,000", "https://tricky.example/8", "v2.0-beta, 10x, 2nd, ½ and ²."),
    item(
        "Emoji 🤖 robots",
        "https://tricky.example/9",
        "Zero\u200bwidth and com\u0301bining marks; ﬁ ligature.",
    ),
    item(
        "Title words",
        "https://tricky.example/10",
        "Blurb words with a title in them.",
        abstract="Abstract words.",
    ),
    item(
        "ＯｐｅｎＡＩのＧＰＴ－４ｏ",
        "https://tricky.example/11",
        "Ｔｏｋｙｏ　ニュース：ＡＩ（株）と OpenAI。",
    ),
]

HOSTILE = [
    '"', '""', '"unclosed phrase', "*", "**", "a*", "ro*", "-word", "NOT word", "word OR other",
    "AND", "or", "NEAR(a b)", "title:words", "^start", "(paren)", "{col}: x",
    "'; DROP TABLE items; --",
    "%", "_", "\\", "\x00null", "c++", "C#", "e-mail", "café", "cafe", "CAFÉ", "naive", "resume",
    "strasse", "straße", "istanbul", "学習", "学", "機械学習", "学习", "机器", "기계", "학습",
    "gpt-4", "pytorch", "https://example.com", "example.com", "a.b.c", "x_y_z", "3.14",
    "1,000,000", "v2.0", "🤖", "robots", "zero width", "combining", "fi", "ﬁ", '"title words"',
    '"words title"', "title words", "abstract", "words*", "wor*", '"long live" e-mail',
    "the", "the of", '"of the"', "ab", "½", "²", "2nd", "ǅemal", "džemal", "ǆemal",
    # Short prefixes, alone, together, ending a phrase, after folding, and of CJK bigrams.
    "ca*", "caf*", "café*", "ré*", "rés*", "ǅe*", "e-ma*", "e-m*", '"long li"*', '"long l"*',
    "li* lo*", "lon* liv*", "wo* title", "学*", "機械*", "ze*", "zer*",
    # Full-width Latin, in the query or in the item.
    "openai", "ＯＰＥＮＡＩ", "ｏｐ＊", "gpt-4o", "ＧＰＴ－４ｏ", '"openai の gpt"',
    "tokyo ニュース",
    # Exclusions: of words, phrases and prefixes, beside every kind of search, and alone.
    "robot -learning", 'robot -"model data"', "robot -mod*", "robot -mo*", "ro* -robot",
    "学習 -機械", "robot -c++", "robot -data -graph -vision -speech", "the -robot", "-robot -data",
    "robot -the", '"long live" -e-mail', "openai -ＧＰＴ",
]  # fmt: skip


def corpus() -> list[Issue]:
    """The sample issue, tricky items, and generated ones over dates and sections."""
    made = [load_issue(path) for path in sorted(ISSUES.glob("*.md"))]
    made.append(issue(300, {"Tricky": TRICKY}, date=dt.date(2024, 3, 1)))
    chance = random.Random(18)
    vocabulary = ["robot", "learning", "model", "data", "graph", "vision", "speech", "agent"]
    for number in range(301, 341):
        # A section whose slug has hyphens and digits: `c-ai-s-2nd`.
        sections: dict[str, list[object]] = {"News": [], "Papers": [], "C++ & AI's 2nd": []}
        for n in range(6):
            title = " ".join(chance.choices(vocabulary, k=3))
            blurb = " ".join(chance.choices(vocabulary, k=8))
            sections[chance.choice(list(sections))].append(item(f"{title} {n}", None, blurb))
        filled = {name: items for name, items in sections.items() if items}
        made.append(issue(number, filled, date=dt.date(2024, 3, 1) + dt.timedelta(number - 300)))  # type: ignore[arg-type]
    return made


def queries(issues: list[Issue]) -> list[str]:
    """The hostile queries, and words and pairs of words from the corpus, some as prefixes."""
    chance = random.Random(7)
    words = sorted({w for i in issues for it in i.items for w in _WORDS.findall(it[1].title)})
    made = list(HOSTILE)
    for _ in range(60):
        first, second = chance.choice(words), chance.choice(words)
        made += [first, f"{first} {second}", f'"{first} {second}"', f"{first[:3]}*"]
        made += [f"{first} -{second}", f"{first[:3]}* -{second[:4]}*"]
    # Many words: ranked up to four, listed newest first beyond; the index asked the rarest.
    for count in (3, 4, 6):
        made += [" ".join(chance.choices(words, k=count)) for _ in range(20)]
    return made


@pytest.fixture
async def both(tmp_path: Path, pg_url: str) -> AsyncIterator[tuple[Archive, Archive]]:
    sqlite = await Archive.open(tmp_path / "archive.db")
    postgres = await Archive.open(pg_url)
    try:
        issues = corpus()
        await sqlite.issues.ingest_many([(i, None) for i in issues])
        await postgres.issues.ingest_many([(i, None) for i in issues])
        yield sqlite, postgres
    finally:
        await sqlite.close()
        await postgres.close()


async def hits(archive: Archive, text: str, **filters: object) -> tuple[set[int], str | None]:
    """Every item a query finds (all pages), and what was limited."""
    found: set[int] = set()
    offset = 0
    while True:
        page = await archive.issues.search(text, limit=100, offset=offset, **filters)  # type: ignore[arg-type]
        found |= {hit.item_id for hit in page.hits}
        if not page.has_more:
            return found, page.limited
        offset += 100


async def test_every_query_finds_the_same_items_on_both(both: tuple[Archive, Archive]) -> None:
    sqlite, postgres = both
    differ = []
    for text in queries(corpus()):
        on_sqlite, on_postgres = await hits(sqlite, text), await hits(postgres, text)
        if on_sqlite != on_postgres:
            differ.append((text, on_sqlite, on_postgres))
    assert differ == []


@pytest.mark.parametrize(
    "filters",
    [
        {"section": "papers"},
        {"section": "no-such-section"},
        {"issue": 305},
        {"since": dt.date(2024, 3, 10), "until": dt.date(2024, 3, 20)},
        {"since": dt.date(2030, 1, 1)},
        {"section": "news", "until": dt.date(2024, 3, 15)},
        {"section": "c-ai-s-2nd"},
        # Sections no slug can name, as a reader could type them: each matches nothing.
        {"section": "it's"},
        {"section": "a b"},
        {"section": "papers' | 'news"},
        {"section": "news:*"},
        {"section": "news\\"},
        {"section": "§news"},
        {"section": "news\x00"},
        {"section": "n" * 3000},
    ],
)
async def test_filters_keep_the_same_items_on_both(
    both: tuple[Archive, Archive], filters: dict[str, object]
) -> None:
    sqlite, postgres = both
    for text in ["robot", "model data", '"graph vision"', "ten*", "the", "robot -model"]:
        assert await hits(sqlite, text, **filters) == await hits(postgres, text, **filters), text


async def test_a_section_holds_the_same_matches_on_both(both: tuple[Archive, Archive]) -> None:
    sqlite, postgres = both
    for slug in ("news", "papers", "c-ai-s-2nd"):
        for text in ["robot", "model data", "ro*", "mod*"]:
            page = await postgres.issues.search(text, section=slug, limit=100)
            assert page.hits and not page.has_more, (slug, text)
            assert {hit.section_slug for hit in page.hits} == {slug}, (slug, text)
            found = {hit.item_id for hit in page.hits}
            assert (found, page.limited) == await hits(sqlite, text, section=slug), (slug, text)


async def test_related_items_are_the_same_on_both(both: tuple[Archive, Archive]) -> None:
    sqlite, postgres = both
    # Words with fewer matches than the limit: the ranking, which may differ, keeps them all.
    for text in ["Anything new about PyTorch or e-mail?", "機械学習の本", "café naïve résumé"]:
        on_sqlite = {hit.item_id for hit in await sqlite.issues.related(text, limit=25)}
        on_postgres = {hit.item_id for hit in await postgres.issues.related(text, limit=25)}
        assert on_sqlite, text
        assert on_sqlite == on_postgres, text
