"""Search typed in full-width Latin letters and digits (`ＴＯＲＣＨ`, as a CJK keyboard in
full-width mode types them) finds what its ASCII spelling finds, on every backend."""

from __future__ import annotations

import pytest

from bot.models import SearchHit
from bot.store import Archive
from tests.factories import issue, item

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
