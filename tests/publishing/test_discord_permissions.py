"""The bot's permissions in a channel, worked out from what Discord's REST API tells (the
publishing client has no gateway cache to ask): the same as Discord's own, whichever of the
server's roles and the channel's overwrites give or take them. A lookup relies on it to tell
a channel with nothing to find from one whose messages the bot may not read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
import pytest

from bot.publishing.outlets._discord_permissions import channel_permissions
from bot.sandbox.discord import DefaultWorld, Emulator, Overwrite, Permission

HISTORY = int(Permission.READ_MESSAGE_HISTORY)
MODELLED = sum(int(permission) for permission in Permission)
"""The permissions the emulator knows (Discord's "all" has more bits than it does)."""
Setup = Callable[[Emulator, DefaultWorld], None]


def as_set_up(emulator: Emulator, seed: DefaultWorld) -> None:
    """The default world: the bot's role gives it Read Message History."""


def everyone_denied(emulator: Emulator, seed: DefaultWorld) -> None:
    """@everyone's overwrite takes it away in the channel, whatever the server's roles give."""
    emulator.world.set_overwrite(seed.general, Overwrite(id=seed.guild.id, type=0, deny=HISTORY))


def everyone_denied_the_bots_role_allowed(emulator: Emulator, seed: DefaultWorld) -> None:
    """A role's overwrite comes after @everyone's: the bot's role gives it back."""
    everyone_denied(emulator, seed)
    emulator.world.set_overwrite(
        seed.general, Overwrite(id=seed.bot_role.id, type=0, allow=HISTORY)
    )


def one_role_denied_another_allowed(emulator: Emulator, seed: DefaultWorld) -> None:
    """The roles' overwrites are taken together, an allow over a deny, in whichever order the
    member's roles come."""
    other = emulator.world.add_role(seed.guild, "Archivists")
    bot = emulator.world.member(seed.guild, seed.bot.id)
    emulator.world.set_member_roles(bot, [*bot.roles, other.id])
    emulator.world.set_overwrite(
        seed.general, Overwrite(id=seed.bot_role.id, type=0, allow=HISTORY)
    )
    emulator.world.set_overwrite(seed.general, Overwrite(id=other.id, type=0, deny=HISTORY))


def the_role_denied_the_bot_allowed(emulator: Emulator, seed: DefaultWorld) -> None:
    """The member's own overwrite comes last."""
    emulator.world.set_overwrite(seed.general, Overwrite(id=seed.bot_role.id, type=0, deny=HISTORY))
    emulator.allow(seed.general, HISTORY)


def the_bot_denied(emulator: Emulator, seed: DefaultWorld) -> None:
    """The member's own overwrite takes it away."""
    emulator.deny(seed.general, HISTORY)


def no_role_gives_it(emulator: Emulator, seed: DefaultWorld) -> None:
    """Neither @everyone nor the bot's role has it in the server."""
    for role in (seed.guild.roles[seed.guild.id], seed.bot_role):
        emulator.world.edit_role(role, permissions=int(role.permissions) & ~HISTORY)


def an_administrator(emulator: Emulator, seed: DefaultWorld) -> None:
    """An administrator may do anything, whatever the channel's overwrites say."""
    permissions = int(seed.bot_role.permissions) | int(Permission.ADMINISTRATOR)
    emulator.world.edit_role(seed.bot_role, permissions=permissions)
    the_bot_denied(emulator, seed)


def the_servers_owner(emulator: Emulator, seed: DefaultWorld) -> None:
    """The server's owner may do anything, whatever the channel's overwrites say."""
    seed.guild.owner_id = seed.bot.id
    the_bot_denied(emulator, seed)


@pytest.mark.parametrize(
    ("setup", "reads"),
    [
        (as_set_up, True),
        (everyone_denied, False),
        (everyone_denied_the_bots_role_allowed, True),
        (one_role_denied_another_allowed, True),
        (the_role_denied_the_bot_allowed, True),
        (the_bot_denied, False),
        (no_role_gives_it, False),
        (an_administrator, True),
        (the_servers_owner, True),
    ],
    ids=lambda value: value.__name__.replace("_", " ") if callable(value) else None,
)
async def test_the_bots_permissions_in_a_channel_are_discords(
    emulator: Emulator, seed: DefaultWorld, client: discord.Client, setup: Setup, reads: bool
) -> None:
    setup(emulator, seed)

    async def call(what: str, request: Callable[[], Awaitable[Any]], **_: object) -> Any:
        return await request()

    permissions = await channel_permissions(call, client.http, seed.general.id, seed.bot.id)

    assert permissions.read_message_history is reads
    discords = emulator.world.permissions(seed.general, seed.bot.id)
    assert permissions.value & MODELLED == discords & MODELLED
