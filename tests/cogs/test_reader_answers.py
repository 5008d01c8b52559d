"""Reader commands and the issue or section asked for: the choices offered, and short, specific,
private answers about what is not there."""

from __future__ import annotations

from typing import Any

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator


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
