"""The X outlet: an issue's thread as engine steps, posted through tweepy's `AsyncClient`.

Each post is a step keyed `202/x/post/3` (the lead is post 1) whose parent is the post before
it: a reply to it, or — once X refused a reply — a quote of the lead (later runs go on
quoting, and an interrupted quote is looked for as a quote). A post of an unfinished thread
deleted on X is posted again before the next one replies to it. X has no idempotency key: an
interrupted post is looked for among the account's recent posts (`find`) before it is posted
again. X posts cannot be edited: a post already sent stays as it is, even if its text changed.

tweepy signs OAuth 1.0a requests for `https://api.twitter.com` and sends them there; an aiohttp
client middleware rewrites each request's scheme, host and port to `x.api_base` (a proxy, or
the emulator), leaving the path, query and signature as they are. Rate limits are handled here,
not by tweepy (`wait_on_rate_limit=True` with OAuth 1.0a crashes tweepy 4.17 on the retry):
a short wait from `x-rate-limit-reset` is slept, a long one (a daily cap) raises `CapReached`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import time
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import tweepy
from tweepy.asynchronous import AsyncClient
from yarl import URL

from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot.errors import NewsbotError
from bot.models import Issue, OutboxEntry
from bot.publishing.outlet import Gone, Lookup, MaybeMade, Outcome, Refused, Remote, StepError
from bot.publishing.outlets._threads import ThreadOutlet, look_through
from bot.publishing.plans._threads import as_posted
from bot.publishing.plans.x import (
    ACCOUNT,
    OUTLET,
    QUOTING,
    Account,
    Action,
    plan,
    quoting,
)
from bot.publishing.reports import PlannedStep
from bot.publishing.steps import Payload, Step
from bot.render.publish import Post
from bot.render.social import Thread
from bot.settings import XSettings

log = logging.getLogger(__name__)

DUPLICATE = "duplicate content"
NOT_FOUND = "/2/problems/resource-not-found"
"""How X's problem type for a post it cannot find ends (under api.twitter.com or api.x.com)."""


class ReplyRefused(StepError):
    """X refused a reply (403): the thread goes on as posts quoting the lead."""


class MissingPost(StepError):
    """X refused a reply or a quote, and the post it refers to is not found on X: deleted."""


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


class XOutlet(ThreadOutlet[XSettings, Account]):
    """Posts on one X account through tweepy's `AsyncClient` (OAuth 1.0a user context).

    Without a client it still plans and previews (a dry run needs no keys).
    """

    name = OUTLET
    title = "X"
    nowhere = "X has no account to post on"

    def __init__(
        self,
        client: AsyncClient | None,
        settings: XSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(settings, sleep=sleep)
        self._client = client
        self.max_wait = settings.max_wait
        self.daily_cap = settings.daily_posts
        self._user_id: int | None = None

    @property
    def client(self) -> AsyncClient:
        """tweepy's client for the account."""
        if self._client is None:
            raise StepError("X is not connected (set the four NEWSBOT_X__… keys)")
        return self._client

    # --- the engine's calls -----------------------------------------------------------------

    async def targets(self) -> list[Account]:
        """The account."""
        return [ACCOUNT]

    def plan(
        self,
        issue: Issue,
        target: Account,
        ledger: Mapping[str, OutboxEntry],
        thanks: Mapping[str, Post],
    ) -> Sequence[Step[Account]]:
        """The issue's thread; quoting the lead from post 2 on if X refused replies before."""
        _, planned = plan(issue, self.settings)
        steps = as_posted(planned, ledger)
        if not quoting(ledger):
            return steps
        return [s if s.action == Action.POST else replace(s, action=Action.QUOTE) for s in steps]

    async def create(self, step: Step[Account], payload: Payload, ids: Mapping[str, int]) -> Remote:
        """Post the step's text: the lead, a reply to the post before, or a quote of the lead."""
        reply_to, quote = _refers(step, ids)
        try:
            made = await self.post(payload["text"], reply_to=reply_to, quote=quote)
        except MissingPost as exc:
            # Deleted on X (by an editor, say) while the thread was unfinished: it is posted
            # again, and this post then refers to it; replies are not what X refused.
            missing = step.parent if reply_to is not None and step.parent else step.needs[0]
            raise Gone(f"{missing} was deleted on X", key=missing) from exc
        except ReplyRefused as exc:
            raise Refused(
                f"X refused a reply in the thread of issue #{step.issue_number} ({exc.reason}); "
                "the rest of the thread quotes its first post instead.",
                instead=Action.QUOTE,
            ) from exc
        return Remote(made)

    async def recover(
        self,
        step: Step[Account],
        payload: Payload,
        ids: Mapping[str, int],
        *,
        since: dt.datetime | None = None,
    ) -> Remote | Lookup | None:
        """The post an interrupted attempt made, found among the account's recent posts."""
        reply_to, quote = _refers(step, ids)
        found = await self.find(payload["text"], refers_to=reply_to or quote, since=since)
        return Remote(found) if isinstance(found, int) else found

    async def edit(self, step: Step[Account], payload: Payload, entry: OutboxEntry) -> None:
        """X posts cannot be edited (the engine never asks: `edits` is False)."""
        raise StepError("X posts cannot be edited")

    async def remove(self, entry: OutboxEntry) -> bool:
        """Delete a post; one already gone counts as done."""
        await self.delete(int(entry.remote_id or 0))
        return True

    def note(self, step: Step[Account]) -> str | None:
        """That the thread goes on as quotes, for a quote."""
        return QUOTING if step.action == Action.QUOTE else None

    # --- previews ---------------------------------------------------------------------------

    def rendered(self, issue: Issue) -> Thread:
        """The issue's thread on X, as `plan` posts it."""
        rendered, _ = plan(issue, self.settings)
        return rendered

    def does(self, planned: PlannedStep) -> str:
        """What publishing would do with one post, in words."""
        if planned.outcome == Outcome.UNCHANGED:
            return self.already(planned, not_edited="X posts cannot be edited")
        if planned.outcome == Outcome.DEFERRED:
            return "left for a later publish (today's cap)"
        if planned.step.action == Action.POST:
            does = "post the first post"
        elif planned.step.action == Action.QUOTE:
            does = "post, quoting the first post (X refused replies)"
        else:
            does = "post, replying to the one before"
        return self.looking_first(planned, does)

    # --- X's API ----------------------------------------------------------------------------

    async def user_id(self) -> int:
        """The account's id (asked once)."""
        if self._user_id is None:
            response = await self._call("read the account", lambda: self.client.get_me())
            self._user_id = int(response.data.id)
        return self._user_id

    async def post(self, text: str, *, reply_to: int | None, quote: int | None) -> int:
        """Create a post (a reply to `reply_to`, or quoting `quote`); its id.

        X's refusal of a reply or a quote whose post was deleted has no documented wording (nor
        status, for a quote): on any 400 or 403 refusing one, the post it refers to is read, and
        one X does not find raises `MissingPost`."""
        refers = reply_to if reply_to is not None else quote
        try:
            response = await self._call(
                "create a post",
                lambda: self.client.create_tweet(
                    text=text, in_reply_to_tweet_id=reply_to, quote_tweet_id=quote
                ),
                reply=reply_to is not None,
            )
        except MaybeMade:
            raise
        except StepError as exc:
            refused = isinstance(exc.__cause__, tweepy.BadRequest | tweepy.Forbidden)
            if refers is not None and refused and not await self.exists(refers):
                raise MissingPost(f"{exc.reason}; post {refers} is not found on X") from exc
            raise
        return int(response.data["id"])

    async def exists(self, tweet_id: int) -> bool:
        """Whether X finds the post `tweet_id` (one deleted answers without `data`, saying it
        is not found)."""
        try:
            response = await self._call(
                "read a post", lambda: self.client.get_tweet(tweet_id, user_auth=True)
            )
        except StepError as exc:
            if isinstance(exc.__cause__, tweepy.NotFound):
                return False
            raise
        if response.data is not None:
            return True
        problems = [str(error.get("type", "")) for error in response.errors or []]
        if any(problem.endswith(NOT_FOUND) for problem in problems):
            return False
        raise StepError(f"could not read post {tweet_id}: X answered {response.errors}")

    async def find(
        self, text: str, *, refers_to: int | None, since: dt.datetime | None = None
    ) -> int | Lookup | None:
        """A recent post of the account with this text (replying to or quoting `refers_to`),
        made since `since` if given: the timeline then holds those only, so a lookup reads
        all of them in a few pages however many posts the account made before."""
        me = await self.user_id()
        wanted = comparable(text)

        async def page(token: str | None) -> tuple[list[Any], str | None]:
            response = await self._call(
                "read the account's recent posts",
                lambda: self.client.get_users_tweets(
                    me,
                    max_results=100,
                    pagination_token=token,
                    start_time=since,
                    tweet_fields=["referenced_tweets"],
                    user_auth=True,
                ),
            )
            return response.data or [], (response.meta or {}).get("next_token") or None

        def match(tweet: Any) -> int | None:
            refs = {int(r.id) for r in (tweet.referenced_tweets or [])}
            if comparable(tweet.text) == wanted and (refers_to is None or refers_to in refs):
                return int(tweet.id)
            return None

        return await look_through(page, match)

    async def delete(self, tweet_id: int) -> None:
        """Delete a post."""
        await self._call("delete a post", lambda: self.client.delete_tweet(tweet_id))

    async def _call(
        self,
        what: str,
        call: Callable[[], Awaitable[Any]],
        *,
        reply: bool = False,
    ) -> Any:
        """Run one request; wait out a short rate limit; turn failures into `StepError`s (a
        reply refused: `ReplyRefused`). X's refusals (4xx) say they made nothing; a 5xx or a
        lost connection may have made what the request asked for."""
        waited = 0
        while True:
            try:
                return await call()
            except tweepy.TooManyRequests as exc:
                reset = float(exc.reset_time) if exc.reset_time is not None else None
                wait = (reset - time.time() + 1) if reset is not None else None
                await self.wait_out(
                    exc,
                    what,
                    limit="rate limit",
                    wait=wait,
                    reset=reset,
                    max_wait=self.max_wait,
                    waited=waited,
                )
                waited += 1
            except tweepy.Unauthorized as exc:
                # X's 401: the keys are wrong, or the access token was revoked or regenerated.
                raise StepError(
                    f"could not {what}: X refused the keys (NEWSBOT_X__CONSUMER_KEY, "
                    "…_CONSUMER_SECRET, …_ACCESS_TOKEN, …_ACCESS_TOKEN_SECRET): they are wrong, "
                    "or the access token was revoked or regenerated",
                    made_nothing=True,
                ) from exc
            except tweepy.Forbidden as exc:
                message = " ".join(exc.api_messages) or str(exc)
                if DUPLICATE in message:
                    raise MaybeMade(f"could not {what}: X says {message}") from exc
                if reply:
                    raise ReplyRefused(message, made_nothing=True) from exc
                refusal = f"could not {what}: X refused it ({message})"
                raise StepError(refusal, made_nothing=True) from exc
            except tweepy.TwitterServerError as exc:
                raise StepError(
                    f"could not {what}: X answered {exc.response.status}", transient=True
                ) from exc
            except tweepy.HTTPException as exc:
                message = " ".join(exc.api_messages) or str(exc)
                answered = f"could not {what}: X answered {message}"
                raise StepError(answered, made_nothing=_refusal(exc)) from exc
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
        yield XOutlet(client, settings)
    finally:
        await session.close()


def _refusal(exc: tweepy.HTTPException) -> bool:
    """Whether X answered the request with a refusal (a 4xx: BadRequest and the like), so it
    made nothing."""
    status = getattr(exc.response, "status", None)  # aiohttp's response, as AsyncClient's
    return isinstance(status, int) and 400 <= status < 500


def _refers(step: Step[Account], ids: Mapping[str, int]) -> tuple[int | None, int | None]:
    """What the step's post replies to and what it quotes (by remote id)."""
    if step.action == Action.REPLY and step.parent:
        return ids[step.parent], None
    if step.action == Action.QUOTE:
        lead = ids.get(step.needs[0]) if step.needs else None
        if lead is None:
            raise StepError(f"post {step.key} quotes the first post, which has no id")
        return None, lead
    return None, None
