"""What the bot may do in a channel, worked out from what Discord's REST API tells: newsbot
publishes with a client logged in over REST only, which keeps no server, role or member to
ask discord.py (its `permissions_for` needs the gateway's cache).

Needed where Discord's answer does not tell: Get Channel Messages answers an empty list,
not an error, when the bot lacks Read Message History (message.mdx, Get Channel Messages:
"If the current user is missing the READ_MESSAGE_HISTORY permission in the channel, then no
messages will be returned"), which reads just like a channel with nothing to find.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

import discord
from discord.http import HTTPClient

ROLE, MEMBER = 0, 1
"""The types of a channel's permission overwrite: for a role, for one member."""


async def channel_permissions(
    call: Callable[..., Awaitable[Any]], http: HTTPClient, channel: int, me: int
) -> discord.Permissions:
    """The bot's (`me`'s) permissions in `channel`, and so in its threads (which "inherit
    permissions from the parent channel", threads.mdx › Permissions): its overwrites, the
    server's roles and the bot's, each read through `call` (the outlet's, as a lookup)."""
    data = await call(
        "read the channel's permissions", partial(http.get_channel, channel), lookup=True
    )
    guild = int(data["guild_id"])
    server = await call(
        "read the server's roles", partial(http.get_guild, guild, with_counts=False), lookup=True
    )
    member = await call("read the bot's roles", partial(http.get_member, guild, me), lookup=True)
    return discord.Permissions(permissions_in(data, server, member, me))


def permissions_in(
    channel: Mapping[str, Any], guild: Mapping[str, Any], member: Mapping[str, Any], me: int
) -> int:
    """The permissions of the member `me` (`member`: its roles) in `channel` of `guild`, as
    Discord works them out (its Permissions topic, "Permission Overwrites"): the server's owner
    and an administrator may do anything; else @everyone's and the member's roles' permissions,
    then the channel's overwrites: @everyone's, the roles' together, the member's own."""
    if str(guild.get("owner_id")) == str(me):
        return int(discord.Permissions.all().value)
    everyone = str(guild["id"])
    roles = {str(role["id"]): int(role["permissions"]) for role in guild.get("roles", [])}
    mine = [str(role) for role in member.get("roles", [])]
    allowed = roles.get(everyone, 0)
    for role in mine:
        allowed |= roles.get(role, 0)
    if discord.Permissions(allowed).administrator:
        return int(discord.Permissions.all().value)
    overwrites = {
        (int(o["type"]), str(o["id"])): (int(o["allow"]), int(o["deny"]))
        for o in channel.get("permission_overwrites", [])
    }
    allow, deny = overwrites.get((ROLE, everyone), (0, 0))
    allowed = (allowed & ~deny) | allow
    allow = deny = 0
    for role in mine:
        role_allow, role_deny = overwrites.get((ROLE, role), (0, 0))
        allow, deny = allow | role_allow, deny | role_deny
    allowed = (allowed & ~deny) | allow
    allow, deny = overwrites.get((MEMBER, str(me)), (0, 0))
    return (allowed & ~deny) | allow
