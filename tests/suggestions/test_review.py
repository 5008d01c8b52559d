"""/suggestions review and export on the emulator: what editors see and are told."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.app import Newsbot
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


async def export(emulator: Emulator, seed: DefaultWorld, **options: Any) -> str:
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", options, subcommand="export"
    )
    return silent(await handle.original())


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


async def test_export_shows_the_path_as_it_is_and_says_how_to_replace_a_draft(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    bot = await start_bot(issues={"directory": tmp_path / "odd`dir_name-1" / "issues"})
    await suggest(emulator, seed, url="https://paper.example/x")
    (stored,) = await bot.archive.suggestions.list()
    await bot.archive.suggestions.review(stored.id, SuggestionStatus.ACCEPTED, by="ed")
    draft = tmp_path / "odd`dir_name-1" / "issues" / "drafts" / "206.md"

    answer = await export(emulator, seed)
    assert answer.startswith(f"Wrote ``{draft}``: #206 with 1 suggested link(s)"), answer
    final = tmp_path / "odd`dir_name-1" / "issues" / "206.md"
    assert f"move it to ``{final}`` (newsbot reads no issue from drafts/)" in answer, answer
    written = draft.read_text()
    again = await export(emulator, seed)
    assert again == (
        f"``{draft}`` already exists: edit it, or replace it with "
        "`/suggestions export overwrite:True`."
    )
    numbered = await export(emulator, seed, issue=206)
    assert numbered.endswith("or replace it with `/suggestions export issue:206 overwrite:True`.")
    assert draft.read_text() == written
    replaced = await export(emulator, seed, overwrite=True)
    assert replaced.startswith(f"Wrote ``{draft}``")


async def test_export_names_files_under_a_long_folder_by_their_ends(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    # An issues folder 1,200 characters deep: the answer names the draft and where it goes by
    # their ends, where their names are (it showed the folder's start, cut before them).
    folder = tmp_path.joinpath(*["d" * 200] * 6, "issues")
    bot = await start_bot(issues={"directory": folder})
    await suggest(emulator, seed, url="https://paper.example/x")
    (stored,) = await bot.archive.suggestions.list()
    await bot.archive.suggestions.review(stored.id, SuggestionStatus.ACCEPTED, by="ed")
    answer = await export(emulator, seed)
    assert answer.startswith("Wrote `…d"), answer
    assert "/issues/drafts/206.md`: #206 with 1 suggested link(s)" in answer
    assert "move it to `…d" in answer and "/issues/206.md` (newsbot reads" in answer
    assert (folder / "drafts" / "206.md").exists()
    again = await export(emulator, seed)
    assert again.startswith("`…d") and "/issues/drafts/206.md` already exists" in again


async def test_export_refuses_the_number_of_an_archived_issue(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    await suggest(emulator, seed, url="https://paper.example/x")
    (stored,) = await newsbot.archive.suggestions.list()
    await newsbot.archive.suggestions.review(stored.id, SuggestionStatus.ACCEPTED, by="ed")
    answer = await export(emulator, seed, issue=205)
    # As Markdown, `#` escaped (Discord shows `\#205` as #205).
    assert answer == (
        "Issue \\#205 is already in the archive: a draft of that number would replace it once "
        "ingested. Export \\#206, the next issue, or another new number."
    )
    assert not (tmp_path / "issues" / "drafts" / "205.md").exists()


async def test_export_leaves_out_links_the_last_draft_moved_into_place_has(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    """#206 is written from the last draft and not ingested yet: its links are still
    accepted, and the next draft says it leaves them out rather than repeat them."""
    for url in ("https://paper.example/x", "https://paper.example/y"):
        await suggest(emulator, seed, url=url)
        (stored,) = await newsbot.archive.suggestions.list()
        await newsbot.archive.suggestions.review(stored.id, SuggestionStatus.ACCEPTED, by="ed")
        if url.endswith("x"):
            assert (await export(emulator, seed)).startswith("Wrote")
            draft = tmp_path / "issues" / "drafts" / "206.md"
            draft.rename(tmp_path / "issues" / "206.md")

    answer = await export(emulator, seed)
    written = tmp_path / "issues" / "206.md"
    assert answer.startswith(
        f"Wrote `{tmp_path / 'issues' / 'drafts' / '207.md'}`: #207 with 1 suggested link(s) "
        f"in 1 section(s). Left out 1 accepted link(s) already in `{written}`."
    ), answer
    text = (tmp_path / "issues" / "drafts" / "207.md").read_text()
    assert "paper.example/y" in text and "paper.example/x" not in text
