"""The discord.py client newsbot publishes with, logged in over REST only, and how long a Discord
call may take: rate limits waited out only up to `max_wait`, each request
answered within `request_timeout`, and each step given up after failing for `step_timeout`.

Without these, discord.py sleeps out any rate limit however long (one 429 with Retry-After
900 s stopped a publish for 15 silent minutes), aiohttp waits 5 minutes for an answer, and
discord.py's own five tries of a 5xx, times the engine's retries, kept a channel failing for
well over a minute. A request cut short may have reached Discord: the step is left `sending`
or `failed`, and the next attempt looks for what it made before it makes it (the engine's
`look_first`, the messages' nonces), so nothing is made twice. For the same reason a request
that makes something is sent once only (`making`): discord.py's own retry of it would make it
again, unknown to the engine.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import errno
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp
import discord

from bot.errors import NewsbotError
from bot.publishing.outlet import CapReached, StepError
from bot.publishing.pacer import Pacer

DISCORD_LEAST_WAIT = 30.0
"""discord.py waits out every rate limit up to this, whatever `max_ratelimit_timeout` says."""
RATE_LIMIT = "Discord's rate limit"
MAYBE_REACHED = "a try of this request may have reached Discord"
"""The note on a failed call one of whose tries was answered 5xx or cut off: discord.py tried it
again, or, as it makes something (`making`), it failed at once (`watch_tries`)."""
RESET = frozenset({errno.ECONNRESET, 54, 10054})
"""A connection reset by Discord, as Linux, macOS and Windows number it: discord.py 2.7 sends a
request again after the last two (`HTTPClient.request`, `except OSError`)."""


class WriteUnconfirmed(discord.DiscordServerError):
    """Discord answered a request that makes something with a 5xx: it may have made it all the
    same (a 524 is Cloudflare's answer when Discord took the request and did not answer in
    time). Raised as soon as the answer comes, so that discord.py does not send it again."""


class WriteCutOff(aiohttp.ClientConnectionError):
    """The connection of a request that makes something was reset before its answer: Discord
    may have made it. Not an `OSError`, so that discord.py does not send it again."""


def client_options(max_wait: float | None) -> dict[str, Any]:
    """discord.Client's options for rate limits: one longer than `max_wait` seconds raises
    `discord.RateLimited` instead of being slept out (None: discord.py's own, wait it out)."""
    if max_wait is None:
        return {}
    return {"max_ratelimit_timeout": max(DISCORD_LEAST_WAIT, max_wait)}


class _Ratelimit(discord.http.Ratelimit):
    """discord.py's rate-limit bucket, refusing ahead of time only a request that would wait.

    discord.py 2.7 refuses any request (`discord.RateLimited`) while its bucket resets later
    than `max_ratelimit_timeout`, even with requests left in it. Crossposts are 10 an hour per
    channel: after the first, every crosspost of the hour was refused in the same process, and
    `newsbot run` left a second issue's crosspost for a later firing, saying the limit reset an
    hour on. With requests left, this bucket lets the request go as Discord would.
    """

    async def acquire(self) -> None:
        if self._max_ratelimit_timeout is None or self.remaining <= 0 or self.is_expired():
            return await super().acquire()
        # Requests are left: discord.py's acquire does not wait, so nothing else can run while
        # its refusal ahead of time is turned off.
        limit, self._max_ratelimit_timeout = self._max_ratelimit_timeout, None
        try:
            await super().acquire()
        finally:
            self._max_ratelimit_timeout = limit


# Every discord.py client in the process makes its buckets from this name. The bot's own client
# (no max_ratelimit_timeout) is unchanged by it.
discord.http.Ratelimit = _Ratelimit  # type: ignore[misc]


def bound_requests(http: discord.http.HTTPClient, timeout: float) -> None:
    """Give each request `http` sends at most `timeout` seconds, answer included; one that
    takes longer fails with `TimeoutError` (aiohttp's default is 5 minutes)."""
    request = http.request
    limit = aiohttp.ClientTimeout(total=timeout)

    async def bounded(route: discord.http.Route, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", limit)
        return await request(route, **kwargs)

    http.request = bounded  # type: ignore[method-assign]


_TRIES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("tries", default=None)
"""How the tries of the call being made failed: answered 5xx, or cut off (`watch_tries`)."""
_MAKING: contextvars.ContextVar[bool] = contextvars.ContextVar("making", default=False)
"""Whether the calls being made make something, so are sent once only (`making`)."""


@contextmanager
def making() -> Iterator[None]:
    """Mark the calls made within as making something on Discord (a message, a thread, a forum
    post, a crosspost): a POST among them is sent once, by a client `watch_tries` watches.

    discord.py sends a request answered 500, 502, 504 or 524 again itself, up to five times,
    and one whose connection was reset. The first try may have made what it asks for: its
    retry, if it succeeds, makes a second digest or thread (the role pinged twice), and the
    engine never knows. Here such a POST fails at once, `WriteUnconfirmed` or `WriteCutOff`,
    and the engine looks for what it may have made before making it again. PATCH, PUT and
    DELETE keep discord.py's retry: done twice, an edit, an unarchiving or a deletion leaves
    what it changed as once."""
    token = _MAKING.set(True)
    try:
        yield
    finally:
        _MAKING.reset(token)


def watch_tries(http: discord.http.HTTPClient) -> None:
    """Note on each call `http` makes that fails whether an earlier try may have reached
    Discord (`maybe_reached`), and send a call that makes something once only (`making`).
    Call before logging in: the tries are seen by `http_trace`.

    discord.py tries a request answered 500, 502, 504 or 524 again itself, up to five times
    (and one whose connection was reset). Such a try may have made what the call makes: a 524
    is Cloudflare's answer when Discord took the request and did not answer in time. Should a
    later try be refused (a 4xx, or a 429 too long to wait out), the call did not surely make
    nothing, and the next attempt must look for what it may have made before making it."""
    trace = http.http_trace
    if trace is None:
        trace = http.http_trace = aiohttp.TraceConfig()
    trace.on_request_end.append(_answered)
    trace.on_request_exception.append(_cut_off)
    request = http.request

    async def watched(route: discord.http.Route, **kwargs: Any) -> Any:
        failed: list[str] = []
        token = _TRIES.set(failed)
        try:
            return await request(route, **kwargs)
        except (discord.HTTPException, discord.RateLimited) as exc:
            if failed:
                exc.add_note(f"{MAYBE_REACHED}: it was {failed[0]}")
            raise
        finally:
            _TRIES.reset(token)

    http.request = watched  # type: ignore[method-assign]


async def _answered(_: aiohttp.ClientSession, __: Any, sent: aiohttp.TraceRequestEndParams) -> None:
    answer = sent.response
    if answer.status < 500:
        return
    failed = _TRIES.get()
    if failed is not None:
        failed.append(f"answered {answer.status}")
    if _MAKING.get() and sent.method == "POST":
        # Raised out of aiohttp's request, past discord.py's loop of tries.
        raise WriteUnconfirmed(answer, await _said(answer))


async def _cut_off(
    _: aiohttp.ClientSession, __: Any, sent: aiohttp.TraceRequestExceptionParams
) -> None:
    failed = _TRIES.get()
    if failed is not None:
        failed.append(f"cut off ({sent.exception!r})")
    reset = isinstance(sent.exception, OSError) and sent.exception.errno in RESET
    if reset and _MAKING.get() and sent.method == "POST":
        raise WriteCutOff(f"the connection was reset ({sent.exception!r})") from sent.exception


async def _said(answer: aiohttp.ClientResponse) -> dict[str, Any] | str:
    """What a 5xx answer says, as discord.py reads it; nothing if it cannot be read."""
    try:
        return await discord.http.json_or_text(answer)
    except (aiohttp.ClientError, ValueError):  # cut off, or not the JSON it claims
        return ""


def maybe_reached(exc: BaseException) -> bool:
    """Whether a failed call had a try discord.py made again that may have reached Discord
    (`watch_tries`): then even a refusal at the end does not say it made nothing."""
    return any(note.startswith(MAYBE_REACHED) for note in getattr(exc, "__notes__", ()))


def rate_limited(exc: discord.RateLimited, what: str) -> CapReached:
    """A rate limit too long to wait out, as the engine defers the rest of a target for; the
    call made nothing (discord.py refused it before sending it, or Discord answered 429),
    unless an earlier try of it may have reached Discord (`maybe_reached`)."""
    reset = time.time() + exc.retry_after
    when = dt.datetime.fromtimestamp(reset, dt.UTC)
    return CapReached(
        f"{RATE_LIMIT} is reached (could not {what}; it resets at {when:%Y-%m-%d %H:%M:%S} UTC)",
        reset,
        RATE_LIMIT,
        made_nothing=not maybe_reached(exc),
    )


class Budget:
    """How long the calls of one publish to a channel may keep failing in a row.

    The engine runs a channel's steps one after another in one task, and retries a step's
    failures at once: a run of failures, lookups between them aside, is one step's tries.
    A call made during such a run is cut short when the run has lasted `seconds`, and then
    the step gives up, not transiently: the engine stops retrying it and reports the channel
    as not done (the next publish resumes it, looking first for what the step made: the call
    cut short may have reached Discord). A step's first try is bounded only by the request
    timeout and `max_wait`, so a rate limit waited out is never cut short.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._failing: weakref.WeakKeyDictionary[asyncio.Task[Any], tuple[float, str]] = (
            weakref.WeakKeyDictionary()
        )

    def deadline(self) -> float | None:
        """When this channel's run of failures runs out of time (the loop's clock), if any."""
        failing = self._failing.get(_task()) if self.seconds is not None else None
        return None if failing is None else failing[0] + (self.seconds or 0.0)

    def check(self) -> None:
        """Raise `StepError` if this channel's calls have failed for too long."""
        deadline = self.deadline()
        if deadline is None or _now() < deadline:
            return
        since, reason = self._failing[_task()]
        raise StepError(f"Discord kept failing for {_now() - since:.0f} s; the last try: {reason}")

    def start(self) -> float:
        """When a call begins (the loop's clock), for `failed`."""
        return _now()

    def failed(self, began: float, reason: str) -> None:
        """Note a call begun at `began` that failed: the run of failures starts with the
        first one's beginning."""
        task = _task()
        since = self._failing.get(task, (began, reason))[0]
        self._failing[task] = (since, reason)

    def succeeded(self) -> None:
        """Note a call that made or changed something: the run of failures is over."""
        self._failing.pop(_task(), None)


def _now() -> float:
    return asyncio.get_running_loop().time()


def _task() -> asyncio.Task[Any]:
    task = asyncio.current_task()
    assert task is not None  # every call is awaited in a task
    return task


@asynccontextmanager
async def rest_client(
    token: str,
    pacer: Pacer | None = None,
    *,
    max_wait: float | None = None,
    request_timeout: float | None = None,
) -> AsyncIterator[discord.Client]:
    """A discord.py client logged in over REST only: publishing needs no gateway session.
    With `pacer`, every request it sends keeps to the rate (`Pacer.trace`); a rate limit
    longer than `max_wait` seconds raises instead of being slept out, and each request has
    `request_timeout` seconds to be answered."""
    options = client_options(max_wait)
    if pacer is not None:
        options["http_trace"] = pacer.trace()
    # No gateway session, so no intent is ever asked for; guilds only keeps discord.py from
    # warning an editor that "Guilds intent seems to be disabled" at every publish.
    client = discord.Client(intents=discord.Intents(guilds=True), **options)
    watch_tries(client.http)
    if request_timeout is not None:
        bound_requests(client.http, request_timeout)
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            raise NewsbotError(
                "Discord refused the token (NEWSBOT_DISCORD__TOKEN): check it is the bot's "
                "current token"
            ) from None
        yield client
    finally:
        await client.close()
