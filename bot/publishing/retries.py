"""How the engine retries a call to a platform: transient failures again after a growing pause,
and a step that an earlier call may have made looked for before it is made again."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from bot.publishing.outlet import (
    Destination,
    Lookup,
    MaybeMade,
    Outcome,
    Outlet,
    Remote,
    StepError,
)
from bot.publishing.steps import Payload, Step

log = logging.getLogger("bot.publishing.engine")  # said as the engine's, where operators look

T = TypeVar("T")
TargetT = TypeVar("TargetT", bound=Destination)


@dataclass(frozen=True)
class Retries:
    """`times` more tries after a transient failure, the first after `delay` seconds, each
    pause twice the one before."""

    times: int
    delay: float

    async def make(
        self,
        outlet: Outlet[TargetT],
        step: Step[TargetT],
        payload: Payload,
        ids: Mapping[str, int],
        *,
        look_first: bool,
        since: dt.datetime | None = None,
    ) -> tuple[Remote, Outcome, bool]:
        """Make the step; first look for it whenever an earlier attempt may have made it (one
        interrupted, or one that failed in a way that may have reached the platform), back to
        `since` if given. Also says whether the step was posted after a lookup showed it surely
        not made (`Lookup.NOT_MADE`).

        A failure raised says `made_nothing` only as the outlet's `create` said it, of a call
        made after any earlier attempt was looked for: a lookup that fails leaves unknown what
        an earlier attempt made, whatever its own call was answered."""
        surely_new = False
        for attempt in range(self.times + 1):
            try:
                if look_first:
                    try:
                        found = await outlet.recover(step, payload, ids, since=since)
                    except StepError as exc:
                        exc.made_nothing = False
                        raise
                    if isinstance(found, Remote):
                        log.info("found %s already made", step.key)
                        return found, Outcome.RECOVERED, False
                    surely_new = found is Lookup.NOT_MADE
                return await outlet.create(step, payload, ids), Outcome.POSTED, surely_new
            except MaybeMade:
                if look_first or attempt == self.times:
                    raise
                look_first = True
            except StepError as exc:
                if not exc.transient or attempt == self.times:
                    raise
                look_first = True
                log.info("retrying %s after a transient failure: %s", step.key, exc.reason)
                await asyncio.sleep(self.delay * 2**attempt)
        raise AssertionError("unreachable")

    async def attempt(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run one call, retrying transient failures with a growing pause."""
        for attempt in range(self.times + 1):
            try:
                return await call()
            except StepError as exc:
                if not exc.transient or attempt == self.times:
                    raise
                log.info("retrying after a transient failure: %s", exc.reason)
                await asyncio.sleep(self.delay * 2**attempt)
        raise AssertionError("unreachable")
