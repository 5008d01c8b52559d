"""A subscribed channel a manager makes an announcement channel, or a text channel again: the
threads and the crosspost follow its kind, which Discord's refusals depend on."""

from __future__ import annotations

import asyncio

import discord

from bot.app import Newsbot
from bot.sandbox.discord import Channel, ChannelType, DefaultWorld, Emulator, Intent, MessageFlag
from bot.store import Archive
from tests.cogs.conftest import StartBot
from tests.conftest import eventually
from tests.publishing.test_newsletter_cog import newsletter, private


def convert(emulator: Emulator, channel: Channel, kind: ChannelType) -> None:
    """Turn *Announcement Channel* on or off in the channel's settings, as a manager does."""
    channel.type = kind
    emulator.world.events.dispatch(
        "CHANNEL_UPDATE", channel.payload(), guild_id=channel.guild_id, intent=Intent.GUILDS
    )


async def kind_stored(archive: Archive, channel_id: int, kind: str, within: float = 10) -> None:
    """Wait until the channel's subscription has `kind`."""
    async with asyncio.timeout(within):
        while True:
            found = [
                s.kind for s in await archive.subscriptions.list() if s.channel_id == channel_id
            ]
            if found == [kind]:
                return
            await asyncio.sleep(0.05)


async def test_a_channel_made_an_announcement_channel_gets_announcement_threads(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await newsletter(emulator, seed, "setup", channel=seed.general)
    assert private(answer).startswith("Done:")
    convert(emulator, seed.general, ChannelType.GUILD_ANNOUNCEMENT)

    def is_news() -> bool:
        cached = newsbot.get_channel(seed.general.id)
        return isinstance(cached, discord.TextChannel) and cached.is_news()

    await eventually(is_news)
    await kind_stored(newsbot.archive, seed.general.id, "announcement")
    published = await newsletter(emulator, seed, "publish", issue=202)
    assert "failed" not in private(published)
    threads = [c for c in emulator.world.channels.values() if c.parent_id == seed.general.id]
    assert {c.type for c in threads} == {ChannelType.ANNOUNCEMENT_THREAD}
    (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0]
    assert digest.flags & MessageFlag.CROSSPOSTED


async def test_a_channel_converted_while_the_bot_was_away_is_published_to_as_it_is_now(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    newsbot = await start_bot()
    answer = await newsletter(emulator, seed, "setup", channel=seed.announcements)
    assert private(answer).startswith("Done:")
    await newsbot.close()
    convert(emulator, seed.announcements, ChannelType.GUILD_TEXT)
    newsbot = await start_bot()
    await kind_stored(newsbot.archive, seed.announcements.id, "text")
