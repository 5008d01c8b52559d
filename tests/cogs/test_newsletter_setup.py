"""/newsletter setup asks for what Discord requires in each kind of channel: no more (Manage
Messages to crosspost), no less (a tag in a forum that requires one)."""

from __future__ import annotations

import asyncio

import discord

from bot.app import Newsbot
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Intent, MessageFlag, Permission
from bot.sandbox.discord._models import ChannelFlag, ForumTag
from tests.cogs.conftest import StartBot
from tests.conftest import eventually
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


def changed(emulator: Emulator, channel: Channel) -> None:
    """Tell the bot a channel changed, as Discord does when a manager edits it."""
    emulator.world.events.dispatch(
        "CHANNEL_UPDATE", channel.payload(), guild_id=channel.guild_id, intent=Intent.GUILDS
    )


async def test_a_forum_that_requires_a_tag_is_refused_until_it_has_one_for_the_digest(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    seed.forum.flags |= ChannelFlag.REQUIRE_TAG
    newsbot = await start_bot()
    answer = await newsletter(emulator, seed, "setup", channel=seed.forum)
    assert private(answer) == (
        f"I can't publish in <#{seed.forum.id}> yet: it requires a tag on every post and has "
        "none for the digest: create a tag named “Newsletter” (or “Digest”) there, which the "
        "digest and any section without a tag of its name get. Then run /newsletter setup again."
    )
    assert await newsbot.archive.subscriptions.list() == []
    seed.forum.available_tags.append(ForumTag(id=emulator.world.snowflakes.next(), name="Digest"))
    changed(emulator, seed.forum)
    await asyncio.sleep(0.05)  # the change reaches the bot's cache through the gateway
    answer = await newsletter(emulator, seed, "setup", channel=seed.forum)
    assert (
        "The forum requires a tag: the digest, and a section without a tag of its name, "
        "get “Digest”." in private(answer)
    )
    [subscribed] = await newsbot.archive.subscriptions.list()
    assert (subscribed.channel_id, subscribed.kind) == (seed.forum.id, "forum")


async def test_a_moderated_tag_for_the_digest_needs_manage_threads(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    seed.forum.flags |= ChannelFlag.REQUIRE_TAG
    tag = ForumTag(id=emulator.world.snowflakes.next(), name="Newsletter", moderated=True)
    seed.forum.available_tags.append(tag)
    emulator.deny(seed.forum, Permission.MANAGE_THREADS)
    newsbot = await start_bot()
    answer = await newsletter(emulator, seed, "setup", channel=seed.forum)
    assert private(answer) == (
        f"I can't publish in <#{seed.forum.id}> yet: it requires a tag on every post, and its "
        "“Newsletter” tag, which I'd give the digest, is moderated. Give my role **Manage "
        "Threads** in the forum, or make the tag unmoderated. Then run /newsletter setup again."
    )
    assert await newsbot.archive.subscriptions.list() == []
    emulator.allow(seed.forum, Permission.MANAGE_THREADS)
    await asyncio.sleep(0.05)
    answer = await newsletter(emulator, seed, "setup", channel=seed.forum)
    assert "the digest, and a section without a tag of its name, get “Newsletter”" in private(
        answer
    )


async def test_a_forum_without_the_flag_is_set_up_as_before(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await newsletter(emulator, seed, "setup", channel=seed.forum)
    assert private(answer) == (
        f"Done: each new issue will be posted in <#{seed.forum.id}>.\n"
        "It gets one post per section, tagged by section, and the digest."
    )


async def test_setup_names_read_message_history_which_publishing_needs(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """A publish reads the channel's recent messages and archived threads to find what an
    interrupted one already posted; Discord refuses both without Read Message History."""
    channel_id = seed.announcements.id

    def bot_reads_history() -> bool:
        cached = newsbot.get_channel(channel_id)
        assert isinstance(cached, discord.TextChannel)
        return cached.permissions_for(cached.guild.me).read_message_history

    emulator.deny(seed.announcements, Permission.READ_MESSAGE_HISTORY)
    await eventually(lambda: not bot_reads_history())  # the overwrite comes by the gateway
    answer = await newsletter(emulator, seed, "setup", channel=seed.announcements)
    assert private(answer) == (
        f"I can't publish in <#{channel_id}> yet: I need the **Read Message History** "
        "permission there. Give my role those permissions in the channel's settings, then run "
        "/newsletter setup again."
    )
    assert await newsbot.archive.subscriptions.list() == []
    emulator.allow(seed.announcements, Permission.READ_MESSAGE_HISTORY)
    await eventually(bot_reads_history)
    answer = await newsletter(emulator, seed, "setup", channel=seed.announcements)
    assert private(answer).startswith(f"Done: each new issue will be posted in <#{channel_id}>.")
