"""Thanking the readers whose suggested links made the issue, once, in the section's thread."""

from __future__ import annotations

import discord

from bot.models import Supporter
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.pacer import Pacer
from bot.render.publish import thanks_post
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.suggestions import SuggestionService, normalise
from tests.factories import issue, item
from tests.publishing.conftest import posted_in, text_target, threads_of


async def test_suggesters_are_thanked_by_name_once_without_a_ping(
    archive: Archive, client: discord.Client, emulator: Emulator, seed: DefaultWorld
) -> None:
    grace = Supporter(user_id=seed.reader.id, name=seed.reader.username)
    ada = Supporter(user_id=seed.manager.id, name=seed.manager.username)
    suggestions = SuggestionService(archive.issues, archive.suggestions)
    # The cogs normalise what readers post before they store it; so does this test.
    await suggestions.suggest(normalise("https://Chips.example/analog?utm_source=x"), grace)
    await suggestions.suggest(normalise("https://chips.example/analog"), ada)
    await suggestions.suggest(normalise("https://unused.example/"), grace)
    published = issue(
        205,
        {
            "Industry": [item("Analog chips", "https://chips.example/analog", "Chips.")],
            "Learning": [item("A course", "https://course.example/", "Learn.")],
        },
    )
    await archive.issues.ingest(published)
    engine = Engine(archive, retry_delay=0.01, thank_suggesters=True)
    outlet = DiscordOutlet(client, pacer=Pacer(rate=1000))
    target = text_target(seed, seed.general)

    report = await engine.publish(published, outlet, [target])
    assert report.ok, [t.error for t in report.targets]
    industry, learning = threads_of(emulator, seed.general)
    thanks = [m for m in emulator.messages_in(industry) if "Thank you, readers" in m.content]
    assert len(thanks) == 1
    (thank_you,) = thanks
    assert "**Analog chips**" in thank_you.content
    assert (
        f"<@{seed.reader.id}>" in thank_you.content and f"<@{seed.manager.id}>" in thank_you.content
    )
    assert thank_you.allowed_mentions == {"parse": []} and not thank_you.mentions
    assert not any("Thank you" in m.content for m in emulator.messages_in(learning))

    again = await engine.publish(published, outlet, [target])
    assert again.ok
    assert len([m for m in posted_in(emulator, seed.general) if "Thank you" in m.content]) == 1


async def test_without_the_setting_nobody_is_thanked(
    archive: Archive, engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld
) -> None:
    reader = Supporter(user_id=seed.reader.id, name=seed.reader.username)
    await SuggestionService(archive.issues, archive.suggestions).suggest(
        normalise("https://chips.example/analog"), reader
    )
    published = issue(205, {"Industry": [item("Analog chips", "https://chips.example/analog")]})
    await archive.issues.ingest(published)
    assert (await engine.publish(published, outlet, [text_target(seed, seed.general)])).ok
    assert not any("Thank you" in m.content for m in posted_in(emulator, seed.general))


def test_a_long_thank_you_fits_one_message_and_counts_the_rest() -> None:
    suggested = [(f"@everyone Title number {n} " + "word " * 40, (10**17 + n,)) for n in range(200)]
    post = thanks_post(suggested)
    assert len(post.content) <= 2000 and post.problems() == []
    shown = post.content.count("suggested by")
    assert post.content.endswith(f"…and {200 - shown} more")
    assert "@everyone" not in post.content and post.allowed_mentions() == {"parse": []}
