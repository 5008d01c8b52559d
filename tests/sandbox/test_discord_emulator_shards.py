"""Sharding as Discord enforces it: IDENTIFY's shard, 4010 and 4011, the recommended count,
each server's events to its shard's session only, and one global budget per bot token."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from bot.sandbox.discord import DefaultWorld, Emulator, EmulatorConfig, Guild

from .conftest import NO_PINGS

GUILDS_INTENT = 1


class ShardBot(commands.Bot):
    """A bot connecting one shard of two, with a /latest that says which shard answered."""

    answered = 0


def shard_bot(shard: int) -> ShardBot:
    bot = ShardBot(
        command_prefix="!",
        intents=discord.Intents.default(),
        shard_id=shard,
        shard_count=2,
        guild_ready_timeout=0.05,
    )

    @bot.tree.command(description="Show the latest issue")
    async def latest(interaction: discord.Interaction) -> None:
        bot.answered += 1
        await interaction.response.send_message(f"shard {shard}", allowed_mentions=NO_PINGS)

    return bot


async def identify(emulator: Emulator, **fields: Any) -> int | None:
    """Open a websocket, IDENTIFY with `fields`, and return the close code the gateway sends
    (None if it answers READY instead)."""
    payload = {"token": emulator.token, "intents": GUILDS_INTENT, "properties": {}, **fields}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{emulator.gateway_url}?v=10&encoding=json") as ws,
    ):
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": payload})
        message = await ws.receive(timeout=5)
        if message.type == aiohttp.WSMsgType.TEXT:
            assert message.json()["t"] == "READY"
            return None
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        return ws.close_code


@pytest.mark.parametrize("shard", [[2, 2], [1, 1], [-1, 2], [0, 0], [0], "0,1", [0, True]])
async def test_an_invalid_shard_is_closed_with_4010(emulator: Emulator, shard: Any) -> None:
    assert await identify(emulator, shard=shard) == 4010
    assert not emulator.gateway.sessions


async def test_a_valid_shard_gets_ready(emulator: Emulator, seed: DefaultWorld) -> None:
    assert await identify(emulator, shard=[1, 2]) is None
    [session] = emulator.gateway.sessions.values()
    assert session.shard == (1, 2)


def second_guild(emulator: Emulator, seed: DefaultWorld, shard: tuple[int, int]) -> Guild:
    """Another server with the bot in it, on `shard`."""
    guild = emulator.world.add_guild("Second Readers", owner=seed.owner, shard=shard)
    emulator.world.add_member(guild, seed.bot)
    emulator.world.add_channel(guild, "lobby")
    return guild


@pytest.fixture
def config() -> EmulatorConfig:
    """One server a session at most, so two servers need two shards."""
    return EmulatorConfig(time_scale=0.01, guilds_per_shard=1)


async def test_too_many_servers_for_one_session_is_closed_with_4011(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    home = (seed.guild.id >> 22) % 2
    second_guild(emulator, seed, (1 - home, 2))
    assert await identify(emulator) == 4011
    assert await identify(emulator, shard=[0, 1]) == 4011
    assert await identify(emulator, shard=[0, 2]) is None
    assert await identify(emulator, shard=[1, 2]) is None


async def test_gateway_bot_recommends_the_worlds_shard_count(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emulator.token}"}) as http:

        async def recommended() -> int:
            async with http.get(f"{emulator.api_base}/gateway/bot") as response:
                return int((await response.json())["shards"])

        assert await recommended() == 1
        emulator.world.recommended_shards = 3
        assert await recommended() == 3


async def test_each_shard_gets_only_its_servers_and_their_interactions(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    home = (seed.guild.id >> 22) % 2
    other = second_guild(emulator, seed, (1 - home, 2))
    bots = {shard: shard_bot(shard) for shard in (0, 1)}
    tasks = []
    try:
        for bot in bots.values():
            await bot.login(emulator.token)
            tasks.append(asyncio.create_task(bot.connect(reconnect=False)))
            await asyncio.wait_for(bot.wait_until_ready(), 5)
        assert [g.id for g in bots[home].guilds] == [seed.guild.id]
        assert [g.id for g in bots[1 - home].guilds] == [other.id]
        assert sorted(p["shard"][0] for p in emulator.gateway.identify_payloads) == [0, 1]
        await bots[home].tree.sync()
        handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
        assert (await handle.response()).data["content"] == f"shard {home}"
        assert [bot.answered for bot in bots.values()].count(1) == 1
    finally:
        for bot in bots.values():
            await bot.close()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def test_the_global_limit_is_one_budget_per_token_over_every_connection(
    emulator: Emulator,
) -> None:
    emulator.config.global_limit = 3
    emulator.config.time_scale = 100.0  # the global window lasts 100 s: no reset mid-test
    headers = {"Authorization": f"Bot {emulator.token}"}
    statuses: list[int] = []
    # Two processes of one bot: two HTTP sessions, two connections, one token.
    async with (
        aiohttp.ClientSession(headers=headers) as one,
        aiohttp.ClientSession(headers=headers) as two,
    ):
        for http in (one, two, one, two):
            async with http.get(f"{emulator.api_base}/users/@me") as response:
                statuses.append(response.status)
                if response.status == 429:
                    assert (await response.json())["global"] is True
    assert statuses == [200, 200, 200, 429]
    assert emulator.rate_limit_tally() == (4, 1)
    assert emulator.rate_limit_tally("another-bot's-token") == (0, 0)
