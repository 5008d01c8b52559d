"""Review cards over time: a card left open while the suggestion was decided elsewhere."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app import SORRY, Newsbot
from bot.models import SuggestionStatus
from bot.sandbox.discord import DefaultWorld, Emulator, Message, MessageFlag, User
from tests.factories import issue, item
from tests.suggestions.conftest import publish_threads
from tests.suggestions.test_discord import silent, suggest
from tests.suggestions.test_reply_edits import eventually, queued

EPHEMERAL = int(MessageFlag.EPHEMERAL)


async def review_card(
    emulator: Emulator, seed: DefaultWorld, editor: User | None = None
) -> Message:
    """A manager's /suggestions review (the seed's, or `editor`'s): the one card it shows."""
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, editor or seed.manager, "suggestions", {}, subcommand="review"
    )
    (card,) = await handle.followups(1)
    return card


def button(card: Message, action: str) -> str:
    (custom_id,) = [c for c in card.custom_ids() if c.startswith(f"newsbot:suggestion:{action}:")]
    return custom_id


async def test_a_stale_card_does_not_overrule_a_decision_made_meanwhile(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await suggest(emulator, seed, url="https://paper.example/x")
    card = await review_card(emulator, seed)
    (stored,) = await newsbot.archive.suggestions.list()
    # Another editor rejects it meanwhile (as `newsbot suggestions reject` does).
    await newsbot.archive.suggestions.review(stored.id, SuggestionStatus.REJECTED, by="cli")

    handle = await emulator.press_button(card, button(card, "accept"), seed.manager)
    await handle.response()
    (told,) = await handle.followups(1)
    assert told.flags & EPHEMERAL
    assert "was rejected meanwhile" in silent(told)
    now = await newsbot.archive.suggestions.get(stored.id)
    assert now is not None and now.status is SuggestionStatus.REJECTED, "not overruled unseen"
    assert "Status: **rejected**" in card.embeds[0]["description"], "the card shows it now"

    # Knowing it, the editor accepts after all.
    handle = await emulator.press_button(card, button(card, "accept"), seed.manager)
    await handle.response()
    now = await newsbot.archive.suggestions.get(stored.id)
    assert now is not None and now.status is SuggestionStatus.ACCEPTED
    assert "Status: **accepted**" in card.embeds[0]["description"]


async def test_the_card_of_a_suggestion_taken_back_is_closed(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    posted = await emulator.post_message(threads["industry"], seed.reader, "https://x.example/1")
    assert await posted.bot_reaction() == "✅"
    card = await review_card(emulator, seed)
    await emulator.delete_message(posted.message, seed.reader)

    async def taken_back() -> bool:
        return not await queued(newsbot)

    await eventually(taken_back, "take the suggestion back")
    handle = await emulator.press_button(card, button(card, "accept"), seed.manager)
    await handle.response()
    (told,) = await handle.followups(1)
    assert told.flags & EPHEMERAL and "no longer exists" in silent(told)
    components = [c for row in card.components for c in row["components"]]
    assert components and all(c.get("disabled") for c in components), "nothing left to press"


async def test_a_failing_review_is_apologised_for(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, caplog: pytest.LogCaptureFixture
) -> None:
    await suggest(emulator, seed, url="https://paper.example/x")
    card = await review_card(emulator, seed)
    await newsbot.archive.close()  # the database going away under the bot is a bug to report
    with caplog.at_level(logging.ERROR, logger="cogs.components"):
        handle = await emulator.press_button(card, button(card, "reject"), seed.manager)
        answer = await handle.original(timeout=5)
    assert answer.flags & EPHEMERAL
    assert silent(answer) == SORRY
    assert any("component 'newsbot:suggestion:reject:" in r.getMessage() for r in caplog.records)


async def test_accepting_what_was_accepted_meanwhile_says_nothing_more(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await suggest(emulator, seed, url="https://paper.example/x")
    mine, theirs = [await review_card(emulator, seed) for _ in range(2)]
    await (await emulator.press_button(theirs, button(theirs, "accept"), seed.manager)).response()

    pressed = await emulator.press_button(mine, button(mine, "accept"), seed.manager)
    await pressed.response()
    assert "Status: **accepted**" in mine.embeds[0]["description"]
    # The card is redrawn before anything would be said: wait for the press to be handled.
    handling = [t for t in asyncio.all_tasks() if t.get_name().startswith("discord-ui-dynamic")]
    if handling:
        await asyncio.wait(handling, timeout=5)
    assert await pressed.followups(0) == [], "it is as the editor wants it: no alarm"


async def test_a_card_of_a_link_published_meanwhile_says_so_and_closes(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await suggest(emulator, seed, url="https://paper.example/x")
    card = await review_card(emulator, seed)
    published = issue(206, {"Learning": [item("The paper", "https://paper.example/x")]})
    await newsbot.archive.issues.ingest_many([(published, None)])

    handle = await emulator.press_button(card, button(card, "accept"), seed.manager)
    await handle.response()
    (told,) = await handle.followups(1)
    assert "was published in #206 meanwhile" in silent(told)
    assert "Status: **published**" in card.embeds[0]["description"]
    components = [c for row in card.components for c in row["components"]]
    assert components and all(c.get("disabled") for c in components)


async def test_two_editors_deciding_at_once_never_overrule_each_other(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await suggest(emulator, seed, url="https://paper.example/x")
    other = emulator.world.add_user("lin", global_name="Lin (editor)")
    emulator.world.add_member(seed.guild, other, roles=(seed.editors_role,))
    mine, theirs = await review_card(emulator, seed), await review_card(emulator, seed, other)

    accepting, rejecting = await asyncio.gather(
        emulator.press_button(mine, button(mine, "accept"), seed.manager),
        emulator.press_button(theirs, button(theirs, "reject"), other),
    )
    await asyncio.gather(accepting.response(), rejecting.response())
    handling = [t for t in asyncio.all_tasks() if t.get_name().startswith("discord-ui-dynamic")]
    if handling:
        await asyncio.wait(handling, timeout=5)

    every = list(SuggestionStatus)
    (stored,) = await newsbot.archive.suggestions.list(every)
    assert stored.status in (SuggestionStatus.ACCEPTED, SuggestionStatus.REJECTED)
    decided, overtaken = (
        (accepting, rejecting)
        if stored.status is SuggestionStatus.ACCEPTED
        else (rejecting, accepting)
    )
    assert await decided.followups(0) == [], "the editor whose decision stands is told nothing"
    (told,) = await overtaken.followups(1)
    assert told.flags & EPHEMERAL and f"was {stored.status} meanwhile" in silent(told)
    for card in (mine, theirs):
        assert f"Status: **{stored.status}**" in card.embeds[0]["description"], "both show it"


def section_menu(card: Message) -> str:
    (custom_id,) = [c for c in card.custom_ids() if c.startswith("newsbot:suggestion:section:")]
    return custom_id


async def test_choosing_a_section_on_the_card_of_a_link_published_meanwhile_says_so(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """The section menu does as the buttons do: the link went out in #206 under Learning
    since the card was drawn, so choosing Industry leaves it there and says why."""
    await suggest(emulator, seed, url="https://paper.example/x")
    card = await review_card(emulator, seed)
    published = issue(206, {"Learning": [item("The paper", "https://paper.example/x")]})
    await newsbot.archive.issues.ingest_many([(published, None)])
    (stored,) = await newsbot.archive.suggestions.list([SuggestionStatus.PUBLISHED])

    handle = await emulator.select(card, section_menu(card), ["industry"], seed.manager)
    await handle.response()
    (told,) = await handle.followups(1)
    assert told.flags & EPHEMERAL
    assert "was published in #206 meanwhile, so it stays as it is" in silent(told)
    now = await newsbot.archive.suggestions.get(stored.id)
    assert now is not None and now.section == stored.section != "industry"
    assert "Status: **published**" in card.embeds[0]["description"]
    components = [c for row in card.components for c in row["components"]]
    assert components and all(c.get("disabled") for c in components), "nothing left to use"
    with pytest.raises(ValueError, match="disabled"):
        await emulator.select(card, section_menu(card), ["learning"], seed.manager)


async def test_choosing_a_section_on_a_stale_card_does_not_pass_a_decision_unseen(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await suggest(emulator, seed, url="https://paper.example/x")
    card = await review_card(emulator, seed)
    (stored,) = await newsbot.archive.suggestions.list()
    await newsbot.archive.suggestions.review(stored.id, SuggestionStatus.REJECTED, by="cli")

    handle = await emulator.select(card, section_menu(card), ["industry"], seed.manager)
    await handle.response()
    (told,) = await handle.followups(1)
    assert told.flags & EPHEMERAL
    assert "was rejected meanwhile" in silent(told) and "Choose again" in silent(told)
    now = await newsbot.archive.suggestions.get(stored.id)
    assert now is not None and now.section is None, "not placed unseen"
    assert "Status: **rejected**" in card.embeds[0]["description"], "the card shows it now"

    handle = await emulator.select(card, section_menu(card), ["industry"], seed.manager)
    await handle.response()
    now = await newsbot.archive.suggestions.get(stored.id)
    assert now is not None and now.section == "industry" and now.status is SuggestionStatus.REJECTED
    assert "Section: Industry · Status: **rejected**" in card.embeds[0]["description"]
