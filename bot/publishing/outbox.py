"""The outbox: runs a publish's steps once each, recording every step before and after its call.

A step is `pending` until it runs, `sending` while its call is in flight, then `sent` with the
platform's id (or `failed` with the reason). A restart finds each step where it was left: a
`sent` step is never repeated, a `sending` one is recovered (the outlet looks before it creates,
or its nonce makes the repeat return the first message). Publishing an edited issue again
edits what was posted, adds what is new and removes what is gone; unchanged steps cost nothing.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from bot.models import Issue, OutboxEntry, StepState, SuggestionStatus
from bot.publishing.plan import OUTLET, Action, Payload, Step, Target, payload_hash, plan
from bot.render.publish import Post, thanks_post
from bot.settings import Settings
from bot.store import Archive
from bot.suggestions import suggesters_by_section

log = logging.getLogger(__name__)
T = TypeVar("T")

THANKED_MAX = 500
"""The most published suggestions looked at when thanking their suggesters."""


class StepError(Exception):
    """A step's call failed; `transient` ones (5xx, timeouts) are worth retrying at once."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class Remote:
    """What the platform made for a step: its id, and the channel or thread it lives in."""

    remote_id: int
    location_id: int


class Outlet(Protocol):
    """The I/O of one platform, as the outbox drives it."""

    async def resolve(self, target: Target) -> Target:
        """The target with its channel kind filled in; `StepError` if it cannot be used."""

    async def create(self, step: Step, payload: Payload, parent: int | None) -> Remote:
        """Make what the step describes; `parent` is the remote id of `step.parent`."""

    async def recover(self, step: Step, payload: Payload, parent: int | None) -> Remote | None:
        """What an earlier, interrupted attempt at this step made, if it made anything."""

    async def edit(self, step: Step, payload: Payload, entry: OutboxEntry) -> None:
        """Change what the step made (recorded in `entry`) to match `payload`."""

    async def remove(self, entry: OutboxEntry) -> None:
        """Delete what a step that is no longer planned made; gone already counts as done."""

    async def alert(self, target: Target, text: str) -> None:
        """Tell the target's server (its alerts channel, if it has one) that something failed."""


class Outcome(enum.StrEnum):
    """What running one step did."""

    POSTED = "posted"
    EDITED = "edited"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass
class TargetReport:
    """What one publish did in one channel."""

    target: Target
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    error: str | None = None

    def summary(self) -> str:
        """`3 posted, 1 edited, 7 unchanged, 0 removed` (or the failure)."""
        done = ", ".join(f"{n} {outcome.value}" for outcome, n in self.counts.items())
        return f"failed: {self.error} ({done})" if self.error else done


@dataclass
class PublishReport:
    """What one publish of an issue did, channel by channel."""

    issue_number: int
    targets: list[TargetReport]

    @property
    def ok(self) -> bool:
        """Whether every channel got the whole issue."""
        return all(t.error is None for t in self.targets)


@dataclass(frozen=True)
class PlannedStep:
    """A step and what running it now would do (for previews and dry runs)."""

    step: Step
    payload: Payload
    outcome: Outcome


class Outbox:
    """Publishes issues through an outlet, each step exactly once, recorded in the archive."""

    def __init__(
        self,
        archive: Archive,
        outlet: Outlet,
        *,
        concurrency: int = 50,
        retries: int = 3,
        retry_delay: float = 0.5,
        thank_suggesters: bool = False,
    ) -> None:
        self.archive = archive
        self.outlet = outlet
        self.retries = retries
        self.retry_delay = retry_delay
        self.thank_suggesters = thank_suggesters
        self._channels = asyncio.Semaphore(max(1, concurrency))

    @classmethod
    def for_settings(cls, archive: Archive, outlet: Outlet, settings: Settings) -> Outbox:
        """The outbox as the settings configure it ([publishing], suggestions' thanks)."""
        publishing = settings.publishing
        return cls(
            archive,
            outlet,
            concurrency=publishing.concurrency,
            retries=publishing.retries,
            retry_delay=publishing.retry_delay,
            thank_suggesters=settings.suggestions.thank_suggesters,
        )

    async def publish(self, issue: Issue, targets: Sequence[Target]) -> PublishReport:
        """Publish `issue` to every target, channels side by side; one failing stops only itself."""
        thanks = await self._thanks(issue) if self.thank_suggesters else {}
        reports = await asyncio.gather(*(self._publish_to(issue, t, thanks) for t in targets))
        return PublishReport(issue.number, list(reports))

    async def _thanks(self, issue: Issue) -> dict[str, Post]:
        """Per section, a thank-you to the readers whose suggestions made it into `issue`."""
        published = await self.archive.suggestions.list(
            (SuggestionStatus.PUBLISHED,), limit=THANKED_MAX
        )
        ours = [s for s in published if s.issue_number == issue.number]
        return {
            slug: thanks_post(suggested)
            for slug, suggested in suggesters_by_section(issue, ours).items()
        }

    async def preview(self, issue: Issue, target: Target) -> list[PlannedStep]:
        """What publishing `issue` to `target` would do now, step by step, without doing it."""
        if target.kind is None:
            target = await self.outlet.resolve(target)
        return await preview_steps(self.archive, issue, target)

    async def _publish_to(
        self, issue: Issue, target: Target, thanks: Mapping[str, Post]
    ) -> TargetReport:
        report = TargetReport(target)
        # One publish of an issue to a channel at a time in this process (the schedule and
        # /newsletter publish may start together): the second finds the first's steps sent.
        async with self._channels, _target_lock(self.archive, issue.number, target.channel_id):
            try:
                if target.kind is None:
                    target = await self.outlet.resolve(target)
                    report.target = target
                await self._run_target(issue, target, report, thanks)
            except StepError as exc:
                report.error = exc.reason
                log.warning(
                    "publishing #%d to channel %s failed: %s",
                    issue.number,
                    target.channel_id,
                    exc.reason,
                )
                await self.outlet.alert(
                    target,
                    f"I could not publish issue #{issue.number} in <#{target.channel_id}>: "
                    f"{exc.reason}. The other channels are not affected; I will try again "
                    "at the next publish.",
                )
        return report

    async def _run_target(
        self, issue: Issue, target: Target, report: TargetReport, thanks: Mapping[str, Post]
    ) -> None:
        steps = plan(issue, [target], thanks)
        ledger = await self.archive.ledger.entries(issue.number, OUTLET, target.name)
        await self.archive.ledger.plan([_entry(step) for step in steps if step.key not in ledger])
        ids = _recorded_ids(ledger)
        for step in steps:
            outcome = await self._run_step(step, ledger.get(step.key), ids)
            report.counts[outcome] += 1
        planned = {step.key for step in steps}
        report.counts[Outcome.REMOVED] += await self._remove_stale(ledger, planned)

    async def _run_step(
        self, step: Step, entry: OutboxEntry | None, ids: dict[str, int]
    ) -> Outcome:
        payload = step.payload(ids)
        digest = payload_hash(payload)
        entry = entry or _entry(step)
        if entry.state == "removed":
            entry = replace(entry, remote_id=None, location_id=None, payload_hash=None)
        if entry.state == "sent" and entry.payload_hash == digest and entry.remote_id:
            ids[step.key] = int(entry.remote_id)
            return Outcome.UNCHANGED
        parent = ids.get(step.parent) if step.parent else None
        if step.parent and parent is None:
            raise StepError(f"step {step.key} runs after {step.parent}, which has no id")
        sending = replace(
            entry,
            state=StepState.SENDING,
            payload_hash=digest,
            reason=None,
            attempts=entry.attempts + 1,
        )
        await self.archive.ledger.record(sending)
        try:
            if entry.remote_id is not None:
                # Posted before: a correction (or an interrupted one) edits it in place.
                await self._attempt(lambda: self.outlet.edit(step, payload, entry))
                remote = Remote(int(entry.remote_id), int(entry.location_id or 0))
                outcome = Outcome.EDITED
            else:
                remote = await self._create(step, payload, parent, retried=entry.attempts > 0)
                outcome = Outcome.POSTED
        except StepError as exc:
            await self.archive.ledger.record(
                replace(sending, state=StepState.FAILED, reason=exc.reason)
            )
            raise
        await self.archive.ledger.record(
            replace(
                sending,
                state=StepState.SENT,
                remote_id=str(remote.remote_id),
                location_id=str(remote.location_id),
            )
        )
        ids[step.key] = remote.remote_id
        return outcome

    async def _create(
        self, step: Step, payload: Payload, parent: int | None, *, retried: bool
    ) -> Remote:
        if retried:
            # An earlier attempt may have reached the platform before the process stopped.
            found = await self._attempt(lambda: self.outlet.recover(step, payload, parent))
            if found is not None:
                return found
        return await self._attempt(lambda: self.outlet.create(step, payload, parent))

    async def _attempt(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run one call, retrying transient failures with a growing pause."""
        for attempt in range(self.retries + 1):
            try:
                return await call()
            except StepError as exc:
                if not exc.transient or attempt == self.retries:
                    raise
                log.info("retrying after a transient failure: %s", exc.reason)
                await asyncio.sleep(self.retry_delay * 2**attempt)
        raise AssertionError("unreachable")

    async def _remove_stale(self, ledger: Mapping[str, OutboxEntry], planned: set[str]) -> int:
        """Delete what earlier runs posted for steps this run no longer plans."""
        stale = [e for key, e in ledger.items() if key not in planned and e.state != "removed"]
        containers = {
            e.key for e in stale if e.action in (Action.THREAD, Action.POST) and e.remote_id
        }
        removed = 0
        for entry in stale:
            inside_removed = any(entry.key.startswith(f"{key}/") for key in containers)
            if entry.remote_id and entry.action != Action.CROSSPOST and not inside_removed:
                await self._remove(entry)
                removed += 1
            await self.archive.ledger.record(replace(entry, state=StepState.REMOVED, reason=None))
        return removed

    async def _remove(self, entry: OutboxEntry) -> None:
        await self._attempt(lambda: self.outlet.remove(entry))


async def preview_steps(archive: Archive, issue: Issue, target: Target) -> list[PlannedStep]:
    """What publishing `issue` to `target` would do, judged from the ledger alone.

    A target whose kind is unknown is previewed as a text channel.
    """
    if target.kind is None:
        target = replace(target, kind="text")
    ledger = await archive.ledger.entries(issue.number, OUTLET, target.name)
    ids = _recorded_ids(ledger)
    planned: list[PlannedStep] = []
    for step in plan(issue, [target]):
        payload = step.payload(ids)
        entry = ledger.get(step.key)
        if entry is None or entry.remote_id is None or entry.state == "removed":
            outcome = Outcome.POSTED
        elif entry.state == "sent" and entry.payload_hash == payload_hash(payload):
            outcome = Outcome.UNCHANGED
        else:
            outcome = Outcome.EDITED
        planned.append(PlannedStep(step, payload, outcome))
    planned_keys = {p.step.key for p in planned}
    planned += [
        PlannedStep(_stale_step(entry, target), {}, Outcome.REMOVED)
        for key, entry in ledger.items()
        if key not in planned_keys and entry.state != "removed" and entry.remote_id
    ]
    return planned


def _stale_step(entry: OutboxEntry, target: Target) -> Step:
    return Step(
        key=entry.key, issue_number=entry.issue_number, target=target, action=Action(entry.action)
    )


_TARGET_LOCKS: weakref.WeakKeyDictionary[Archive, dict[tuple[int, int], asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _target_lock(archive: Archive, issue_number: int, channel_id: int) -> asyncio.Lock:
    """The lock of one issue's publish to one channel, shared by every outbox of `archive`."""
    locks = _TARGET_LOCKS.setdefault(archive, {})
    return locks.setdefault((issue_number, channel_id), asyncio.Lock())


def _entry(step: Step) -> OutboxEntry:
    return OutboxEntry(
        key=step.key,
        issue_number=step.issue_number,
        outlet=OUTLET,
        target=step.target.name,
        action=step.action.value,
    )


def _recorded_ids(ledger: Mapping[str, OutboxEntry]) -> dict[str, int]:
    return {
        key: int(entry.remote_id)
        for key, entry in ledger.items()
        if entry.remote_id is not None and entry.state in ("sent", "sending", "failed")
    }
