"""A firing that comes while the previous one still runs (a long publish, a loaded machine):
it runs as soon as that one ends, and newsbot says so once, in its own words.

apscheduler runs one firing of the cron job at a time (`max_instances=1`). One that comes while
the last still runs, apscheduler skips, logging `Execution of job ... skipped: maximum number of
running instances reached (1)`. Skipped, it would be lost: what became due meanwhile (an issue
saved while the last one was being published) would wait for the following firing, a week
later on a weekly schedule. So newsbot queues one firing instead. It waits its turn (the
publishing lock), then reads the clock and the issue files as any firing does, so it does the
work of every firing skipped before it started: one queued is enough however many come, and
it is said once. apscheduler's own line is not shown (`SCHEDULER_LOG` drops it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apscheduler.events import JobSubmissionEvent
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.schedule.reports import RunReport

log = logging.getLogger(__name__)

Work = Callable[[], Coroutine[Any, Any, "RunReport | None"]]


class _NotSkippedRuns(logging.Filter):
    """Leaves out apscheduler's line about a run skipped for one still running, which newsbot
    says in its own words (or, for its other jobs, need not say: the next run does the same)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in str(record.msg)


SCHEDULER_LOG = logging.getLogger("apscheduler.scheduler.newsbot")
"""The logger newsbot's scheduler logs to: apscheduler's own (configured with it), less the
line about skipped runs."""
SCHEDULER_LOG.addFilter(_NotSkippedRuns())


class QueuedFiring:
    """Runs a firing of the job `job_id` skipped because the previous one still ran, once that
    one ends: `guarded("firing", work)` runs `fire` in its turn."""

    def __init__(
        self,
        job_id: str,
        guarded: Callable[[str, Work], Awaitable[None]],
        fire: Callable[[], Coroutine[Any, Any, RunReport]],
    ) -> None:
        self._job_id = job_id
        self._guarded = guarded
        self._fire = fire
        self._scheduler: AsyncIOScheduler | None = None
        self._waiting = False

    def attach(self, scheduler: AsyncIOScheduler) -> None:
        """Hear of the firings `scheduler` skips."""
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES

        self._scheduler = scheduler
        scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)

    def _skipped(self, event: JobSubmissionEvent) -> None:
        scheduler = self._scheduler
        if event.job_id != self._job_id or scheduler is None or not scheduler.running:
            return
        if self._waiting:
            return  # the one queued starts after this firing: it does its work
        self._waiting = True
        log.info(
            "the schedule fired while the previous firing was still running;"
            " it runs again as soon as that one ends"
        )
        scheduler.add_job(
            self._guarded,
            args=("firing", self._queued),
            name="the firing that came while the previous one ran",
            misfire_grace_time=None,
        )

    async def _queued(self) -> RunReport:
        # Its turn has come: a firing skipped from now on comes after this one read the clock.
        self._waiting = False
        return await self._fire()
