"""The publishing engine: runs a publish's steps once each, on every outlet, recorded in the ledger.

A step is `pending` until it runs, `sending` while its call is in flight, then `sent` with the
platform's id (or `failed` with the reason). A restart finds each step where it was left: a
`sent` step is never repeated, one tried before is first looked for on the platform (the outlet
recovers what an interrupted attempt made), and only made when it is not there. Publishing an
edited issue again edits what was posted, adds what is new and removes what is gone, where the
outlet can edit; unchanged steps cost nothing. Failures reach the editors through `Alerts`.

The engine knows no platform: outlets (`bot/publishing/outlet.py`) plan and do the I/O.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakValueDictionary

from bot.models import Issue, OutboxEntry, StepState
from bot.publishing.ledger import CLAIM_POLL, Ledger, gone, new_holder, utc_now
from bot.publishing.outlet import (
    CapReached,
    Destination,
    Gone,
    Outcome,
    Outlet,
    Refused,
    Remote,
    StepError,
)
from bot.publishing.previews import planned_steps
from bot.publishing.progress import (
    as_int,
    defer,
    done,
    entry_for,
    finished_late,
    out_there,
    recorded_ids,
    stale_entries,
    to_send,
)
from bot.publishing.reports import (
    Alerts,
    FailuresTold,
    LogAlerts,
    PlannedStep,
    PublishReport,
    TargetReport,
)
from bot.publishing.restored import Lost, Restored, restored
from bot.publishing.retries import Retries
from bot.publishing.steps import Step, payload_hash
from bot.render.publish import Post, thanks_post
from bot.settings import Settings
from bot.store import Archive
from bot.suggestions import suggesters_by_section

log = logging.getLogger(__name__)
T = TypeVar("T")
TargetT = TypeVar("TargetT", bound=Destination)

DAY = dt.timedelta(days=1)


class Engine:
    """Publishes issues on any outlet, each step exactly once, recorded in the archive's ledger.

    One engine serves the whole process: its locks, each kept only while held or awaited, keep
    two publishes of one issue to one target (the schedule and `/newsletter publish`) apart.
    """

    def __init__(
        self,
        archive: Archive,
        *,
        concurrency: int = 50,
        retries: int = 3,
        retry_delay: float = 0.5,
        thank_suggesters: bool = False,
        alerts: Alerts | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        issues: Path | None = None,
    ) -> None:
        self.archive = archive
        self.issues = issues
        """The issue folder, whose files a backup found restored counts as maybe published."""
        self.ledger = Ledger(archive)
        self.retries = Retries(retries, retry_delay)
        """How a failed call to a platform is tried again: `retries` more times at most."""
        self.thank_suggesters = thank_suggesters
        self.alerts: Alerts = alerts or LogAlerts()
        self.failures = FailuresTold(self.alerts)
        self.refusals = FailuresTold(self.alerts)
        """The kinds of step a target refused (X: replies), told once until one is made."""
        self.clock = clock
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._locks: WeakValueDictionary[tuple[int, str, str], asyncio.Lock] = WeakValueDictionary()
        self.holder = new_holder()

    @classmethod
    def for_settings(
        cls,
        archive: Archive,
        settings: Settings,
        *,
        alerts: Alerts | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> Engine:
        """The engine as the settings configure it ([publishing], suggestions' thanks)."""
        publishing = settings.publishing
        return cls(
            archive,
            concurrency=publishing.concurrency,
            retries=publishing.retries,
            retry_delay=publishing.retry_delay,
            thank_suggesters=settings.suggestions.thank_suggesters,
            alerts=alerts,
            clock=clock,
            issues=settings.issues.directory,
        )

    # --- publishing ---------------------------------------------------------------------------

    async def publish(
        self, issue: Issue, outlet: Outlet[TargetT], targets: Sequence[TargetT] | None = None
    ) -> PublishReport:
        """Publish `issue` on `outlet` to `targets` (default: all of the outlet's), side by side;
        one failing stops only itself, and its editors are told."""
        chosen = list(targets) if targets is not None else await outlet.targets()
        # Issues a backup restored may have lost steps of are looked for before they are made:
        # a backup found restored is marked here (and said so), once per publish.
        await restored(self.archive, self.issues)
        thanks = await self._thanks(issue) if self.thank_suggesters else {}
        # Every target runs to its end before one's unexpected error (the archive failing under
        # it) is raised: left running, the others would go on publishing unawaited, beside the
        # publish tried again, and after a firing that gave up had let its lease go.
        ended = await asyncio.gather(
            *(self._publish_to(issue, outlet, t, thanks) for t in chosen),
            return_exceptions=True,
        )
        reports = []
        for report in ended:
            if isinstance(report, BaseException):
                raise report
            reports.append(report)
        return PublishReport(issue.number, reports)

    async def remaining_today(self, outlet: Outlet[Any]) -> int | None:
        """Steps the outlet's daily cap still allows, judged from the ledger; None: no cap."""
        if outlet.daily_cap is None:
            return None
        made = await self.ledger.sent_since(outlet.name, self.clock() - DAY)
        return max(0, outlet.daily_cap - made)

    async def _thanks(self, issue: Issue) -> dict[str, Post]:
        """Per section, a thank-you to the readers whose suggestions made it into `issue`."""
        published = await self.ledger.published_suggestions()
        ours = [s for s in published if s.issue_number == issue.number]
        return {
            slug: thanks_post(suggested)
            for slug, suggested in suggesters_by_section(issue, ours).items()
        }

    def _lock(self, issue_number: int, outlet: str, target: str) -> asyncio.Lock:
        return self._locks.setdefault((issue_number, outlet, target), asyncio.Lock())

    async def _publish_to(
        self,
        issue: Issue,
        outlet: Outlet[TargetT],
        target: TargetT,
        thanks: Mapping[str, Post],
    ) -> TargetReport:
        report = TargetReport(target, shown=outlet.outcomes, cap=f"{outlet.title}'s daily cap")
        # One publish of an issue to a target at a time (the schedule and /newsletter publish
        # may start together): the second finds the first's steps sent.
        async with self._slots, self._lock(issue.number, outlet.name, target.name):
            try:
                # Other processes sharing the archive may publish the same issue: one at a time
                # per target, the next finds the steps sent.
                name = target.name
                await self._claim(issue.number, outlet.name, name)
                try:
                    # Read under the claim: a restore that replaced the archive since this
                    # publish began (it loads only while no claim is held) is seen.
                    lost = await restored(self.archive, self.issues, mark=False)
                    try:
                        target = await outlet.resolve(target)
                    except StepError as exc:
                        await self._unreached(issue, outlet, target, thanks, exc.reason)
                        raise
                    report.target = target
                    await self._run_target(issue, outlet, target, report, thanks, lost)
                finally:
                    await self.ledger.release(issue.number, outlet.name, name, self.holder)
            except StepError as exc:
                report.error, report.resumable = exc.reason, exc.resumable
                log.warning(
                    "publishing #%d on %s to %s failed: %s",
                    issue.number,
                    outlet.title,
                    outlet.where(target),
                    exc.reason,
                )
        where = (outlet.name, target.name)
        if report.error is None:
            self.failures.succeeded(where)
        else:
            text = (
                f"I could not publish issue #{issue.number} {outlet.mention(target)}: "
                f"{report.error}. Nothing else is affected; I will try again at the next "
                "publish unless none of it went out there and a newer issue is due by then, "
                "and say so again only if it fails otherwise."
            )
            await self.failures.failed(where, report.error, text, target)
        return report

    async def _planned(
        self, issue: Issue, outlet: Outlet[TargetT], target: TargetT, thanks: Mapping[str, Post]
    ) -> tuple[dict[str, OutboxEntry], Sequence[Step[TargetT]]]:
        """The target's ledger of the issue, and the issue's steps there, each in the ledger
        (a step not yet in it recorded as pending)."""
        ledger = await self._ledger(issue.number, outlet, target.name, record=True)
        steps = outlet.plan(issue, target, ledger, thanks)
        await self.ledger.plan([entry_for(outlet, s) for s in steps if s.key not in ledger])
        return ledger, steps

    async def _ledger(
        self, issue_number: int, outlet: Outlet[Any], target: str, *, record: bool
    ) -> dict[str, OutboxEntry]:
        """The target's ledger of the issue. An issue part way out there after a newer one's
        publish began there is finished late, as a firing finishes it (`finished_late`): its
        digest, sent now, would ping the readers for old news after the newer one's did.
        Recorded with `record`, so that a stop before its steps go out does not undo it."""
        ledger = dict(await self.ledger.entries(issue_number, outlet.name, target))
        if any(out_there(entry) for entry in ledger.values()):
            newest = await self.ledger.newest(outlet.name, target)
            if newest is not None and newest > issue_number:
                for entry in finished_late(ledger):
                    if record:
                        await self.ledger.record(entry)
                    ledger[entry.key] = entry
        return ledger

    async def _unreached(
        self,
        issue: Issue,
        outlet: Outlet[TargetT],
        target: TargetT,
        thanks: Mapping[str, Post],
        reason: str,
    ) -> None:
        """Record that the target could not be reached (a deleted channel, no access): the
        issue's steps are planned as they stand, and the first one left to do fails with
        `reason`, so `newsbot status` lists it as unfinished, and why."""
        ledger, steps = await self._planned(issue, outlet, target, thanks)
        ids = recorded_ids(ledger)
        for step in steps:
            entry = ledger.get(step.key) or entry_for(outlet, step)
            if not done(outlet, step, entry, ids):
                await self.ledger.record(replace(entry, state=StepState.FAILED, reason=reason))
                return

    async def _claim(self, issue_number: int, outlet: str, target: str) -> None:
        """Wait until this engine holds the claim to publish the issue to the target: another
        process's ends when it is done, or when its lease runs out."""
        # Polled: the claim is held by another process, which no asyncio.Event here can hear.
        while not await self.ledger.claim(issue_number, outlet, target, self.holder):
            holder = await self.ledger.holder(issue_number, outlet, target)
            if holder is not None and gone(holder):
                log.info("taking over the publish of #%d to %s from %s, which is gone",
                         issue_number, target, holder)  # fmt: skip
                if await self.ledger.claim(issue_number, outlet, target, self.holder, holder):
                    return
            await asyncio.sleep(CLAIM_POLL)

    async def _run_target(
        self,
        issue: Issue,
        outlet: Outlet[TargetT],
        target: TargetT,
        report: TargetReport,
        thanks: Mapping[str, Post],
        restore: Restored | None,
    ) -> None:
        ledger, steps = await self._planned(issue, outlet, target, thanks)
        # Steps a restored backup lost were made in order: looked for until one surely was not.
        lost = restore.lookups() if restore and issue.number <= restore.through else None
        outcomes: dict[str, Outcome] = {}
        deleted: set[str] = set()
        try:
            # Each pass ends when a step finds what it made deleted on the platform: that, and
            # what was in it, is made again in the next pass (earlier steps may have been in it).
            for _ in range(len(steps) + 1):
                try:
                    await self._run_steps(outlet, steps, ledger, report, outcomes, lost)
                    break
                except Gone as exc:
                    log.info("%s: %s; making it again", outlet.title, exc.reason)
                    deleted |= await self._forget(ledger, exc.key)
            else:  # each pass forgets a step, so there are never more passes than steps
                raise AssertionError("a publish found more deleted than it has steps")
        finally:
            # Said of what this publish did, also when it failed part way: a deleted channel
            # finds its digest gone and then fails to make it again, which made nothing.
            for outcome in outcomes.values():
                report.counts[outcome] += 1
            made = (Outcome.POSTED, Outcome.RECOVERED)
            if any(outcomes.get(key) in made for key in deleted):
                report.notes.append(f"made again what was deleted {outlet.mention(target)}")
        if outlet.edits:
            await self._remove_stale(outlet, ledger, {step.key for step in steps}, report)

    async def _run_steps(
        self,
        outlet: Outlet[TargetT],
        steps: Sequence[Step[TargetT]],
        ledger: Mapping[str, OutboxEntry],
        report: TargetReport,
        outcomes: dict[str, Outcome],
        lost: Lost | None,
    ) -> None:
        """Run `steps` in order, each once, noting its outcome in `outcomes` (an edit made
        in an earlier pass stays the step's outcome); the rest are deferred past a cap."""
        ids = recorded_ids(ledger)
        allowed = await self.remaining_today(outlet)
        instead: dict[str, str] = {}
        report.counts[Outcome.DEFERRED] = 0
        for number, next_step in enumerate(steps):
            step = replace(next_step, action=instead.get(next_step.action, next_step.action))
            entry = ledger.get(step.key) or entry_for(outlet, step)
            if done(outlet, step, entry, ids):
                outcomes.setdefault(step.key, Outcome.UNCHANGED)
                continue
            if allowed is not None and allowed <= 0 and entry.remote_id is None:
                report.counts[Outcome.DEFERRED] = len(steps) - number
                return
            issue_number, target = step.issue_number, step.target
            if not await self.ledger.claim(issue_number, outlet.name, target.name, self.holder):
                raise StepError(
                    "another newsbot process took this publish over (the claim ran out)"
                )
            try:
                outcome = await self._run_step(outlet, step, entry, ids, instead, lost=lost)
            except CapReached as exc:
                defer(report, exc, len(steps) - number)
                return
            outcomes[step.key] = outcome
            if outcome == Outcome.POSTED and allowed is not None:
                allowed -= 1
            if outcome not in (Outcome.POSTED, Outcome.RECOVERED):
                continue
            if next_step.action not in instead:
                # Made its own way: should that be refused again, it is news again.
                self.refusals.succeeded(_refusal(outlet, target, next_step.action))
                continue
            # Said of a step made another way because its own was refused in this publish; a
            # later one going on that way (planned so from the ledger) has nothing new to say.
            note = outlet.note(replace(step, action=instead[next_step.action]))
            if note and note not in report.notes:
                report.notes.append(note)

    async def _forget(self, ledger: dict[str, OutboxEntry], key: str) -> set[str]:
        """Record step `key`, and every step inside what it made, as no longer on the platform:
        the next pass makes them again. Returns their keys."""
        forgotten = {name for name in ledger if name == key or name.startswith(f"{key}/")}
        for name in forgotten:
            ledger[name] = replace(ledger[name], state=StepState.REMOVED, reason=None)
            await self.ledger.record(ledger[name])
        return forgotten

    async def _run_step(
        self,
        outlet: Outlet[TargetT],
        step: Step[TargetT],
        entry: OutboxEntry,
        ids: dict[str, int],
        instead: dict[str, str],
        *,
        lost: Lost | None = None,
    ) -> Outcome:
        """Run one step that is not done: edit what it made, or make it (or find it made: what
        an earlier attempt may have made, or what a restored backup's ledger `lost`)."""
        payload = step.payload(ids)
        # What is made again after a deletion sends the step's `made_again` payload, whose hash
        # the ledger keeps until it is made: a failure or a stop in between still knows it. A
        # step finished late sends its `late` payload; each publish judges that again (`_ledger`).
        sent = to_send(step, payload, entry)
        if entry.state == StepState.REMOVED:
            entry = replace(entry, remote_id=None, location_id=None, payload_hash=None)
        if step.parent and step.parent not in ids:
            raise StepError(f"step {step.key} runs after {step.parent}, which has no id")
        sending = replace(
            entry,
            action=step.action,
            state=StepState.SENDING,
            payload_hash=payload_hash(sent),
            reason=None,
            attempts=entry.attempts + 1,
        )
        await self.ledger.record(sending)
        try:
            if entry.remote_id is not None:
                # Posted before: a correction (or an interrupted one) edits it in place.
                await self.retries.attempt(lambda: outlet.edit(step, payload, entry))
                remote = Remote(int(entry.remote_id), as_int(entry.location_id))
                outcome = Outcome.EDITED
            else:
                looking = lost is not None and not lost.ended
                remote, outcome, surely_new = await self.retries.make(
                    outlet,
                    step,
                    sent,
                    ids,
                    look_first=looking or entry.attempts > 0,
                    since=lost.since if looking and lost else None,
                )
                if lost is not None and surely_new:
                    lost.ended = True
        except Refused as exc:
            await self.ledger.record(replace(sending, state=StepState.FAILED, reason=exc.reason))
            if step.action in instead.values():
                raise  # refused the other way too
            refused = f"{outlet.title}: {exc.reason}"
            log.warning("%s", refused)
            # Told once while this kind of step is refused (each issue's thread finds it so).
            where = _refusal(outlet, step.target, step.action)
            await self.refusals.failed(where, step.action, refused, step.target, logged=True)
            # This kind of step, and the target's later ones of its kind, are made another way;
            # nothing was made, so nothing is looked for.
            instead[step.action] = exc.instead
            again = replace(step, action=exc.instead)
            return await self._run_step(outlet, again, entry, ids, instead, lost=lost)
        except StepError as exc:
            # A call the platform refused, as the outlet says (`made_nothing`), is no attempt
            # to look for the step after, nor one that may have put part of the issue out there
            # (`bot.schedule.owed`); any other failure may have made it.
            tried = entry.attempts if exc.made_nothing else sending.attempts
            failed = replace(sending, state=StepState.FAILED, reason=exc.reason, attempts=tried)
            await self.ledger.record(failed)
            raise
        await self.ledger.record(
            replace(
                sending,
                state=StepState.SENT,
                payload_hash=payload_hash(payload),
                remote_id=str(remote.remote_id),
                location_id=None if remote.location_id is None else str(remote.location_id),
            )
        )
        ids[step.key] = remote.remote_id
        return outcome

    async def _remove_stale(
        self,
        outlet: Outlet[Any],
        ledger: Mapping[str, OutboxEntry],
        planned: set[str],
        report: TargetReport,
    ) -> None:
        """Delete what earlier runs made for steps this run no longer plans; past a cap (a
        rate limit too long to wait), the rest waits for the next publish."""
        stale = stale_entries(ledger, planned)
        for number, (entry, own_call) in enumerate(stale):
            if own_call:
                try:
                    removed = await self.retries.attempt(functools.partial(outlet.remove, entry))
                except CapReached as exc:
                    defer(report, exc, sum(1 for _, own in stale[number:] if own))
                    return
                report.counts[Outcome.REMOVED] += removed
            await self.ledger.record(replace(entry, state=StepState.REMOVED, reason=None))

    # --- previews -----------------------------------------------------------------------------

    async def preview(
        self, issue: Issue, outlet: Outlet[TargetT], target: TargetT
    ) -> list[PlannedStep]:
        """What publishing `issue` to `target` would do now, planned as the publish plans it (the
        target resolved, the thanks) and judged from the ledger: step by step, then removals."""
        ledger = await self._ledger(issue.number, outlet, target.name, record=False)
        target = await outlet.resolve(target)
        thanks = await self._thanks(issue) if self.thank_suggesters else {}
        steps = outlet.plan(issue, target, ledger, thanks)
        restore = await restored(self.archive, self.issues, mark=False)
        lost = restore is not None and issue.number <= restore.through
        allowed = await self.remaining_today(outlet)
        return planned_steps(outlet, target, steps, ledger, allowed, lost=lost)


def _refusal(outlet: Outlet[Any], target: Destination, action: str) -> tuple[str, str]:
    """Where a refusal of a kind of step (`action`) on a target is told once."""
    return outlet.name, f"{target.name} {action}"
