"""The X outlet: posts, looks up and deletes posts through tweepy's `AsyncClient`.

tweepy signs OAuth 1.0a requests for `https://api.twitter.com` and sends them there; an aiohttp
client middleware rewrites each request's scheme, host and port to `x.api_base` (a proxy, or
the emulator), leaving the path, query and signature as they are. Rate limits are handled here,
not by tweepy (`wait_on_rate_limit=True` with OAuth 1.0a crashes tweepy 4.17 on the retry):
a short wait from `x-rate-limit-reset` is slept, a long one (a daily cap) raises `CapReached`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import tweepy
from tweepy.asynchronous import AsyncClient
from yarl import URL

from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot.errors import NewsbotError
from bot.publishing.outbox import StepError
from bot.settings import XSettings

log = logging.getLogger(__name__)

LOOKUP_PAGES = 3
"""Pages of 100 recent posts searched when reconciling an interrupted post."""
DUPLICATE = "duplicate content"


class ReplyRefused(StepError):
    """X refused a reply (403): the thread goes on as posts quoting the lead."""


class CapReached(StepError):
    """X's post cap is spent until `reset_at` (epoch seconds), too long to wait for now."""

    def __init__(self, reason: str, reset_at: float | None) -> None:
        super().__init__(reason)
        self.reset_at = reset_at


class Duplicate(StepError):
    """X refused the post as a duplicate of a recent one: an earlier attempt may have made it."""


def rewrite_to(base: str) -> Callable[..., Awaitable[aiohttp.ClientResponse]]:
    """An aiohttp client middleware sending every request to `base`'s scheme, host and port."""
    target = URL(base)

    async def middleware(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        url = request.url
        request.url = (
            url.with_scheme(target.scheme)
            .with_host(target.host or "")
            .with_port(target.explicit_port)
        )
        request.headers["Host"] = target.raw_authority
        return await handler(request)

    return middleware


def comparable(text: str) -> str:
    """A post's text as X returns it and as newsbot sent it compare equal: URLs (t.co-wrapped by
    X) stand as one placeholder, HTML escapes undone, NFC, outer space trimmed."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    parts: list[str] = []
    at = 0
    for entity in extract_urls_with_indices(text):
        start, end = entity["indices"]
        parts += [text[at:start], "<url>"]
        at = end
    parts.append(text[at:])
    return "".join(parts).strip()


class XOutlet:
    """Posts on one X account through tweepy's `AsyncClient` (OAuth 1.0a user context)."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        max_wait: float = 120.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.max_wait = max_wait
        self.sleep = sleep
        self._user_id: int | None = None

    async def user_id(self) -> int:
        """The account's id (asked once)."""
        if self._user_id is None:
            response = await self._call("read the account", lambda: self.client.get_me())
            self._user_id = int(response.data.id)
        return self._user_id

    async def post(self, text: str, *, reply_to: int | None, quote: int | None) -> int:
        """Create a post (a reply to `reply_to`, or quoting `quote`); its id."""
        response = await self._call(
            "create a post",
            lambda: self.client.create_tweet(
                text=text, in_reply_to_tweet_id=reply_to, quote_tweet_id=quote
            ),
            reply=reply_to is not None,
        )
        return int(response.data["id"])

    async def find(self, text: str, *, refers_to: int | None) -> int | None:
        """A recent post of the account with this text (replying to or quoting `refers_to`)."""
        me = await self.user_id()
        wanted = comparable(text)
        token: str | None = None
        for _ in range(LOOKUP_PAGES):
            response = await self._call(
                "read the account's recent posts",
                lambda page=token: self.client.get_users_tweets(  # type: ignore[misc]
                    me,
                    max_results=100,
                    pagination_token=page,
                    tweet_fields=["referenced_tweets"],
                    user_auth=True,
                ),
            )
            for tweet in response.data or []:
                refs = {int(r.id) for r in (tweet.referenced_tweets or [])}
                if comparable(tweet.text) == wanted and (refers_to is None or refers_to in refs):
                    return int(tweet.id)
            token = (response.meta or {}).get("next_token")
            if not token:
                return None
        return None

    async def remove(self, tweet_id: int) -> None:
        """Delete a post; one already gone counts as done."""
        await self._call("delete a post", lambda: self.client.delete_tweet(tweet_id))

    async def _call(
        self, what: str, call: Callable[[], Awaitable[Any]], *, reply: bool = False
    ) -> Any:
        """Run one request; wait out a short rate limit; turn failures into `StepError`s."""
        while True:
            try:
                return await call()
            except tweepy.TooManyRequests as exc:
                reset = float(exc.reset_time) if exc.reset_time is not None else None
                wait = (reset - time.time() + 1) if reset is not None else self.max_wait + 1
                if wait > self.max_wait:
                    raise CapReached(f"X's limit is reached ({what})", reset) from exc
                log.info("X rate limit: waiting %.0f s before trying to %s again", wait, what)
                await self.sleep(max(0.0, wait))
            except tweepy.Forbidden as exc:
                message = " ".join(exc.api_messages) or str(exc)
                if DUPLICATE in message:
                    raise Duplicate(f"could not {what}: X says {message}") from exc
                if reply:
                    raise ReplyRefused(f"X refused a reply: {message}") from exc
                raise StepError(f"could not {what}: X refused it ({message})") from exc
            except tweepy.TwitterServerError as exc:
                raise StepError(
                    f"could not {what}: X answered {exc.response.status}", transient=True
                ) from exc
            except tweepy.HTTPException as exc:
                message = " ".join(exc.api_messages) or str(exc)
                raise StepError(f"could not {what}: X answered {message}") from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise StepError(f"could not {what}: {exc!r}", transient=True) from exc


@asynccontextmanager
async def x_outlet(settings: XSettings) -> AsyncIterator[XOutlet]:
    """An outlet for the account whose keys the settings hold, reaching X at `x.api_base`."""
    keys = (
        settings.consumer_key,
        settings.consumer_secret,
        settings.access_token,
        settings.access_token_secret,
    )
    if not settings.configured():
        raise NewsbotError("X is not configured: set the four NEWSBOT_X__… keys")
    consumer_key, consumer_secret, access_token, access_secret = (
        k.get_secret_value().strip() if k else "" for k in keys
    )
    session = aiohttp.ClientSession(
        middlewares=(rewrite_to(str(settings.api_base)),),
        timeout=aiohttp.ClientTimeout(total=30),
    )
    client = AsyncClient(
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        access_token=access_token,
        access_token_secret=access_secret,
    )
    # tweepy uses `client.session` when set (else a new session per request, without ours).
    client.session = session
    try:
        yield XOutlet(client, max_wait=settings.max_wait)
    finally:
        await session.close()
