"""What a server deletes is forgotten, at once or when the bot is back: a subscribed channel
(which no manager could name in /newsletter unsubscribe any more), a role the digest pings,
an alerts channel."""

from __future__ import annotations

import asyncio

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from bot.store import Archive
from tests.cogs.conftest import StartBot
from tests.conftest import eventually
from tests.publishing.test_newsletter_cog import newsletter, private


async def subscribed_only(archive: Archive, *channel_ids: int, within: float = 10) -> None:
    """Wait until `channel_ids` are the channels subscribed (the bot forgets a deleted one as
    Discord tells it, in a moment)."""
    async with asyncio.timeout(within):
        while True:
            subscribed = [s.channel_id for s in await archive.subscriptions.list()]
            if sorted(subscribed) == sorted(channel_ids):
                return
            await asyncio.sleep(0.05)


async def test_a_deleted_channel_is_no_longer_published_to(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """Discord offers only existing channels to /newsletter unsubscribe: a deleted channel's
    subscription could never be removed, and every publish failed there."""
    weekly = emulator.world.add_channel(seed.guild, "weekly")
    await eventually(lambda: newsbot.get_channel(weekly.id) is not None)
    for channel in (weekly, seed.general):
        answer = await newsletter(emulator, seed, "setup", channel=channel)
        assert private(answer).startswith("Done:")
    emulator.delete_channel(weekly)
    await eventually(lambda: newsbot.get_channel(weekly.id) is None)

    await subscribed_only(newsbot.archive, seed.general.id)
    published = await newsletter(emulator, seed, "publish", issue=202)
    assert private(published).splitlines()[1:] == [
        f"• <#{seed.general.id}>: 11 posted, 0 recovered, 0 edited, 0 unchanged, 0 removed"
    ]


async def test_a_channel_deleted_while_the_bot_was_away_is_forgotten_when_it_is_back(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    newsbot = await start_bot()
    weekly = emulator.world.add_channel(seed.guild, "weekly")
    await eventually(lambda: newsbot.get_channel(weekly.id) is not None)
    # Oldest first, as they are gone through: the private one's fate is known once weekly's is.
    for channel in (seed.announcements, seed.general, weekly):
        answer = await newsletter(emulator, seed, "setup", channel=channel)
        assert private(answer).startswith("Done:")
    await newsbot.close()
    emulator.delete_channel(weekly)
    # Made private meanwhile: Discord still lists it to the bot (threads.mdx, Guild Create:
    # unlike threads, every channel), and its publish names what the bot lacks there.
    emulator.deny(seed.announcements, Permission.VIEW_CHANNEL)
    newsbot = await start_bot()
    await subscribed_only(newsbot.archive, seed.general.id, seed.announcements.id)


async def test_a_deleted_role_is_no_longer_pinged_nor_offered(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """A digest pinging a deleted role shows "@deleted-role" over a Notify me button that can
    give nothing."""
    role = seed.newsletter_role
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, role=role)
    assert private(answer).startswith("Done:")
    emulator.world.delete_role(role)
    await subscribed_with(newsbot.archive, seed.general.id, role_id=None)
    published = await newsletter(emulator, seed, "publish", issue=202)
    assert "11 posted" in private(published)
    (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0 and not m.flags]
    assert role.mention not in digest.content
    assert digest.custom_ids() == []


async def test_a_role_and_alerts_channel_deleted_while_the_bot_was_away_are_forgotten(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    newsbot = await start_bot()
    mods = emulator.world.add_channel(seed.guild, "mods")
    await eventually(lambda: newsbot.get_channel(mods.id) is not None)
    answer = await newsletter(
        emulator,
        seed,
        "setup",
        channel=seed.general,
        role=seed.newsletter_role,
        alerts_channel=mods,
    )
    assert private(answer).startswith("Done:")
    await newsbot.close()
    emulator.world.delete_role(seed.newsletter_role)
    emulator.delete_channel(mods)
    newsbot = await start_bot()
    await subscribed_with(newsbot.archive, seed.general.id, role_id=None, alerts_channel_id=None)


async def subscribed_with(
    archive: Archive, channel_id: int, *, within: float = 10, **expected: object
) -> None:
    """Wait until `channel_id` is subscribed with the `expected` values."""
    async with asyncio.timeout(within):
        while True:
            found = [s for s in await archive.subscriptions.list() if s.channel_id == channel_id]
            if found and all(getattr(found[0], k) == v for k, v in expected.items()):
                return
            await asyncio.sleep(0.05)
