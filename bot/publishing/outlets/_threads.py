"""What the outlets posting an issue as a thread on one account (X, Mastodon, Bluesky) share:
the constructor's shape, the rate-limit wait, the look through recent posts, the preview words.
Each platform keeps its own rules (how it reports a limit, how a post matches) in its outlet."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from bot.publishing.outlet import CapReached, Outcome
from bot.publishing.reports import PlannedStep

log = logging.getLogger(__name__)

LOOKUP_PAGES = 3
"""Pages of recent posts searched when reconciling an interrupted post."""

SettingsT = TypeVar("SettingsT")
TargetT = TypeVar("TargetT")
ItemT = TypeVar("ItemT")
CursorT = TypeVar("CursorT")
FoundT = TypeVar("FoundT")


class ThreadOutlet(Generic[SettingsT, TargetT]):
    """An outlet posting on one account: never edits, defers no day's cap unless it says so."""

    title: str
    edits = False
    outcomes: tuple[Outcome, ...] = (Outcome.POSTED, Outcome.RECOVERED, Outcome.UNCHANGED)
    daily_cap: int | None = None

    def __init__(
        self, settings: SettingsT, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self.settings = settings
        self.sleep = sleep

    async def resolve(self, target: TargetT) -> TargetT:
        """The account, as it is (an outlet that must ask the platform first says so)."""
        return target

    def where(self, target: TargetT) -> str:
        """The platform's name."""
        return self.title

    def mention(self, target: TargetT) -> str:
        """`on` the platform."""
        return f"on {self.title}"

    def already(self, planned: PlannedStep, *, not_edited: str) -> str:
        """A post already made, in words; `not_edited` says why a changed text stays as it was."""
        changed = f" (its text changed since: {not_edited})" if planned.changed else ""
        return f"already on {self.title}{changed}"

    def looking_first(self, planned: PlannedStep, does: str) -> str:
        """`does`, after looking for the post when an attempt at it was interrupted."""
        if planned.look_first:
            return f"look for it on {self.title} (an attempt was interrupted), else {does}"
        return does

    async def wait_out(
        self,
        exc: Exception,
        what: str,
        *,
        limit: str,
        wait: float | None,
        reset: float | None,
        max_wait: float,
    ) -> None:
        """Sleep a rate limit's `wait` out; one unknown or longer than `max_wait` raises
        `CapReached` (the rest waits for a later publish)."""
        if wait is None or wait > max_wait:
            cap = f"{self.title}'s {limit}"
            raise CapReached(f"{cap} is reached ({what})", reset, cap) from exc
        log.info("%s rate limit: waiting %.0f s before trying to %s", self.title, wait, what)
        await self.sleep(max(0.0, wait))


async def look_through(
    page: Callable[[CursorT | None], Awaitable[tuple[Iterable[ItemT], CursorT | None]]],
    match: Callable[[ItemT], FoundT | None],
) -> FoundT | None:
    """The first recent post `match` finds, in up to `LOOKUP_PAGES` pages; `page` reads one
    page after a cursor and gives the next cursor, None after the last page."""
    cursor: CursorT | None = None
    for _ in range(LOOKUP_PAGES):
        items, cursor = await page(cursor)
        for item in items:
            found = match(item)
            if found is not None:
                return found
        if cursor is None:
            return None
    return None
