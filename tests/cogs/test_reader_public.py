"""Answers asked for everyone, where the reader may not post: the real discord.py bot, the
Discord emulator, a real archive. Discord runs a reader's command there all the same."""

from __future__ import annotations

import sys
from typing import Any

import discord
import pytest

from bot.app import Newsbot
from bot.sandbox.discord import CallbackType, Channel, DefaultWorld, Emulator, Permission
from cogs.reader._public import KEPT_PRIVATE
from tests.cogs.test_reader import assert_private_and_silent


async def asked_public(
    emulator: Emulator, seed: DefaultWorld, channel: Channel, name: str, **options: Any
) -> None:
    """`name` asked with `public` in `channel`: answered to the reader alone, saying why."""
    handle = await emulator.run_slash_command(
        seed.guild, channel, seed.reader, name, {**options, "public": True}
    )
    answer = await handle.original(timeout=5)
    assert_private_and_silent(answer)
    assert answer.content == KEPT_PRIVATE and answer.embeds, name


@pytest.mark.parametrize(
    ("name", "options"),
    [("latest", {}), ("issue", {"number": 202}), ("search", {"query": "torch"})],
)
async def test_a_reader_who_may_not_post_here_is_answered_privately(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, name: str, options: dict[str, Any]
) -> None:
    # A read-only channel, as where a newsletter is announced.
    emulator.deny(seed.general, int(Permission.SEND_MESSAGES), user=seed.reader)
    await asked_public(emulator, seed, seed.general, name, **options)
    # A thread is written in with its own permission: a reader without it may not post there.
    emulator.allow(seed.general, int(Permission.SEND_MESSAGES), user=seed.reader)
    emulator.deny(seed.general, int(Permission.SEND_MESSAGES_IN_THREADS), user=seed.reader)
    parent = newsbot.get_channel(seed.general.id)
    assert isinstance(parent, discord.TextChannel)
    made = await parent.create_thread(name="chat", type=discord.ChannelType.public_thread)
    await asked_public(emulator, seed, emulator.world.channel(made.id), name, **options)
    # A thread a moderator locked: only those who manage threads post there.
    emulator.allow(seed.general, int(Permission.SEND_MESSAGES_IN_THREADS), user=seed.reader)
    await made.edit(locked=True)
    await asked_public(emulator, seed, emulator.world.channel(made.id), name, **options)
    posted = [m for m in emulator.messages_in(seed.general) if m.author.id == seed.bot.id]
    assert not [m for m in posted if m.interaction_metadata], "nothing posted for the reader"


async def test_a_reader_who_may_post_here_gets_the_public_answer(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.reader, "latest", {"public": True}
    )
    answer = await handle.original(timeout=5)
    assert not answer.ephemeral and answer.content == ""


@pytest.mark.parametrize(
    ("name", "options"),
    [("latest", {}), ("issue", {"number": 202}), ("search", {"query": "torch"})],
)
async def test_a_slow_answer_there_is_private_from_its_thinking_on(
    newsbot: Newsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    options: dict[str, Any],
) -> None:
    monkeypatch.setattr(sys.modules["cogs.reader._answering"], "DEFER_AFTER", 0)
    emulator.deny(seed.general, int(Permission.SEND_MESSAGES), user=seed.reader)
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.reader, name, {**options, "public": True}
    )
    thinking = await handle.response()
    assert thinking.type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    assert thinking.message is not None and thinking.message.ephemeral
    answer = await handle.original(timeout=5)
    assert_private_and_silent(answer)
    assert answer.content == KEPT_PRIVATE and answer.embeds
