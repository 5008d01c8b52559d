"""Publishing an issue to X as a thread, each post exactly once, in the outbox's ledger.

Each post is a step keyed `202/x/post/3` (the lead is post 1), recorded before its call
(`sending`) and after it (`sent` with the post's id), replying to the previous step's recorded
id. X has no idempotency key: a step found in `sending` (a run killed between X accepting the
post and the ledger recording it) or one whose call failed ambiguously (a 5xx, a timeout, a
"duplicate" refusal) is first looked for among the account's recent posts, and only posted
when it is not there. When X refuses a reply, the rest of the thread goes out as posts quoting
the lead, and the alerts are told; later runs go on quoting (an interrupted quote is looked
for as a quote). Posts over the daily cap stay pending for the next publish.
X posts cannot be edited: a step already sent is never posted again, even if its text changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from bot.models import Issue, OutboxEntry, StepState
from bot.publishing.outbox import StepError
from bot.publishing.plan import payload_hash
from bot.render.x import LinkMode, XThread, thread
from bot.settings import XSettings
from bot.store import Archive

log = logging.getLogger(__name__)

OUTLET = "x"
TARGET = "account"
"""The ledger's target for X: the one account the keys belong to."""
REPLY = "reply"
QUOTE = "quote"
LEAD = "post"
DAY = dt.timedelta(days=1)

Alert = Callable[[str], Awaitable[None]]


class XPoster(Protocol):
    """The I/O the publisher needs from the X outlet."""

    async def post(self, text: str, *, reply_to: int | None, quote: int | None) -> int:
        """Create a post; its id."""

    async def find(self, text: str, *, refers_to: int | None) -> int | None:
        """A recent post of the account with this text, if there is one."""


@dataclass(frozen=True)
class XStep:
    """One post of the thread: its stable key, its number (1 is the lead) and its text."""

    key: str
    issue_number: int
    number: int
    text: str


def step_key(issue_number: int, number: int) -> str:
    """`202/x/post/3`."""
    return f"{issue_number}/{OUTLET}/post/{number}"


def x_plan(issue: Issue, settings: XSettings) -> tuple[XThread, list[XStep]]:
    """The issue's thread as rendered for these settings, and its steps in order."""
    rendered = thread(issue, links=LinkMode(settings.links), max_posts=settings.max_posts)
    steps = [
        XStep(step_key(issue.number, number), issue.number, number, post.text)
        for number, post in enumerate(rendered.posts, start=1)
    ]
    return rendered, steps


@dataclass
class XReport:
    """What one publish to X did."""

    issue_number: int
    posted: int = 0
    recovered: int = 0
    """Posts an interrupted run had made, found on X instead of posted again."""
    unchanged: int = 0
    deferred: int = 0
    """Posts left for a later publish (the daily cap)."""
    resume_at: dt.datetime | None = None
    quoted: bool = False
    """Whether X refused replies and the thread went on as quotes of the lead."""
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the whole thread is on X."""
        return self.error is None and self.deferred == 0

    def summary(self) -> str:
        """`5 posted, 1 recovered, 2 unchanged` and what is left or went wrong."""
        text = f"{self.posted} posted, {self.recovered} recovered, {self.unchanged} unchanged"
        if self.quoted:
            text += "; X refused replies, so posts quote the first one"
        if self.deferred:
            when = f" after {self.resume_at:%Y-%m-%d %H:%M} UTC" if self.resume_at else ""
            text += f"; {self.deferred} left for the next publish{when} (X's daily cap)"
        if self.error:
            text = f"failed: {self.error} ({text})"
        return text


class XPublisher:
    """Publishes issues as threads on X through an outlet, each post once, in the ledger."""

    def __init__(
        self,
        archive: Archive,
        outlet: XPoster,
        settings: XSettings,
        *,
        retries: int = 3,
        retry_delay: float = 0.5,
        alert: Alert | None = None,
    ) -> None:
        self.archive = archive
        self.outlet = outlet
        self.settings = settings
        self.retries = retries
        self.retry_delay = retry_delay
        self.alert = alert

    async def remaining_today(self) -> int:
        """Posts the daily cap still allows, judged from the ledger."""
        return await remaining_today(self.archive, self.settings)

    async def publish(self, issue: Issue) -> XReport:
        """Post the issue's thread: what is not on X yet, in order, within the daily cap."""
        from bot.publishing.outlets.x import CapReached, ReplyRefused

        _, steps = x_plan(issue, self.settings)
        report = XReport(issue.number)
        ledger = await self.archive.ledger.entries(issue.number, OUTLET, TARGET)
        await self.archive.ledger.plan([_entry(s, LEAD) for s in steps if s.key not in ledger])
        quoting = _quoting(ledger)
        allowed = await self.remaining_today()
        lead: int | None = None
        previous: int | None = None
        for number, step in enumerate(steps):
            entry = ledger.get(step.key) or _entry(step, LEAD)
            if entry.state == "sent" and entry.remote_id:
                previous = int(entry.remote_id)
                lead = lead or previous
                report.unchanged += 1
                continue
            if allowed <= 0:
                report.deferred = len(steps) - number
                break
            try:
                remote, action, found = await self._run(
                    step, entry, lead=lead, previous=previous, quoting=quoting
                )
            except ReplyRefused as exc:
                quoting = True
                report.quoted = True
                message = (
                    f"X refused a reply in the thread of issue #{issue.number} ({exc.reason}); "
                    "the rest of the thread quotes its first post instead."
                )
                log.warning("%s", message)
                if self.alert is not None:
                    await self.alert(message)
                try:
                    remote, action, found = await self._run(
                        step, entry, lead=lead, previous=previous, quoting=True
                    )
                except StepError as again:
                    report.error = again.reason
                    break
            except CapReached as exc:
                report.deferred = len(steps) - number
                if exc.reset_at is not None:
                    report.resume_at = dt.datetime.fromtimestamp(exc.reset_at, dt.UTC)
                break
            except StepError as exc:
                report.error = exc.reason
                break
            if found:
                report.recovered += 1
            else:
                report.posted += 1
                allowed -= 1
            previous = remote
            lead = lead or remote
            quoting = quoting or action == QUOTE
            report.quoted = report.quoted or action == QUOTE
        return report

    async def _run(
        self,
        step: XStep,
        entry: OutboxEntry,
        *,
        lead: int | None,
        previous: int | None,
        quoting: bool,
    ) -> tuple[int, str, bool]:
        """Post one step (after looking for it when an earlier attempt may have made it)."""
        from bot.publishing.outlets.x import Duplicate

        if step.number > 1 and previous is None:
            raise StepError(f"post {step.key} follows a post that has no id")
        uncertain = _uncertain(entry)
        # An interrupted attempt that quoted is looked for (and made again) as a quote.
        quoting = quoting or (uncertain and entry.action == QUOTE)
        action = LEAD if step.number == 1 else (QUOTE if quoting else REPLY)
        reply_to = previous if action == REPLY else None
        quote = lead if action == QUOTE else None
        refers_to = reply_to or quote
        sending = replace(
            entry,
            state=StepState.SENDING,
            action=action,
            payload_hash=payload_hash({"text": step.text}),
            reason=None,
            attempts=entry.attempts + 1,
        )
        await self.archive.ledger.record(sending)
        for attempt in range(self.retries + 1):
            try:
                if uncertain:
                    found = await self.outlet.find(step.text, refers_to=refers_to)
                    if found is not None:
                        log.info("found post %s of %s from an interrupted attempt", found, step.key)
                        await self._sent(sending, found)
                        return found, action, True
                remote = await self.outlet.post(step.text, reply_to=reply_to, quote=quote)
            except Duplicate as exc:
                if uncertain or attempt == self.retries:
                    await self._failed(sending, exc.reason)
                    raise
                uncertain = True
                continue
            except StepError as exc:
                if not exc.transient or attempt == self.retries:
                    await self._failed(sending, exc.reason)
                    raise
                uncertain = True
                log.info("retrying %s after: %s", step.key, exc.reason)
                await asyncio.sleep(self.retry_delay * 2**attempt)
                continue
            await self._sent(sending, remote)
            return remote, action, False
        raise AssertionError("unreachable")

    async def _sent(self, entry: OutboxEntry, remote: int) -> None:
        await self.archive.ledger.record(
            replace(entry, state=StepState.SENT, remote_id=str(remote), location_id=None)
        )

    async def _failed(self, entry: OutboxEntry, reason: str) -> None:
        await self.archive.ledger.record(replace(entry, state=StepState.FAILED, reason=reason))


async def remaining_today(archive: Archive, settings: XSettings) -> int:
    """Posts the daily cap still allows, judged from the ledger (no request to X)."""
    since = dt.datetime.now(dt.UTC) - DAY
    return max(0, settings.daily_posts - await archive.ledger.sent_since(OUTLET, since))


@dataclass(frozen=True)
class XPlannedStep:
    """What publishing would do with one post of the thread, judged from the ledger."""

    step: XStep
    does: str
    to_post: bool
    """Whether this publish would create it (or find it from an interrupted attempt)."""
    remote_id: str | None = None


async def preview_x_steps(
    archive: Archive, issue: Issue, settings: XSettings
) -> tuple[XThread, list[XPlannedStep]]:
    """What `XPublisher.publish` would do with each post, without asking X anything."""
    rendered, steps = x_plan(issue, settings)
    ledger = await archive.ledger.entries(issue.number, OUTLET, TARGET)
    quoting = _quoting(ledger)
    allowed = await remaining_today(archive, settings)
    planned: list[XPlannedStep] = []
    for step in steps:
        entry = ledger.get(step.key)
        if entry is not None and entry.state == "sent" and entry.remote_id:
            does = "already on X"
            if entry.payload_hash not in (None, payload_hash({"text": step.text})):
                does += " (its text changed since: X posts cannot be edited)"
            planned.append(XPlannedStep(step, does, False, entry.remote_id))
            continue
        if allowed <= 0:
            planned.append(XPlannedStep(step, "left for a later publish (today's cap)", False))
            continue
        allowed -= 1
        quote = quoting or (entry is not None and _uncertain(entry) and entry.action == QUOTE)
        if step.number == 1:
            does = "post the first post"
        elif quote:
            does = "post, quoting the first post (X refused replies)"
        else:
            does = "post, replying to the one before"
        if entry is not None and _uncertain(entry):
            does = f"look for it on X (an attempt was interrupted), else {does}"
        planned.append(XPlannedStep(step, does, True))
    return rendered, planned


def _quoting(ledger: dict[str, OutboxEntry]) -> bool:
    """Whether an earlier run found X refusing replies (a step was attempted as a quote)."""
    return any(e.action == QUOTE and (e.state == "sent" or e.attempts > 0) for e in ledger.values())


def _uncertain(entry: OutboxEntry) -> bool:
    """Whether an earlier attempt may have made the post (it must be looked for first)."""
    return entry.state in ("sending", "failed") and entry.attempts > 0


def _entry(step: XStep, action: str) -> OutboxEntry:
    return OutboxEntry(
        key=step.key, issue_number=step.issue_number, outlet=OUTLET, target=TARGET, action=action
    )
