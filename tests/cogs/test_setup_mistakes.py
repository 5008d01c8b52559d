"""/newsletter setup as a busy server manager uses it: an alerts channel the bot cannot post
in, a channel set up again."""

from __future__ import annotations

import discord

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from tests.conftest import eventually
from tests.publishing.test_newsletter_cog import newsletter, private


async def test_setup_refuses_an_alerts_channel_the_bot_cannot_post_in(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """Alerts are messages in that channel: a moderators' channel the bot's role was not let
    into would get none, while setup promised them."""
    mods = emulator.world.add_channel(seed.guild, "mods")
    emulator.deny(mods, Permission.VIEW_CHANNEL)

    def bot_sees_mods() -> bool:
        cached = newsbot.get_channel(mods.id)
        assert isinstance(cached, discord.TextChannel)
        return cached.permissions_for(cached.guild.me).view_channel

    def bot_can_send_in_mods() -> bool:
        cached = newsbot.get_channel(mods.id)
        assert isinstance(cached, discord.TextChannel)
        return cached.permissions_for(cached.guild.me).send_messages

    await eventually(lambda: newsbot.get_channel(mods.id) is not None and not bot_sees_mods())
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, alerts_channel=mods)
    assert private(answer) == (
        f"I can't post alerts in <#{mods.id}>: I need the **View Channel** and **Send "
        "Messages** permissions there. Give my role those permissions in the channel's "
        "settings (or pick another alerts channel), then run /newsletter setup again."
    )
    assert await newsbot.archive.subscriptions.list() == []

    emulator.allow(mods, Permission.VIEW_CHANNEL)
    emulator.deny(mods, Permission.SEND_MESSAGES)
    await eventually(bot_sees_mods)
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, alerts_channel=mods)
    assert "I need the **Send Messages** permission there." in private(answer)

    emulator.allow(mods, Permission.SEND_MESSAGES)
    await eventually(bot_can_send_in_mods)
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, alerts_channel=mods)
    assert f"Problems will be reported in <#{mods.id}>." in private(answer)
    [subscribed] = await newsbot.archive.subscriptions.list()
    assert subscribed.alerts_channel_id == mods.id


async def test_setting_up_a_channel_again_says_what_it_no_longer_gets(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """Run again to change the sections, setup replaces the channel's whole setup: the role and
    alerts channel left out are gone, which the answer says."""
    first = await newsletter(
        emulator,
        seed,
        "setup",
        channel=seed.general,
        role=seed.newsletter_role,
        sections="Industry",
        alerts_channel=seed.announcements,
    )
    assert "replaces" not in private(first)
    again = await newsletter(emulator, seed, "setup", channel=seed.general)
    assert private(again).splitlines() == [
        f"Done: each new issue will be posted in <#{seed.general.id}>.",
        "It gets a digest and one thread per section.",
        f"This replaces the channel's earlier setup: it no longer pings "
        f"<@&{seed.newsletter_role.id}> or reports problems in <#{seed.announcements.id}>; it "
        "now gets every section.",
    ]
    [subscribed] = await newsbot.archive.subscriptions.list()
    assert (subscribed.role_id, subscribed.alerts_channel_id) == (None, None)
    same = await newsletter(emulator, seed, "setup", channel=seed.general)
    assert private(same).splitlines()[-1] == "This replaces the channel's earlier setup."
