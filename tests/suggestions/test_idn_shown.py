"""Internationalised hosts as editors and readers see them: in their own letters when that is
safe, in punycode when a label could pass for another site's; stored in punycode always."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app import Newsbot
from bot.cli import app
from bot.models import Suggestion, SuggestionStatus, Supporter
from bot.models.idn import shown_host, shown_url
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.suggestions import SuggestionService, draft_issue, normalise
from tests.suggestions.test_discord import suggest
from tests.suggestions.test_review_cards import review_card


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("bücher.example", "bücher.example"),  # Latin
        ("пример.рф", "пример.рф"),  # Cyrillic, a Cyrillic top-level domain
        ("日本語.jp", "日本語.jp"),  # Han
        ("お名前.jp", "お名前.jp"),  # Hiragana and Han: Japanese as written
        ("한국어-1.kr", "한국어-1.kr"),  # Hangul, a digit and a hyphen
        ("παράδειγμα.gr", "παράδειγμα.gr"),  # Greek
    ],
)
def test_a_label_in_one_script_is_shown_in_its_own_letters(written: str, shown: str) -> None:
    stored = normalise(f"https://{written}/page")
    assert "xn--" in stored, "stored in punycode"
    assert shown_url(stored) == f"https://{shown}/page"
    assert normalise(shown_url(stored)) == stored, "what is shown leads to the same page"


@pytest.mark.parametrize(
    "written",
    [
        "\u0430pple.example",  # a Cyrillic а among Latin letters
        "g\u03bfogle.example",  # a Greek ο among Latin letters
        "\u0430\u0440\u0440\u04cf\u0435.example",  # Cyrillic letters only, each looking Latin
        "\u0645\u062b\u0627\u0644.example",  # Arabic, read right to left
        "bücher\u4e2d\u0430.example",  # Latin, Han and Cyrillic
    ],
)
def test_a_label_that_could_pass_for_another_site_stays_in_punycode(written: str) -> None:
    stored = normalise(f"https://{written}/page")
    host = stored.split("/")[2]
    assert host.startswith("xn--")
    assert shown_url(stored) == stored
    assert shown_host(host) == host


def test_an_invalid_punycode_label_is_shown_as_it_is() -> None:
    assert shown_host("xn--zz.example") == "xn--zz.example"
    assert shown_host("xn--ls8h.example") == "xn--ls8h.example", "an emoji is not IDNA 2008"
    assert shown_url("https://plain.example/xn--bcher-kva") == "https://plain.example/xn--bcher-kva"


async def test_the_review_card_and_the_reader_see_the_host_in_its_own_letters(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await suggest(emulator, seed, url="https://bücher.example/straße")
    assert "<https://bücher.example/stra%C3%9Fe>" in answer.content
    (stored,) = await newsbot.archive.suggestions.list()
    assert stored.url == "https://xn--bcher-kva.example/stra%C3%9Fe", "stored as compared"
    (embed,) = (await review_card(emulator, seed)).embeds
    assert embed["description"].splitlines()[0] == "<https://bücher.example/stra%C3%9Fe>"


async def test_a_look_alike_host_reaches_the_editor_in_punycode(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await suggest(emulator, seed, url="https://\u0430pple.example/login")
    (embed,) = (await review_card(emulator, seed)).embeds
    assert embed["description"].splitlines()[0] == "<https://xn--pple-43d.example/login>"


def test_the_cli_lists_the_host_as_read_and_its_json_as_stored(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"

    async def fill() -> None:
        async with await Archive.open(db) as archive:
            suggestions = SuggestionService(archive.issues, archive.suggestions)
            for url in ("https://bücher.example/", "https://\u0430pple.example/"):
                await suggestions.suggest(normalise(url), Supporter(user_id=1, name="Ann"))

    asyncio.run(fill())
    runner = CliRunner()
    listed = runner.invoke(app, ["--db", str(db), "suggestions", "list"])
    assert listed.exit_code == 0, listed.output
    assert "https://bücher.example/" in listed.output
    assert "https://xn--pple-43d.example/" in listed.output
    rows = json.loads(runner.invoke(app, ["--db", str(db), "suggestions", "list", "--json"]).output)
    assert {row["url"] for row in rows} == {
        "https://xn--bcher-kva.example/",
        "https://xn--pple-43d.example/",
    }
    accepted = runner.invoke(app, ["--db", str(db), "suggestions", "accept", "1"])
    assert accepted.output.strip() == "1 accepted: https://bücher.example/"


def test_a_draft_item_without_a_title_is_named_by_its_address_as_read() -> None:
    url = normalise("https://bücher.example/neu")
    accepted = Suggestion(id=1, url=url, status=SuggestionStatus.ACCEPTED)
    (item,) = [item for _, item in draft_issue(3, "Issue #3", [accepted], {}).items]
    assert item.title == "bücher.example/neu"
    assert item.link == url, "the link as stored and compared"
