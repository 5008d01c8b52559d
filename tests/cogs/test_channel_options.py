"""What Discord lets a manager pick for /newsletter's channel and role options: only the
server's own, existing channels of the kinds the option names."""

from __future__ import annotations

import pytest

from bot.app import Newsbot
from bot.sandbox.discord import ChannelType, DefaultWorld, Emulator, Permission
from tests.publishing.test_newsletter_cog import newsletter, private


async def test_only_the_kinds_of_channel_the_option_names_can_be_picked(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # discord.py registers `TextChannel | ForumChannel` as channel_types text, announcement,
    # forum and media: Discord's picker offers those alone.
    category = emulator.world.add_channel(seed.guild, "Newsletter", ChannelType.GUILD_CATEGORY)
    with pytest.raises(ValueError, match="channel_types"):
        await newsletter(emulator, seed, "setup", channel=category)
    media = emulator.world.add_channel(seed.guild, "clips", ChannelType.GUILD_MEDIA)
    answer = await newsletter(emulator, seed, "setup", channel=media)
    assert private(answer).startswith(f"Done: each new issue will be posted in <#{media.id}>.")


async def test_another_server_s_or_a_deleted_channel_cannot_be_picked(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    elsewhere = emulator.world.add_guild("Another server", owner=seed.owner)
    theirs = emulator.world.add_channel(elsewhere, "news")
    their_role = emulator.world.add_role(elsewhere, "Pings", mentionable=True)
    with pytest.raises(ValueError, match="not in Deep Learning Weekly Readers"):
        await newsletter(emulator, seed, "unsubscribe", channel=theirs)
    with pytest.raises(ValueError, match="not in Deep Learning Weekly Readers"):
        await newsletter(emulator, seed, "setup", channel=seed.general, role=their_role)
    weekly = emulator.world.add_channel(seed.guild, "weekly")
    emulator.delete_channel(weekly)
    with pytest.raises(ValueError, match="deleted"):
        await newsletter(emulator, seed, "unsubscribe", channel=weekly)
    assert await newsbot.archive.subscriptions.list() == []


async def test_a_picked_channel_carries_the_invoker_s_and_the_bot_s_permissions(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # Channel resource › Channel Object: in `resolved`, `permissions` are the invoking user's,
    # `app_permissions` the bot's.
    emulator.deny(seed.general, Permission.EMBED_LINKS)
    handle = await emulator.run_slash_command(
        seed.guild,
        seed.general,
        seed.manager,
        "newsletter",
        {"channel": seed.general},
        subcommand="setup",
    )
    picked = handle.interaction.data["resolved"]["channels"][str(seed.general.id)]
    assert int(picked["permissions"]) & Permission.EMBED_LINKS
    assert not int(picked["app_permissions"]) & Permission.EMBED_LINKS
    assert "**Embed Links**" in private(await handle.original(timeout=10))
