"""Failures a test injects into the X, Mastodon or Bluesky emulator: how a fault takes the place
of an answer (all three), and a fault on a method and a path with the ``inject`` that adds one
(X and Mastodon; a PDS's faults match an NSID). What a fault answers is each platform's own."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from aiohttp import web


class Injected(Protocol):
    """What serving a fault reads and counts, whatever it matches on."""

    after_handler: bool
    hits: int


F = TypeVar("F", bound=Injected)


async def handle_or_fail(
    request: web.Request,
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    fault: F | None,
    failure: Callable[[F], Exception],
) -> web.StreamResponse:
    """``handler``'s answer to ``request``, unless ``fault`` applies: then ``failure(fault)`` is
    raised and one hit counted, before the handler runs or, with ``after_handler``, once it has
    run (the request took effect and only its answer is lost). A hanging ``Fault`` holds the
    request there until released."""
    if fault is not None and not fault.after_handler:
        fault.hits += 1
        if await _held(fault):
            return await handler(request)
        raise failure(fault)
    response = await handler(request)
    if fault is not None:
        fault.hits += 1
        if await _held(fault):
            return response
        raise failure(fault)
    return response


async def _held(fault: Injected) -> bool:
    """Hold the request while a hanging ``Fault`` is not released; whether it then goes on as
    if there were no fault (a 2xx ``status``)."""
    if not isinstance(fault, Fault) or not fault.hang:
        return False
    await fault.released.wait()
    return fault.status < 400


@dataclass
class Fault:
    """Answer ``status`` to the next ``times`` requests matching ``method`` (``*``: any) and
    ``path``, a glob (``/2/users/*/tweets``, ``/api/v1/accounts/*/statuses``).

    With ``after_handler`` the request takes effect first and only its answer is replaced: a
    post created while the client saw a 5xx. A 429's rate-limit headers reset ``reset_in``
    seconds ahead (X's ``x-rate-limit-reset``, Mastodon's ``X-RateLimit-Reset``).

    With ``hang`` each matching request is held unanswered until ``release()`` (``hits``
    counts it as it arrives), then answered ``status``; with a 2xx ``status`` it is then
    answered as if there were no fault: a request that merely takes as long as the test wants.
    """

    method: str
    path: str
    status: int
    times: int = 1
    after_handler: bool = False
    reset_in: float = 1.0
    hits: int = 0
    hang: bool = False
    released: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def release(self) -> None:
        """Let the requests a hanging fault holds go on, and any later ones at once."""
        self.released.set()

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault applies (and still has failures to serve)."""
        if self.hits >= self.times or self.method not in ("*", method):
            return False
        return fnmatch.fnmatchcase(path, self.path)


class RouteFaults:
    """Mixin for the X and Mastodon emulators: the faults injected on their routes."""

    faults: list[Fault]

    def inject(
        self,
        method: str,
        path: str,
        status: int = 429,
        times: int = 1,
        *,
        after_handler: bool = False,
        reset_in: float = 1.0,
        hang: bool = False,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` (see ``Fault``)."""
        fault = Fault(method.upper(), path, status, times, after_handler, reset_in, hang=hang)
        self.faults.append(fault)
        return fault

    def _fault_for(self, request: web.Request) -> Fault | None:
        """The first injected fault that applies to ``request``, if one does."""
        return next((f for f in self.faults if f.matches(request.method, request.path)), None)
