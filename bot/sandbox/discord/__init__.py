"""A loopback emulator of Discord's REST API v10 and gateway for the unmodified discord.py.

Start it, point discord.py at it, log a bot in, then act as a reader::

    async with Emulator(config=EmulatorConfig(time_scale=0.01)) as emu:
        point_discord_py_at(emu.api_base, emu.gateway_url)
        ...  # bot.login(emu.token); bot.connect()
        handle = await emu.run_slash_command(
            emu.seed.guild, emu.seed.general, emu.seed.reader, "latest"
        )
        message = await handle.original(timeout=5)

Everything the emulator knows lives in ``emu.world``; every REST call is in ``emu.requests``;
every request Discord would refuse (its published API description, its documented rules) is
answered as Discord would and recorded in ``emu.violations``.
"""

from ._commands import Command
from ._config import EmulatorConfig
from ._discordpy import DiscordEndpoints, current_discord_py_endpoints, point_discord_py_at
from ._emulator import Emulator
from ._errors import APIError
from ._faults import Fault
from ._interactions import Callback, CallbackType, Interaction, InteractionType
from ._models import (
    Channel,
    ChannelType,
    ForumTag,
    Guild,
    Intent,
    Member,
    Message,
    MessageFlag,
    Overwrite,
    Role,
    User,
)
from ._permissions import Permission
from ._reader import InteractionHandle, MessageHandle
from ._rest import RequestRecord
from ._seed import FORUM_TAGS, DefaultWorld, seed_default_world
from ._snowflake import DISCORD_EPOCH_MS, SnowflakeGenerator, snowflake_time
from ._world import World

__all__ = [
    "DISCORD_EPOCH_MS",
    "FORUM_TAGS",
    "APIError",
    "Callback",
    "CallbackType",
    "Channel",
    "ChannelType",
    "Command",
    "DefaultWorld",
    "DiscordEndpoints",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "ForumTag",
    "Guild",
    "Intent",
    "Interaction",
    "InteractionHandle",
    "InteractionType",
    "Member",
    "Message",
    "MessageFlag",
    "MessageHandle",
    "Overwrite",
    "Permission",
    "RequestRecord",
    "Role",
    "SnowflakeGenerator",
    "User",
    "World",
    "current_discord_py_endpoints",
    "point_discord_py_at",
    "seed_default_world",
    "snowflake_time",
]
