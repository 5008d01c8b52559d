"""A subscribed channel deleted on Discord is forgotten: Discord offers only existing channels
to /newsletter unsubscribe, so no manager could name it any more, and every publish would fail
there, alerting each time."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from bot.app import Newsbot

log = logging.getLogger(__name__)


class DeletedChannels(commands.Cog):
    """Forgets the subscriptions of channels deleted on Discord, as it says so, or, for one
    deleted while the bot was away, when the server is back: Discord then lists every channel
    of the server to the bot, those it may not view too (channel.mdx, Threads: "Unlike with
    channels, the API will only sync updates to users about threads the current user can
    view"), so a channel made private is not taken for a deleted one."""

    def __init__(self, bot: Newsbot) -> None:
        self.archive = bot.archive

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A channel was deleted: a deleted channel never comes back (its id is not reused)."""
        await self._forget(channel.guild, [channel.id])

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """The server is known whole again: at connecting, and after an outage."""
        await self._forget_missing(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """The bot was invited back: channels deleted while it was out are forgotten."""
        await self._forget_missing(guild)

    async def _forget_missing(self, guild: discord.Guild) -> None:
        if guild.unavailable:
            return
        subscribed = await self.archive.subscriptions.list(guild_id=guild.id)
        await self._forget(
            guild, [s.channel_id for s in subscribed if guild.get_channel(s.channel_id) is None]
        )

    async def _forget(self, guild: discord.Guild, channel_ids: list[int]) -> None:
        for channel_id in channel_ids:
            if await self.archive.subscriptions.remove(channel_id):
                log.warning(
                    "channel %s in server %s was deleted on Discord: issues are no longer "
                    "posted there",
                    channel_id,
                    guild.id,
                )
