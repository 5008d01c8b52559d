"""Discord's global rate limit kept by every newsbot process publishing through one bot token:
requests spaced under a shared rate, counted as Discord counts them."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.store.interfaces import StateStore
from bot.workers import PUBLISHERS_REFRESH, Publishers

if TYPE_CHECKING:
    from bot.settings import PublishingSettings

GLOBAL_RATE = 50
"""Requests per second Discord allows a bot across all routes."""


class Pacer:
    """Keeps requests under a rate in every sliding window, evenly spaced, so the global limit
    never answers 429.

    discord.py learns per-route limits from headers, but meets the global one only as a 429;
    publishing to many channels at once would hit it, so requests wait their turn here. With
    the archive's `state`, the processes publishing at once share the rate: each keeps to
    rate ÷ publishers, the count re-read every few seconds.

    A request counts in the window from when it is let through until `per` after its answer:
    Discord counts it when it arrives, which may be any time before the answer. Counted from
    the start alone, requests held up on the way arrived together with the next ones on time,
    and four processes sharing the rate met Discord's global 429 in two of three runs with two
    of them killed. A client given `trace()` is paced as it sends each request, after
    discord.py's per-route waits, logging in included; else the outlet paces its calls.
    """

    def __init__(
        self,
        rate: float = GLOBAL_RATE,
        per: float = 1.0,
        *,
        state: StateStore | None = None,
        refresh: float = PUBLISHERS_REFRESH,
    ) -> None:
        self.rate = max(1, int(rate))
        self.per = per
        # `refresh`: seconds between two readings of the processes publishing (`Publishers`).
        self.publishers = Publishers(state, refresh=refresh) if state is not None else None
        self._answered: collections.deque[float] = collections.deque()
        self._waiting = 0  # let through, not yet answered
        self._last = -float("inf")
        self._lock = asyncio.Lock()
        self._freed = asyncio.Event()
        self.traced = False

    @classmethod
    def for_publishing(cls, publishing: PublishingSettings, state: StateStore) -> Pacer:
        """The pacer of a process publishing issues: at the configured rate, shared through
        the archive's `state` with the other processes publishing, re-counted as configured."""
        return cls(publishing.requests_per_second, state=state, refresh=publishing.share_refresh)

    @property
    def share(self) -> int:
        """Requests per window this process may send: the rate, or its part of it."""
        live = self.publishers.live if self.publishers is not None else 1
        return max(1, self.rate // live)

    @asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Hold the block until one more request keeps this process's share of the rate; the
        request is made in the block, and counted until `per` after it ends."""
        await self._admit()
        try:
            yield
        finally:
            self._answered_one()

    async def close(self) -> None:
        """Stop counting this process among those publishing (`Publishers.leave`)."""
        if self.publishers is not None:
            await self.publishers.leave()

    def trace(self) -> aiohttp.TraceConfig:
        """For a client's `http_trace`: each request it sends waits its turn here as it goes
        out, and counts until `per` after its answer. Not interactions' endpoints, which are
        not bound to the global rate limit (Receiving and Responding › Endpoints)."""
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._sending)
        config.on_request_end.append(self._answer_seen)
        config.on_request_exception.append(self._answer_seen)
        self.traced = True
        return config

    async def _sending(
        self, _: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        if "/interactions/" in params.url.path or "/webhooks/" in params.url.path:
            return
        await self._admit()
        context.paced = True

    async def _answer_seen(self, _: aiohttp.ClientSession, context: Any, __: Any) -> None:
        # Only a request let through: one stopped while it waited was never counted.
        if getattr(context, "paced", False):
            context.paced = False
            self._answered_one()

    def _answered_one(self) -> None:
        self._waiting -= 1
        self._answered.append(time.monotonic())
        self._freed.set()

    async def _admit(self) -> None:
        async with self._lock:
            if self.publishers is not None:
                await self.publishers.count(settle=self.per)
            while True:
                now = time.monotonic()
                while self._answered and now - self._answered[0] >= self.per:
                    self._answered.popleft()
                counted = self._waiting + len(self._answered)
                # Spaced out, not in bursts of a whole share: a burst's late arrivals would
                # land in Discord's next window together with the next burst.
                spaced = now - self._last >= self.per / self.share
                if counted < self.share and spaced:
                    self._waiting += 1
                    self._last = now
                    return
                if counted < self.share:
                    await asyncio.sleep(self.per / self.share - (now - self._last))
                elif self._answered:
                    await asyncio.sleep(self.per - (now - self._answered[0]))
                else:  # the whole share is waiting for answers
                    self._freed.clear()
                    await self._freed.wait()
