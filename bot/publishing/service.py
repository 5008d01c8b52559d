"""Publishing one issue on every configured outlet: what `newsbot publish` and the schedule do.

Outlets go one after another, Discord first, each through the one engine. A failure on one
outlet is reported and does not stop the next; each outlet's ledger makes running it again
resume where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import NewsbotError
from bot.models import Issue
from bot.publishing.catalogue import OUTLET_NAMES
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outlet
from bot.publishing.reports import PublishReport
from bot.store import failed_under

__all__ = ["OUTLET_NAMES", "OutletName", "OutletResult", "Publisher"]

log = logging.getLogger(__name__)

OutletName = str
"""An outlet as the ledger and `--outlet` name it: `discord`, `x`."""
ARCHIVE_PATIENCE = 30.0
"""Seconds a publish the archive failed under is tried again, resuming from the ledger, before
it is told as failed: a failover or a restart takes seconds, and a publish that had finished
(or nearly) as it began was told to the editors as failed."""
FIRST_PAUSE = 1.0
"""Seconds before the first try again; each next waits twice as long."""


@dataclass
class OutletResult:
    """What publishing an issue did on one outlet: a line per target, and what is left to do,
    if anything (`None` when the outlet has the whole issue)."""

    outlet: OutletName
    issue_number: int
    lines: list[str] = field(default_factory=list)
    failure: str | None = None
    resumable: bool = False
    """Whether publishing again later picks up what this run left (not so for a setup problem)."""


class Publisher:
    """Publishes issues on the configured outlets, through one engine."""

    def __init__(self, engine: Engine, outlets: Sequence[Outlet[Any]]) -> None:
        self.engine = engine
        self._outlets = {outlet.name: outlet for outlet in outlets}

    @property
    def outlets(self) -> list[OutletName]:
        """The outlets this publisher can reach, in the order it publishes (Discord first)."""
        return list(self._outlets)

    def outlet(self, name: OutletName) -> Outlet[Any]:
        """The configured outlet called `name`; `NewsbotError` if it is not configured."""
        try:
            return self._outlets[name]
        except KeyError:
            raise NewsbotError(f"{OUTLET_NAMES.get(name, name)} is not configured") from None

    async def targets(self, name: OutletName) -> list[Any]:
        """Where the outlet publishes (its channels, its account)."""
        return await self.outlet(name).targets()

    async def publish(
        self,
        issue: Issue,
        outlets: Sequence[OutletName] | None = None,
        *,
        only: Mapping[OutletName, Collection[str]] | None = None,
    ) -> list[OutletResult]:
        """Publish `issue` on each outlet in turn (all of them by default); on an outlet `only`
        names, only to those of its targets (by their ledger names)."""
        results = []
        only = only or {}
        for name in outlets if outlets is not None else self.outlets:
            try:
                result = await self._publish_patiently(issue, self.outlet(name), only.get(name))
            except NewsbotError as exc:
                result = OutletResult(name, issue.number, failure=str(exc))
            except Exception as exc:
                title = OUTLET_NAMES.get(name, name)
                log.exception("publishing #%d to %s failed", issue.number, title)
                result = OutletResult(
                    name,
                    issue.number,
                    failure=f"publishing failed unexpectedly ({type(exc).__name__}); see the log",
                    resumable=True,
                )
            results.append(result)
        return results

    async def _publish_patiently(
        self, issue: Issue, outlet: Outlet[Any], only: Collection[str] | None
    ) -> OutletResult:
        """`_publish`, tried again while the archive fails under it, for `ARCHIVE_PATIENCE`.

        The ledger, read again once the archive answers, says what was sent: each try sends
        only what is left (nothing, when the publish had finished), so the outcome told is
        what the platform has, not the archive's moment of failure.
        """
        given_up_at = time.monotonic() + ARCHIVE_PATIENCE
        pause = FIRST_PAUSE
        while True:
            try:
                return await self._publish(issue, outlet, only)
            except Exception as exc:
                if not failed_under(exc) or time.monotonic() + pause > given_up_at:
                    raise
                said = str(exc).strip().splitlines() or [type(exc).__name__]
                log.warning(
                    "the archive failed under the publish of #%d on %s (%s): trying again in"
                    " %.0f s, from where its ledger says the publish stands",
                    issue.number,
                    outlet.title,
                    said[0],
                    pause,
                )
                await asyncio.sleep(pause)
                pause *= 2

    async def _publish(
        self, issue: Issue, outlet: Outlet[Any], only: Collection[str] | None
    ) -> OutletResult:
        targets = await outlet.targets()
        if only is not None:
            targets = [target for target in targets if target.name in only]
        if not targets:
            raise NewsbotError(outlet.nowhere)
        report = await self.engine.publish(issue, outlet, targets)
        result = OutletResult(outlet.name, issue.number)
        result.lines = [
            f"#{issue.number} → {outlet.where(t.target)}: {t.summary()}" for t in report.targets
        ]
        result.failure = _unfinished(outlet, report)
        # Publishing again later helps unless every target left fails on its setup.
        result.resumable = any(t.resumable for t in report.targets if not t.ok)
        return result


def _unfinished(outlet: Outlet[Any], report: PublishReport) -> str | None:
    """What is left of the publish, in words; None when the outlet has the whole issue."""
    failed = [t for t in report.targets if t.error is not None]
    if len(failed) == 1:
        return f"{outlet.where(failed[0].target)} did not get the whole issue ({failed[0].error})"
    if failed:
        total = len(report.targets)
        return f"{len(failed)} of {total} targets on {outlet.title} did not get the whole issue"
    waiting = next((t for t in report.targets if t.deferred), None)
    if waiting is not None:
        return f"the rest waits for {waiting.cap}"
    return None
