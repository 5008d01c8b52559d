"""Readers' commands in a DM with the bot: the real discord.py bot, commands synced globally
(as in production, where no dev guild is set), and the emulator's DM interactions."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, Message
from bot.store import Archive
from tests.cogs.test_reader import assert_private_and_silent, text_of, turn_page
from tests.conftest import StartNewsbot


@pytest.fixture
async def global_bot(start_newsbot: StartNewsbot, filled_archive: Archive) -> Newsbot:
    """newsbot with its commands synced globally, so that Discord offers them in DMs."""
    return await start_newsbot(filled_archive, discord={"dev_guild": None})


async def in_dm(emulator: Emulator, seed: DefaultWorld, name: str, **options: Any) -> Message:
    dm = emulator.dm_channel(seed.reader)
    handle = await emulator.run_slash_command(None, dm, seed.reader, name, options)
    return await handle.original(timeout=5)


async def test_latest_answers_in_a_dm(
    global_bot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await in_dm(emulator, seed, "latest")
    assert "203" in text_of(answer)
    assert_private_and_silent(answer)


async def test_issue_and_its_sections_answer_in_a_dm(
    global_bot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    dm = emulator.dm_channel(seed.reader)
    typed = await emulator.autocomplete(None, dm, seed.reader, "issue", {"number": "20"}, "number")
    assert {c["value"] for c in await typed.choices()} == {202, 203}
    sections = await emulator.autocomplete(
        None, dm, seed.reader, "issue", {"number": 202, "section": ""}, "section"
    )
    assert await sections.choices()
    answer = await in_dm(emulator, seed, "issue", number=202)
    assert "202" in text_of(answer)
    missing = await in_dm(emulator, seed, "issue", number=999)
    assert "#999 isn't in the archive" in missing.content


async def test_search_pages_turn_in_a_dm(
    global_bot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    for public in (False, True):
        first = await in_dm(emulator, seed, "search", query="torch", public=public)
        assert first.embeds[0]["footer"]["text"] == "Results 1–5 · more on the next page"
        await turn_page(emulator, first, "search:next", seed.reader)
        assert first.embeds[0]["footer"]["text"] == "Results 6–10 · more on the next page"
        await turn_page(emulator, first, "search:previous", seed.reader)
        assert first.embeds[0]["footer"]["text"] == "Results 1–5 · more on the next page"


async def test_related_links_of_a_message_in_a_dm(
    global_bot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    dm = emulator.dm_channel(seed.reader)
    asked = await emulator.post_message(dm, seed.reader, "any good knowledge distillation reads?")
    handle = await emulator.message_context_menu("Find related links", asked.message, seed.reader)
    answer = await handle.original(timeout=5)
    assert "Distilling knowledge" in text_of(answer)
    assert_private_and_silent(answer)


async def test_suggest_is_not_offered_in_a_dm(
    global_bot: Newsbot, emulator: Emulator, seed: DefaultWorld, filled_archive: Archive
) -> None:
    for name in ("suggest", "Suggest for the newsletter"):
        [suggest] = [c for c in emulator.synced_commands() if c.name == name]
        assert suggest.data["contexts"] == [0] and suggest.data["dm_permission"] is False, name
    dm = emulator.dm_channel(seed.reader)
    with pytest.raises(LookupError, match="not offered in a DM"):
        await emulator.run_slash_command(
            None, dm, seed.reader, "suggest", {"url": "https://example.com/a"}
        )
    assert await filled_archive.suggestions.list() == []
    # In the server it is offered as ever.
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.reader, "suggest", {"url": "https://example.com/a"}
    )
    assert "is suggested for the next issue" in (await handle.original()).content
    [suggestion] = await filled_archive.suggestions.list()
    assert suggestion.url == "https://example.com/a"
