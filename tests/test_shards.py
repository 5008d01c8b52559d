"""Discord shards: the settings, and newsbot identifying with exactly its shards."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import SHARDS_REFUSED, Newsbot, ShardedNewsbot, newsbot, serve_until_stopped
from bot.errors import ConfigError, NewsbotError
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.settings import load_settings
from bot.store import Archive
from bot.wiring import build
from tests.conftest import StartNewsbot


def test_shard_ids_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_DISCORD__SHARD_COUNT", "4")
    monkeypatch.setenv("NEWSBOT_DISCORD__SHARD_IDS", "[0,1]")
    assert load_settings().discord.shards() == (0, 1)


def test_a_shard_count_alone_means_every_shard_in_this_process() -> None:
    assert load_settings(discord={"shard_count": 3}).discord.shards() == (0, 1, 2)


def test_without_shard_settings_newsbot_is_not_sharded() -> None:
    assert load_settings().discord.shards() is None


@pytest.mark.parametrize(
    ("discord", "problem"),
    [
        ({"shard_count": 2, "shard_ids": [2]}, "shard 2 is not between 0 and 1"),
        ({"shard_count": 2, "shard_ids": [-1, 0]}, "shard -1 is not between 0 and 1"),
        ({"shard_count": 2, "shard_ids": [1, 1]}, "shard 1 is listed more than once"),
        ({"shard_count": 2, "shard_ids": []}, "is empty"),
        ({"shard_ids": [0]}, "needs discord.shard_count"),
        ({"shard_count": 0}, "greater than or equal to 1"),
    ],
)
def test_shard_settings_that_cannot_work_are_refused_by_name(
    discord: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(discord=discord)
    message = str(refused.value)
    assert message.startswith("discord.shard_"), message
    assert problem in message, message


async def test_newsbot_identifies_with_its_shards_and_answers_its_servers(
    emulator: Emulator, seed: DefaultWorld, archive: Archive, start_newsbot: StartNewsbot
) -> None:
    home = (seed.guild.id >> 22) % 2
    bot = await start_newsbot(archive, discord={"shard_count": 2, "shard_ids": [home]})
    assert isinstance(bot, ShardedNewsbot) and bot.is_connected()
    assert [p["shard"] for p in emulator.gateway.identify_payloads] == [[home, 2]]
    assert [g.id for g in bot.guilds] == [seed.guild.id]
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
    assert (await handle.response()).type == 4


async def test_one_process_may_connect_several_shards(
    emulator: Emulator,
    seed: DefaultWorld,
    archive: Archive,
    start_newsbot: StartNewsbot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def identify_at_once(
        bot: ShardedNewsbot, shard_id: int | None, *, initial: bool = False
    ) -> None:
        """discord.py waits 5 s between IDENTIFYs, Discord's pace; the emulator has none."""

    monkeypatch.setattr(ShardedNewsbot, "before_identify_hook", identify_at_once)
    other = emulator.world.add_guild(
        "Second Readers", owner=seed.owner, shard=(1 - (seed.guild.id >> 22) % 2, 2)
    )
    emulator.world.add_member(other, seed.bot)
    bot = await start_newsbot(archive, discord={"shard_count": 2, "shard_ids": [0, 1]})
    assert sorted(p["shard"] for p in emulator.gateway.identify_payloads) == [[0, 2], [1, 2]]
    assert {g.id for g in bot.guilds} == {seed.guild.id, other.id}


async def test_unsharded_newsbot_identifies_as_before(
    emulator: Emulator, archive: Archive, start_newsbot: StartNewsbot
) -> None:
    bot = await start_newsbot(archive)
    assert type(bot) is Newsbot
    assert "shard" not in emulator.gateway.identify_payloads[-1]


async def test_discord_requiring_shards_stops_newsbot_with_what_to_set(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    emulator.config.guilds_per_shard = 0  # no server fits one session: sharding is required
    settings = load_settings(discord={"dev_guild": seed.guild.id})
    async with await Archive.open(tmp_path / "archive.db") as archive:
        bot = newsbot(settings=settings, archive=archive, guild_ready_timeout=0.05)
        bot.services = build(settings, archive, discord=bot)
        with pytest.raises(NewsbotError) as stopped:
            await asyncio.wait_for(serve_until_stopped(bot, emulator.token, asyncio.Event()), 10)
    assert str(stopped.value) == SHARDS_REFUSED[4011]
    assert "discord.shard_count" in str(stopped.value)
