"""Reader commands and the issue or section asked for: the choices offered, and short, specific,
private answers about what is not there."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import pytest

from bot.app import Newsbot
from bot.sandbox.discord import CallbackType, DefaultWorld, Emulator
from tests.cogs.test_reader import assert_private_and_silent, slash
from tests.factories import issue, item


async def section_choices(
    emulator: Emulator, seed: DefaultWorld, command: str, options: dict[str, Any]
) -> list[tuple[str, str]]:
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, command, options, "section"
    )
    return [(c["name"], c["value"]) for c in await handle.choices()]


async def test_sections_offered_are_the_chosen_issues(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    newest = [("Libraries & Code", "libraries-code"), ("Learning", "learning")]
    assert await section_choices(emulator, seed, "latest", {"section": ""}) == newest
    assert await section_choices(emulator, seed, "issue", {"number": 203, "section": ""}) == newest
    assert await section_choices(emulator, seed, "issue", {"number": 202, "section": "m"}) == [
        ("Mobile & Edge", "mobile-edge")
    ]
    searched = {"query": "x", "issue": 202, "section": "l"}
    assert await section_choices(emulator, seed, "search", searched) == [
        ("Learning", "learning"),
        ("Libraries & Code", "libraries-code"),
    ]
    # No issue chosen (or none archived with that number): the sections of every issue.
    unchosen = await section_choices(emulator, seed, "issue", {"number": 7, "section": "m"})
    assert unchosen == [("Mobile & Edge", "mobile-edge")]


@pytest.mark.parametrize(
    ("command", "options", "answer"),
    [
        ("search", {"query": "zebra"}, "Nothing in the archive matches “zebra”"),
        ("search", {"query": "torch", "issue": 7}, "Issue #7 isn't in the archive."),
        ("issue", {"number": 7}, "Issue #7 isn't in the archive."),
        ("latest", {"section": "Sports"}, "Issue #203 has no section “Sports”."),
    ],
)
async def test_a_mistake_after_a_public_deferral_is_still_told_privately(
    newsbot: Newsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    options: dict[str, Any],
    answer: str,
) -> None:
    monkeypatch.setattr(sys.modules["cogs.reader._answering"], "DEFER_AFTER", 0)
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.reader, command, {**options, "public": True}
    )
    deferred = await handle.response()
    assert deferred.type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    assert deferred.message is not None and not deferred.message.ephemeral, "a public deferral"
    (told,) = await handle.followups(1)
    assert_private_and_silent(told)
    assert told.content.startswith(answer)
    placeholder = handle.interaction.original
    assert placeholder is not None
    await emulator.wait_until(lambda: placeholder.deleted or None, timeout=5)
    assert not [m for m in emulator.messages_in(seed.general) if m.author.id == seed.bot.id]


async def test_a_blank_section_is_no_section(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    message = await slash(emulator, seed, "latest", section="   ")
    assert message.embeds[0]["title"] == "#203 · Test Weekly: Issue #203"
    message = await slash(emulator, seed, "issue", number=202, section="\u200b")
    assert message.embeds[0]["title"] == "#202 · Deep Learning Weekly: Issue #202"
    message = await slash(emulator, seed, "search", query="torch", section="  ")
    assert message.embeds[0]["title"] == "Search: torch"


async def test_a_blank_since_is_no_date_window(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    message = await slash(emulator, seed, "search", query="torch", since="   ")
    assert message.embeds[0]["title"] == "Search: torch"
    message = await slash(emulator, seed, "search", query="torch", since="\u200b")
    assert message.embeds[0]["title"] == "Search: torch"
    message = await slash(emulator, seed, "search", query="zebra", since="  ")
    assert message.content.startswith("Nothing in the archive matches “zebra”. Try fewer")


async def test_full_width_letters_search_and_choose_as_ascii_letters_do(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # A CJK keyboard in full-width mode types `ＰＹＴＯＲＣＨ` for `pytorch`.
    ascii = (await slash(emulator, seed, "search", query="pytorch")).embeds[0]
    wide = await slash(emulator, seed, "search", query="ＰＹＴＯＲＣＨ")
    assert_private_and_silent(wide)
    (embed,) = wide.embeds
    assert embed["title"] == "Search: ＰＹＴＯＲＣＨ", "what the reader typed"
    assert (embed["description"], embed["footer"]) == (ascii["description"], ascii["footer"])
    assert "#202 · Industry" in embed["description"]
    typed = {"query": "ＰＹＴＯＲＣＨ", "section": "ＩＮＤ"}
    assert await section_choices(emulator, seed, "search", typed) == [("Industry", "industry")]
    filtered = await slash(
        emulator, seed, "search", query="ＰＹＴＯＲＣＨ", section="ＩＮＤＵＳＴＲＹ"
    )
    assert "#202 · Industry" in filtered.embeds[0]["description"]
    assert "#202 · Learning" not in filtered.embeds[0]["description"]
    numbers = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "issue", {"number": "２０"}, "number"
    )
    assert [c["value"] for c in await numbers.choices()] == [203, 202]


RLO = "\u202e"
"""A right-to-left override: everything after it on its line shows reversed until popped."""
FSI, PDI = "\u2068", "\u2069"


async def test_a_readers_words_quoted_back_never_reorder_the_answer(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # An override a reader typed (or pasted) flipped the rest of the answer's line.
    nothing = await slash(emulator, seed, "search", query=f"zebra {RLO}qwerty")
    assert nothing.content.startswith("Nothing in the archive matches “zebra qwerty”. Try")
    unknown = await slash(emulator, seed, "latest", section=f"{RLO}Nope")
    assert unknown.content.startswith("Issue #203 has no section “Nope”. Its sections are:")
    undated = await slash(emulator, seed, "search", query="torch", since=f"{RLO}2021")
    assert undated.content == "“2021” is not a date: write it like 2021-06-16."
    found = await slash(emulator, seed, "search", query=f"torch {RLO}")
    assert found.embeds[0]["title"] == "Search: torch"
    # What a search limited quotes the reader's words too.
    common = await slash(emulator, seed, "search", query=f"torch {RLO}of")
    footer = common.embeds[0]["footer"]["text"]
    assert footer.endswith(" · very common words were left out: “of”")
    limited = await slash(emulator, seed, "search", query=f"zebra {RLO}of")
    assert limited.content.endswith("\nLimited: very common words were left out: “of”.")
    # Right-to-left words are set apart, so the sentence around them keeps its order.
    arabic = "مرحبا بالعالم"
    quoted = await slash(emulator, seed, "search", query=arabic)
    assert quoted.content.startswith(f"Nothing in the archive matches “{FSI}{arabic}{PDI}”.")


async def test_a_date_window_after_the_latest_issue_is_said_to_hold_none(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    dated = issue(204, {"Industry": [item("Lantern chips")]}, date=dt.date(2026, 11, 30))
    await newsbot.archive.issues.ingest(dated)
    found = await slash(emulator, seed, "search", query="lantern", since="2026-11-30")
    assert "Lantern chips" in found.embeds[0]["description"]
    # A year mistyped: the window starts after every issue.
    later = await slash(emulator, seed, "search", query="lantern", since="2027-11-30")
    assert_private_and_silent(later)
    assert later.content == (
        "Nothing in the archive matches “lantern” with those filters. No issue is dated on or "
        "after 2027-11-30: the latest, #204, is dated 2026-11-30."
    )
