"""How a reader's search words are read, on every backend: `-word` leaves items out, a
language named with signs (`c++`, `c#`) is searched as its letter, and a prefix's letters and
an issue number's digits are counted as the index and the numbers count them."""

from __future__ import annotations

import re

import pytest

from bot.store import Archive, query
from tests.factories import issue, item


async def titles(archive: Archive, text: str) -> list[str]:
    return sorted(hit.item.title for hit in (await archive.issues.search(text)).hits)


async def ingest_tricks(archive: Archive) -> None:
    await archive.issues.ingest(
        issue(
            1,
            {
                "News": [
                    item("Torch tricks", blurb="A neat trick for torch users."),
                    item("Torch compile", blurb="Faster torch models."),
                    item("Torch at scale", blurb="The neat tricks of sharding."),
                    item("Jax news", blurb="A trick for jax."),
                ]
            },
        )
    )


async def test_a_minus_word_leaves_out_the_items_holding_it(archive: Archive) -> None:
    await ingest_tricks(archive)
    assert await titles(archive, "torch -trick") == ["Torch at scale", "Torch compile"]
    page = await archive.issues.search("torch -trick")
    assert page.limited is None
    # A phrase, and several exclusions: any of them leaves an item out.
    assert await titles(archive, 'torch -"neat tricks"') == ["Torch compile", "Torch tricks"]
    assert await titles(archive, "torch -tricks -sharding") == ["Torch compile"]
    # A word with a hyphen inside is still the phrase it always was.
    assert await titles(archive, "torch-compile") == ["Torch compile"]
    assert await titles(archive, "-trick torch") == ["Torch at scale", "Torch compile"]


@pytest.mark.parametrize(
    "text", ["torch -trick", "torch -tric*", "torch -tr*", "a b c d torch -trick"]
)
async def test_exclusions_hold_however_the_search_is_made(archive: Archive, text: str) -> None:
    # Ranked, a short prefix listed newest first, or many words listed newest first (the very
    # common "a" left out beside others): an excluded word never comes back.
    await ingest_tricks(archive)
    letters = [item("A b c d torch", blurb="Letters."), item("A b c d torch trick", blurb="So.")]
    await archive.issues.ingest(issue(2, {"News": letters}))
    excluded = text.split("-")[1].rstrip("*")
    hits = (await archive.issues.search(text)).hits
    assert hits
    for hit in hits:
        words = re.findall(r"\w+", f"{hit.item.title} {hit.item.blurb}".lower())
        prefix = text.endswith("*")
        assert not [word for word in words if word.startswith(excluded) and prefix]
        assert excluded not in words
        assert "torch" in words


async def test_only_exclusions_find_nothing_and_are_told(archive: Archive) -> None:
    await ingest_tricks(archive)
    page = await archive.issues.search("-trick -torch")
    assert page.hits == ()
    assert query.only_excluded("-trick -torch")
    assert not query.only_excluded("torch -trick")
    assert not archive.issues.searchable("-trick")


async def test_a_very_common_word_is_never_excluded(archive: Archive) -> None:
    await ingest_tricks(archive)
    page = await archive.issues.search("torch -the")
    assert sorted(hit.item.title for hit in page.hits) == [
        "Torch at scale",
        "Torch compile",
        "Torch tricks",
    ]
    assert page.limited == "very common words are in nearly every item, so not left out: “-the”"


@pytest.mark.parametrize(("text", "letter"), [("c++", "c"), ("C#", "C"), ("f#", "f")])
async def test_a_language_named_with_signs_is_searched_as_its_letter(
    archive: Archive, text: str, letter: str
) -> None:
    await archive.issues.ingest(
        issue(
            1,
            {
                "News": [
                    item("Modern C++ for CUDA", blurb="Kernels."),
                    item("F# and C# type providers", blurb="Dotnet."),
                    item("Compilers", blurb="Codegen for cpp."),
                ]
            },
        )
    )
    page = await archive.issues.search(text)
    expected = {"c": ["F# and C# type providers", "Modern C++ for CUDA"]}
    expected["f"] = ["F# and C# type providers"]
    assert sorted(hit.item.title for hit in page.hits) == expected[letter.lower()]
    assert query.sign_named(text)
    assert page.limited == (
        f"the search reads letters and digits only: “{text}” was searched as the word"
        f" “{letter}”, which also finds a plain “{letter.upper()}”"
    )


@pytest.mark.parametrize("mark", ["\u202e", "\u200e", "\u200f"])
async def test_a_direction_mark_is_no_letter_of_a_prefix(archive: Archive, mark: str) -> None:
    # The index reads a direction mark as a space: `‮to*` is the two-letter prefix `to*`,
    # listed newest first like any short prefix, and `‮t*` the one-letter word `t`.
    await archive.issues.ingest(issue(1, {"News": [item("Tokens tokens tokens", blurb="Old.")]}))
    await archive.issues.ingest(issue(2, {"News": [item("Later", blurb="About tokens.")]}))
    page = await archive.issues.search(f"{mark}to*")
    assert [hit.item.title for hit in page.hits] == ["Later", "Tokens tokens tokens"]
    assert page.limited is not None
    assert "is a short prefix" in page.limited
    one = await archive.issues.search(f"{mark}t*")
    assert one.hits == ()
    assert one.limited is not None
    assert "a prefix needs at least 2 letters" in one.limited
    # Nor is it inside a word: `x‮to*` is the word x, then the prefix `to*`.
    inside = await archive.issues.search(f"tokens{mark}to*")
    assert inside.limited is not None
    assert "is a short prefix" in inside.limited


async def test_a_combining_mark_is_no_letter_of_a_prefix(archive: Archive) -> None:
    # The index drops a diacritic written apart: `te\u0301*` is the two-letter prefix `te*`,
    # and `cafe\u0301*` is `cafe*`, four letters, ranked.
    await archive.issues.ingest(issue(1, {"News": [item("Cafés of Paris", blurb="Coffee.")]}))
    page = await archive.issues.search("te\u0301*")
    assert page.limited is not None
    assert "is a short prefix" in page.limited
    ranked = await archive.issues.search("cafe\u0301*")
    assert [hit.item.title for hit in ranked.hits] == ["Cafés of Paris"]
    assert ranked.limited is None


async def test_an_issue_number_prefix_counts_ascii_digits_alone(archive: Archive) -> None:
    for number in (2, 21, 202, 31):
        await archive.issues.ingest(issue(number, {"News": [item(f"Item {number}")]}))
    numbers = [s.number for s in await archive.issues.issues(prefix="2²")]
    assert numbers == [202, 21, 2]
    assert [s.number for s in await archive.issues.issues(prefix="#3٣")] == [31]


@pytest.mark.parametrize(
    ("text", "told"),
    [
        # A one-letter prefix left out is a very common word: said once, as not left out.
        ("torch -a*", "very common words are in nearly every item, so not left out: “-a”"),
        ("torch -the", "very common words are in nearly every item, so not left out: “-the”"),
        ("the torch", "very common words were left out: “the”"),
    ],
)
def test_what_a_reader_is_told_of_words_not_searched_says_which_way(text: str, told: str) -> None:
    plan = query.search_plan(text)
    assert plan is not None and plan.limited == told
