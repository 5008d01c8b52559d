"""Login, READY, the guild cache, compression, RESUME and intents, with the real discord.py."""

from __future__ import annotations

import asyncio
import json
import sys

import discord
import pytest

from bot.sandbox.discord import FORUM_TAGS, DefaultWorld, Emulator, Permission

from .conftest import BotFactory, EmulatedBot


async def test_login_ready_and_guild_cache(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    assert bot.user is not None and bot.user.id == seed.bot.id
    assert bot.application_id == seed.bot.id
    guild = bot.get_guild(seed.guild.id)
    assert guild is not None and guild.name == "Deep Learning Weekly Readers"
    assert guild.default_role.id == guild.id
    assert {r.name for r in guild.roles} >= {"@everyone", "Newsletter", "Editors"}
    assert guild.me is not None and guild.me.id == seed.bot.id
    general = guild.get_channel(seed.general.id)
    announcements = guild.get_channel(seed.announcements.id)
    forum = guild.get_channel(seed.forum.id)
    assert isinstance(general, discord.TextChannel) and not general.is_news()
    assert isinstance(announcements, discord.TextChannel) and announcements.is_news()
    assert isinstance(forum, discord.ForumChannel)
    assert [t.name for t in forum.available_tags] == list(FORUM_TAGS)
    assert general.permissions_for(guild.me).send_messages


async def test_discord_py_asks_for_its_compression_and_gets_it(
    emulator: Emulator, bot: EmulatedBot
) -> None:
    # discord.py asks for zstd-stream when a zstd module is importable (atproto brings
    # zstandard), else zlib-stream; the emulator serves both.
    asked = "zstd-stream" if discord.utils._ZSTD_SOURCE else "zlib-stream"
    identify = emulator.gateway.identify_payloads[-1]
    assert identify["token"] == emulator.token
    assert identify["intents"] == bot.intents.value
    assert emulator.gateway.connections[0].compress == asked


async def test_login_with_a_wrong_token_fails(emulator: Emulator) -> None:
    client = discord.Client(intents=discord.Intents.default())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()


async def test_reconnect_resumes_and_replays_missed_events(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    resumed = asyncio.ensure_future(bot.wait_for("resumed", timeout=5))
    emulator.request_gateway_reconnect()
    await resumed
    assert emulator.gateway.resumes == 1
    assert emulator.gateway.connection_paths[-1].endswith("/resume")
    await emulator.post_message(seed.general, seed.reader, "after the resume")
    await asyncio.wait_for(bot.message_seen.wait(), 5)
    assert bot.seen[-1].content == "after the resume"


async def test_post_message_reaches_on_message_and_the_bot_replies(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.post_message(seed.general, seed.reader, "!ping")
    [reply] = await handle.replies(1, timeout=5)
    assert reply.content == "pong"
    assert reply.message_reference is not None
    assert reply.message_reference["message_id"] == str(handle.message.id)
    assert reply.mentions == []
    assert bot.seen[-1].author.id == seed.reader.id


async def test_without_message_content_intent_content_is_blank(
    emulator: Emulator, make_bot: BotFactory, seed: DefaultWorld
) -> None:
    bot = await make_bot(intents=discord.Intents.default())
    await emulator.post_message(seed.general, seed.reader, "secret words")
    await asyncio.wait_for(bot.message_seen.wait(), 5)
    assert bot.seen[-1].content == ""
    bot.message_seen.clear()
    await emulator.post_message(seed.general, seed.reader, f"{seed.bot.mention} hello")
    await asyncio.wait_for(bot.message_seen.wait(), 5)
    assert bot.seen[-1].content == f"{seed.bot.mention} hello"


async def test_channel_overwrite_reaches_the_bot_cache(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    updated = asyncio.ensure_future(bot.wait_for("guild_channel_update", timeout=5))
    emulator.deny(seed.general, Permission.SEND_MESSAGES)
    await updated
    channel = bot.get_channel(seed.general.id)
    assert isinstance(channel, discord.TextChannel)
    assert channel.guild.me is not None
    assert not channel.permissions_for(channel.guild.me).send_messages


async def test_a_channel_added_by_the_test_reaches_the_bot(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    created = asyncio.ensure_future(bot.wait_for("guild_channel_create", timeout=5))
    added = emulator.world.add_channel(seed.guild, "papers")
    channel = await created
    assert channel.id == added.id and channel.name == "papers"
    assert [c.name for c in await bot.get_guild(seed.guild.id).fetch_channels()][-1] == "papers"  # type: ignore[union-attr]


async def test_members_intent_chunks_the_guild(
    emulator: Emulator, make_bot: BotFactory, seed: DefaultWorld
) -> None:
    intents = discord.Intents.default()
    intents.members = True
    bot = await make_bot(intents=intents)
    guild = bot.get_guild(seed.guild.id)
    assert guild is not None and guild.chunked
    assert {m.id for m in guild.members} == set(seed.guild.members)


async def test_privileged_intents_need_the_application_flag(emulator: Emulator) -> None:
    emulator.world.application.flags = 0
    intents = discord.Intents.default()
    intents.message_content = True
    client = discord.Client(intents=intents)
    try:
        await client.login(emulator.token)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.connect(reconnect=True), 5)
    finally:
        await client.close()


async def test_auto_sharded_client_uses_gateway_bot(emulator: Emulator, seed: DefaultWorld) -> None:
    client = discord.AutoShardedClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    await client.login(emulator.token)
    task = asyncio.create_task(client.connect())
    try:
        await asyncio.wait_for(client.wait_until_ready(), 5)
        assert client.shard_count == 1
        assert client.get_guild(seed.guild.id) is not None
        assert emulator.requests_to("GET", "/gateway/bot")
        assert emulator.gateway.identify_payloads[-1]["shard"] == [0, 1]
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)


async def test_a_guild_the_bot_joins_later_arrives_with_guild_create(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    world = emulator.world
    second = world.add_guild("Second Readers", owner=seed.owner)
    world.add_channel(second, "lobby")
    joined = asyncio.ensure_future(bot.wait_for("guild_join", timeout=5))
    world.add_member(second, seed.bot)
    guild = await joined
    assert guild.id == second.id
    assert [c.name for c in guild.channels] == ["lobby"]


ACK_WATCHER = """
import asyncio, json, sys
import discord, yarl

api_base, gateway_url, token, wanted = sys.argv[1:]
discord.http.Route.BASE = api_base
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class AckWatcher(discord.Client):
    latencies = []

    async def on_socket_raw_receive(self, message):
        # Dispatched as discord.py reads a payload; this runs once it has handled it.
        if json.loads(message).get("op") == 11:
            self.latencies.append(self.latency)
            if len(self.latencies) == int(wanted):
                print(json.dumps(self.latencies), flush=True)
                await self.close()


client = AckWatcher(intents=discord.Intents.default(), enable_debug_events=True)
asyncio.run(client.start(token, reconnect=False))
"""
"""A discord.py client in its own process, as `newsbot run` is: it prints the latencies
discord.py measured at its first `wanted` HEARTBEAT_ACKs, then leaves."""


async def test_heartbeats_are_acked_after_a_round_trip_not_before_discord_py_sees_them_sent(
    emulator: Emulator,
) -> None:
    # Over loopback an instant ACK reached discord.py (in another process, as newsbot runs)
    # before its heartbeat thread had noted the send, so it measured from the heartbeat
    # before: latency = the interval, and at Discord's 41.25 s the warning "Can't keep up,
    # shard ID None websocket is 41.3s behind" at every heartbeat.
    interval = 0.6  # the emulator answers after 0.1 s
    emulator.config.heartbeat_interval_ms = int(interval * 1000)
    wanted = 4  # the first heartbeat goes with HELLO; the next ones from discord.py's thread
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ACK_WATCHER,
        emulator.api_base,
        emulator.gateway_url,
        emulator.token,
        str(wanted),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        out, _ = await asyncio.wait_for(client.communicate(), 30)
    finally:
        if client.returncode is None:
            client.kill()
            await client.wait()
    assert client.returncode == 0
    latencies = json.loads(out)
    assert len(latencies) == wanted
    assert emulator.gateway.heartbeats >= wanted
    assert max(latencies) < interval * 2 / 3, latencies


async def test_a_heartbeat_asked_for_with_op_1_comes_at_once(
    emulator: Emulator, bot: EmulatedBot
) -> None:
    # At Discord's interval (41.25 s) the next heartbeat on its own is far off: one within
    # seconds is the one asked for.
    assert emulator.config.heartbeat_interval_ms == 41250
    gateway = emulator.gateway
    await gateway.changed.wait_for(lambda: gateway.heartbeats or None, 5, "the first heartbeat")
    before = gateway.heartbeats
    gateway.request_heartbeat()
    await gateway.changed.wait_for(
        lambda: gateway.heartbeats > before or None, 5, "the heartbeat asked for"
    )
    assert gateway.heartbeats == before + 1
