"""The bot removed from a server, then invited back: its subscriptions wait for it."""

from __future__ import annotations

from bot.app import Newsbot
from bot.publishing.targets import all_targets
from bot.sandbox.discord import DefaultWorld, Emulator
from tests.conftest import eventually
from tests.publishing.test_newsletter_cog import newsletter, private


async def publish(newsbot: Newsbot, number: int) -> list[str]:
    """Publish as the schedule does, to every channel; each channel's outcome."""
    services = newsbot.services
    assert services is not None and services.discord is not None
    found = await newsbot.archive.issues.issue(number)
    targets = await all_targets(newsbot.archive, newsbot.settings)
    report = await services.engine.publish(found, services.discord, targets)
    return [t.error or t.summary() for t in report.targets]


async def test_a_server_that_removed_the_bot_fails_alone_until_it_is_invited_back(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await newsletter(emulator, seed, "setup", channel=seed.general)
    assert private(answer).startswith("Done:")
    emulator.world.remove_member(seed.guild, seed.bot)
    await eventually(lambda: newsbot.get_guild(seed.guild.id) is None)
    # Discord answers Missing Access, as to a channel the bot may not view: which it is, the
    # bot's servers tell.
    assert await publish(newsbot, 202) == [
        f"the bot is no longer in server {seed.guild.id}, so it cannot post in channel "
        f"{seed.general.id}: invite it back (the link `newsbot invite-url` prints), then "
        "publish again"
    ]
    assert emulator.messages_in(seed.general) == []
    assert await newsbot.archive.subscriptions.list() != [], "kept for when it is back"

    emulator.world.add_member(seed.guild, seed.bot, roles=(seed.bot_role,))
    await eventually(lambda: newsbot.get_guild(seed.guild.id) is not None)
    assert await publish(newsbot, 202) == [
        "11 posted, 0 recovered, 0 edited, 0 unchanged, 0 removed"
    ]
