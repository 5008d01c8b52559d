"""The gateway websocket: HELLO, IDENTIFY → READY → GUILD_CREATE, heartbeats, RESUME, events.

Sessions outlive their websocket so a client can RESUME and get the events it missed.
Events are filtered by the session's intents and shard; without the message-content intent
a message's content, embeds, attachments and components are blanked unless the bot wrote
it or is mentioned in it, as Discord does. ``compress=zlib-stream`` is honoured with one
zlib stream per connection flushed with Z_SYNC_FLUSH per message; ``zstd-stream`` too when
a zstd module is importable (plain text frames otherwise, which discord.py also reads).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import secrets
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from ._config import EmulatorConfig
from ._models import Intent, Message
from ._world import Signal, World

JSON = dict[str, Any]
_log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

_PRIVILEGED = {
    Intent.GUILD_MEMBERS: (1 << 14) | (1 << 15),
    1 << 8: (1 << 12) | (1 << 13),  # GUILD_PRESENCES
    Intent.MESSAGE_CONTENT: (1 << 18) | (1 << 19),
}
_RESUME_BUFFER = 5000
HEARTBEAT_ACK_DELAY = 0.1
"""Seconds between a heartbeat and its HEARTBEAT_ACK: a network round trip, as with Discord,
which is never reached in microseconds. discord.py up to 2.7.1 records when a heartbeat was
sent on its heartbeat thread only once the send is done; an ACK read before that (always,
over loopback: the thread waits for the GIL) is measured from the previous heartbeat, and
discord.py warns "Can't keep up, shard ID … websocket is 41.3s behind" and reports that as
its latency. A bot whose event loop really is slow still reads the ACK late and is warned."""


def _zstd_compressor() -> Callable[[bytes], bytes] | None:
    """Return a streaming zstd compressor flushing per message, if a zstd module exists."""
    try:
        stdlib: Any = importlib.import_module("compression.zstd")
    except ImportError:
        try:
            third_party: Any = importlib.import_module("zstandard")
        except ImportError:
            return None
        stream = third_party.ZstdCompressor().compressobj()
        flush_block = third_party.COMPRESSOBJ_FLUSH_BLOCK

        def compress_zstandard(data: bytes) -> bytes:
            return bytes(stream.compress(data) + stream.flush(flush_block))

        return compress_zstandard
    compressor = stdlib.ZstdCompressor()
    mode = stdlib.ZstdCompressor.FLUSH_BLOCK

    def compress_stdlib(data: bytes) -> bytes:
        return bytes(compressor.compress(data, mode=mode))

    return compress_stdlib


def _zlib_compressor() -> Callable[[bytes], bytes]:
    stream = zlib.compressobj()

    def compress(data: bytes) -> bytes:
        return stream.compress(data) + stream.flush(zlib.Z_SYNC_FLUSH)

    return compress


def _encode(payload: JSON) -> bytes:
    """A gateway payload as compact UTF-8 JSON, as Discord sends it."""
    try:
        # A tenth of json.dumps's time: it was 7 % of the emulator's in a burst of interactions.
        return orjson.dumps(payload)
    except TypeError:  # what orjson does not take (int keys, integers over 64 bits)
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _shard(value: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard``, ``[shard_id, num_shards]``, if it is one Discord accepts."""
    if not (isinstance(value, list) and len(value) == 2):
        return None
    shard_id, count = value
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        return None
    return (shard_id, count) if 0 <= shard_id < count else None


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class Connection:
    """One websocket: an ordered outbox drained by a writer task, compressed if asked."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        compress: str | None,
        path: str,
        transport: asyncio.Transport | None = None,
    ) -> None:
        self.ws = ws
        self.path = path
        self.compress = compress
        self._transport = transport
        self._compressor: Callable[[bytes], bytes] | None = None
        if compress == "zlib-stream":
            self._compressor = _zlib_compressor()
        elif compress == "zstd-stream":
            self._compressor = _zstd_compressor()
        self._outbox: asyncio.Queue[JSON | _Close] = asyncio.Queue()
        self._closing = False
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writer = asyncio.create_task(self._write())
        self._later: set[asyncio.TimerHandle] = set()
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        """Done once the socket is closed and its handler has ended."""
        self.session: GatewaySession | None = None

    def send(self, payload: JSON) -> None:
        """Queue a gateway payload; order is kept."""
        self._outbox.put_nowait(payload)

    def send_later(self, delay: float, payload: JSON) -> None:
        """Queue a gateway payload after ``delay`` seconds (unless the socket is gone by then)."""

        def send() -> None:
            self._later.discard(handle)
            self.send(payload)

        handle = asyncio.get_running_loop().call_later(delay, send)
        self._later.add(handle)

    def close(self, code: int, reason: str = "") -> None:
        """Queue a close frame after everything already queued."""
        self._outbox.put_nowait(_Close(code, reason))

    @property
    def stalled(self) -> bool:
        """Whether ``stall()`` was called."""
        return not self._flowing.is_set()

    def stall(self) -> None:
        """Stop reading and writing, as a connection that died without a word: the client's
        frames (its heartbeats, its close frame) go unanswered."""
        self._flowing.clear()
        if self._transport is not None:
            self._transport.pause_reading()

    def abort(self) -> None:
        """Cut the connection with no close frame, as a network failure does."""
        if self._transport is not None:
            self._transport.abort()
        self._flowing.set()  # a stalled writer wakes, finds the socket gone and ends

    async def _write(self) -> None:
        while True:
            item = await self._outbox.get()
            await self._flowing.wait()
            if isinstance(item, _Close):
                self._closing = True
                await self.ws.close(code=item.code, message=item.reason.encode())
                return
            data = _encode(item)
            try:
                if self._compressor is None:
                    await self.ws.send_str(data.decode())
                else:
                    await self.ws.send_bytes(self._compressor(data))
            except (ConnectionResetError, RuntimeError):
                return

    async def stop(self) -> None:
        """End the writer (the socket is gone); a close handshake under way finishes first."""
        for handle in self._later:
            handle.cancel()
        self._later.clear()
        if not self._closing:
            self._writer.cancel()
        try:
            await asyncio.wait([self._writer])
        except asyncio.CancelledError:
            self._writer.cancel()
            raise
        if not self._writer.cancelled():
            self._writer.result()  # the writer's own failure is a bug of the emulator's: show it


@dataclass(eq=False)
class GatewaySession:
    """A logged-in gateway session: intents, shard, sequence and the events for RESUME."""

    session_id: str
    token: str
    intents: int
    shard: tuple[int, int]
    seq: int = 0
    buffer: deque[JSON] = field(default_factory=lambda: deque(maxlen=_RESUME_BUFFER))
    connection: Connection | None = None
    ready: bool = False

    def handles(self, guild_id: int | None) -> bool:
        """Whether events of ``guild_id`` go to this session's shard."""
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id


class Gateway:
    """The gateway server and the ``EventSink`` the world dispatches through."""

    def __init__(self, world: World, config: EmulatorConfig) -> None:
        self.world = world
        self.config = config
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[Connection] = []
        self.connection_paths: list[str] = []
        self.identify_payloads: list[JSON] = []
        self.resumes = 0
        self.heartbeats = 0
        """Heartbeats received, each answered with a HEARTBEAT_ACK."""
        self.heartbeat_ack_delay = HEARTBEAT_ACK_DELAY
        self.refusing: int | None = None
        """While set, new websocket connections are answered this HTTP status instead."""
        self.refused = 0
        self.changed = Signal()
        self.url = ""
        self.resume_url = ""

    # -- EventSink ---------------------------------------------------------------------

    def dispatch(self, event: str, data: JSON, *, guild_id: int | None, intent: int) -> None:
        """Send an event to every session of the guild's shard with the needed intent."""
        if not self._bot_is_in(guild_id):
            return
        for session in self.sessions.values():
            if (
                session.ready
                and session.handles(guild_id)
                and (not intent or session.intents & intent)
            ):
                self._send_event(session, event, data)

    def dispatch_message(self, event: str, message: Message) -> None:
        """Send a message event, blanking content for sessions without the intent."""
        bot_id = self.world.bot.id
        if not self._bot_is_in(message.guild_id):
            return
        for session in self.sessions.values():
            if not (session.ready and session.handles(message.guild_id)):
                continue
            if not session.intents & Intent.GUILD_MESSAGES:
                continue
            data = message.gateway_payload()
            readable = (
                session.intents & Intent.MESSAGE_CONTENT
                or message.author.id == bot_id
                or any(u.id == bot_id for u in message.mentions)
            )
            if not readable:
                data.update(content="", embeds=[], attachments=[], components=[])
            self._send_event(session, event, data)

    def _bot_is_in(self, guild_id: int | None) -> bool:
        guild = self.world.guilds.get(guild_id) if guild_id is not None else None
        return guild is None or self.world.bot.id in guild.members

    def _send_event(self, session: GatewaySession, event: str, data: JSON) -> None:
        session.seq += 1
        payload: JSON = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append(payload)
        if session.connection is not None:
            session.connection.send(payload)

    # -- control for tests -------------------------------------------------------------

    @property
    def ready_sessions(self) -> list[GatewaySession]:
        """Sessions that completed IDENTIFY and are attached to a websocket."""
        return [s for s in self.sessions.values() if s.ready and s.connection is not None]

    async def wait_until_ready(self, timeout: float = 5.0) -> GatewaySession:  # noqa: ASYNC109
        """Wait until a bot session is identified and connected."""

        def first() -> GatewaySession | None:
            sessions = self.ready_sessions
            return sessions[0] if sessions else None

        return await self.changed.wait_for(first, timeout, "a bot to connect to the gateway")

    def request_heartbeat(self) -> None:
        """Send op 1 HEARTBEAT to every connection, as Discord does to ask for a heartbeat
        now: the client answers with one at once, without waiting for its interval (Gateway ›
        Sending Heartbeats)."""
        for connection in list(self.connections):
            connection.send({"op": OP_HEARTBEAT, "d": None, "s": None, "t": None})

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connection (the client should RESUME)."""
        for connection in list(self.connections):
            connection.send({"op": OP_RECONNECT, "d": None})

    def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; unless ``resumable`` the sessions are forgotten."""
        for connection in list(self.connections):
            connection.send({"op": OP_INVALID_SESSION, "d": resumable})
        if not resumable:
            self.sessions.clear()

    def drop_all(self) -> None:
        """Cut every websocket with no close frame, as a network failure does."""
        for connection in list(self.connections):
            connection.abort()

    def stall_all(self) -> None:
        """Stop answering on every websocket, leaving them open (see ``Connection.stall``)."""
        for connection in list(self.connections):
            connection.stall()

    async def close_all(self, code: int = 1001, *, timeout: float = 1.0) -> None:  # noqa: ASYNC109
        """Close every websocket (used when the emulator stops).

        Each gets a close frame; one whose client has not answered within ``timeout`` seconds,
        or that was stalled, is cut.
        """
        connections = list(self.connections)
        for connection in connections:
            if connection.stalled:
                connection.abort()
            else:
                connection.close(code, "emulator shutting down")
        if not connections:
            return
        _, unanswered = await asyncio.wait([c.finished for c in connections], timeout=timeout)
        if unanswered:
            for connection in connections:
                if not connection.finished.done():
                    connection.abort()
            await asyncio.wait(unanswered, timeout=timeout)

    # -- the websocket -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for the gateway websocket."""
        encoding = request.query.get("encoding", "json")
        if encoding != "json":
            return web.Response(status=400, text="only encoding=json is emulated")
        compress = request.query.get("compress")
        if self.refusing is not None:
            self.refused += 1
            self.changed.notify()
            return web.Response(status=self.refusing, text="the gateway is unavailable")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = Connection(ws, compress, request.path, request.transport)
        self.connections.append(connection)
        self.connection_paths.append(request.path)
        connection.send(
            {
                "op": OP_HELLO,
                "d": {
                    "heartbeat_interval": self.config.heartbeat_interval_ms,
                    "_trace": ["emulator"],
                },
                "s": None,
                "t": None,
            }
        )
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    try:
                        payload = json.loads(frame.data)
                    except ValueError:
                        connection.close(4002, "Error while decoding payload.")
                        break
                    self._on_payload(connection, payload)
                elif frame.type == WSMsgType.ERROR:
                    break
        finally:
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
            self.connections.remove(connection)
            try:
                await connection.stop()
            finally:
                connection.finished.set_result(None)
                self.changed.notify()
        return ws

    def _on_payload(self, connection: Connection, payload: JSON) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            self.heartbeats += 1
            self.changed.notify()
            ack: JSON = {"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None}
            connection.send_later(self.heartbeat_ack_delay, ack)
        elif op == OP_IDENTIFY and isinstance(data, dict):
            self._identify(connection, data)
        elif op == OP_RESUME and isinstance(data, dict):
            self._resume(connection, data)
        elif op == OP_REQUEST_MEMBERS and isinstance(data, dict):
            self._request_members(connection, data)
        elif op in (OP_PRESENCE, OP_VOICE_STATE):
            return
        else:
            connection.close(4001, "Unknown opcode.")

    def _identify(self, connection: Connection, data: JSON) -> None:
        self.identify_payloads.append(data)
        if connection.session is not None:
            connection.close(4005, "Already authenticated.")
            return
        if data.get("token") != self.config.token:
            connection.close(4004, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            connection.close(4013, "Invalid intent(s).")
            return
        flags = self.world.application.flags
        for intent, allowing_flags in _PRIVILEGED.items():
            if intents & intent and not flags & allowing_flags:
                connection.close(4014, "Disallowed intent(s).")
                return
        shard = _shard(data.get("shard", [0, 1]))
        if shard is None:
            connection.close(4010, "Invalid shard.")
            return
        bot = self.world.bot
        guilds = [
            g
            for g in self.world.guilds.values()
            if (g.id >> 22) % shard[1] == shard[0] and bot.id in g.members
        ]
        if len(guilds) > self.config.guilds_per_shard:
            connection.close(4011, "Sharding required.")
            return
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            token=str(data["token"]),
            intents=intents,
            shard=shard,
        )
        self.sessions[session.session_id] = session
        session.connection = connection
        connection.session = session
        ready: JSON = {
            "v": 10,
            "user": {**bot.payload(), "verified": True, "mfa_enabled": False, "email": None},
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "application": {"id": str(self.world.application.id), "flags": flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "_trace": ["emulator"],
        }
        if data.get("shard") is not None:
            ready["shard"] = [session.shard[0], session.shard[1]]
        self._send_event(session, "READY", ready)
        for guild in guilds:
            if session.intents & Intent.GUILDS:
                self._send_event(session, "GUILD_CREATE", guild.payload())
        session.ready = True
        self.changed.notify()

    def _resume(self, connection: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        missed = [p for p in session.buffer if p["s"] > seq] if session else []
        lost = session is not None and bool(session.buffer) and session.buffer[0]["s"] > seq + 1
        if session is None or data.get("token") != session.token or lost:
            connection.send({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        if session.connection is not None and session.connection is not connection:
            session.connection.close(4000, "Session resumed elsewhere.")
        session.connection = connection
        connection.session = session
        for payload in missed:
            connection.send(payload)
        self._send_event(session, "RESUMED", {"_trace": ["emulator"]})
        self.resumes += 1
        self.changed.notify()

    def _request_members(self, connection: Connection, data: JSON) -> None:
        session = connection.session
        if session is None:
            connection.close(4003, "Not authenticated.")
            return
        raw_ids = data.get("guild_id")
        listed = raw_ids if isinstance(raw_ids, list) else [raw_ids]
        guild_ids = [g for g in listed if g is not None]
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0)
        user_ids = {int(u) for u in data.get("user_ids") or []}
        for raw in guild_ids:
            guild = self.world.guilds.get(int(raw))
            if guild is None:
                continue
            members = [
                m
                for m in guild.members.values()
                if (not user_ids or m.user.id in user_ids)
                and m.user.username.lower().startswith(query)
            ]
            if limit:
                members = members[:limit]
            chunk: JSON = {
                "guild_id": str(guild.id),
                "members": [m.payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [str(u) for u in user_ids - {m.user.id for m in members}],
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            self._send_event(session, "GUILD_MEMBERS_CHUNK", chunk)
