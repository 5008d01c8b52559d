"""Replies: what a message's ``message_reference`` may point at, and what replying takes
(message.mdx › Create Message, Limitations; Message Reference Content Attribution › Replies)."""

from __future__ import annotations

import discord
import pytest

from bot.sandbox.discord import DefaultWorld, Emulator, Permission

from .conftest import NO_PINGS, EmulatedBot, assert_refused


def _text_channel(bot: EmulatedBot, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def _reference_error(emulator: Emulator, exc: discord.HTTPException) -> tuple[int, int, str]:
    """The status and JSON code of a refusal, and its one ``message_reference`` error code."""
    answer = emulator.requests[-1].response
    assert isinstance(answer, dict)
    [error] = answer["errors"]["message_reference"]["_errors"]
    assert exc.text.endswith(f"In message_reference: {error['message']}"), exc.text
    return exc.status, exc.code, error["code"]


async def test_a_reply_needs_read_message_history(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    posted = await emulator.post_message(seed.general, seed.reader, "https://example.com/a")
    general = _text_channel(bot, seed.general.id)
    emulator.deny(seed.general, int(Permission.READ_MESSAGE_HISTORY))
    before = len(seed.general.messages)
    with pytest.raises(discord.Forbidden) as caught:
        await general.get_partial_message(posted.message.id).reply(
            "Thanks!", allowed_mentions=NO_PINGS, mention_author=False
        )
    assert (caught.value.status, caught.value.code) == (403, 160002)
    assert caught.value.text == "Cannot reply without permission to read message history"
    assert len(seed.general.messages) == before, "nothing was posted"
    # The same text without the reference is a plain message, which needs no history.
    await general.send("Thanks!", allowed_mentions=NO_PINGS)
    assert len(seed.general.messages) == before + 1
    # The permission can go without the bot's doing: an answer, not a broken rule.
    assert not emulator.violations


async def test_a_reply_stays_in_its_messages_channel(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    elsewhere = await emulator.post_message(seed.general, seed.reader, "in #general")
    announcements = _text_channel(bot, seed.announcements.id)
    with pytest.raises(discord.HTTPException) as caught:
        await announcements.send(
            "Replying across channels",
            reference=_text_channel(bot, seed.general.id).get_partial_message(elsewhere.message.id),
            allowed_mentions=NO_PINGS,
        )
    assert _reference_error(emulator, caught.value) == (
        400,
        50035,
        "REPLIES_CANNOT_REFERENCE_OTHER_CHANNEL",
    )
    assert not seed.announcements.messages
    path = f"/channels/{seed.announcements.id}/messages"
    assert_refused(emulator, "POST", path, "its own channel")


async def test_a_system_message_takes_no_reply(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    # A thread without a starter message leaves Discord's THREAD_CREATED notice (type 18).
    thread = emulator.messaging.thread_without_message(
        seed.general, seed.reader, {"name": "Reader's thread", "type": 11}
    )
    [notice] = [m for m in seed.general.messages.values() if m.type == 18]
    general = _text_channel(bot, seed.general.id)
    with pytest.raises(discord.HTTPException) as caught:
        await general.get_partial_message(notice.id).reply(
            "About your thread", allowed_mentions=NO_PINGS, mention_author=False
        )
    assert _reference_error(emulator, caught.value) == (
        400,
        50035,
        "REPLIES_CANNOT_REPLY_TO_SYSTEM_MESSAGE",
    )
    assert_refused(emulator, "POST", f"/channels/{seed.general.id}/messages", "system message")
    # A reader's own message in the thread takes one.
    posted = await emulator.post_message(thread, seed.reader, "https://example.com/a")
    channel = bot.get_channel(thread.id) or await bot.fetch_channel(thread.id)
    assert isinstance(channel, discord.Thread)
    reply = await channel.get_partial_message(posted.message.id).reply(
        "Thanks!", allowed_mentions=NO_PINGS, mention_author=False
    )
    assert thread.messages[reply.id].type == 19
    assert not emulator.violations
