"""The Bluesky emulator: an aiohttp PDS on 127.0.0.1 with the XRPC methods newsbot uses."""

from __future__ import annotations

import asyncio
import datetime as dt
import fnmatch
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web

from bot.sandbox._faults import handle_or_fail
from bot.sandbox._http import json_response, recorded_body
from bot.sandbox._server import LoopbackServer
from bot.sandbox._violations import Violations

from ._config import BlueskyEmulatorConfig
from ._ids import Clock, Tokens, cid_of
from ._lexicon import Invalid, check, input_schema, lexicon, params
from ._rules import post_problems

JSON = dict[str, Any]
POST = "app.bsky.feed.post"
PUBLIC = ("com.atproto.repo.getRecord", "com.atproto.repo.listRecords")
"""Methods that need no auth (their lexicons: "Does not require auth")."""


@dataclass
class Record:
    """A record in the account's repository."""

    uri: str
    rkey: str
    collection: str
    cid: str
    value: JSON
    created_at: float
    deleted: bool = False

    @property
    def text(self) -> str:
        """A post's text."""
        return str(self.value.get("text", ""))

    @property
    def reply(self) -> JSON | None:
        """A post's reply references."""
        reply = self.value.get("reply")
        return reply if isinstance(reply, dict) else None

    def view(self) -> JSON:
        """The record as getRecord and listRecords answer it."""
        return {"uri": self.uri, "cid": self.cid, "value": self.value}


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator answered."""

    method: str
    nsid: str
    query: dict[str, str]
    body: JSON | None
    status: int
    error: str | None


@dataclass
class Fault:
    """Answer ``status`` to the next ``times`` calls of ``nsid`` (a glob). With
    ``after_handler`` the call takes effect first and only its answer is replaced (a record
    created while the client saw a 5xx). A 429 carries the rate-limit headers, resetting
    ``reset_in`` seconds ahead."""

    nsid: str
    status: int
    times: int = 1
    after_handler: bool = False
    reset_in: float = 1.0
    hits: int = 0

    def matches(self, nsid: str) -> bool:
        """Whether the fault applies (and still has failures to serve)."""
        return self.hits < self.times and fnmatch.fnmatchcase(nsid, self.nsid)


class XrpcError(Exception):
    """An XRPC error answer: ``{"error": name, "message": …}`` with its status."""

    def __init__(
        self, status: int, error: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{error}: {message}")
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The answer as the PDS sends it."""
        return json_response(
            {"error": self.error, "message": self.message}, self.status, self.headers
        )


def _iso(epoch: float) -> str:
    """A datetime as a post's `createdAt`: RFC 3339, UTC, milliseconds."""
    when = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


INTERNAL = XrpcError(500, "InternalServerError", "Internal Server Error")
"""What the PDS answers to a failure of its own (it gives no details for a 500), such as
creating a record at a key that already exists (a unique-key failure in its store)."""


class BlueskyEmulator(LoopbackServer):
    """A loopback PDS hosting one account: sessions, post records, faults.

    ``async with BlueskyEmulator(config) as bsky`` starts it; ``bsky.service`` is what
    newsbot's ``bluesky.service`` takes. ``on_post`` is called with each post record right
    after it is created and before it is answered (tests kill the client there). A request the
    PDS would refuse is answered as it answers and recorded in ``violations``; a post the PDS
    accepts but the app would show broken (a facet off its text, a reply whose references do not
    agree) is created, as on Bluesky, and recorded too.
    """

    def __init__(
        self,
        config: BlueskyEmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.violations = Violations()
        self.config = config or BlueskyEmulatorConfig()
        super().__init__(host, port)
        self.records: list[Record] = []
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self.logins: list[float] = []
        self.refreshes = 0
        self.on_post: Callable[[Record], None] | None = None
        self._tokens = Tokens("did:web:pds.newsbot.test")
        self._clock = Clock()

    async def start(self) -> BlueskyEmulator:
        """Bind and start serving."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_route("*", "/xrpc/{nsid}", self._dispatch)
        await self._serve(app)
        return self

    @property
    def service(self) -> str:
        """``http://127.0.0.1:<port>``: the value of newsbot's ``bluesky.service``."""
        return self.url

    def env(self) -> dict[str, str]:
        """newsbot's environment variables for this emulator."""
        return {
            "NEWSBOT_BLUESKY__SERVICE": self.service,
            "NEWSBOT_BLUESKY__HANDLE": self.config.handle,
            "NEWSBOT_BLUESKY__APP_PASSWORD": self.config.app_password,
        }

    # -- what happened -----------------------------------------------------------------

    def posts(self) -> list[Record]:
        """The account's posts that are not deleted, oldest first."""
        return [r for r in self.records if r.collection == POST and not r.deleted]

    def posted_earlier(self, texts: list[str], *, at: float) -> None:
        """Put posts made at `at` (epoch seconds) in the account's repository, as if made
        from elsewhere then: their keys are TIDs of that time."""
        for n, text in enumerate(texts):
            rkey = self._clock.at(at, n)
            value: JSON = {"$type": POST, "text": text, "createdAt": _iso(at)}
            uri = f"at://{self.config.did}/{POST}/{rkey}"
            self.records.append(Record(uri, rkey, POST, cid_of(value), value, at))
        self.records.sort(key=lambda r: r.created_at)  # oldest first, as `posts` says

    def record(self, uri: str) -> Record | None:
        """The live record at ``uri``, if there is one."""
        return next((r for r in self.records if r.uri == uri and not r.deleted), None)

    def inject(
        self,
        nsid: str,
        status: int = 429,
        times: int = 1,
        *,
        after_handler: bool = False,
        reset_in: float = 1.0,
    ) -> Fault:
        """Answer the next ``times`` calls of ``nsid`` with ``status`` (see ``Fault``)."""
        fault = Fault(nsid, status, times, after_handler, reset_in)
        self.faults.append(fault)
        return fault

    def expire_access_tokens(self) -> None:
        """Move the PDS's clock on by an access token's lifetime: every access token issued so
        far is expired, while the client's clock says it is not (it meets ``ExpiredToken``)."""
        self._tokens.skew += self.config.access_lifetime

    # -- the server --------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        nsid = request.match_info.get("nsid", request.path)
        body: JSON | None = await recorded_body(request)
        fault = next((f for f in self.faults if f.matches(nsid)), None)
        error: str | None = None
        try:
            response = await handle_or_fail(request, handler, fault, self._fault_error)
        except XrpcError as exc:
            response, error = exc.response(), exc.error
        self.requests.append(
            RequestRecord(request.method, nsid, dict(request.query), body, response.status, error)
        )
        return response

    def _fault_error(self, fault: Fault) -> XrpcError:
        if fault.status == 429:
            reset = int(time.time() + fault.reset_in + 0.999)
            headers = {
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "5000;w=3600",
            }
            return XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
        if fault.status == 500:
            return INTERNAL
        if fault.status == 400:
            # What the PDS answers a post its lexicon refuses (a client's fault, not injected
            # as a violation: the test that injects it expects it).
            why = f"Invalid {POST} record: Record/text must not be longer than 300 graphemes"
            return XrpcError(400, "InvalidRequest", why)
        return XrpcError(fault.status, "UpstreamFailure", "Upstream Failure")

    def _refuse(
        self, request: web.Request, kind: str, status: int, name: str, why: str
    ) -> NoReturn:
        nsid = request.match_info["nsid"]
        self.violations.record("spec" if kind == "spec" else "rule", request.method, nsid, why)
        raise XrpcError(status, name, why)

    async def _dispatch(self, request: web.Request) -> web.Response:
        nsid = request.match_info["nsid"]
        handlers: dict[str, tuple[str, Callable[[web.Request], Awaitable[web.Response]]]] = {
            "com.atproto.server.createSession": ("POST", self._create_session),
            "com.atproto.server.refreshSession": ("POST", self._refresh_session),
            "com.atproto.repo.createRecord": ("POST", self._create_record),
            "com.atproto.repo.deleteRecord": ("POST", self._delete_record),
            "com.atproto.repo.getRecord": ("GET", self._get_record),
            "com.atproto.repo.listRecords": ("GET", self._list_records),
        }
        if nsid not in handlers:
            self._refuse(request, "spec", 501, "MethodNotImplemented", "Method Not Implemented")
        method, handler = handlers[nsid]
        if request.method != method:
            why = f"Incorrect HTTP method ({request.method}) expected {method}"
            self._refuse(request, "spec", 400, "InvalidRequest", why)
        if method == "POST" and nsid != "com.atproto.server.refreshSession":
            try:
                check(await request.json(), input_schema(nsid), nsid, "Input")
            except (Invalid, ValueError) as exc:
                self._refuse(request, "spec", 400, "InvalidRequest", str(exc))
        return await handler(request)

    # -- sessions ----------------------------------------------------------------------

    def _session(self, did: str) -> JSON:
        config = self.config
        doc = {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "alsoKnownAs": [f"at://{config.handle}"],
            "verificationMethod": [],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.url,
                }
            ],
        }
        return {
            "accessJwt": self._tokens.make(did, refresh=False, lifetime=config.access_lifetime),
            "refreshJwt": self._tokens.make(did, refresh=True, lifetime=config.refresh_lifetime),
            "handle": config.handle,
            "did": did,
            "didDoc": doc,
            "active": True,
        }

    async def _create_session(self, request: web.Request) -> web.Response:
        body = await request.json()
        config = self.config
        now = time.time()
        recent = [t for t in self.logins if t > now - config.session_window]
        if len(recent) >= config.sessions_per_window:
            self.violations.record(
                "rule",
                request.method,
                "com.atproto.server.createSession",
                f"more than {config.sessions_per_window} logins in {config.session_window:.0f} s "
                "(bsky.social rate-limits createSession: log in once, refresh the session)",
            )
            reset = str(int(recent[0] + config.session_window + 1))
            headers = {
                "ratelimit-limit": str(config.sessions_per_window),
                "ratelimit-remaining": "0",
                "ratelimit-reset": reset,
                "ratelimit-policy": f"{config.sessions_per_window};w={config.session_window:.0f}",
            }
            raise XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
        if body["identifier"] not in (config.handle, config.did) or (
            body["password"] != config.app_password
        ):
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        self.logins.append(now)
        return json_response(self._session(config.did))

    def _bearer(self, request: web.Request, *, refresh: bool = False) -> dict[str, Any] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = header.removeprefix("Bearer ")
        try:
            claims = self._tokens.read(token, refresh=refresh)
        except Invalid as exc:
            name, _, message = str(exc).partition(": ")
            raise XrpcError(400, name, message) from None
        return claims

    def _account(self, request: web.Request) -> str:
        claims = self._bearer(request)
        if claims is None:
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        return str(claims["sub"])

    async def _refresh_session(self, request: web.Request) -> web.Response:
        claims = self._bearer(request, refresh=True)
        if claims is None:
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        # The refresh token is rotated: the one used is revoked (packages/pds, refreshSession).
        self._tokens.revoked.add(str(claims["jti"]))
        self.refreshes += 1
        return json_response(self._session(str(claims["sub"])))

    # -- records -----------------------------------------------------------------------

    def _repo(self, repo: str) -> None:
        if repo not in (self.config.did, self.config.handle):
            raise XrpcError(400, "InvalidRequest", f"Could not find repo: {repo}")

    async def _create_record(self, request: web.Request) -> web.Response:
        did = self._account(request)
        body = await request.json()
        if body["repo"] not in (did, self.config.handle):
            raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        collection, value = body["collection"], dict(body["record"])
        value.setdefault("$type", collection)
        if value["$type"] != collection:
            why = f"Invalid $type: expected {collection}, got {value['$type']}"
            self._refuse(request, "spec", 400, "InvalidRequest", why)
        rkey = body.get("rkey") or self._clock.next()
        if collection == POST and body.get("validate") is not False:
            try:
                if "rkey" in body:
                    check(rkey, {"type": "string", "format": "tid"}, POST, "rkey")
                check(value, lexicon(POST)["defs"]["main"], POST, "Record")
            except Invalid as exc:
                why = f"Invalid {POST} record: {exc}"
                self._refuse(request, "spec", 400, "InvalidRequest", why)
            for problem in post_problems(value, self.record):
                self.violations.record("rule", request.method, request.match_info["nsid"], problem)
        uri = f"at://{did}/{collection}/{rkey}"
        if any(r.uri == uri for r in self.records):
            raise INTERNAL
        record = Record(uri, rkey, collection, cid_of(value), value, time.time())
        self.records.append(record)
        if collection == POST and self.on_post is not None:
            self.on_post(record)
        commit = {"cid": cid_of({"record": record.cid}), "rev": self._clock.next()}
        answer = {"uri": uri, "cid": record.cid, "commit": commit, "validationStatus": "valid"}
        return json_response(answer)

    async def _delete_record(self, request: web.Request) -> web.Response:
        did = self._account(request)
        body = await request.json()
        if body["repo"] not in (did, self.config.handle):
            raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        record = self.record(f"at://{did}/{body['collection']}/{body['rkey']}")
        if record is None:
            return json_response({})
        record.deleted = True
        return json_response(
            {"commit": {"cid": cid_of({"deleted": record.cid}), "rev": self._clock.next()}}
        )

    def _query(self, request: web.Request) -> JSON:
        self._bearer(request)
        nsid = request.match_info["nsid"]
        try:
            query = params(nsid, dict(request.query))
        except Invalid as exc:
            self._refuse(request, "spec", 400, "InvalidRequest", str(exc))
        self._repo(query["repo"])
        return query

    async def _get_record(self, request: web.Request) -> web.Response:
        query = self._query(request)
        uri = f"at://{self.config.did}/{query['collection']}/{query['rkey']}"
        record = self.record(uri)
        if record is None or query.get("cid", record.cid) != record.cid:
            raise XrpcError(400, "RecordNotFound", f"Could not locate record: {uri}")
        return json_response(record.view())

    async def _list_records(self, request: web.Request) -> web.Response:
        query = self._query(request)
        limit = int(query.get("limit", 50))
        reverse = bool(query.get("reverse", False))
        cursor = query.get("cursor")
        live = [r for r in self.records if r.collection == query["collection"] and not r.deleted]
        live.sort(key=lambda r: r.rkey, reverse=not reverse)
        if cursor is not None:
            live = [r for r in live if (r.rkey > cursor if reverse else r.rkey < cursor)]
        page = live[:limit]
        answer: JSON = {"records": [r.view() for r in page]}
        if page:
            answer["cursor"] = page[-1].rkey
        return json_response(answer)
