"""What a server changes, the subscriptions follow: a deleted channel is no longer published
to, a deleted role no longer pinged or handed out, and a channel made an announcement channel
(or a text one again) gets the threads its kind takes.

Discord offers only existing channels to /newsletter unsubscribe, so no manager could name a
deleted one any more, and every publish would fail there, alerting each time; a deleted role
would show in each digest as "@deleted-role", over a *Notify me* button that can give nothing.
Neither ever comes back: Discord does not reuse ids. A text channel's threads are refused in
an announcement channel, and the other way round (Start Thread without Message: announcement
threads only there), so every publish would fail in a converted channel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.models import Subscription
from cogs.newsletter._channels import kind_of

if TYPE_CHECKING:
    from bot.app import Newsbot

log = logging.getLogger(__name__)


class ServerChanges(commands.Cog):
    """Follows the channels and roles a server changed or deleted, as Discord says so, or, for
    those changed while the bot was away, when the server is back: Discord then lists every channel
    of the server to the bot, those it may not view too (channel.mdx, Threads: "Unlike with
    channels, the API will only sync updates to users about threads the current user can
    view"), so a channel made private is not taken for a deleted one."""

    def __init__(self, bot: Newsbot) -> None:
        self.archive = bot.archive

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A channel was deleted."""
        await self._forget(channel.guild, channels={channel.id}, roles=set())

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, channel: discord.abc.GuildChannel
    ) -> None:
        """A channel changed: made an announcement channel, or a text one again (other
        changes, a topic, a position, cost no look in the archive)."""
        if kind_of(before) != kind_of(channel):
            await self._follow_kinds(channel.guild, [channel])

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        """A role was deleted."""
        await self._forget(role.guild, channels=set(), roles={role.id})

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """The server is known whole again: at connecting, and after an outage."""
        await self._forget_missing(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """The bot was invited back: what was deleted while it was out is forgotten."""
        await self._forget_missing(guild)

    async def _forget_missing(self, guild: discord.Guild) -> None:
        if guild.unavailable:
            return
        await self._follow_kinds(guild, guild.channels)
        channels: set[int] = set()
        roles: set[int] = set()
        for subscription in await self.archive.subscriptions.list(guild_id=guild.id):
            channels.add(subscription.channel_id)
            if subscription.alerts_channel_id is not None:
                channels.add(subscription.alerts_channel_id)
            if subscription.role_id is not None:
                roles.add(subscription.role_id)
        await self._forget(
            guild,
            channels={c for c in channels if guild.get_channel(c) is None},
            roles={r for r in roles if guild.get_role(r) is None},
        )

    async def _follow_kinds(
        self, guild: discord.Guild, channels: Sequence[discord.abc.GuildChannel]
    ) -> None:
        """Keep each subscribed channel's kind as it is now on Discord."""
        subscribed: dict[int, Subscription] = {
            s.channel_id: s for s in await self.archive.subscriptions.list(guild_id=guild.id)
        }
        for channel in channels:
            subscription = subscribed.get(channel.id)
            kind = kind_of(channel)
            if subscription is None or kind is None or kind == subscription.kind:
                continue
            await self.archive.subscriptions.add(replace(subscription, kind=kind))
            log.info(
                "channel %s in server %s is now of kind %s: issues are posted there as such",
                channel.id,
                guild.id,
                kind,
            )

    async def _forget(self, guild: discord.Guild, *, channels: set[int], roles: set[int]) -> None:
        """Stop publishing to the deleted `channels`, alerting in them, and pinging `roles`."""
        for subscription in await self.archive.subscriptions.list(guild_id=guild.id):
            where = subscription.channel_id
            if where in channels:
                if await self.archive.subscriptions.remove(where):
                    log.warning(
                        "channel %s in server %s was deleted on Discord: issues are no longer "
                        "posted there",
                        where,
                        guild.id,
                    )
                continue
            kept = replace(
                subscription,
                role_id=None if subscription.role_id in roles else subscription.role_id,
                alerts_channel_id=(
                    None
                    if subscription.alerts_channel_id in channels
                    else subscription.alerts_channel_id
                ),
            )
            if kept == subscription:
                continue
            await self.archive.subscriptions.add(kept)
            if kept.role_id != subscription.role_id:
                log.warning(
                    "role %s in server %s was deleted on Discord: the digests in channel %s "
                    "no longer ping a role",
                    subscription.role_id,
                    guild.id,
                    where,
                )
            if kept.alerts_channel_id != subscription.alerts_channel_id:
                log.warning(
                    "alerts channel %s in server %s was deleted on Discord: problems "
                    "publishing in channel %s are only logged now",
                    subscription.alerts_channel_id,
                    guild.id,
                    where,
                )
