"""What the outlets posting an issue as a thread on one account (X, Mastodon, Bluesky) share:
the constructor's shape, the rate-limit wait, the look through recent posts, the preview words.
Each platform keeps its own rules (how it reports a limit, how a post matches) in its outlet."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from bot.publishing.outlet import CapReached, Lookup, Outcome
from bot.publishing.reports import PlannedStep

log = logging.getLogger(__name__)

LOOKUP_PAGES = 3
"""Pages of recent posts searched when reconciling an interrupted post."""
SINCE_PAGES = 25
"""Pages of posts searched back to a restored backup's time at most (1000 statuses on
Mastodon, 2500 posts on Bluesky): reading all since the backup shows a post surely not made,
which ends the lookups of the issue's later posts; past this many, one is posted unfound.
Once more than 1,000 statuses followed the backup, each step reads all 25 pages: on Mastodon
(300 requests per 5 minutes by default) a thread of about 11 posts or more runs into the rate
limit, met as any 429: waited out up to `max_wait`, else the rest deferred to a later publish."""
LEAST_WAIT = 1.0
"""Seconds a rate limit is waited out at least: a reset already past by this machine's clock
(which may run ahead of the platform's) must not turn the retries into a burst."""
MOST_WAITS = 3
"""Rate limits one call waits out before the rest waits for a later publish: a platform still
refusing once its reset has passed holds a longer cap than its headers say."""

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
            return f"look for it on {self.title} ({planned.why_looked_for}), else {does}"
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
        waited: int,
    ) -> None:
        """Sleep a rate limit's `wait` out (at least `LEAST_WAIT`); one unknown, longer than
        `max_wait`, or met again after the call `waited` out `MOST_WAITS` already raises
        `CapReached` (the rest waits for a later publish)."""
        if wait is None or wait > max_wait or waited >= MOST_WAITS:
            cap = f"{self.title}'s {limit}"
            # The platform answered 429: the call made nothing.
            raise CapReached(f"{cap} is reached ({what})", reset, cap, made_nothing=True) from exc
        wait = max(LEAST_WAIT, wait)
        log.info("%s rate limit: waiting %.0f s before trying to %s", self.title, wait, what)
        await self.sleep(wait)


async def look_through(
    page: Callable[[CursorT | None], Awaitable[tuple[Iterable[ItemT], CursorT | None]]],
    match: Callable[[ItemT], FoundT | None],
    *,
    pages: int = LOOKUP_PAGES,
) -> FoundT | Lookup | None:
    """The first recent post `match` finds, in up to `pages` pages; `page` reads one page
    after a cursor and gives the next cursor, None after the last page. Not found: if every
    page was read, `Lookup.NOT_MADE` (the account holds no such post); else None (it may be
    among those not read)."""
    cursor: CursorT | None = None
    for _ in range(pages):
        items, cursor = await page(cursor)
        for item in items:
            found = match(item)
            if found is not None:
                return found
        if cursor is None:
            return Lookup.NOT_MADE
    return None


def warn_unfound(title: str, step: str, since: dt.datetime, pages: int) -> None:
    """Tell the operator that `step` was looked for in `pages` pages of the account's posts
    since `since` (a restored backup's time), which did not hold them all: it is made as not
    found, and may now be on the platform twice."""
    told = (
        f"{title}: {step} was not found in the {pages} pages of posts read since"
        f" {since.isoformat(timespec='seconds')}, and there were more; posting it as not made"
        " (if it was, it is now there twice)"
    )
    log.warning("%s", told)  # each step's own line: not one of a kind logged once a minute
