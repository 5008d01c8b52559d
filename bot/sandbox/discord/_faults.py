"""Failures a test injects on a route: N 429s or 5xx answers before the real one (or a faked
204, bare as Discord's), or requests held unanswered (a REST call that hangs)."""

from __future__ import annotations

import asyncio
import fnmatch
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from ._ratelimit import Rejection, too_many_requests

JSON = dict[str, Any]


@dataclass
class Fault:
    """Answer ``status`` to the next ``times`` requests matching ``method`` and ``route``.

    ``route`` is a route template as discord.py writes it (``/channels/{channel_id}/messages``)
    or a glob over the concrete path (``/channels/*/messages``). With ``after_handler`` the
    request takes effect first and only its answer is replaced: the case of a message
    created while the client saw a 500, which ``nonce`` + ``enforce_nonce`` is for.
    With ``hang`` each matching request is held unanswered until ``release()`` (or the
    emulator closing), then answered ``status``; ``hits`` counts it as soon as it arrives.
    ``skip`` lets the first matching requests through as they are (a fault on the digest, sent
    after the section threads to the same route); with ``after_handler`` only requests carried
    out count among them, not those refused first (a rate limit, another fault, the handler).
    """

    method: str
    route: str
    status: int
    times: int = 1
    retry_after: float = 0.05
    is_global: bool = False
    after_handler: bool = False
    hang: bool = False
    skip: int = 0
    hits: int = 0
    skipped: int = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def exhausted(self) -> bool:
        """Whether every injected failure has been served."""
        return self.hits >= self.times

    def matches(self, method: str, template: str, path: str) -> bool:
        """Whether the fault applies to this request (and still has failures to serve); asking
        changes nothing, as a request let through is counted by ``let_through``."""
        if self.exhausted or self.method not in ("*", method):
            return False
        return self.route == template or fnmatch.fnmatchcase(path, self.route)

    def let_through(self) -> bool:
        """Let a matching request through as it is while ``skip`` requests have not been, and
        count it; False once they have (the fault then answers it)."""
        if self.skipped >= self.skip:
            return False
        self.skipped += 1
        return True

    def release(self) -> None:
        """Answer the requests held by a ``hang`` fault, and any later ones at once."""
        self._released.set()

    async def answer(self) -> Rejection:
        """Count one hit and return the answer to send, once released if the fault hangs."""
        rejection = self.rejection()
        if self.hang:
            await self._released.wait()
        return rejection

    def rejection(self) -> Rejection:
        """Count one hit and return the answer to send."""
        self.hits += 1
        if self.status == 429:
            scope = "global" if self.is_global else "user"
            return too_many_requests(self.retry_after, is_global=self.is_global, scope=scope)
        if self.status == HTTPStatus.NO_CONTENT:
            # Discord's "Returns a 204 No Content response" (Delete Message, Delete Webhook
            # Message, ...) has no body and no Content-Type (RFC 9110 §15.3.5); a JSON one
            # would make discord.py parse the empty text as JSON and fail.
            return Rejection(self.status, None, {})
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Error"
        return Rejection(self.status, {"message": f"{self.status}: {reason}", "code": 0}, {})
