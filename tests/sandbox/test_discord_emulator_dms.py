"""Interactions from a DM with the bot: Discord's payload, and only the commands it offers there."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from bot.sandbox.discord import CallbackType, DefaultWorld, Emulator

from .conftest import NO_PINGS, EmulatedBot


async def add_global_commands(bot: EmulatedBot, seen: list[discord.Interaction]) -> None:
    """Sync global commands: one offered in DMs, and three that Discord keeps out of them."""

    @app_commands.command(description="Say where it was asked")
    async def where(interaction: discord.Interaction) -> None:
        seen.append(interaction)
        await interaction.response.send_message("here", ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(description="Only in servers")
    @app_commands.guild_only()
    async def servers(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("servers", allowed_mentions=NO_PINGS)

    @app_commands.command(description="Servers and group DMs, not the bot's DM")
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=True)
    async def elsewhere(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("elsewhere", allowed_mentions=NO_PINGS)

    @app_commands.command(description="Old-style: dm_permission false, no contexts")
    async def legacy(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("legacy", allowed_mentions=NO_PINGS)

    legacy.guild_only = True  # what discord.py sends as dm_permission, without contexts
    commands: list[app_commands.Command[Any, ..., None]] = [where, servers, elsewhere, legacy]
    for command in commands:
        bot.tree.add_command(command)
    await bot.tree.sync()


async def test_a_dm_interaction_has_a_user_and_no_guild(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    seen: list[discord.Interaction] = []
    await add_global_commands(bot, seen)
    dm = emulator.dm_channel(seed.reader)
    assert emulator.dm_channel(seed.reader) is dm, "one DM per user"
    handle = await emulator.run_slash_command(None, dm, seed.reader, "where")
    assert (await handle.response()).type == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE
    answer = await handle.original()
    assert answer.content == "here" and answer.channel_id == dm.id and answer.guild_id is None

    payload = emulator.interactions.payload(handle.interaction)
    assert not {"guild_id", "guild", "guild_locale", "member"} & set(payload)
    assert payload["user"]["id"] == str(seed.reader.id)
    assert payload["channel"]["type"] == 1 and "guild_id" not in payload["channel"]
    assert payload["context"] == 1
    assert payload["authorizing_integration_owners"] == {"0": "0"}

    [interaction] = seen
    assert interaction.guild is None and interaction.guild_id is None
    assert isinstance(interaction.user, discord.User)
    assert isinstance(interaction.channel, discord.DMChannel)
    assert interaction.context.dm_channel and not interaction.context.guild


@pytest.mark.parametrize("name", ["servers", "elsewhere", "legacy"])
async def test_a_command_kept_out_of_dms_is_not_offered_there(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld, name: str
) -> None:
    await add_global_commands(bot, [])
    dm = emulator.dm_channel(seed.reader)
    with pytest.raises(LookupError, match="not offered in a DM"):
        await emulator.run_slash_command(None, dm, seed.reader, name)
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, name)
    assert (await handle.original()).content == name


async def test_a_guild_command_is_not_offered_in_dms(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    # The fixture's bot syncs `latest` to the seed guild only.
    dm = emulator.dm_channel(seed.reader)
    with pytest.raises(LookupError, match="none is offered in DMs"):
        await emulator.run_slash_command(None, dm, seed.reader, "latest")


async def test_a_dm_is_only_its_users(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    await add_global_commands(bot, [])
    dm = emulator.dm_channel(seed.reader)
    with pytest.raises(ValueError, match="not in the DM"):
        await emulator.run_slash_command(None, dm, seed.manager, "where")
    with pytest.raises(ValueError, match="is not a DM"):
        await emulator.run_slash_command(None, seed.general, seed.reader, "where")
    with pytest.raises(ValueError):
        await emulator.run_slash_command(seed.guild, dm, seed.reader, "where")
