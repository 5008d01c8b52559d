"""Failures a test injects into the X or Mastodon emulator: a fault on a method and a path, and
the ``inject`` that adds one. What a fault's answer looks like is each platform's own."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from aiohttp import web


@dataclass
class Fault:
    """Answer ``status`` to the next ``times`` requests matching ``method`` (``*``: any) and
    ``path``, a glob (``/2/users/*/tweets``, ``/api/v1/accounts/*/statuses``).

    With ``after_handler`` the request takes effect first and only its answer is replaced: a
    post created while the client saw a 5xx. A 429's rate-limit headers reset ``reset_in``
    seconds ahead (X's ``x-rate-limit-reset``, Mastodon's ``X-RateLimit-Reset``).
    """

    method: str
    path: str
    status: int
    times: int = 1
    after_handler: bool = False
    reset_in: float = 1.0
    hits: int = 0

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
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` (see ``Fault``)."""
        fault = Fault(method.upper(), path, status, times, after_handler, reset_in)
        self.faults.append(fault)
        return fault

    def _fault_for(self, request: web.Request) -> Fault | None:
        """The first injected fault that applies to ``request``, if one does."""
        return next((f for f in self.faults if f.matches(request.method, request.path)), None)
