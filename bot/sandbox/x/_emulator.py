"""The X emulator: an aiohttp server on 127.0.0.1 with the API v2 routes newsbot uses."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import html
import itertools
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from oauthlib.oauth1.rfc5849 import signature, utils

from bot._vendor.twitter_text import parse_tweet
from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot.sandbox._faults import Fault, RouteFaults, handle_or_fail
from bot.sandbox._http import json_response, recorded_body
from bot.sandbox._openapi import SpecCheck
from bot.sandbox._server import LoopbackServer
from bot.sandbox._violations import Violations

from ._config import XEmulatorConfig
from ._spec import x_body, x_document, x_refusal

JSON = dict[str, Any]
FIRST_ID = 1_800_000_000_000_000_000

# X's answers to the rules of POST /2/tweets (X API › Create Post; the length is twitter-text's
# weighted count, X's "Counting characters"), in the problem shape X sends for a 403.
TOO_LONG = (
    "Your Tweet text is too long. For more information on how X determines text length see "
    "https://github.com/twitter/twitter-text."
)
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
REPLY_TO_MISSING = "You attempted to reply to a Tweet that is deleted or not visible to you."
# X publishes no wording for quoting a missing post: its answer to a reply's is mirrored (a
# test may make it another, `XEmulatorConfig.quote_of_missing`: a client must not rely on it).
QUOTE_OF_MISSING = "You attempted to quote a Tweet that is deleted or not visible to you."
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
"""The problem type of X's answer to reading a post that is not there: `GET /2/tweets/:id`
answers 200 with no `data` and this problem under `errors` (X API › Get Post by ID; the
answers name api.twitter.com, where the OpenAPI document's enum says api.x.com)."""
REPLY_REFUSED = (
    "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to."
)
REPLY_SETTINGS = frozenset({"following", "mentionedUsers", "subscribers", "verified"})
"""Who may reply to a post (the X API's POST /2/tweets); absent means everyone."""
INVALID_REQUEST = "https://api.x.com/2/problems/invalid-request"


@dataclass
class Tweet:
    """A post on the emulated X: its text as sent, and what it replies to or quotes."""

    id: int
    text: str
    author_id: int
    created_at: float
    in_reply_to: int | None = None
    quote_of: int | None = None
    reply_settings: str | None = None
    deleted: bool = False
    shown_text: str = ""
    """The text as X returns it (t.co links, HTML escapes)."""

    def to_json(self) -> JSON:
        """The post as `GET /2/users/:id/tweets` returns it."""
        data: JSON = {
            "id": str(self.id),
            "text": self.shown_text or self.text,
            "edit_history_tweet_ids": [str(self.id)],
            "author_id": str(self.author_id),
        }
        refs = []
        if self.in_reply_to is not None:
            refs.append({"type": "replied_to", "id": str(self.in_reply_to)})
        if self.quote_of is not None:
            refs.append({"type": "quoted", "id": str(self.quote_of)})
        if refs:
            data["referenced_tweets"] = refs
        return data


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator answered."""

    method: str
    path: str
    query: dict[str, str]
    body: JSON | None
    status: int
    authorized: bool


@dataclass(frozen=True)
class Charge:
    """One entry of the pay-per-use ledger: a post created, and its price."""

    tweet_id: int
    has_url: bool
    price: float


class XAPIError(Exception):
    """An answer other than success, in X's problem shape.

    ``errors`` (with ``problem`` the invalid-request type) is the list X adds to a 400 naming
    each bad parameter: ``{"parameters": {"max_results": ["2"]}, "message": "…"}``.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        headers: dict[str, str] | None = None,
        *,
        problem: str = "about:blank",
        errors: list[JSON] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.problem = problem
        self.errors = errors

    def response(self) -> web.Response:
        """The answer as X sends it."""
        titles = {
            400: "Invalid Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            429: "Too Many Requests",
        }
        body: JSON = {
            "title": titles.get(self.status, "Service Unavailable"),
            "detail": self.detail,
            "type": self.problem,
        }
        if self.errors is not None:
            body = {"errors": self.errors, **body}
        else:
            body["status"] = self.status
        return json_response(body, self.status, self.headers)


def invalid_parameter(name: str, value: object, message: str) -> XAPIError:
    """X's 400 for one bad parameter: the invalid-request problem with its ``errors``."""
    return XAPIError(
        400,
        "One or more parameters to your request was invalid.",
        problem=INVALID_REQUEST,
        errors=[{"parameters": {name: [str(value)]}, "message": message}],
    )


EARLIEST_START = dt.datetime(2010, 11, 6, tzinfo=dt.UTC)
"""`start_time` "Must be on or after 2010-11-06" (X's OpenAPI, GET /2/users/{id}/tweets)."""


def _start_time(value: str) -> float:
    """A timeline's `start_time` (``YYYY-MM-DDTHH:mm:ssZ``, "the oldest UTC timestamp from
    which the Posts will be provided", inclusive) as epoch seconds; refused as X refuses it."""
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        parsed = None
    if parsed is None or parsed < EARLIEST_START:
        raise invalid_parameter(
            "start_time",
            value,
            f"Invalid 'start_time':'{value}'. 'start_time' must be on or after 2010-11-06T00:00Z",
        )
    return parsed.timestamp()


class XEmulator(LoopbackServer, RouteFaults):
    """A loopback X: post, delete, read the account's posts; caps, faults, a cost ledger.

    ``async with XEmulator(config) as x`` starts it on 127.0.0.1 (port 0 picks a free one);
    ``x.api_base`` is what newsbot's ``x.api_base`` setting takes. ``on_post`` is called
    with each post right after it is created and before it is answered (tests kill the
    client there). A request refused because it breaks one of X's rules is recorded in
    ``violations`` (kind ``"rule"``) besides being answered as X answers it.
    """

    def __init__(
        self, config: XEmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.violations = Violations()
        self.config = config or XEmulatorConfig()
        super().__init__(host, port)
        self.tweets: list[Tweet] = []
        self.requests: list[RequestRecord] = []
        self.charges: list[Charge] = []
        self.faults: list[Fault] = []
        self.on_post: Callable[[Tweet], None] | None = None
        self._ids = itertools.count(FIRST_ID, 4096)
        self.spec_check = SpecCheck(x_document(), self.violations, x_body, x_refusal)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> XEmulator:
        """Bind and start serving."""
        # Inside the emulator's own middleware: authentication and faults come first, as on X,
        # and a refused request is recorded with the others.
        app = web.Application(middlewares=[self._middleware, self.spec_check.middleware])
        app.router.add_post("/2/tweets", self._create)
        app.router.add_get("/2/tweets/{id}", self._read)
        app.router.add_delete("/2/tweets/{id}", self._delete)
        app.router.add_get("/2/users/me", self._me)
        app.router.add_get("/2/users/{id}/tweets", self._timeline)
        await self._serve(app)
        return self

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:<port>``: the value of newsbot's ``x.api_base``."""
        return self.url

    def env(self) -> dict[str, str]:
        """newsbot's environment variables for this emulator (keys and ``x.api_base``)."""
        return {
            "NEWSBOT_X__API_BASE": self.api_base,
            "NEWSBOT_X__CONSUMER_KEY": self.config.consumer_key,
            "NEWSBOT_X__CONSUMER_SECRET": self.config.consumer_secret,
            "NEWSBOT_X__ACCESS_TOKEN": self.config.access_token,
            "NEWSBOT_X__ACCESS_TOKEN_SECRET": self.config.access_token_secret,
        }

    # -- what happened -----------------------------------------------------------------

    def posted_earlier(self, texts: list[str], *, at: float) -> None:
        """Put posts made at `at` (epoch seconds) before these tests on the account."""
        for text in texts:
            self.tweets.append(
                Tweet(next(self._ids), text, self.config.user_id, at, shown_text=text)
            )

    def live_tweets(self) -> list[Tweet]:
        """The account's posts that are not deleted, oldest first."""
        return [t for t in self.tweets if not t.deleted]

    def tweet(self, tweet_id: int) -> Tweet | None:
        """The post with this id, if there is one."""
        return next((t for t in self.tweets if t.id == tweet_id), None)

    @property
    def cost(self) -> float:
        """What the posts created so far cost."""
        return sum(c.price for c in self.charges)

    # -- the server --------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        body: JSON | None = await recorded_body(request)
        authorized = self._authorized(request)
        fault = self._fault_for(request)
        try:
            if not authorized:
                raise XAPIError(401, "Unauthorized")
            response = await handle_or_fail(request, handler, fault, self._fault_error)
        except XAPIError as exc:
            response = exc.response()
        self.requests.append(
            RequestRecord(
                request.method,
                request.path,
                dict(request.query),
                body,
                response.status,
                authorized,
            )
        )
        return response

    def _fault_error(self, fault: Fault) -> XAPIError:
        if fault.status == 429:
            return XAPIError(429, "Too Many Requests", self._limit_headers(reset_in=fault.reset_in))
        return XAPIError(fault.status, f"{fault.status}: the service is unavailable")

    def _authorized(self, request: web.Request) -> bool:
        """Whether the request carries a valid OAuth 1.0a user-context signature."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return False
        params = dict(utils.parse_authorization_header(header))
        config = self.config
        if params.get("oauth_consumer_key") != config.consumer_key:
            return False
        if params.get("oauth_token") != config.access_token or "oauth_signature" not in params:
            return False
        if not config.verify_signatures:
            return True
        uri = config.signed_base + request.path_qs
        collected = signature.collect_parameters(
            uri_query=request.query_string, headers={"Authorization": header}
        )
        base = signature.signature_base_string(
            request.method.upper(),
            signature.base_string_uri(uri),
            signature.normalize_parameters(collected),
        )
        key = f"{utils.escape(config.consumer_secret)}&{utils.escape(config.access_token_secret)}"
        digest = hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()
        expected = base64.b64encode(digest).decode()
        return secrets.compare_digest(expected, utils.unescape(params["oauth_signature"]))

    def _window(self) -> list[Tweet]:
        since = time.time() - self.config.cap_window
        return [t for t in self.tweets if t.created_at > since]

    def _limit_headers(self, *, reset_in: float | None = None) -> dict[str, str]:
        window = self._window()
        remaining = max(0, self.config.daily_posts - len(window))
        if reset_in is not None:
            reset = time.time() + reset_in
        elif window:
            reset = window[0].created_at + self.config.cap_window
        else:
            reset = time.time() + self.config.cap_window
        return {
            "x-rate-limit-limit": str(self.config.daily_posts),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(int(reset) + (0 if reset == int(reset) else 1)),
        }

    def _refuse(self, request: web.Request, error: XAPIError, rule: str) -> XAPIError:
        """Record that ``request`` broke ``rule`` and return X's answer to raise."""
        self.violations.record("rule", request.method, request.path, f"{rule} — {error.detail}")
        return error

    async def _create(self, request: web.Request) -> web.Response:
        """``POST /2/tweets``: X's rules on text, replies and quotes, then the post."""
        body = await request.json()
        text = str(body.get("text", ""))
        reply = body.get("reply") or {}
        in_reply_to = (
            int(reply["in_reply_to_tweet_id"]) if reply.get("in_reply_to_tweet_id") else None
        )
        quote = int(body["quote_tweet_id"]) if body.get("quote_tweet_id") else None
        reply_settings = body.get("reply_settings")
        if reply_settings is not None and reply_settings not in REPLY_SETTINGS:
            raise self._refuse(
                request,
                invalid_parameter(
                    "reply_settings",
                    reply_settings,
                    f"The `reply_settings` parameter value [{reply_settings}] is not one of "
                    f"[{', '.join(sorted(REPLY_SETTINGS))}]",
                ),
                "reply_settings takes following, mentionedUsers, subscribers or verified "
                "(X API › Create Post)",
            )
        if len(self._window()) >= self.config.daily_posts:
            raise XAPIError(429, "Too Many Requests", self._limit_headers())
        parsed = parse_tweet(text)
        if not text or parsed.weightedLength > 280 or not parsed.valid:
            raise self._refuse(
                request,
                XAPIError(403, TOO_LONG if text else "Tweet text is empty."),
                "a post is 1–280 weighted characters as twitter-text v3 counts them "
                f"(this one: {parsed.weightedLength})",
            )
        quote_of_missing = self.config.quote_of_missing or (403, QUOTE_OF_MISSING)
        for ref, (status, missing), what in (
            (in_reply_to, (403, REPLY_TO_MISSING), "reply to"),
            (quote, quote_of_missing, "quote of"),
        ):
            target = self.tweet(ref) if ref is not None else None
            if ref is not None and (target is None or target.deleted):
                raise self._refuse(
                    request,
                    XAPIError(status, missing),
                    f"a {what} a post that does not exist or was deleted ({ref})",
                )
        if in_reply_to is not None and self.config.refuse_replies:
            # The account's standing, not the request's fault: a correct client meets it too.
            raise XAPIError(403, REPLY_REFUSED)
        since = time.time() - self.config.duplicate_window
        if any(t.text == text and t.created_at > since and not t.deleted for t in self.tweets):
            raise self._refuse(
                request,
                XAPIError(403, DUPLICATE),
                "a post repeating the text of one of the account's recent posts",
            )
        tweet = Tweet(
            id=next(self._ids),
            text=text,
            author_id=self.config.user_id,
            created_at=time.time(),
            in_reply_to=in_reply_to,
            quote_of=quote,
            reply_settings=reply_settings,
        )
        tweet.shown_text = self._shown(text, tweet.id)
        self.tweets.append(tweet)
        has_url = bool(extract_urls_with_indices(text))
        price = self.config.url_post_price if has_url else self.config.post_price
        self.charges.append(Charge(tweet.id, has_url, price))
        if self.on_post is not None:
            self.on_post(tweet)
        data = {
            "id": str(tweet.id),
            "text": tweet.shown_text,
            "edit_history_tweet_ids": [str(tweet.id)],
        }
        return json_response({"data": data}, 201, self._limit_headers())

    def _shown(self, text: str, tweet_id: int) -> str:
        if not self.config.wrap_urls:
            return text
        parts: list[str] = []
        at = 0
        for number, entity in enumerate(extract_urls_with_indices(text)):
            start, end = entity["indices"]
            parts += [
                html.escape(text[at:start], quote=False),
                f"https://t.co/{tweet_id % 10**8:08d}{number:02d}",
            ]
            at = end
        parts.append(html.escape(text[at:], quote=False))
        return "".join(parts)

    async def _read(self, request: web.Request) -> web.Response:
        tweet_id = request.match_info["id"]
        tweet = self.tweet(int(tweet_id))
        if tweet is not None and not tweet.deleted:
            return json_response({"data": tweet.to_json()})
        problem = {
            "value": tweet_id,
            "detail": f"Could not find tweet with id: [{tweet_id}].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "id",
            "resource_id": tweet_id,
            "type": NOT_FOUND,
        }
        return json_response({"errors": [problem]})

    async def _delete(self, request: web.Request) -> web.Response:
        tweet = self.tweet(int(request.match_info["id"]))
        if tweet is None or tweet.deleted:
            return json_response({"data": {"deleted": False}})
        tweet.deleted = True
        return json_response({"data": {"deleted": True}})

    async def _me(self, request: web.Request) -> web.Response:
        config = self.config
        user = {"id": str(config.user_id), "name": "newsbot test", "username": config.username}
        return json_response({"data": user})

    async def _timeline(self, request: web.Request) -> web.Response:
        if request.match_info["id"] != str(self.config.user_id):
            raise XAPIError(404, "Could not find user.")
        try:
            limit = int(request.query.get("max_results", "10"))
        except ValueError:
            limit = 0
        if not 5 <= limit <= 100:
            raise invalid_parameter(
                "max_results",
                request.query.get("max_results"),
                f"The `max_results` query parameter value [{request.query.get('max_results')}] "
                "is not between 5 and 100",
            )
        newest_first = list(reversed(self.live_tweets()))
        if "start_time" in request.query:
            since = _start_time(request.query["start_time"])
            newest_first = [t for t in newest_first if t.created_at >= since]
        start = int(request.query.get("pagination_token", "0") or 0)
        page = newest_first[start : start + limit]
        meta: JSON = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = str(page[0].id), str(page[-1].id)
        if start + limit < len(newest_first):
            meta["next_token"] = str(start + limit)
        return json_response(
            {"data": [t.to_json() for t in page], "meta": meta} if page else {"meta": meta}
        )
