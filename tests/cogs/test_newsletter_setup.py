"""/newsletter setup asks for what Discord requires in each kind of channel: no more (Manage
Messages to crosspost), no less (a tag in a forum that requires one)."""

from __future__ import annotations

import asyncio

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, MessageFlag, Permission
from tests.publishing.test_newsletter_cog import newsletter, private


async def test_an_announcement_channel_needs_no_manage_messages_to_crosspost(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # Message › Crosspost Message: the bot's own message needs only Send Messages.
    emulator.deny(seed.announcements, Permission.MANAGE_MESSAGES)
    await asyncio.sleep(0.05)  # the overwrite reaches the bot's cache through the gateway
    answer = await newsletter(emulator, seed, "setup", channel=seed.announcements)
    done = f"Done: each new issue will be posted in <#{seed.announcements.id}>."
    assert private(answer).startswith(done)
    [subscribed] = await newsbot.archive.subscriptions.list()
    assert subscribed.channel_id == seed.announcements.id
    published = await newsletter(emulator, seed, "publish", issue=202)
    assert "failed" not in private(published)
    (digest,) = [m for m in emulator.messages_in(seed.announcements) if m.type == 0]
    assert digest.flags & MessageFlag.CROSSPOSTED
