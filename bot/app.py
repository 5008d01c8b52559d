"""The Discord side of newsbot: the Bot subclass, built with its services passed in."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import hashlib
import importlib
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot import stopping
from bot.errors import ConfigError, NewsbotError
from bot.network import connection_reason, shown_url
from bot.publishing.outlets.discord_client import bound_requests, client_options, watch_tries
from bot.render.discord import CONTENT_MAX
from bot.render.text import literal_but_code
from bot.settings import Settings
from bot.store import Archive
from bot.workers import lease, running

if TYPE_CHECKING:
    from bot.schedule.jobs import ScheduledPublishing
    from bot.wiring import Services

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.reader", "cogs.newsletter", "cogs.suggestions")
"""The packages of the cogs; each one's `setup(bot)` adds its own."""
NO_MENTIONS = discord.AllowedMentions.none()
SORRY = "Sorry, something went wrong on our side. It has been logged; please try again later."
COMMANDS_HASH_KEY = "discord.commands_hash"
COMMANDS_SYNC_LEASE = "discord.commands_sync"
COMMANDS_SYNC_SECONDS = 60.0
"""How long one process may take to sync before another may; a sync takes a second or two."""
TOKEN_REFUSED = (
    "Discord refused the token (NEWSBOT_DISCORD__TOKEN): check it is the bot's current token"
)
INTENT_REFUSED = (
    "Discord refused the Message Content intent that discord.message_content = true asks for"
    " (close code 4014): turn it on for this bot at https://discord.com/developers/applications"
    " → your application → Bot → Privileged Gateway Intents → Message Content, or set"
    " discord.message_content = false (readers then suggest links with /suggest and the menu)"
)
SHARDS_REFUSED = {
    4010: "Discord refused the shard newsbot connected as (close code 4010): check "
    "discord.shard_count and discord.shard_ids",
    4011: "Discord requires sharding: the bot is in too many servers for one connection "
    "(close code 4011). Set discord.shard_count (and discord.shard_ids per process); "
    "the README's Deploying part shows how",
}


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


class NewsbotTree(app_commands.CommandTree["Newsbot"]):
    """The slash commands and menus; each command's task notes what it answers."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let every interaction through, noting it for the log should a stop cut it short."""
        command = interaction.command
        name = command.qualified_name if command is not None else "?"
        where = f"user {interaction.user.id}, channel {interaction.channel_id}"
        stopping.note(f'"{name}" ({where})')
        return True


class Newsbot(commands.Bot):
    """newsbot on Discord: reader commands now, publishing and suggestions as they land."""

    def __init__(
        self,
        *,
        settings: Settings,
        archive: Archive,
        sync_on_start: bool = True,
        guild_ready_timeout: float | None = None,
    ) -> None:
        known_id = settings.discord.application_id
        extra: dict[str, Any] = {"application_id": known_id} if known_id else {}
        extra |= self._shard_options(settings)
        # The cap `newsbot publish` keeps applies here too: a scheduled publish goes through
        # this client, and sleeping out a 15-minute rate limit would outlast its claim's lease
        # and the stop grace, silently; past `max_wait` it defers the rest, as the CLI does.
        # Readers' answers are not slowed by it: interaction responses go through discord.py's
        # webhook adapter, which keeps its own limits; another call of a command meeting such a
        # limit fails, and the reader is asked to try again, rather than answered much later.
        extra |= client_options(settings.publishing.max_wait)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(settings),
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            tree_cls=NewsbotTree,
            # How long discord.py waits for one more server before `ready` (None: the setting's).
            guild_ready_timeout=(
                settings.discord.guild_ready_timeout
                if guild_ready_timeout is None
                else guild_ready_timeout
            ),
            **extra,
        )
        bound_requests(self.http, settings.publishing.request_timeout)
        watch_tries(self.http)
        self.settings = settings
        self.archive = archive
        self.sync_on_start = sync_on_start
        # What the cogs work with; `bot.wiring.build` makes it on this bot, then it is set here.
        self.services: Services | None = None
        # Publishes on the schedule; `newsbot run` sets it, tests and the sync command do not.
        self.scheduled: ScheduledPublishing | None = None

    async def setup_hook(self) -> None:
        """Load the cogs, sync the commands if they changed, and start the schedule."""
        self.tree.error(self.on_app_command_error)
        for extension in EXTENSIONS:
            # Imported as any module is, once a process: discord.py's `load_extension` runs the
            # package and every module under it again at each start (and drops them from
            # `sys.modules` at close), which a process starting bot after bot pays each time.
            await importlib.import_module(extension).setup(self)
        if self.sync_on_start:
            await self.sync_commands()
        if self.scheduled is not None:
            self.scheduled.start()

    async def close(self) -> None:
        """Stop the schedule (a publish in progress gets `publishing.stop_grace` seconds, then
        stays resumable) and let the commands being answered finish (`ANSWER_GRACE`), both at
        once; then Discord disconnects."""
        if self.scheduled is not None:
            await asyncio.gather(self.scheduled.stop(), self._finish_answers())
        else:
            await self._finish_answers()
        # No longer among the processes publishing: one starting now takes the whole rate.
        # (Only sooner than its lease lapses: with the archive closed, it is left to lapse.)
        outlet = self.services.discord if self.services is not None else None
        if outlet is not None and not self.archive.closed:
            await outlet.pacer.close()
        await super().close()

    async def _finish_answers(self) -> None:
        await stopping.finish_or_cut(
            stopping.answering(), stopping.ANSWER_GRACE, "answering in the middle"
        )

    def _shard_options(self, settings: Settings) -> dict[str, Any]:
        """What discord.py is told about shards: nothing, for one unsharded connection."""
        return {}

    def is_connected(self) -> bool:
        """Whether the gateway websocket is open (not logging in, connecting or backing off)."""
        return self.ws is not None and self.ws.open

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

        Discord allows 200 command creates a day per server, so unchanged sets are not re-sent;
        of several processes sharing the archive, the one holding the sync lease sends them. It
        is given up once they are sent, and taken over from a process of this host that ended
        holding it: a newsbot started again within the minute (an upgrade, a crash) sends its
        own commands instead of leaving Discord with the ones before.
        """
        guild = self._guild()
        where = f"{self.application_id}:{guild.id if guild else 'global'}"
        scope = f"{COMMANDS_HASH_KEY}:{where}"
        digest = self.commands_hash()
        if force:
            return await self._sync(guild, scope, digest)
        if await self.archive.state.get(scope) == digest:
            log.info("commands unchanged since the last sync; not syncing")
            return False
        name = f"{COMMANDS_SYNC_LEASE}:{where}"
        async with lease(self.archive.state, name, COMMANDS_SYNC_SECONDS) as held:
            if not held:
                log.info("another newsbot process is syncing the commands; not syncing")
                return False
            if await self.archive.state.get(scope) == digest:  # another has just sent them
                log.info("commands unchanged since the last sync; not syncing")
                return False
            return await self._sync(guild, scope, digest)

    async def _sync(self, guild: discord.Object | None, scope: str, digest: str) -> bool:
        """Send the commands to Discord (to `guild`, else globally); keep their `digest`."""
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        await self.archive.state.set(scope, digest)
        log.info("synced %d commands to %s", len(synced), f"guild {guild.id}" if guild else "all")
        return True

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Answer every failed command kindly and privately; log what is a bug."""
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        explained = told(original)
        if explained is not None:
            message = explained
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


class ShardedNewsbot(Newsbot, commands.AutoShardedBot):
    """newsbot connecting exactly the shards `discord.shard_ids` names, each its own websocket.

    Discord sends each shard the events of the servers `(guild_id >> 22) % shard_count` maps
    to it, so this process answers the readers of those servers only.
    """

    def _shard_options(self, settings: Settings) -> dict[str, Any]:
        shards = settings.discord.shards() or (0,)
        return {"shard_count": settings.discord.shard_count or 1, "shard_ids": list(shards)}

    def is_connected(self) -> bool:
        """Whether every shard's websocket is open."""
        shards = self.shards.values()
        return bool(shards) and not any(shard.is_closed() for shard in shards)


def newsbot(
    *,
    settings: Settings,
    archive: Archive,
    sync_on_start: bool = True,
    guild_ready_timeout: float | None = None,
) -> Newsbot:
    """The bot for these settings: sharded when `discord.shard_count` is set, else not."""
    kind = Newsbot if settings.discord.shards() is None else ShardedNewsbot
    return kind(
        settings=settings,
        archive=archive,
        sync_on_start=sync_on_start,
        guild_ready_timeout=guild_ready_timeout,
    )


async def run_bot(settings: Settings, token: str) -> None:
    """Run everything until stopped: the bot, its commands, the schedule, Discord and X.

    SIGTERM and SIGINT close it cleanly: the schedule stops first, a publish in progress
    finishes or is left resumable, then Discord disconnects and the archive is closed.
    """
    from bot.publishing.catalogue import THREAD_OUTLETS
    from bot.publishing.outlets.discord_alerts import where_editors_hear
    from bot.publishing.restored import restored_through
    from bot.schedule.jobs import ScheduledPublishing
    from bot.schedule.triggers import zone
    from bot.wiring import build

    use_endpoints(str(settings.discord.api_base), str(settings.discord.gateway_url))
    if settings.discord.message_content:
        log.info("message content intent on: links in replies in newsbot's threads are suggestions")
    else:
        log.info(
            "message content intent off (discord.message_content): links in replies are not "
            'captured; only /suggest and the "Suggest for the newsletter" menu work'
        )
    shards = settings.discord.shards()
    if shards is not None:
        log.info(
            "connecting shard(s) %s of %d",
            ", ".join(map(str, shards)),
            settings.discord.shard_count,
        )
    async with contextlib.AsyncExitStack() as stack:
        # Readers' queries read a publish_at without an offset in the schedule's zone.
        archive = await stack.enter_async_context(
            await Archive.open(settings.archive.location(), zone=zone(settings))
        )
        # `newsbot status` tells whether newsbot runs, and since when, by this lease.
        await stack.enter_async_context(running(archive.state, dt.datetime.now(dt.UTC)))
        # A backup installed in the archive's place is marked restored now, as it starts.
        await restored_through(archive, settings.issues.directory)
        threads = []
        for known in THREAD_OUTLETS:
            if known.configured(settings):
                threads.append(await stack.enter_async_context(known.opened(settings)))
            else:
                log.warning("%s: not publishing there", known.not_configured)
        bot = newsbot(settings=settings, archive=archive)
        bot.services = build(settings, archive, discord=bot, threads=threads)
        log.log(*where_editors_hear(settings.discord))
        bot.scheduled = ScheduledPublishing(bot.services, ready=bot.wait_until_ready)
        with stopping.StopSignals() as stop:
            await serve_until_stopped(bot, token, stop.requested, settle=True)
    log.info("newsbot stopped")


async def settle_after_start() -> None:
    """Leave what starting built out of later garbage collections (run on connecting).

    The modules, the cogs and discord.py's commands live as long as the process: a full
    collection walked them all (45 ms at a time) in the middle of a burst of readers. It runs
    when the gateway connects, not on discord.py's ready, which waits two seconds after the
    last server arrives while readers are already being answered.
    """
    gc.collect()
    gc.freeze()
    log.debug("%d objects built at start left out of garbage collection", gc.get_freeze_count())


def _gateway_unreached(bot: Newsbot, exc: BaseException) -> NewsbotError | None:
    """`cannot reach Discord's gateway at URL: why`, when the connection ended before the
    gateway was ever reached for a network reason (discord.py then fails on its own reconnect
    with an AttributeError, the refused connection in its context); else None."""
    if bot.user is None or bot.ws is not None:  # not logged in (REST), or reached it once
        return None
    seen: BaseException | None = exc
    while seen is not None:
        reason = connection_reason(seen)
        if reason is not None:
            where = shown_url(bot.settings.discord.gateway_url)
            return NewsbotError(f"cannot reach Discord's gateway at {where}: {reason}")
        seen = seen.__cause__ or seen.__context__
    return None


async def serve_until_stopped(
    bot: Newsbot, token: str, stop: asyncio.Event, *, settle: bool = False
) -> None:
    """Log in and serve until `stop` is set, then close everything within `stop_grace` + 5 s.

    A stop while logging in or reconnecting interrupts it at once; a publish in progress gets
    `publishing.stop_grace` seconds and the commands being answered `ANSWER_GRACE`, together;
    whatever the bot started that still runs after it has closed is cancelled and named in
    the log (what ran before, such as the archive's connection pool, its owner closes after).
    With `settle`, what starting built is left out of garbage collection on first connecting
    (for a process that serves until it ends: `newsbot run`).
    """
    if settle:

        async def settle_once() -> None:
            # Once: what a reconnect finds alive (readers' commands) is not start-up's.
            bot.remove_listener(settle_once, "on_connect")
            await settle_after_start()

        bot.add_listener(settle_once, "on_connect")
    before = asyncio.all_tasks()
    connection = asyncio.create_task(bot.start(token), name="the Discord connection")
    requested = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({connection, requested}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        requested.cancel()
    if not stop.is_set():
        # Discord ended it (a refused token or intent): close, then report why.
        await bot.close()
        try:
            connection.result()
        except discord.LoginFailure:
            raise ConfigError(TOKEN_REFUSED) from None
        except discord.PrivilegedIntentsRequired:
            raise ConfigError(INTENT_REFUSED) from None
        except discord.ConnectionClosed as exc:
            if exc.code in SHARDS_REFUSED:
                raise ConfigError(SHARDS_REFUSED[exc.code]) from None
            raise
        except Exception as exc:
            unreached = _gateway_unreached(bot, exc)
            if unreached is None:
                raise
            raise unreached from None
        return
    if not bot.is_connected():
        # Logging in, or sleeping in discord.py's reconnect backoff: nothing to wait for.
        await stopping.cut_short(
            [connection], "connecting to Discord", level=logging.INFO, name_them=False
        )
    closing = asyncio.create_task(bot.close(), name="newsbot's close")
    grace = max(bot.settings.publishing.stop_grace, stopping.ANSWER_GRACE)
    await stopping.finish_or_cut([closing], grace + stopping.CLOSE_MARGIN, "closing newsbot")
    if closing.cancelled():
        await bot.http.close()  # the close was cut before discord.py closed its session
    # A reconnect begun during the grace, buttons' timeouts, title fetches: nothing to keep.
    await stopping.cut_short(
        [connection], "reconnecting to Discord", level=logging.INFO, name_them=False
    )
    others = [task for task in asyncio.all_tasks() - before if task is not asyncio.current_task()]
    await stopping.cut_short(others, "what was left", level=logging.DEBUG)
    if connection.done() and not connection.cancelled() and connection.exception() is not None:
        log.info("the Discord connection ended at the stop: %s", connection.exception())


async def sync_only(settings: Settings, token: str) -> int:
    """Log in over REST only, sync the commands, and return how many Discord now has."""
    from bot.wiring import build

    use_endpoints(str(settings.discord.api_base), str(settings.discord.gateway_url))
    async with await Archive.open(settings.archive.location()) as archive:
        bot = newsbot(settings=settings, archive=archive, sync_on_start=False)
        bot.services = build(settings, archive, discord=bot)
        async with bot:
            try:
                await bot.login(token)
            except discord.LoginFailure:
                raise ConfigError(TOKEN_REFUSED) from None
            await bot.sync_commands(force=True)
            return len(bot.commands_payload())


def told(error: BaseException) -> str | None:
    """What the person whose command or button met `error` is told of it, when it is a mistake
    newsbot explains (a `NewsbotError`: the archive out of reach, an issue it does not have):
    its message, written as plain text (a path, a reader's words), not as Markdown. None for
    newsbot's own bug, which gets `SORRY`."""
    if isinstance(error, NewsbotError):
        return literal_but_code(str(error), CONTENT_MAX)
    return None


async def reply(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Answer privately, whether or not the interaction was already answered or deferred."""
    kwargs.setdefault("allowed_mentions", NO_MENTIONS)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)
