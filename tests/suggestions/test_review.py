"""/suggestions review and export on the emulator: what editors see and are told."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.models import SuggestionStatus
from bot.sandbox.discord import DefaultWorld, Emulator, Message
from tests.suggestions.conftest import StartBot
from tests.suggestions.test_discord import silent, suggest


async def review(emulator: Emulator, seed: DefaultWorld, cards: int, **options: Any) -> list[str]:
    """Run /suggestions review as the manager; each card's text, then any note after them."""
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", options, subcommand="review"
    )
    shown = await handle.followups(cards)
    await asyncio.sleep(0.2)  # a note after the cards would have come by now
    return [
        message.embeds[0]["description"] if message.embeds else silent(message)
        for message in handle.interaction.followups or shown
    ]


async def accept_all(emulator: Emulator, seed: DefaultWorld, cards: list[Message]) -> None:
    for message in cards:
        (accept,) = [
            component["custom_id"]
            for row in message.components
            for component in row["components"]
            if ":accept:" in component.get("custom_id", "")
        ]
        pressed = await emulator.press_button(message, accept, seed.manager)
        await pressed.response()


async def test_review_shows_what_waits_for_a_decision_and_accepted_ones_on_request(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    bot = await start_bot(suggestions={"per_reader_per_day": 10})
    for n in range(7):
        await suggest(emulator, seed, url=f"https://queue.example/{n}")
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {}, subcommand="review"
    )
    *cards, more = await handle.followups(6)
    assert "review them to see more" in silent(more)
    await accept_all(emulator, seed, cards)
    assert len(await bot.archive.suggestions.list((SuggestionStatus.ACCEPTED,))) == 5

    shown = await review(emulator, seed, 2)
    assert len(shown) == 2, "the two still pending, and no note: nothing more waits"
    assert "https://queue.example/5" in shown[0] and "https://queue.example/6" in shown[1]
    assert all("Status: **pending**" in text for text in shown)

    accepted = await review(emulator, seed, 5, status="accepted")
    assert len(accepted) == 5
    assert all("Status: **accepted**" in text for text in accepted)

    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {}, subcommand="review"
    )
    await accept_all(emulator, seed, await handle.followups(2))
    (none_left,) = await review(emulator, seed, 1)
    assert none_left.startswith("No suggestions are waiting.")
    assert "`/suggestions review status:accepted`" in none_left
    (no_rejected,) = await review(emulator, seed, 1, status="rejected")
    assert no_rejected == "No suggestions are rejected."
