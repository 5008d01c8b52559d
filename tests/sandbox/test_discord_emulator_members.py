"""A member removed from a server, the bot included, and a role deleted: what Discord then
tells and refuses."""

from __future__ import annotations

import discord
import pytest

from bot.sandbox.discord import DefaultWorld, Emulator


async def test_a_bot_out_of_a_server_has_no_access_to_its_channels(
    client: discord.Client, emulator: Emulator, seed: DefaultWorld
) -> None:
    emulator.world.remove_member(seed.guild, seed.bot)
    with pytest.raises(discord.Forbidden) as refused:
        await client.http.send_message(seed.general.id, params=_text("hello"))
    assert refused.value.code == 50001  # Missing Access
    assert await client.http.get_guilds(200) == []
    with pytest.raises(ValueError, match="owner"):
        emulator.world.remove_member(seed.guild, seed.owner)


async def test_the_bot_s_servers_come_in_pages_by_id(
    client: discord.Client, emulator: Emulator, seed: DefaultWorld
) -> None:
    others = [emulator.world.add_guild(f"Server {n}", owner=seed.owner) for n in range(3)]
    for guild in others:
        emulator.world.add_member(guild, seed.bot)
    ids = sorted(g.id for g in [seed.guild, *others])
    assert [int(g["id"]) for g in await client.http.get_guilds(2)] == ids[:2]
    after = await client.http.get_guilds(1, after=ids[1], with_counts=False)
    assert [int(g["id"]) for g in after] == [ids[2]]
    before = await client.http.get_guilds(2, before=ids[3])
    assert [int(g["id"]) for g in before] == ids[1:3]
    emulator.world.remove_member(others[0], seed.bot)
    assert others[0].id not in [int(g["id"]) for g in await client.http.get_guilds(200)]


def _text(content: str) -> discord.http.MultipartParameters:
    return discord.http.handle_message_parameters(content=content)


async def test_a_deleted_role_is_gone_from_the_server_and_its_members(
    client: discord.Client, emulator: Emulator, seed: DefaultWorld
) -> None:
    role = seed.newsletter_role
    member = seed.guild.members[seed.reader.id]
    emulator.world.set_member_roles(member, [role.id])
    emulator.world.delete_role(role)
    assert member.roles == []
    roles = await client.http.get_roles(seed.guild.id)
    assert role.id not in [int(r["id"]) for r in roles]
    with pytest.raises(ValueError, match="Discord keeps it"):
        emulator.world.delete_role(seed.bot_role)
