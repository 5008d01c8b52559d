"""A link's path as editors and readers see it: its letters decoded from percent-encoding where
that is safe, as browsers show them, and encoded where they would change how the address reads
or reorder the text around it; linked as stored always."""

from __future__ import annotations

import asyncio
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.app import Newsbot
from bot.cli import app
from bot.models import Suggestion, SuggestionStatus, Supporter
from bot.models.idn import shown_path, shown_url
from bot.models.links import LinkRejected
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.suggestions import SuggestionService, draft_issue, normalise
from tests.properties import examples
from tests.suggestions.test_discord import suggest
from tests.suggestions.test_review_cards import review_card

WIKIPEDIA = "https://ja.wikipedia.org/wiki/%E6%A9%9F%E6%A2%B0%E5%AD%A6%E7%BF%92"
"""機械学習 ("machine learning") on the Japanese Wikipedia, as stored."""


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (WIKIPEDIA, "https://ja.wikipedia.org/wiki/機械学習"),
        ("https://xn--bcher-kva.example/stra%C3%9Fe", "https://bücher.example/straße"),
        ("https://a.example/x?q=%E6%A9%9F%E6%A2%B0", "https://a.example/x?q=機械"),  # a query
        ("https://a.example/x%CC%83", "https://a.example/x\u0303"),  # a tilde on a letter
        (
            "https://a.example/%E3%83%8E%E3%83%BC%E3%83%88",
            "https://a.example/ノート",
        ),  # Japanese ノ
        ("https://a.example/%F0%9F%98%80", "https://a.example/😀"),
    ],
)
def test_a_paths_letters_are_shown_as_themselves(stored: str, shown: str) -> None:
    assert normalise(stored) == stored
    assert shown_url(stored) == shown
    assert normalise(shown) == stored, "what is shown leads to the same page"


@pytest.mark.parametrize(
    "encoded",
    [
        "a%20b",  # a space
        "a%2Fb",  # a slash within a segment: not one between two
        "a%3Fb%23c%25d%26e",  # ? # % &: the address's own syntax
        "%E2%80%AEtxt.exe",  # a right-to-left override
        "%E2%81%A7abc%E2%81%A9",  # a right-to-left isolate
        "%D7%A9%D7%9C%D7%95%D7%9D",  # Hebrew, laid out right to left
        "%D9%A3",  # an Arabic-Indic digit: right to left too, beside a neutral `/`
        "a%EF%BC%8Fb",  # a full-width solidus: reads as a slash
        "a%E2%88%95b",  # a division slash
        "a%E2%81%84b",  # a fraction slash
        "a%EF%BC%9Fb",  # a full-width question mark
        "a%E3%80%82b",  # an ideographic full stop: IDNA reads it as a host's dot
        "a%EF%BD%A1b",  # its half-width form, a dot to IDNA too
        "a%EF%BC%8Eb",  # a full-width full stop, the last of IDNA's dots
        "%E2%84%80",  # ℀, "a/c"
        "%F0%9F%94%92",  # a padlock, as a browser's "secure" icon
        "a%E2%80%8Bb",  # a zero-width space
        "a%C2%A0b",  # a no-break space
        "a%E3%85%A4b",  # a Hangul filler, which shows as nothing
        "a%E2%A0%80b",  # the blank Braille pattern
        "%CC%81",  # an accent on the slash before it
        "a%E3%83%8E/",  # ノ between two characters that are not Japanese: a slash
        "%FF%FE",  # bytes that are not UTF-8
        "%C0%AF",  # an overlong `/`
        "%E6%A9",  # a character cut short
    ],
)
def test_what_would_change_how_the_address_reads_stays_encoded(encoded: str) -> None:
    stored = f"https://a.example/{encoded}"
    assert shown_url(stored) == stored


@examples(200)
@given(st.text(st.characters(codec="utf-8"), max_size=30))
def test_what_is_shown_leads_to_the_same_page_and_moves_nothing_around_it(written: str) -> None:
    try:
        stored = normalise(f"https://a.example/{written}")
    except LinkRejected:
        return
    shown = shown_url(stored)
    assert normalise(shown) == stored
    decoded = shown_path(stored.removeprefix("https://a.example"))
    added = [char for char in decoded if not char.isascii()]
    for char in added:
        assert unicodedata.bidirectional(char) not in ("R", "AL", "AN"), "nothing reads RTL"
        assert unicodedata.category(char)[0] not in "CZ", "nothing hidden, no space"
        compatible = unicodedata.normalize("NFKC", char)
        assert all(c.isalnum() or not c.isascii() for c in compatible), "no syntax look-alike"
        assert char not in "\u3002\uff61\uff0e", "no dot to IDNA"


async def test_the_reader_and_the_review_card_see_the_letters_linked_as_stored(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    shown = "[ja.wikipedia.org/wiki/機械学習](<" + WIKIPEDIA + ">)"
    answer = await suggest(emulator, seed, url="https://ja.wikipedia.org/wiki/機械学習")
    assert answer.content == f"✅ Thanks! {shown} is suggested for the next issue."
    (embed,) = (await review_card(emulator, seed)).embeds
    assert embed["description"].splitlines()[0] == shown


async def test_a_path_that_reads_right_to_left_stays_encoded_on_the_card(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await suggest(emulator, seed, url="https://a.example/שלום/1")
    (embed,) = (await review_card(emulator, seed)).embeds
    stored = "https://a.example/%D7%A9%D7%9C%D7%95%D7%9D/1"
    assert embed["description"].splitlines()[0] == f"<{stored}>", "linked as it reads"


def test_the_cli_lists_the_path_as_read(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"

    async def fill() -> None:
        async with await Archive.open(db) as archive:
            suggestions = SuggestionService(archive.issues, archive.suggestions)
            await suggestions.suggest(WIKIPEDIA, Supporter(user_id=1, name="Ann"))

    asyncio.run(fill())
    listed = CliRunner().invoke(app, ["--db", str(db), "suggestions", "list"])
    assert listed.exit_code == 0, listed.output
    assert "https://ja.wikipedia.org/wiki/機械学習" in listed.output


def test_a_draft_item_without_a_title_is_named_by_its_path_as_read() -> None:
    accepted = Suggestion(id=1, url=WIKIPEDIA, status=SuggestionStatus.ACCEPTED)
    (item,) = [item for _, item in draft_issue(3, "Issue #3", [accepted], {}).items]
    assert item.title == "ja.wikipedia.org/wiki/機械学習"
    assert item.link == WIKIPEDIA, "the link as stored and compared"
