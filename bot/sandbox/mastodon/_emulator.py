"""The Mastodon emulator: an aiohttp server on 127.0.0.1 with the REST routes newsbot uses.

Mastodon publishes no OpenAPI document; each rule checked here names the documentation page
(docs.joinmastodon.org) or the server source it comes from.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.web_middlewares import normalize_path_middleware

from bot.sandbox._faults import Fault, RouteFaults, handle_or_fail
from bot.sandbox._http import json_response
from bot.sandbox._server import LoopbackServer
from bot.sandbox._violations import Violations

from ._config import MastodonEmulatorConfig
from ._instance import description, description_v1, older_than
from ._rules import hashtags, mentions, status_length, url_spans
from ._scopes import OUTSIDE_SCOPES, allowed

JSON = dict[str, Any]
RATE_WINDOW = 5 * 60.0
"""Mastodon's default limits count requests per 5 minutes (docs: Rate limits)."""
DELETE_WINDOW = 30 * 60.0
"""…and deleted statuses per 30 minutes (docs: Rate limits, `DELETE /api/v1/statuses/:id`)."""

VISIBILITIES = frozenset({"public", "unlisted", "private", "direct"})
"""`visibility` of POST /api/v1/statuses (docs: Statuses › Post a new status)."""
# Mastodon's answers, as its API sends them (docs: Statuses, Error entity; config/locales/en.yml).
TOO_LONG = "Validation failed: Text character limit of {max} exceeded"
BLANK = "Validation failed: Text can't be blank"
REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."
BAD_TOKEN = "The access token is invalid"
NOT_FOUND = "Record not found"
TOO_MANY = "Too many requests"


@dataclass
class Status:
    """A status on the emulated instance: its text as sent, and where it sits in a thread."""

    id: int
    text: str
    visibility: str
    created_at: float
    in_reply_to_id: int | None = None
    idempotency_key: str | None = None
    deleted: bool = False
    mentions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def to_json(self, account: JSON) -> JSON:
        """The Status entity (docs: Entities › Status), content as HTML as Mastodon renders it."""
        return {
            "id": str(self.id),
            "uri": f"{account['url']}/statuses/{self.id}",
            "url": f"{account['url']}/{self.id}",
            "created_at": _iso(self.created_at),
            "account": account,
            "content": render_content(self.text),
            "visibility": self.visibility,
            "sensitive": False,
            "spoiler_text": "",
            "media_attachments": [],
            "mentions": [{"acct": name} for name in self.mentions],
            "tags": [{"name": name} for name in self.tags],
            "emojis": [],
            "reblogs_count": 0,
            "favourites_count": 0,
            "replies_count": 0,
            "in_reply_to_id": None if self.in_reply_to_id is None else str(self.in_reply_to_id),
            "in_reply_to_account_id": None if self.in_reply_to_id is None else account["id"],
            "reblog": None,
            "poll": None,
            "card": None,
            "language": "en",
            "edited_at": None,
        }


def render_content(text: str) -> str:
    """A plain-text status as Mastodon's formatter renders it: escaped, paragraphs and line
    breaks, each URL a link whose visible and invisible spans hold the whole URL."""
    parts: list[str] = []
    at = 0
    for start, end in url_spans(text):
        url = text[start:end]
        scheme, rest = url.split("://", 1)
        shown, hidden = rest[:30], rest[30:]
        parts += [
            html.escape(text[at:start], quote=False),
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener">'
            f'<span class="invisible">{scheme}://</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>',
        ]
        at = end
    parts.append(html.escape(text[at:], quote=False))
    body = "".join(parts)
    paragraphs = [p.replace("\n", "<br />") for p in body.split("\n\n")]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator answered."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    status: int


class MastodonAPIError(Exception):
    """An answer other than success, in Mastodon's Error entity: `{"error": "…"}`."""

    def __init__(self, status: int, error: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The answer as Mastodon sends it."""
        return json_response({"error": self.error}, self.status, self.headers)


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    """docs: Rate limits — `X-RateLimit-Reset` is an ISO 8601 timestamp, not epoch seconds."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, remaining)),
        "X-RateLimit-Reset": _iso(reset),
    }


@dataclass
class _Window:
    """Requests counted in a fixed window of `period` seconds from `start`."""

    period: float
    start: float = field(default_factory=time.time)
    counted: int = 0

    def count(self, now: float) -> None:
        if now - self.start > self.period:
            self.start, self.counted = now, 0
        self.counted += 1


class MastodonEmulator(LoopbackServer, RouteFaults):
    """A loopback Mastodon instance with one account: post, read, delete statuses; faults.

    ``async with MastodonEmulator(config) as m`` starts it on 127.0.0.1; ``m.api_base`` is
    what newsbot's ``mastodon.api_base`` takes. ``on_post`` is called with each status right
    after it is created and before it is answered (tests kill the client there). A request
    refused because it breaks one of Mastodon's rules is recorded in ``violations``.
    """

    def __init__(
        self,
        config: MastodonEmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.violations = Violations()
        self.config = config or MastodonEmulatorConfig()
        super().__init__(host, port)
        self.statuses: list[Status] = []
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self.on_post: Callable[[Status], None] | None = None
        self._sequence = itertools.count()
        self._last_id = 0
        self._keys: dict[str, tuple[float, int]] = {}
        self._requests = _Window(RATE_WINDOW)
        self._deletes = _Window(DELETE_WINDOW)

    async def start(self) -> MastodonEmulator:
        """Bind and start serving."""
        # Rails routes ignore a trailing slash, and Mastodon.py sends some paths with one.
        app = web.Application(
            middlewares=[
                normalize_path_middleware(append_slash=False, remove_slash=True),
                self._middleware,
            ]
        )
        app.router.add_post("/api/v1/statuses", self._create)
        app.router.add_get("/api/v1/statuses/{id}", self._show)
        app.router.add_delete("/api/v1/statuses/{id}", self._delete)
        app.router.add_get("/api/v2/instance", self._instance)
        app.router.add_get("/api/v1/instance", self._instance_v1)
        app.router.add_get("/api/v1/accounts/verify_credentials", self._verify)
        app.router.add_get("/api/v1/accounts/{id}/statuses", self._account_statuses)
        await self._serve(app)
        return self

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:<port>``: the value of newsbot's ``mastodon.api_base``."""
        return self.url

    def env(self) -> dict[str, str]:
        """newsbot's environment variables for this emulator (address and token)."""
        return {
            "NEWSBOT_MASTODON__API_BASE": self.api_base,
            "NEWSBOT_MASTODON__ACCESS_TOKEN": self.config.access_token,
        }

    def live_statuses(self) -> list[Status]:
        """The account's statuses that are not deleted, oldest first."""
        return [s for s in self.statuses if not s.deleted]

    def posted_earlier(self, texts: list[str], *, at: float) -> None:
        """Put statuses made at `at` (epoch seconds) on the account, as if posted from
        elsewhere (no request, counted by no rate limit); those made next come after."""
        for text in texts:
            status = Status(self._id_at(at), text, "public", at)
            self._last_id = max(self._last_id, status.id)
            self.statuses.append(status)
        self.statuses.sort(key=lambda s: s.id)  # oldest first, as `live_statuses` says

    def _id_at(self, at: float) -> int:
        """A status id as Mastodon makes one: Snowflake-like, the time in milliseconds shifted
        left 16 bits and a sequence below (lib/mastodon/snowflake.rb, `timestamp_id`)."""
        return int(at * 1000) << 16 | next(self._sequence) & 0xFFFF

    def status(self, status_id: int) -> Status | None:
        """The status with this id, if there is one."""
        return next((s for s in self.statuses if s.id == status_id), None)

    # -- the server --------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        fault = self._fault_for(request)
        form: dict[str, str] = {}
        try:
            form = await _params(request)
            # docs: every route newsbot uses needs the account's Bearer token, but the
            # instance's description, which is public (docs: Instance › View server information).
            expected = f"Bearer {self.config.access_token}"
            given = request.headers.get("Authorization", "")
            public = request.path in ("/api/v2/instance", "/api/v1/instance")
            if not public and not secrets.compare_digest(given, expected):
                raise MastodonAPIError(401, BAD_TOKEN)
            if not allowed(self.config.scopes, request.method, request.path):
                raise MastodonAPIError(403, OUTSIDE_SCOPES)
            limits = self._throttle(request)
            response = await handle_or_fail(request, handler, fault, self._fault_error)
            response.headers.update(limits)
        except MastodonAPIError as exc:
            response = exc.response()
        self.requests.append(
            RequestRecord(
                request.method,
                request.path,
                dict(request.query),
                form,
                dict(request.headers),
                response.status,
            )
        )
        return response

    def _fault_error(self, fault: Fault) -> MastodonAPIError:
        if fault.status == 429:
            return MastodonAPIError(429, TOO_MANY, self._limit_headers(reset_in=fault.reset_in))
        return MastodonAPIError(fault.status, "We're sorry, but something went wrong on our end.")

    def _throttle(self, request: web.Request) -> dict[str, str]:
        """Count the request against the account's limits (docs: Rate limits: 300 requests per
        5 minutes, 30 deleted statuses per 30 minutes); past one, Mastodon's 429. The headers
        tell of the limit closest to being reached (docs: Rate limits, "the limit that is
        closest to being hit"). The public instance description is counted by IP: not here."""
        if request.path in ("/api/v2/instance", "/api/v1/instance"):
            return {}
        now = time.time()
        counted = [(self._requests, self.config.rate_limit)]
        if request.method == "DELETE" and request.path.startswith("/api/v1/statuses/"):
            counted.append((self._deletes, self.config.delete_limit))
        for window, _ in counted:
            window.count(now)
        window, limit = min(counted, key=lambda c: c[1] - c[0].counted)
        headers = _headers(limit, limit - window.counted, window.start + window.period)
        if any(w.counted > limit for w, limit in counted):
            raise MastodonAPIError(429, TOO_MANY, headers)
        return headers

    def _limit_headers(self, *, reset_in: float) -> dict[str, str]:
        """The headers of an injected 429: nothing left until `reset_in` from now."""
        return _headers(self.config.rate_limit, 0, time.time() + reset_in)

    def _refuse(self, request: web.Request, error: MastodonAPIError, rule: str) -> MastodonAPIError:
        """Record that ``request`` broke ``rule`` and return Mastodon's answer to raise."""
        self.violations.record("rule", request.method, request.path, f"{rule} — {error.error}")
        return error

    def _account(self) -> JSON:
        config = self.config
        return {
            "id": str(config.account_id),
            "username": config.username,
            "acct": config.username,
            "display_name": "newsbot test",
            "url": f"https://{config.domain}/@{config.username}",
            "bot": True,
            "locked": False,
            "created_at": _iso(0),
            "note": "",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(self.live_statuses()),
            "emojis": [],
            "fields": [],
        }

    async def _create(self, request: web.Request) -> web.Response:
        """``POST /api/v1/statuses`` (docs: Statuses › Post a new status)."""
        params = await _params(request)
        key = request.headers.get("Idempotency-Key")
        now = time.time()
        # The status replied to is looked up first (StatusesController's `set_thread`).
        reply_to = params.get("in_reply_to_id") or None
        parent = self.status(int(reply_to)) if reply_to and _is_id(reply_to) else None
        if reply_to is not None and (parent is None or parent.deleted):
            raise self._refuse(
                request,
                MastodonAPIError(404, REPLY_NOT_FOUND),
                f"in_reply_to_id names a status that does not exist ({reply_to})",
            )
        made = self._keys.get(key) if key is not None else None
        if made is not None and now - made[0] < self.config.idempotency_window:
            # docs: same key within the window → the status made the first time, nothing new;
            # that status deleted, Mastodon cannot find it (PostStatusService looks among the
            # account's statuses, deleted ones left out) and answers 404.
            earlier = self.status(made[1])
            if earlier is None or earlier.deleted:
                raise MastodonAPIError(404, NOT_FOUND)
            return json_response(earlier.to_json(self._account()))
        text = params.get("status", "")
        visibility = params.get("visibility", "public")
        if visibility not in VISIBILITIES:
            raise self._refuse(
                request,
                MastodonAPIError(422, f"'{visibility}' is not a valid visibility"),
                "visibility is public, unlisted, private or direct (docs: Statuses)",
            )
        if not text.strip():
            raise self._refuse(
                request, MastodonAPIError(422, BLANK), "a status without media needs text"
            )
        length = status_length(text, self.config.characters_reserved_per_url)
        if length > self.config.max_characters:
            raise self._refuse(
                request,
                MastodonAPIError(422, TOO_LONG.format(max=self.config.max_characters)),
                f"a status is at most max_characters ({self.config.max_characters}) as "
                f"StatusLengthValidator counts (this one: {length})",
            )
        self._last_id = max(self._id_at(now), self._last_id + 1)
        status = Status(
            id=self._last_id,
            text=text,
            visibility=visibility,
            created_at=now,
            in_reply_to_id=None if parent is None else parent.id,
            idempotency_key=key,
            mentions=mentions(text),
            tags=hashtags(text),
        )
        self.statuses.append(status)
        if key is not None:
            self._keys[key] = (now, status.id)
        if self.on_post is not None:
            self.on_post(status)
        return json_response(status.to_json(self._account()))

    def _find(self, request: web.Request) -> Status:
        raw = request.match_info["id"]
        status = self.status(int(raw)) if _is_id(raw) else None
        if status is None or status.deleted:
            raise MastodonAPIError(404, NOT_FOUND)
        return status

    async def _show(self, request: web.Request) -> web.Response:
        return json_response(self._find(request).to_json(self._account()))

    async def _delete(self, request: web.Request) -> web.Response:
        status = self._find(request)
        status.deleted = True
        body = status.to_json(self._account())
        body["text"] = status.text  # docs: a deleted status comes back with its source text
        return json_response(body)

    async def _instance(self, request: web.Request) -> web.Response:
        """``GET /api/v2/instance``; an instance before 4.0.0 has no such route (Rails answers an
        unknown route 404)."""
        if older_than(self.config.version, "4.0.0"):
            raise MastodonAPIError(404, NOT_FOUND)
        return json_response(description(self.config))

    async def _instance_v1(self, request: web.Request) -> web.Response:
        """``GET /api/v1/instance``."""
        return json_response(description_v1(self.config, len(self.statuses)))

    async def _verify(self, request: web.Request) -> web.Response:
        account = self._account()
        account["source"] = {"privacy": "public", "sensitive": False, "note": "", "fields": []}
        return json_response(account)

    async def _account_statuses(self, request: web.Request) -> web.Response:
        """``GET /api/v1/accounts/:id/statuses``: newest first, `limit` ≤ 40 (default 20)
        (docs: Accounts › Get account's statuses). `max_id` and `since_id` bound the ids
        (lower than, greater than), the newest page within; `min_id` pages forward, the page
        just newer than it, still newest first, and `since_id` is then not read (Paginable's
        `to_a_paginated_by_id`, app/models/concerns/paginable.rb)."""
        if request.match_info["id"] != str(self.config.account_id):
            raise MastodonAPIError(404, NOT_FOUND)
        try:
            limit = min(40, max(1, int(request.query.get("limit", "20"))))
        except ValueError:
            limit = 20
        max_id, since_id, min_id = (_bound(request, name) for name in _BOUNDS)
        statuses = sorted(self.live_statuses(), key=lambda s: s.id)
        if max_id is not None:
            statuses = [s for s in statuses if s.id < max_id]
        if min_id is not None:
            page = [s for s in statuses if s.id > min_id][:limit]
        else:
            if since_id is not None:
                statuses = [s for s in statuses if s.id > since_id]
            page = statuses[-limit:]
        account = self._account()
        return json_response([s.to_json(account) for s in reversed(page)])


_BOUNDS = ("max_id", "since_id", "min_id")


def _bound(request: web.Request, name: str) -> int | None:
    """A paging bound of the query, if it holds an id (one in other digits bounds nothing)."""
    raw = request.query.get(name)
    return int(raw) if raw and _is_id(raw) else None


async def _params(request: web.Request) -> dict[str, str]:
    """A request's parameters: Mastodon reads a form body, a JSON body and the query alike."""
    if request.method in ("GET", "DELETE") or not request.body_exists:
        return dict(request.query)
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.read())
        except ValueError:
            raise MastodonAPIError(400, "the body is not valid JSON") from None
        if not isinstance(body, dict):
            return {}
        return {k: "" if v is None else str(v) for k, v in body.items()}
    form = await request.post()
    return {k: str(v) for k, v in form.items()}


def _is_id(raw: str) -> bool:
    """Whether `raw` is an id as Mastodon reads one: ASCII digits (Rails reads `²` or `٢` as 0,
    which no status has; Python's `int` would read `٢` as 2 or fail on `²`)."""
    return raw.isascii() and raw.isdigit()
