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
from bot.render.text import escape_markdown
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
        ("hello中国.example", "hello中国.example"),  # ASCII Latin and Han
        ("コーヒー.jp", "コーヒー.jp"),  # ー lengthening the Katakana before it
        ("ビタミン.jp", "ビタミン.jp"),  # ン among Katakana
        ("一二三.jp", "一二三.jp"),  # 一 among Han
        ("一123.example", "一123.example"),  # 一 in a label of one script, digits aside
        ("ノンソ.jp", "ノンソ.jp"),  # slash-like Katakana among Katakana
        ("カヽ.jp", "カヽ.jp"),  # ヽ repeating the Katakana before it
        ("\u30c8\u309a.jp", "\u30c8\u309a.jp"),  # a voiced sound mark on a Katakana
        ("\u043a\u0435\u0443.\u0440\u0444", "кеу.рф"),  # Latin-looking, under a Cyrillic TLD
        ("\u03bf\u03bf.gr", "οο.gr"),  # Latin-looking Greek, under Greece's own TLD
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
        "caf\u00e9\u65e5\u672c.example",  # Latin beyond ASCII beside Han
        "g\u3007\u3007gle.example",  # the Han zero 〇 among Latin letters
        "google\u30fc.example",  # ー after a Latin letter reads as a dash
        "\u65e5\u672c\u30fc.example",  # ー lengthens kana only, not Han
        "example\u30ce\u30f3.example",  # ノ, read as a slash, beside a Latin letter
        "\u30d3\u30bf\u30df\u30f3b6.example",  # ン beside a Latin letter: stricter than Chromium
        "a1\u30ce2.example",  # ノ between two characters that are not Japanese, beside Latin
        "\u65e5\u672c\u30fbabc.example",  # ・ beside a Latin letter reads as a dot
        "\u3042\u30fd.example",  # ヽ repeats a Katakana, here after a Hiragana
        "\u30d8\u3078\u30d8.example",  # Hiragana へ among Katakana ヘ: the two look the same
        "ab\u3099c.example",  # a kana voiced sound mark on a Latin letter
        "\u30c8\u309ab.example",  # a kana voiced sound mark in a label that mixes scripts
        "pi\u0307xel.example",  # a dot above on an i: reads as pixel
        "p\u0131\u0300xel.example",  # an accent on a dotless ı
        "\ud55c\u0307\uae00.example",  # an accent on a Hangul letter
        "\u0e23\u0e35\u0e48\u0e48.example",  # a Thai tone mark twice, the second unseen
        "\u03bf\u03bf.example",  # Greek letters only, each looking Latin
        "\u0561\u0563\u0585.example",  # Armenian letters only, each looking Latin
        "\u043a\u0435\u0443.example",  # Cyrillic letters only, each looking Latin
        "\u10dd\u10d8.example",  # Georgian letters only, each looking Latin
        "\u0e1a\u0e1e.example",  # Thai letters only, each looking Latin
        "\u13e3\u13b3\u13a9.example",  # Cherokee, not recommended for identifiers
        "\u0430\u0440\u0440\u04cf\u0435.\u0441\u043e\u0441\u043e",  # under a TLD passing for Latin
    ],
)
def test_a_label_that_could_pass_for_another_site_stays_in_punycode(written: str) -> None:
    stored = normalise(f"https://{written}/page")
    host = stored.split("/")[2]
    assert host.startswith("xn--")
    assert shown_url(stored) == stored
    assert shown_host(host) == host


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("\u03bf\u03bf.\u0440\u0444", "xn--0xaa.рф"),  # Latin-looking Greek, a Cyrillic TLD
        ("googl\u0435.\ud55c\uad6d", "xn--googl-3we.한국"),  # a Cyrillic е, a Hangul TLD
    ],
)
def test_each_label_is_judged_on_its_own(written: str, shown: str) -> None:
    stored = normalise(f"https://{written}/page")
    assert shown_url(stored) == f"https://{shown}/page"


def test_an_invalid_punycode_label_is_shown_as_it_is() -> None:
    assert shown_host("xn--zz.example") == "xn--zz.example"
    assert shown_host("xn--ls8h.example") == "xn--ls8h.example", "an emoji is not IDNA 2008"
    assert shown_url("https://plain.example/xn--bcher-kva") == "https://plain.example/xn--bcher-kva"


async def test_the_review_card_and_the_reader_see_the_host_in_its_own_letters(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await suggest(emulator, seed, url="https://bücher.example/straße")
    stored_url = "https://xn--bcher-kva.example/stra%C3%9Fe"
    shown = f"[bücher.example/straße](<{stored_url}>)"  # linked as stored
    assert shown in answer.content
    (stored,) = await newsbot.archive.suggestions.list()
    assert stored.url == stored_url, "stored as compared"
    (embed,) = (await review_card(emulator, seed)).embeds
    assert embed["description"].splitlines()[0] == shown


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("\u0430pple.example", "xn--pple-43d.example"),
        ("g\u3007\u3007gle.example", "xn--ggle-gx3ca.example"),
    ],
)
async def test_a_look_alike_host_reaches_the_editor_in_punycode(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, written: str, stored: str
) -> None:
    await suggest(emulator, seed, url=f"https://{written}/login")
    (embed,) = (await review_card(emulator, seed)).embeds
    assert embed["description"].splitlines()[0] == f"<https://{stored}/login>"


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


@pytest.mark.parametrize("written", ["bücher.example", "g\u3007\u3007gle.example"])
def test_a_draft_item_without_a_title_is_named_by_its_address_in_punycode(written: str) -> None:
    """The title is published to readers, who cannot see where a look-alike host really leads:
    named by the address as it is linked, it never reads as another site's."""
    url = normalise(f"https://{written}/neu")
    accepted = Suggestion(id=1, url=url, status=SuggestionStatus.ACCEPTED)
    (item,) = [item for _, item in draft_issue(3, "Issue #3", [accepted], {}).items]
    assert item.title == escape_markdown(url.removeprefix("https://"))
    assert written not in item.title
    assert item.link == url, "the link as stored and compared"
