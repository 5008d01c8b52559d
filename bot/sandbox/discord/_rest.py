"""The REST API v10 over aiohttp: routes, auth, rate limits, injected faults, error JSON.

Every request is recorded (method, route template, path, query, JSON body, status, answer)
so a test can check what the bot asked for, and every refusal for a documented rule is also
kept in ``violations``. Answers carry ``Content-Type: application/json`` exactly, because
discord.py compares the header verbatim.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from aiohttp import BodyPartReader, web

from bot.sandbox._violations import Violations

from ._commands import CommandRegistry
from ._config import EmulatorConfig
from ._errors import APIError, FormErrors, unknown
from ._faults import Fault
from ._interactions import Interactions
from ._limits import RuleBroken, wrong_channel_type
from ._messages import FORUM_TYPES, Messaging, UploadedFile
from ._models import Channel, ChannelType, Guild, Member, Message
from ._permissions import Permission, base_permissions
from ._ratelimit import Decision, RateLimiter, Rejection
from ._threads import archived
from ._world import World

JSON = dict[str, Any]
API_PREFIX = "/api/v10"


class ReadBody(NamedTuple):
    """A request's body as read: its JSON value, its files, and the text the value was read
    from (None without one)."""

    value: Any
    files: list[UploadedFile]
    source: bytes | str | None


BODY_KEY = web.RequestKey("body", ReadBody)


@dataclass(slots=True)
class RequestRecord:
    """One request the emulator answered."""

    method: str
    route: str | None
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    response: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Call:
    """What a route handler gets: path parameters, query, JSON body and uploaded files."""

    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    files: list[UploadedFile]
    source: bytes | str | None = None
    """The text ``body`` was read from (None without a body)."""

    def id(self, name: str) -> int:
        """Return the path parameter ``name`` as a snowflake; 400 if it is not one."""
        raw = self.params[name]
        if not (raw.isascii() and raw.isdigit()):
            errors = FormErrors()
            errors.add((name,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
            errors.raise_if_any()
        return int(raw)

    def object(self) -> JSON:
        """Return the JSON body as an object ({} when there is none); 400 if it is not one."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise APIError(400, 50109, "The request body contains invalid JSON.")
        return self.body

    def timestamp_query(self, name: str) -> datetime | None:
        """Return an ISO8601 timestamp query parameter (UTC if it names no zone), None if
        absent; 400 if it is not one."""
        raw = self.query.get(name)
        if raw is None:
            return None
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            errors = FormErrors()
            errors.add(
                (name,), "DATE_TIME_TYPE_PARSE", f"Could not parse {raw}. Should be ISO8601."
            )
            errors.raise_if_any()
            raise
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    def int_query(self, name: str) -> int | None:
        """Return an integer query parameter, None if absent; 400 if not a number."""
        raw = self.query.get(name)
        if raw is None:
            return None
        if not (raw.isascii() and raw.lstrip("-").isdigit()):
            errors = FormErrors()
            errors.add((name,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.')
            errors.raise_if_any()
        return int(raw)

    def flag(self, name: str) -> bool:
        """Return a boolean query parameter (``1``/``true``)."""
        return self.query.get(name, "").lower() in ("1", "true")


Reply = tuple[int, Any]
Handler = Callable[[Call], Awaitable[Reply]]


def ok(body: Any, status: int = 200) -> Reply:
    """A JSON answer."""
    return status, body


NO_CONTENT: Reply = (204, None)


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    """Build a response whose Content-Type is exactly ``application/json`` (or a bare 204)."""
    out = dict(headers or {})
    if body is None:
        return web.Response(status=status, headers=out)
    out["Content-Type"] = "application/json"
    return web.Response(status=status, body=json.dumps(body).encode(), headers=out)


class RestAPI:
    """Discord's REST routes over a ``World``."""

    def __init__(
        self,
        world: World,
        config: EmulatorConfig,
        messaging: Messaging,
        interactions: Interactions,
        commands: CommandRegistry,
        limiter: RateLimiter,
        gateway_url: Callable[[], str],
        *,
        violations: Violations | None = None,
    ) -> None:
        self.world = world
        self.config = config
        self.messaging = messaging
        self.interactions = interactions
        self.commands = commands
        self.limiter = limiter
        self._gateway_url = gateway_url
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self.violations = violations if violations is not None else Violations()

    # -- plumbing ----------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        """Add every route (and a JSON 404 for the rest) to ``app``."""
        for method, template, handler in self._routes():
            app.router.add_route(
                method, API_PREFIX + template, self._endpoint(method, template, handler)
            )
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._unknown_route)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)

    def _endpoint(
        self, method: str, template: str, handler: Handler
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        needs_auth = not template.startswith(("/webhooks/", "/interactions/", "/gateway"))

        async def endpoint(request: web.Request) -> web.Response:
            path = request.path.removeprefix(API_PREFIX)
            record = RequestRecord(method, template, path, dict(request.query), None)
            decision = Decision(headers={})
            try:
                body, files, source = await read_body(request)
                record.json = body
                if (
                    needs_auth
                    and request.headers.get("Authorization") != f"Bot {self.config.token}"
                ):
                    raise APIError(401, 0, "401: Unauthorized")
                fault = self._fault(method, template, path, after_handler=False)
                if fault is not None:
                    return self._finish(record, await fault.answer())
                token = request.headers.get("Authorization", "")
                decision = self.limiter.check(method, template, request.match_info, token)
                if decision.rejection is not None:
                    return self._finish(record, decision.rejection)
                call = Call(request.match_info, request.query, body, files, source)
                status, data = await handler(call)
                fault = self._fault(method, template, path, after_handler=True)
                if fault is not None:
                    return self._finish(record, await fault.answer())
            except APIError as exc:
                status, data = exc.status, exc.body()
                if isinstance(exc, RuleBroken):
                    self.violations.record("rule", method, path, exc.describe())
            record.status, record.response = status, data
            self.requests.append(record)
            return json_response(status, data, decision.headers)

        return endpoint

    def _finish(self, record: RequestRecord, rejection: Rejection) -> web.Response:
        record.status, record.response = rejection.status, rejection.body
        self.requests.append(record)
        return json_response(rejection.status, rejection.body, rejection.headers)

    def _fault(self, method: str, template: str, path: str, *, after_handler: bool) -> Fault | None:
        """The fault that answers this request, if any; one still letting requests through
        (``Fault.skip``) lets this one through, and the next matching fault may answer it."""
        for fault in self.faults:
            if fault.after_handler != after_handler or not fault.matches(method, template, path):
                continue
            if not fault.let_through():
                return fault
        return None

    async def _unknown_route(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix(API_PREFIX)
        body = {"message": "404: Not Found", "code": 0}
        self.requests.append(
            RequestRecord(request.method, None, path, dict(request.query), None, 404, body)
        )
        return json_response(404, body)

    async def _attachment(self, request: web.Request) -> web.Response:
        attachment = self.messaging.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None:
            return json_response(404, {"message": "404: Not Found", "code": 0})
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )

    def _routes(self) -> list[tuple[str, str, Handler]]:
        app = "/applications/{application_id}"
        msg = "/channels/{channel_id}/messages/{message_id}"
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        return [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/users/@me", self.get_me),
            ("GET", "/users/@me/guilds", self.get_my_guilds),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", app + "/commands", self.list_commands),
            ("PUT", app + "/commands", self.overwrite_commands),
            ("POST", app + "/commands", self.create_command),
            ("GET", app + "/commands/{command_id}", self.get_command),
            ("PATCH", app + "/commands/{command_id}", self.edit_command),
            ("DELETE", app + "/commands/{command_id}", self.delete_command),
            ("GET", app + "/guilds/{guild_id}/commands", self.list_commands),
            ("PUT", app + "/guilds/{guild_id}/commands", self.overwrite_commands),
            ("POST", app + "/guilds/{guild_id}/commands", self.create_command),
            ("GET", app + "/guilds/{guild_id}/commands/{command_id}", self.get_command),
            ("PATCH", app + "/guilds/{guild_id}/commands/{command_id}", self.edit_command),
            ("DELETE", app + "/guilds/{guild_id}/commands/{command_id}", self.delete_command),
            (
                "POST",
                "/interactions/{webhook_id}/{webhook_token}/callback",
                self.interaction_callback,
            ),
            ("POST", hook, self.execute_webhook),
            ("GET", hook + "/messages/{message_id}", self.get_webhook_message),
            ("PATCH", hook + "/messages/{message_id}", self.edit_webhook_message),
            ("DELETE", hook + "/messages/{message_id}", self.delete_webhook_message),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("PATCH", "/channels/{channel_id}", self.edit_channel),
            ("DELETE", "/channels/{channel_id}", self.delete_channel),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("GET", "/channels/{channel_id}/messages", self.list_messages),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("GET", msg, self.get_message),
            ("PATCH", msg, self.edit_message),
            ("DELETE", msg, self.delete_message),
            ("POST", msg + "/crosspost", self.crosspost),
            ("POST", msg + "/threads", self.thread_from_message),
            ("PUT", msg + "/reactions/{emoji}/@me", self.add_reaction),
            ("DELETE", msg + "/reactions/{emoji}/@me", self.remove_reaction),
            ("GET", msg + "/reactions/{emoji}", self.reaction_users),
            ("POST", "/channels/{channel_id}/threads", self.start_thread),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread),
            ("DELETE", "/channels/{channel_id}/thread-members/@me", self.join_thread),
            ("GET", "/channels/{channel_id}/threads/archived/public", self.archived_threads),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.guild_roles),
            ("GET", "/guilds/{guild_id}/threads/active", self.active_threads),
            ("GET", "/guilds/{guild_id}/members", self.list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role),
            (
                "DELETE",
                "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                self.remove_member_role,
            ),
        ]

    # -- helpers -----------------------------------------------------------------------

    def _channel(self, call: Call, *, view: bool = True) -> Channel:
        channel = self.world.channel(call.id("channel_id"))
        if view:
            self.world.require(channel, self.world.bot.id, Permission.VIEW_CHANNEL)
        return channel

    def _message(self, call: Call) -> tuple[Channel, Message]:
        channel = self._channel(call)
        return channel, self.world.message(channel, call.id("message_id"))

    def _guild(self, call: Call) -> Guild:
        guild = self.world.guild(call.id("guild_id"))
        if self.world.bot.id not in guild.members:
            raise unknown("Guild")
        return guild

    def _scope(self, call: Call) -> int | None:
        if call.id("application_id") != self.world.application.id:
            raise unknown("Application")
        return self._guild(call).id if "guild_id" in call.params else None

    def _bot_message(self, message: Message) -> JSON:
        return message.payload(self.world.bot.id)

    # -- gateway, users, application ---------------------------------------------------

    async def get_gateway(self, call: Call) -> Reply:
        """``GET /gateway``."""
        return ok({"url": self._gateway_url()})

    async def get_gateway_bot(self, call: Call) -> Reply:
        """``GET /gateway/bot``: the world's recommended shards, generous session-start limits."""
        return ok(
            {
                "url": self._gateway_url(),
                "shards": self.world.shards_recommended(),
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def get_me(self, call: Call) -> Reply:
        """``GET /users/@me``: the bot user."""
        return ok(
            {
                **self.world.bot.payload(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
                "locale": "en-US",
            }
        )

    async def get_my_guilds(self, call: Call) -> Reply:
        """``GET /users/@me/guilds``: the bot's servers by id, a page of ``limit`` (200 by
        default) before or after a server's id, as the API document gives its parameters."""
        bot = self.world.bot.id
        mine = sorted(
            (g for g in self.world.guilds.values() if bot in g.members), key=lambda g: g.id
        )
        before, after = call.int_query("before"), call.int_query("after")
        limit = call.int_query("limit") or 200
        if before is not None:
            mine = [g for g in mine if g.id < before][-limit:]
        else:
            mine = [g for g in mine if after is None or g.id > after][:limit]
        return ok(
            [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "icon": None,
                    "banner": None,
                    "owner": g.owner_id == bot,
                    "permissions": str(base_permissions(g, bot)),
                    "features": ["NEWS", "COMMUNITY"],
                }
                for g in mine
            ]
        )

    async def get_user(self, call: Call) -> Reply:
        """``GET /users/{id}``."""
        return ok(self.world.user(call.id("user_id")).payload())

    async def get_application(self, call: Call) -> Reply:
        """``GET /oauth2/applications/@me``."""
        return ok(self.world.application.payload())

    # -- application commands ----------------------------------------------------------

    async def list_commands(self, call: Call) -> Reply:
        """``GET`` global or guild commands."""
        return ok([c.payload() for c in self.commands.all(self._scope(call))])

    async def overwrite_commands(self, call: Call) -> Reply:
        """``PUT`` bulk overwrite: ids are kept for commands of the same name and type."""
        scope = self._scope(call)
        return ok([c.payload() for c in self.commands.overwrite(scope, call.body)])

    async def create_command(self, call: Call) -> Reply:
        """``POST`` one command: 201 when new, 200 when it replaced one of the same name."""
        command, created = self.commands.upsert(self._scope(call), call.object())
        return ok(command.payload(), 201 if created else 200)

    async def get_command(self, call: Call) -> Reply:
        """``GET`` one command."""
        return ok(self.commands.get(self._scope(call), call.id("command_id")).payload())

    async def edit_command(self, call: Call) -> Reply:
        """``PATCH`` one command."""
        command = self.commands.edit(self._scope(call), call.id("command_id"), call.object())
        return ok(command.payload())

    async def delete_command(self, call: Call) -> Reply:
        """``DELETE`` one command."""
        self.commands.delete(self._scope(call), call.id("command_id"))
        return NO_CONTENT

    # -- interactions and their webhook ------------------------------------------------

    async def interaction_callback(self, call: Call) -> Reply:
        """``POST /interactions/{id}/{token}/callback``."""
        body = self.interactions.respond(
            call.id("webhook_id"),
            call.params["webhook_token"],
            call.object(),
            call.files,
            with_response=call.flag("with_response"),
            source=call.source,
        )
        return NO_CONTENT if body is None else ok(body)

    async def execute_webhook(self, call: Call) -> Reply:
        """``POST /webhooks/{application_id}/{token}``: an interaction follow-up.

        Receiving and Responding › Create Followup Message: "Functions the same as Execute
        Webhook, but `wait` is always true": the message comes back whatever ``wait`` says.
        """
        interaction = self.interactions.by_token(
            call.id("webhook_id"), call.params["webhook_token"]
        )
        message = self.interactions.followup(
            interaction, call.object(), call.files, thread_id=call.int_query("thread_id")
        )
        return ok(self._bot_message(message))

    async def get_webhook_message(self, call: Call) -> Reply:
        """``GET .../messages/@original`` or a follow-up."""
        interaction = self.interactions.by_token(
            call.id("webhook_id"), call.params["webhook_token"]
        )
        return ok(
            self._bot_message(self.interactions.message(interaction, call.params["message_id"]))
        )

    async def edit_webhook_message(self, call: Call) -> Reply:
        """``PATCH .../messages/@original`` or a follow-up."""
        interaction = self.interactions.by_token(
            call.id("webhook_id"), call.params["webhook_token"]
        )
        message = self.interactions.edit(interaction, call.params["message_id"], call.object())
        return ok(self._bot_message(message))

    async def delete_webhook_message(self, call: Call) -> Reply:
        """``DELETE .../messages/@original`` or a follow-up."""
        interaction = self.interactions.by_token(
            call.id("webhook_id"), call.params["webhook_token"]
        )
        self.interactions.delete(interaction, call.params["message_id"])
        return NO_CONTENT

    # -- channels ----------------------------------------------------------------------

    async def get_channel(self, call: Call) -> Reply:
        """``GET /channels/{id}``."""
        return ok(self._channel(call).payload())

    async def edit_channel(self, call: Call) -> Reply:
        """``PATCH /channels/{id}``: rename, archive, lock, retag."""
        channel = self._channel(call)
        return ok(self.messaging.edit_thread(channel, self.world.bot, call.object()).payload())

    async def delete_channel(self, call: Call) -> Reply:
        """``DELETE /channels/{id}``: MANAGE_CHANNELS, or MANAGE_THREADS for a thread, even the
        bot's own (channel.mdx › Delete/Close Channel; threads.mdx › Editing & Deleting Threads:
        "Deleting a thread requires the MANAGE_THREADS permission")."""
        channel = self._channel(call)
        needed = Permission.MANAGE_THREADS if channel.is_thread else Permission.MANAGE_CHANNELS
        self.world.require(channel, self.world.bot.id, needed)
        self.world.delete_channel(channel)
        return ok(channel.payload())

    async def typing(self, call: Call) -> Reply:
        """``POST /channels/{id}/typing``."""
        self._channel(call)
        return NO_CONTENT

    async def list_messages(self, call: Call) -> Reply:
        """``GET /channels/{id}/messages`` (newest first; limit, before, after, around)."""
        channel = self._channel(call, view=False)
        messages = self.messaging.history(
            channel,
            self.world.bot,
            limit=call.int_query("limit") or 50,
            before=call.int_query("before"),
            after=call.int_query("after"),
            around=call.int_query("around"),
        )
        return ok([self._bot_message(m) for m in messages])

    async def create_message(self, call: Call) -> Reply:
        """``POST /channels/{id}/messages``."""
        channel = self._channel(call, view=False)
        message = self.messaging.create(channel, self.world.bot, call.object(), files=call.files)
        return ok(self._bot_message(message))

    async def get_message(self, call: Call) -> Reply:
        """``GET /channels/{id}/messages/{id}`` (needs READ_MESSAGE_HISTORY)."""
        channel, message = self._message(call)
        self.world.require(channel, self.world.bot.id, Permission.READ_MESSAGE_HISTORY)
        return ok(self._bot_message(message))

    async def edit_message(self, call: Call) -> Reply:
        """``PATCH /channels/{id}/messages/{id}``."""
        _, message = self._message(call)
        return ok(self._bot_message(self.messaging.edit(message, self.world.bot, call.object())))

    async def delete_message(self, call: Call) -> Reply:
        """``DELETE /channels/{id}/messages/{id}``."""
        _, message = self._message(call)
        self.messaging.delete(message, self.world.bot)
        return NO_CONTENT

    async def crosspost(self, call: Call) -> Reply:
        """``POST .../crosspost`` (announcement channels only)."""
        channel, message = self._message(call)
        return ok(self._bot_message(self.messaging.crosspost(channel, message, self.world.bot)))

    async def thread_from_message(self, call: Call) -> Reply:
        """``POST .../messages/{id}/threads``: the thread's id is the message's id."""
        channel, message = self._message(call)
        thread = self.messaging.thread_from_message(channel, message, self.world.bot, call.object())
        return ok(thread.payload(), 201)

    async def start_thread(self, call: Call) -> Reply:
        """``POST /channels/{id}/threads``: a thread without starter, or a forum post."""
        channel = self._channel(call)
        if channel.type in FORUM_TYPES:
            thread, starter = self.messaging.forum_post(
                channel, self.world.bot, call.object(), call.files
            )
            return ok({**thread.payload(), "message": self._bot_message(starter)}, 201)
        thread = self.messaging.thread_without_message(channel, self.world.bot, call.object())
        return ok(thread.payload(), 201)

    async def join_thread(self, call: Call) -> Reply:
        """``PUT``/``DELETE /channels/{id}/thread-members/@me`` (accepted, not modelled).

        channel.mdx › Join Thread and Leave Thread: each "requires the thread is not
        archived"; threads.mdx › Active & Archived Threads: users cannot "join archived
        threads".
        """
        channel = self._channel(call)
        if not channel.is_thread:
            raise wrong_channel_type("only threads have members (Channel › Join Thread)")
        if channel.archived:
            raise archived()
        return NO_CONTENT

    async def archived_threads(self, call: Call) -> Reply:
        """``GET .../threads/archived/public``: the channel's archived threads but private
        ones, for a bot with READ_MESSAGE_HISTORY (channel.mdx › List Public Archived
        Threads).

        "Threads are ordered by `archive_timestamp`, in descending order": the ``limit`` most
        recently archived (``before`` a time, if given), and ``has_more`` when older ones are
        left. The page does not say how many come without ``limit``: 50, as Get Channel
        Messages gives.
        """
        channel = self._channel(call)
        self.world.require(channel, self.world.bot.id, Permission.READ_MESSAGE_HISTORY)
        archived = [
            t
            for t in self.world.channels.values()
            if t.parent_id == channel.id
            and t.archived
            and not t.deleted
            and t.type != ChannelType.PRIVATE_THREAD
        ]
        before = call.timestamp_query("before")
        if before is not None:
            archived = [t for t in archived if t.archive_timestamp < before]
        archived.sort(key=lambda t: (t.archive_timestamp, t.id), reverse=True)
        limit = call.int_query("limit") or 50
        threads = [t.payload() for t in archived[:limit]]
        return ok({"threads": threads, "members": [], "has_more": len(archived) > limit})

    async def add_reaction(self, call: Call) -> Reply:
        """``PUT .../reactions/{emoji}/@me``."""
        channel, message = self._message(call)
        self.messaging.react(channel, message, self.world.bot, call.params["emoji"])
        return NO_CONTENT

    async def remove_reaction(self, call: Call) -> Reply:
        """``DELETE .../reactions/{emoji}/@me``."""
        channel, message = self._message(call)
        self.messaging.unreact(channel, message, self.world.bot, call.params["emoji"])
        return NO_CONTENT

    async def reaction_users(self, call: Call) -> Reply:
        """``GET .../reactions/{emoji}``: who reacted, in order."""
        _, message = self._message(call)
        reaction = message.reactions.get(call.params["emoji"])
        users = [self.world.users[u].payload() for u in reaction.user_ids] if reaction else []
        return ok(users[: call.int_query("limit") or 25])

    # -- guilds ------------------------------------------------------------------------

    async def get_guild(self, call: Call) -> Reply:
        """``GET /guilds/{id}`` (no channels or members, like Discord)."""
        guild = self._guild(call)
        data = guild.payload()
        for key in (
            "channels",
            "threads",
            "members",
            "voice_states",
            "presences",
            "joined_at",
            "large",
            "member_count",
        ):
            data.pop(key, None)
        if call.flag("with_counts"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return ok(data)

    async def guild_channels(self, call: Call) -> Reply:
        """``GET /guilds/{id}/channels`` (no threads)."""
        guild = self._guild(call)
        return ok(
            [c.payload() for c in guild.channels.values() if not c.is_thread and not c.deleted]
        )

    async def guild_roles(self, call: Call) -> Reply:
        """``GET /guilds/{id}/roles``."""
        return ok([r.payload() for r in self._guild(call).roles.values()])

    async def active_threads(self, call: Call) -> Reply:
        """``GET /guilds/{id}/threads/active``."""
        guild = self._guild(call)
        threads = [
            t.payload()
            for t in guild.channels.values()
            if t.is_thread and not t.archived and not t.deleted
        ]
        return ok({"threads": threads, "members": []})

    async def list_members(self, call: Call) -> Reply:
        """``GET /guilds/{id}/members`` (limit, after)."""
        guild = self._guild(call)
        after = call.int_query("after") or 0
        members = sorted(
            (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
        )
        return ok([m.payload() for m in members[: call.int_query("limit") or 1]])

    async def get_member(self, call: Call) -> Reply:
        """``GET /guilds/{id}/members/{id}``."""
        guild = self._guild(call)
        return ok(self.world.member(guild, call.id("user_id")).payload())

    async def add_member_role(self, call: Call) -> Reply:
        """``PUT /guilds/{id}/members/{id}/roles/{id}``."""
        member, role_id = self._role_change(call)
        if role_id not in member.roles:
            self.world.set_member_roles(member, [*member.roles, role_id])
        return NO_CONTENT

    async def remove_member_role(self, call: Call) -> Reply:
        """``DELETE /guilds/{id}/members/{id}/roles/{id}``."""
        member, role_id = self._role_change(call)
        if role_id in member.roles:
            self.world.set_member_roles(member, [r for r in member.roles if r != role_id])
        return NO_CONTENT

    def _role_change(self, call: Call) -> tuple[Member, int]:
        """The member and the role the bot adds or removes, if Discord lets it.

        Guild resource › Add/Remove Guild Member Role: the bot needs MANAGE_ROLES. Permissions
        topic › Permission Hierarchy: a bot grants only roles of a lower position than its own
        highest role (positions here are distinct, so the id tie-break never applies). The
        owner is above every role; @everyone and a role managed by an integration are
        nobody's to give.
        """
        guild = self._guild(call)
        member = self.world.member(guild, call.id("user_id"))
        role = guild.roles.get(call.id("role_id"))
        if role is None:
            raise unknown("Role")
        bot = self.world.bot.id
        if not base_permissions(guild, bot) & Permission.MANAGE_ROLES:
            raise APIError(403, 50013, "Missing Permissions")
        bot_member = guild.members[bot]
        top = max(
            (guild.roles[r].position for r in bot_member.roles if r in guild.roles), default=0
        )
        if guild.owner_id != bot and (
            role.position >= top or role.managed_by_bot is not None or role.id == guild.id
        ):
            raise APIError(403, 50013, "Missing Permissions")
        return member, role.id


async def read_body(request: web.Request) -> ReadBody:
    """Parse a JSON body, or a multipart body with ``payload_json`` and ``files[n]``.

    The stream is read once: the spec check reads the body before the route does.
    """
    if BODY_KEY not in request:
        request[BODY_KEY] = await _parse_body(request)
    return request[BODY_KEY]


async def _parse_body(request: web.Request) -> ReadBody:
    if request.content_type.startswith("multipart/"):
        body: Any = None
        source: str | None = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                source = await part.text()
                body = _loads(source)
            elif part.filename is not None:
                files.append(
                    UploadedFile(
                        part.filename, bytes(await part.read()), part.headers.get("Content-Type")
                    )
                )
        return ReadBody(body, files, source)
    raw = await request.read()
    if not raw:
        return ReadBody(None, [], None)
    return ReadBody(_loads(raw), [], raw)


def _loads(text: str | bytes) -> Any:
    """The JSON value of a body (bytes are UTF-8); 400 (50109) when it is not JSON."""
    try:
        return json.loads(text if isinstance(text, str) else text.decode())
    except ValueError:
        raise APIError(400, 50109, "The request body contains invalid JSON.") from None
