"""The Discord side of newsbot: the Bot subclass, built with its services passed in."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import signal
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.archive import Archive
from bot.errors import NewsbotError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.publishing.outbox import Outbox
    from bot.scheduled import ScheduledPublishing

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.reader", "cogs.newsletter", "cogs.suggestions")
NO_MENTIONS = discord.AllowedMentions.none()
SORRY = "Sorry, something went wrong on our side. It has been logged; please try again later."
COMMANDS_HASH_KEY = "discord.commands_hash"


def use_endpoints(api_base: str, gateway_url: str) -> None:
    """Point discord.py at a Discord API (the real one, a REST proxy or the emulator).

    discord.py keeps both as class attributes, so this is process-wide; it is called once by
    whoever builds the bot, never at import time.
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents(settings: Settings | None = None) -> discord.Intents:
    """The least newsbot needs: guilds (for channels and permissions).

    With `discord.message_content`, also guild messages and their content (a privileged
    intent), so links in replies in newsbot's threads become suggestions.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    if settings is not None and settings.discord.message_content:
        wanted.guild_messages = True
        wanted.message_content = True
    return wanted


class Newsbot(commands.Bot):
    """newsbot on Discord: reader commands now, publishing and suggestions as they land."""

    def __init__(
        self,
        *,
        settings: Settings,
        archive: Archive,
        sync_on_start: bool = True,
        guild_ready_timeout: float = 2.0,
        outbox: Outbox | None = None,
    ) -> None:
        known_id = settings.discord.application_id
        extra: dict[str, Any] = {"application_id": known_id} if known_id else {}
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(settings),
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
            **extra,
        )
        self.settings = settings
        self.archive = archive
        self.sync_on_start = sync_on_start
        # Publishes issues; when None, the newsletter cog builds one on this bot's client.
        self.outbox = outbox
        # Publishes on the schedule; `newsbot run` sets it, tests and the sync command do not.
        self.scheduled: ScheduledPublishing | None = None

    async def setup_hook(self) -> None:
        """Load the cogs, sync the commands if they changed, and start the schedule."""
        self.tree.error(self.on_app_command_error)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.sync_on_start:
            await self.sync_commands()
        if self.scheduled is not None:
            self.scheduled.start()

    async def close(self) -> None:
        """Stop the schedule (a publish in progress finishes or stays resumable), then Discord."""
        if self.scheduled is not None:
            await self.scheduled.stop()
        await super().close()

    def _guild(self) -> discord.Object | None:
        dev_guild = self.settings.discord.dev_guild
        return discord.Object(dev_guild) if dev_guild else None

    def commands_payload(self) -> list[dict[str, Any]]:
        """The commands as Discord will receive them, in a stable order."""
        guild = self._guild()
        commands_ = self.tree.get_commands(guild=guild)
        if guild is not None:
            commands_ = [*commands_, *self.tree.get_commands()]
        payload = [command.to_dict(self.tree) for command in commands_]
        return sorted(payload, key=lambda c: (c.get("type", 1), c["name"]))

    def commands_hash(self) -> str:
        """A fingerprint of the command set, to skip syncs that would change nothing."""
        text = json.dumps(self.commands_payload(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync commands to Discord when they changed (or `force`); return whether it synced.

        Discord allows 200 command creates a day per server, so unchanged sets are not re-sent.
        """
        guild = self._guild()
        scope = f"{COMMANDS_HASH_KEY}:{self.application_id}:{guild.id if guild else 'global'}"
        digest = self.commands_hash()
        if not force and await self.archive.get_state(scope) == digest:
            log.info("commands unchanged since the last sync; not syncing")
            return False
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        await self.archive.set_state(scope, digest)
        log.info("synced %d commands to %s", len(synced), f"guild {guild.id}" if guild else "all")
        return True

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Answer every failed command kindly and privately; log what is a bug."""
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, NewsbotError):
            message = str(original)
        elif isinstance(error, app_commands.MissingPermissions):
            message = "You need the Manage Server permission to use this command."
        elif isinstance(error, app_commands.CheckFailure):
            message = "You can't use this command here."
        else:
            log.error(
                "command %r failed (user %s, guild %s, channel %s)",
                interaction.command.qualified_name if interaction.command else "?",
                interaction.user.id,
                interaction.guild_id,
                interaction.channel_id,
                exc_info=original,
            )
            message = SORRY
        await reply(interaction, message)


async def run_bot(settings: Settings, token: str) -> None:
    """Run everything until stopped: the bot, its commands, the schedule, Discord and X.

    SIGTERM and SIGINT close it cleanly: the schedule stops first, a publish in progress
    finishes or is left resumable, then Discord disconnects and the archive is closed.
    """
    from bot.publishing.outbox import Outbox
    from bot.publishing.outlets.discord_outlet import DiscordOutlet, Pacer
    from bot.publishing.outlets.x import x_outlet
    from bot.publishing.service import Publisher, tell_alerts_channels
    from bot.scheduled import ScheduledPublishing
    from bot.scheduler import zone

    use_endpoints(str(settings.discord.api_base), str(settings.discord.gateway_url))
    if settings.discord.message_content:
        log.info("message content intent on: links in replies in newsbot's threads are suggestions")
    else:
        log.info(
            "message content intent off (discord.message_content): links in replies are not "
            'captured; only /suggest and the "Suggest for the newsletter" menu work'
        )
    async with contextlib.AsyncExitStack() as stack:
        # Readers' queries read a publish_at without an offset in the schedule's zone.
        archive = await stack.enter_async_context(
            await Archive.open(settings.archive.path, zone=zone(settings))
        )
        x = None
        if settings.x.configured():
            x = await stack.enter_async_context(x_outlet(settings.x))
        else:
            log.warning(
                "X is not configured (set the four NEWSBOT_X__… keys): publishing to Discord only"
            )
        bot = Newsbot(settings=settings, archive=archive)
        discord_outlet = DiscordOutlet(bot, pacer=Pacer(settings.publishing.requests_per_second))
        bot.outbox = Outbox.for_settings(archive, discord_outlet, settings)

        async def alert(text: str) -> None:
            await tell_alerts_channels(archive, settings, discord_outlet, text)

        publisher = Publisher(archive, settings, discord=discord_outlet, x=x, alert=alert)
        bot.scheduled = ScheduledPublishing(
            archive, settings, publisher, ready=bot.wait_until_ready, alert=alert
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
        try:
            async with bot:
                await bot.start(token)
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            # Commands being answered finish before the archive they read is closed.
            await _drain(HANDLER_GRACE)
    log.info("newsbot stopped")


HANDLER_GRACE = 5.0
"""Seconds the commands still being answered at a stop get to finish."""


async def _drain(grace: float) -> None:
    """Wait up to `grace` seconds for the loop's other tasks, then cancel what is left."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    if not others:
        return
    _, pending = await asyncio.wait(others, timeout=grace)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)


async def sync_only(settings: Settings, token: str) -> int:
    """Log in over REST only, sync the commands, and return how many Discord now has."""
    use_endpoints(str(settings.discord.api_base), str(settings.discord.gateway_url))
    async with await Archive.open(settings.archive.path) as archive:
        bot = Newsbot(settings=settings, archive=archive, sync_on_start=False)
        async with bot:
            await bot.login(token)
            await bot.sync_commands(force=True)
            return len(bot.commands_payload())


async def reply(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Answer privately, whether or not the interaction was already answered or deferred."""
    kwargs.setdefault("allowed_mentions", NO_MENTIONS)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)
