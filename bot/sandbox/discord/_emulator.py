"""The emulator: one aiohttp server with Discord's REST API v10 and gateway on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from bot.sandbox._openapi import SpecCheck
from bot.sandbox._server import LoopbackServer
from bot.sandbox._violations import Violations

from ._commands import Command, CommandRegistry
from ._config import EmulatorConfig
from ._discordpy import DiscordEndpoints
from ._faults import Fault
from ._gateway import Gateway
from ._interactions import Interactions
from ._messages import Messaging
from ._models import Channel, Guild, Message, Overwrite, User
from ._ratelimit import RateLimiter
from ._reader import ReaderActions
from ._rest import API_PREFIX, RequestRecord, RestAPI
from ._seed import DefaultWorld, seed_default_world
from ._spec import discord_body, discord_document, discord_refusal, discord_union
from ._world import World

T = TypeVar("T")
GATEWAY_PATH = "/gateway-ws"
RESUME_PATH = "/gateway-ws/resume"
ATTACHMENTS_PATH = "/attachments/"
OWN_ROUTES = {
    GATEWAY_PATH: "the gateway is a websocket, which the HTTP API's document does not cover",
    ATTACHMENTS_PATH: "uploaded files come from Discord's CDN, not from the HTTP API",
}
"""Routes the emulator serves outside Discord's HTTP API: exempt from the spec check."""


class Emulator(LoopbackServer, ReaderActions):
    """A loopback Discord: REST API v10, gateway, interactions, rate limits, faults.

    Without a ``world`` it builds the default one (see ``seed_default_world``), reachable
    as ``emulator.seed``. ``async with Emulator(...) as emu`` starts and stops it.
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        config: EmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.violations = Violations()
        self.config = config or EmulatorConfig()
        self.seed: DefaultWorld | None = None
        if world is None:
            world = World()
            self.seed = seed_default_world(world)
        self.world = world
        super().__init__(host, port)
        self.messaging = Messaging(world, self.config)
        self.commands = CommandRegistry(
            world.snowflakes, world.application.id, on_change=world.changed.notify
        )
        self.interactions = Interactions(world, self.messaging, self.config)
        self.limiter = RateLimiter(self.config)
        self.gateway = Gateway(world, self.config)
        world.events = self.gateway
        self.rest = RestAPI(
            world,
            self.config,
            self.messaging,
            self.interactions,
            self.commands,
            self.limiter,
            lambda: self.gateway_url,
            violations=self.violations,
        )
        self.spec_check = SpecCheck(
            discord_document(),
            self.violations,
            discord_body,
            discord_refusal(self.rest.requests.append),
            OWN_ROUTES,
            discord_union(world),
        )

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> Emulator:
        """Bind ``host:port`` (port 0 picks a free one) and start serving."""
        app = web.Application(middlewares=[self.spec_check.middleware])
        # Once the server stops listening (so clients told to go away cannot come straight
        # back), and before it waits for its handlers to end.
        app.on_shutdown.append(self._close_gateway)
        app.router.add_get(GATEWAY_PATH, self.gateway.handle)
        app.router.add_get(RESUME_PATH, self.gateway.handle)
        self.rest.install(app)
        await self._serve(app)
        self.messaging.attachment_base = self.url
        self.gateway.url = self.gateway_url
        self.gateway.resume_url = f"ws://{self.host}:{self._bound_port}{RESUME_PATH}"
        return self

    async def close(self) -> None:
        """Answer the requests held by faults, close every gateway connection, stop the server."""
        for fault in self.rest.faults:
            fault.release()
        await super().close()

    async def _close_gateway(self, _: web.Application) -> None:
        await self.gateway.close_all()

    # -- where it is -------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """The value for ``discord.http.Route.BASE`` (``…/api/v10``)."""
        return self.url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (``ws://…``)."""
        return f"ws://{self.host}:{self._bound_port}{GATEWAY_PATH}" if self._bound_port else ""

    @property
    def endpoints(self) -> DiscordEndpoints:
        """Both URLs (``api_base``, ``gateway_url``), e.g. for newsbot's settings."""
        return DiscordEndpoints(api_base=self.api_base, gateway_url=self.gateway_url)

    @property
    def token(self) -> str:
        """The bot token the emulator accepts."""
        return self.config.token

    # -- what happened -----------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every REST request answered so far, in order."""
        return self.rest.requests

    def rate_limit_tally(self, token: str | None = None) -> tuple[int, int]:
        """(requests counted, 429s answered) for a bot token (default: the emulator's), over
        every connection and process that used it."""
        key = f"Bot {token or self.token}"
        return self.limiter.requests_by_token[key], self.limiter.rejections_by_token[key]

    def requests_to(self, method: str, route: str) -> list[RequestRecord]:
        """The recorded requests with this method and route template."""
        return [r for r in self.rest.requests if r.method == method and r.route == route]

    def unhandled_requests(self) -> list[RequestRecord]:
        """Requests to routes the emulator does not implement (answered 404)."""
        return [r for r in self.rest.requests if r.route is None]

    def synced_commands(self, guild: Guild | None = None) -> list[Command]:
        """The global commands, or ``guild``'s, as the bot last registered them."""
        return self.commands.all(guild.id if guild else None)

    async def wait_until(self, check: Callable[[], T | None], *, timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until ``check()`` returns something other than None (re-checked on every change)."""
        return await self.world.changed.wait_for(check, timeout, "the condition")

    def messages_in(self, channel: Channel) -> list[Message]:
        """The channel's live messages, oldest first."""
        return channel.live_messages()

    # -- making things go wrong --------------------------------------------------------

    def inject(
        self,
        method: str,
        route: str,
        status: int = 429,
        times: int = 1,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
        after_handler: bool = False,
        hang: bool = False,
        skip: int = 0,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` (see ``Fault``), after
        letting ``skip`` through; with ``hang``, hold them unanswered until ``fault.release()``
        or the emulator closes."""
        fault = Fault(
            method=method.upper(),
            route=route,
            status=status,
            times=times,
            retry_after=retry_after,
            is_global=is_global,
            after_handler=after_handler,
            hang=hang,
            skip=skip,
        )
        self.rest.faults.append(fault)
        return fault

    def deny(self, channel: Channel, permissions: int, *, user: User | None = None) -> None:
        """Deny ``permissions`` to ``user`` (default: the bot) in ``channel`` by overwrite."""
        self._overwrite(channel, user, allow=0, deny=permissions)

    def allow(self, channel: Channel, permissions: int, *, user: User | None = None) -> None:
        """Allow ``permissions`` to ``user`` (default: the bot) in ``channel`` by overwrite."""
        self._overwrite(channel, user, allow=permissions, deny=0)

    def _overwrite(self, channel: Channel, user: User | None, *, allow: int, deny: int) -> None:
        target = user or self.world.bot
        existing = next((o for o in channel.overwrites if (o.type, o.id) == (1, target.id)), None)
        current = existing or Overwrite(id=target.id, type=1)
        overwrite = Overwrite(
            id=target.id,
            type=1,
            allow=(current.allow & ~deny) | allow,
            deny=(current.deny & ~allow) | deny,
        )
        self.world.set_overwrite(channel, overwrite)

    def delete_channel(self, channel: Channel) -> None:
        """Delete ``channel`` as a moderator would (CHANNEL_DELETE; later calls get 404)."""
        self.world.delete_channel(channel)

    def request_gateway_reconnect(self) -> None:
        """Ask the connected bot to reconnect (op 7); discord.py then RESUMEs."""
        self.gateway.request_reconnect()

    def gateway_outage(self, status: int = 503) -> None:
        """The gateway goes down: every websocket is cut, and new ones are refused with
        ``status`` until ``gateway_back()``; discord.py backs off and retries meanwhile."""
        self.gateway.refusing = status
        self.gateway.drop_all()

    def gateway_back(self) -> None:
        """End a ``gateway_outage``: new websocket connections are accepted again."""
        self.gateway.refusing = None

    def stall_gateway(self) -> None:
        """The gateway stops answering while its websockets stay open (a dead connection):
        the bot's heartbeats and close frame go unanswered."""
        self.gateway.stall_all()
