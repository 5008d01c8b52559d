"""The pacer keeps Discord's global rate however long requests take to arrive."""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from bot.publishing.pacer import Pacer


def most_in_a_window(arrivals: list[float], per: float) -> int:
    """The most arrivals any window of `per` seconds holds."""
    arrivals = sorted(arrivals)
    return max(bisect.bisect_left(arrivals, at + per) - i for i, at in enumerate(arrivals))


async def test_requests_held_up_on_the_way_still_keep_the_rate() -> None:
    # Discord counts a request when it arrives, any time before its answer. Here a share of
    # requests arrives late, as each is answered (held up in the event loop, in discord.py's
    # route wait), then a share on time, and so on. Counted from their start alone, each late
    # share arrived in the window of the next share, on time: 19 in one window of 10.
    per, rate = 0.1, 10
    pacer = Pacer(rate=rate, per=per)
    arrivals: list[float] = []

    async def request(n: int) -> None:
        async with pacer.request():
            if (n // rate) % 2 == 0:
                await asyncio.sleep(per * 0.9)
            arrivals.append(time.monotonic())

    await asyncio.gather(*(request(n) for n in range(6 * rate)))
    assert len(arrivals) == 6 * rate
    assert most_in_a_window(arrivals, per) <= rate


async def test_a_share_waiting_for_its_answers_lets_none_through() -> None:
    # Requests slower than the window: the whole share waits for answers, and the next one
    # goes when one is answered and its window has passed, never sooner.
    per, rate = 0.05, 4
    pacer = Pacer(rate=rate, per=per)
    arrivals: list[float] = []

    async def request() -> None:
        async with pacer.request():
            await asyncio.sleep(per * 1.5)
            arrivals.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(*(request() for _ in range(3 * rate)))
    assert most_in_a_window(arrivals, per) <= rate
    # Three rounds of a share, each answered after 1.5 windows and counted one more.
    assert time.monotonic() - started >= 2 * 2.5 * per + 1.5 * per


def sender(pacer: Pacer, seen: list[tuple[str, float]]) -> Callable[[str], Awaitable[None]]:
    """A request to `path`, as a client given `pacer.trace()` makes it: when it goes out (after
    the trace let it through) is added to `seen`."""
    config = pacer.trace()

    async def send(path: str) -> None:
        context = config.trace_config_ctx()
        start = aiohttp.TraceRequestStartParams(
            "POST", URL("https://discord.test/api/v10" + path), CIMultiDict()
        )
        for on_start in config.on_request_start:
            await on_start(None, context, start)  # type: ignore[arg-type]
        seen.append((path, time.monotonic()))
        for on_end in config.on_request_end:
            await on_end(None, context, None)  # type: ignore[arg-type]

    return send


async def test_a_traced_client_is_paced_as_it_sends() -> None:
    # The trace a client is given lets each request through as it goes out, and counts it
    # until a window after its answer.
    per, rate = 0.05, 2
    pacer = Pacer(rate=rate, per=per)
    seen: list[tuple[str, float]] = []
    send = sender(pacer, seen)
    assert pacer.traced
    await asyncio.gather(*(send(f"/channels/{n}/messages") for n in range(3 * rate)))
    sent = [at for _, at in seen]
    assert most_in_a_window(sent, per) <= rate
    assert max(sent) - min(sent) >= 2 * per  # three windows' worth


async def test_a_traced_client_lets_interactions_through_uncounted() -> None:
    # Interactions' endpoints are not bound to the global rate (Receiving and Responding ›
    # Endpoints). One request a minute: counted, the second of these would wait a minute.
    pacer = Pacer(rate=1, per=60)
    seen: list[tuple[str, float]] = []
    send = sender(pacer, seen)
    callbacks = [f"/interactions/{n}/token/callback" for n in range(10)]
    followups = [f"/webhooks/1/token{n}" for n in range(10)]
    await asyncio.wait_for(asyncio.gather(*(send(path) for path in callbacks + followups)), 10)
    # And the minute's one request is still to be had.
    await asyncio.wait_for(send("/channels/1/messages"), 10)
    assert len(seen) == 21
