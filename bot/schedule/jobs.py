"""What `newsbot run` does on its own: the schedule's firings, catch-up at start, and issues
that name their own `publish_at`.

At each firing it re-reads `issues.directory`, ingests what changed (a broken file stops the
ingest, not the publish: what the archive holds still goes out, and the editors are told), then
publishes, outlet by outlet: first, for each target, the newest issue whose publish was left
unfinished there (a channel gone, X down, a stop in the middle of it) unless a newer one was
published there or is due, and every older one part way out there (older ones of which nothing
went out are left, and the editors told: `bot.schedule.owed`), then the newest issue due and
not yet published there.

Several `newsbot run` processes may share one archive: the schedule fires in each, and the one
holding the publishing lease does the work while the others leave it (if it dies, the lease
lapses within a minute and another takes over, resuming from the ledger).

apscheduler's job store lives in memory and forgets; the outbox ledger remembers. So at start
the same work runs once with `schedule.catch_up` as the policy, and a second firing in a
repeated autumn hour finds the issue already published and sends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.models import IssueSummary
from bot.publishing.service import OutletName
from bot.schedule import triggers as scheduler
from bot.schedule.cron import both_days_warning, rare_firing_warning
from bot.schedule.files import deleted_timed
from bot.schedule.folder import IssueFolder
from bot.schedule.overlap import QueuedFiring
from bot.schedule.owed import LeftTold, Targets, add_owed, finish_late, owed
from bot.schedule.own_time import ISSUE_JOB as ISSUE_JOB
from bot.schedule.own_time import OwnTimeJobs
from bot.schedule.reports import (
    RunReport,
    caught_up_message,
    deleted_message,
    missed_message,
    publish_into,
)
from bot.workers import lease

if TYPE_CHECKING:
    from bot.wiring import Services

log = logging.getLogger(__name__)

RESCAN_SECONDS = 60
"""How often the issue files are looked at for a new or changed `publish_at`."""
PUBLISHING_LEASE = "schedule.publishing"
PUBLISHING_LEASE_SECONDS = 60.0
"""Of several processes sharing the archive, one publishes on the schedule; if it dies, another
takes over within this long."""
LEASE_RETRY_SECONDS = PUBLISHING_LEASE_SECONDS + 1
"""Work left to the process holding the publishing lease is tried again this much later: a dead
holder's lease has run out by then, and a live one's work is found done."""


class ScheduledPublishing:
    """The schedule of one `newsbot run`: start it in the bot's `setup_hook`, stop it on close."""

    def __init__(
        self, services: Services, *, ready: Callable[[], Awaitable[Any]] | None = None
    ) -> None:
        self.archive = services.archive
        self.settings = services.settings
        self.publisher = services.publisher
        self.ready = ready
        self.alerts = services.alerts
        self.clock = services.clock
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._own_times: OwnTimeJobs | None = None
        # The clock is read when the folder needs it: tests set `clock` after this.
        self.folder = IssueFolder(
            self.archive, self.settings, lambda: self.clock(), self._tell, self._warn
        )
        self._stopping = False
        self._cancelled: set[int] = set()
        self._queued = QueuedFiring(scheduler.JOB_ID, self._guarded, self.fire)
        self._left = LeftTold(self.archive, self._warn)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the scheduler (in the running loop) and the catch-up, then log what comes next."""
        sched = scheduler.make_scheduler(self.settings, self.on_firing)
        sched.add_job(
            self.on_start, id="newsbot-catch-up", name="catch up at start", misfire_grace_time=None
        )
        sched.add_job(
            self.on_rescan,
            IntervalTrigger(seconds=RESCAN_SECONDS, timezone=dt.UTC),
            id="newsbot-rescan",
            name="look for issues with their own publish_at",
        )
        sched.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._queued.attach(sched)  # a firing while the last one runs: runs when it ends
        sched.start()
        self._scheduler = sched
        now = self.clock()
        grace = self.settings.schedule.misfire_grace_time
        self._own_times = OwnTimeJobs(self.on_issue_time, grace)
        cron = scheduler.trigger(self.settings)
        (following,) = scheduler.next_firings(cron, now, 1)
        log.info(
            "schedule %r in %s: next firing %s",
            self.settings.schedule.cron,
            self.settings.schedule.timezone,
            following.isoformat(),
        )
        cron_text = self.settings.schedule.cron
        warnings = [both_days_warning(cron_text), rare_firing_warning(cron_text, following, now)]
        for year in (now.year, now.year + 1):
            warnings.append(scheduler.skipped_hour_warning(self.settings, year, after=now))
        for warning in filter(None, warnings):
            log.warning("%s", warning)

    async def stop(self) -> None:
        """Stop firing; a publish in progress may finish within `publishing.stop_grace` seconds.

        Past them it is cancelled: the step in flight stays `sending` in the ledger and is
        recovered, not repeated, at the next start.
        """
        grace = self.settings.publishing.stop_grace
        self._stopping = True
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        running = [task for task in self._tasks if not task.done()]
        if not running:
            return
        busy = self._lock.locked()  # else they only wait for Discord or for their turn
        pending: set[asyncio.Task[None]] = set(running)
        if busy and grace > 0:
            log.info("waiting up to %.0f s for the publish in progress", grace)
            _, pending = await asyncio.wait(running, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            if busy:
                log.warning("stopped in the middle of a publish; it resumes at the next start")

    # --- jobs (each runs to its end even if the scheduler is shut down meanwhile) -------------

    async def on_firing(self) -> None:
        """The cron fired: ingest, then publish the newest due issue everywhere it is missing."""
        at = self.clock()
        await self._guarded("firing", lambda: self.fire(at))

    async def on_start(self) -> None:
        """The bot started: catch up per `schedule.catch_up`."""
        await self._guarded("catch-up", self.catch_up)

    async def on_issue_time(self, number: int) -> None:
        """An issue's own `publish_at` came."""
        await self._guarded("publish_at", lambda: self.publish_own_time(number))

    def _on_missed(self, event: JobExecutionEvent) -> None:
        """apscheduler dropped a run later than `misfire_grace_time` (a suspended machine)."""
        if self._scheduler is not None and not self._stopping:
            self._scheduler.add_job(self.on_missed, args=(event.job_id, event.scheduled_run_time))

    async def on_missed(self, job_id: str, at: dt.datetime) -> None:
        """A firing, or an issue's own time, passed while newsbot could not run it in time: run
        it now, late, and tell the editors."""
        number = int(job_id.rsplit("-", 1)[1]) if job_id.startswith(ISSUE_JOB[:-2]) else None
        if job_id != scheduler.JOB_ID and number is None:
            return
        what = "firing" if number is None else f"publish_at of #{number}"
        late = at.astimezone(dt.UTC).astimezone(scheduler.zone(self.settings))
        await self._warn(missed_message(what, late, self.settings.schedule.misfire_grace_time))
        if number is None:
            await self._guarded("firing", lambda: self.fire(at))
        else:
            await self.on_issue_time(number)

    async def on_rescan(self) -> None:
        """Look at the issue files for a new or moved `publish_at` (without ingesting them)."""
        await self._guarded("rescan", self.rescan, record=False, exclusive=False)

    async def _guarded(
        self,
        kind: str,
        work: Callable[[], Coroutine[Any, Any, RunReport | None]],
        *,
        record: bool = True,
        exclusive: bool = True,
    ) -> None:
        task = asyncio.ensure_future(self._run(kind, work, record=record, exclusive=exclusive))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            # Shielded: apscheduler cancels its jobs when it shuts down; `stop` decides instead.
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # A stop: the scheduler cancels its jobs, `stop` decides about the work. Neither
            # is the job's failure (apscheduler would log a traceback for it).

    async def _run(
        self,
        kind: str,
        work: Callable[[], Coroutine[Any, Any, RunReport | None]],
        *,
        record: bool,
        exclusive: bool,
    ) -> None:
        if self.ready is not None:
            await self.ready()
        if self._stopping:
            return  # ready only once a stop was asked for: start nothing new
        try:
            # The lease's taking and giving up too: an archive out of reach a moment (its
            # server restarting) fails the job here, told, not unseen in the scheduler's log.
            async with self._lock, self._publishing_lease(exclusive) as held:
                if not held:
                    log.info(
                        "the scheduled %s is left to another newsbot process on the archive;"
                        " tried again in %.0f s",
                        kind,
                        LEASE_RETRY_SECONDS,
                    )
                    self._retry_later(kind, work, record)
                    return
                report = await work()
                if report is not None and record:
                    await self.archive.state.set(scheduler.LAST_FIRING_KEY, report.state())
                    log.info("%s", report.summary())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("the scheduled %s failed", kind)
            await self._tell(f"The scheduled {kind} failed ({type(exc).__name__}); see the log.")

    def _retry_later(
        self, kind: str, work: Callable[[], Coroutine[Any, Any, RunReport | None]], record: bool
    ) -> None:
        """Run `work` again once the lease another process holds may have run out."""
        if self._scheduler is None or not self._scheduler.running or self._stopping:
            return
        at = self.clock() + dt.timedelta(seconds=LEASE_RETRY_SECONDS)
        self._scheduler.add_job(
            self._guarded,
            DateTrigger(run_date=at),
            args=(kind, work),
            kwargs={"record": record},
            name=f"the {kind} again, if another process left it undone",
            misfire_grace_time=None,
        )

    @contextlib.asynccontextmanager
    async def _publishing_lease(self, exclusive: bool) -> AsyncIterator[bool]:
        if not exclusive:
            yield True
            return
        async with lease(self.archive.state, PUBLISHING_LEASE, PUBLISHING_LEASE_SECONDS) as held:
            yield held

    # --- the work -------------------------------------------------------------------------------

    async def fire(self, at: dt.datetime | None = None) -> RunReport:
        """One firing (at `at`, default now): ingest, resume what is unfinished, publish the
        newest due issue."""
        now = at or self.clock()
        report = RunReport("firing", now)
        await self.ingest(report)
        await self._publish_due(report, last_firing=now, policy="latest")
        await self.sync_issue_jobs()
        return report

    async def catch_up(self) -> RunReport:
        """At start: what was due while newsbot was down, per `schedule.catch_up`.

        Unfinished publishes are resumed whatever the policy (they were started, so they are
        finished), each target's newest as at a firing.
        """
        now = self.clock()
        report = RunReport("catch-up", now)
        await self.ingest(report)
        last = scheduler.previous_firing(scheduler.trigger(self.settings), now)
        await self._publish_due(report, last_firing=last, policy=self.settings.schedule.catch_up)
        if report.published and last is not None:
            await self._warn(caught_up_message(report, last))
        await self.sync_issue_jobs()
        return report

    async def publish_own_time(self, number: int) -> RunReport | None:
        """Publish issue `number` at its own `publish_at`, where it is not published yet."""
        now = self.clock()
        report = RunReport("publish_at", now)
        await self.ingest(report)
        summaries = {s.number: s for s in await self._archived()}
        summary = summaries.get(number)
        if summary is None or summary.publish_at is None:
            log.info("issue #%d no longer has a publish_at; the schedule publishes it", number)
            return None
        if scheduler.publish_time(self.settings, summary.publish_at) > now:
            await self.sync_issue_jobs()  # moved later since the job was made
            return None
        wanted = await self._unpublished_outlets(number)
        await publish_into(report, self.archive, self.publisher, {number: dict.fromkeys(wanted)})
        return report

    async def ingest(self, report: RunReport) -> None:
        """Re-read the issue files and ingest what changed; problems stop the ingest only."""
        await self.folder.ingest(report)

    async def rescan(self) -> None:
        """Schedule the `publish_at` of issue files changed since the last look."""
        if await self.folder.changed():
            await self.sync_issue_jobs()

    async def sync_issue_jobs(self) -> None:
        """A date job per issue whose own `publish_at` is ahead and not yet published, and one
        running at once for a time that passed before newsbot saw it (after its first look)."""
        if self._scheduler is None or self._own_times is None:
            return
        # The files say last: a time moved in a file since it was ingested is the one kept.
        times = {s.number: s.publish_at for s in await self._archived() if s.publish_at}
        times.update(self.folder.file_times)
        for number in [
            n for n, at in times.items() if not scheduler.schedulable(self.settings, at)
        ]:
            log.warning(
                "issue #%d: its publish_at %s cannot be scheduled", number, times.pop(number)
            )
        published = await scheduler.published_issues(
            self.archive, list(times), outlets=self.publisher.outlets
        )
        unpublished = {
            number: scheduler.publish_time(self.settings, at)
            for number, at in times.items()
            if number not in published
        }
        zone = scheduler.zone(self.settings)
        for told in self._own_times.sync(self._scheduler, unpublished, self.clock(), zone):
            await self._warn(told)

    # --- helpers --------------------------------------------------------------------------------

    async def _archived(self) -> list[IssueSummary]:
        """The archived issues, less those held for their own time whose file was deleted."""
        stats = await self.archive.issues.stats()
        archived = await self.archive.issues.issues(limit=stats.issues)
        gone = deleted_timed(archived, self.folder.present, self.folder.arrivals or {})
        gone -= await scheduler.published_issues(self.archive, gone)
        for number in sorted(gone - self._cancelled):
            await self._warn(deleted_message(number, self.settings.issues.directory))
        self._cancelled = gone
        return [s for s in archived if s.number not in gone]

    async def _publish_due(
        self,
        report: RunReport,
        *,
        last_firing: dt.datetime | None,
        policy: scheduler.CatchUp,
    ) -> None:
        archived = await self._archived()
        numbers = {s.number for s in archived}
        todo: dict[int, dict[OutletName, Targets]] = {}
        left: list[tuple[OutletName, str, str, list[int]]] = []
        for outlet in self.publisher.outlets:
            published = await scheduler.published_issues(self.archive, numbers, (outlet,))
            due = scheduler.due_issues(
                published,
                archived,
                last_firing,
                policy,
                now=report.at,
                tz=scheduler.zone(self.settings),
                arrived=self.folder.arrivals,
            )
            add_owed(todo, outlet, dict.fromkeys(due))
            # Steps left for a target that no longer receives issues (a channel unsubscribed)
            # are not resumed; of those a target has, its newest issue's, and those of older
            # issues part way out there (quietly).
            targets = {t.name: t for t in await self.publisher.targets(outlet)}
            unfinished = await owed(self.archive, outlet, targets, numbers, max(due, default=0))
            await finish_late(self.archive, outlet, unfinished.late)
            add_owed(todo, outlet, unfinished.resumed)
            where = self.publisher.outlet(outlet).mention
            left += [
                (outlet, name, where(targets[name]), issues)
                for name, issues in unfinished.left.items()
            ]
        await self._left.say(left)
        await publish_into(report, self.archive, self.publisher, todo)

    async def _unpublished_outlets(self, number: int) -> list[OutletName]:
        return await scheduler.unpublished_outlets(self.archive, number, self.publisher.outlets)

    async def _warn(self, text: str) -> None:
        """Log `text` as a warning and tell the editors it."""
        log.warning("%s", text)
        await self._tell(text, logged=True)

    async def _tell(self, text: str, target: Any = None, *, logged: bool = False) -> None:
        try:
            await self.alerts.tell(text, target, logged=logged)
        except Exception:
            log.exception("could not post an alert")
