"""What publishing tells: a report of what a publish did, target by target, a preview's
planned steps, and `Alerts`, where the editors hear that it went wrong."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.publishing.outlet import Destination, Outcome
from bot.publishing.steps import Payload, Step

log = logging.getLogger(__name__)


class Alerts(Protocol):
    """Where the editors hear that publishing went wrong."""

    async def tell(
        self, text: str, target: Destination | None = None, *, logged: bool = False
    ) -> None:
        """Tell the editors `text`: about `target` where it has a place of its own, else
        everywhere they listen; `logged`: the caller has logged `text`, so the log does not
        get it twice. Never raises."""
        ...


class LogAlerts:
    """Alerts with nowhere to go but the log."""

    async def tell(
        self, text: str, target: Destination | None = None, *, logged: bool = False
    ) -> None:
        """Log `text` as a warning, unless the caller has (`logged`)."""
        if not logged:
            log.warning("%s", text)


class FailuresTold:
    """A target's failures, told to the editors once per reason: a target that fails the same
    way at every publish (a server that removed the bot, a permission never given) is told of
    again only once the reason changes, or after a publish there went through."""

    def __init__(self, alerts: Alerts) -> None:
        self.alerts = alerts
        self._told: dict[tuple[str, str], str] = {}

    async def failed(
        self, where: tuple[str, str], reason: str, text: str, target: Any, *, logged: bool = False
    ) -> None:
        """Tell `text` of the target at `where` (outlet and target names) unless its last
        failure told was for the same `reason` (`logged`: the caller has logged `text`)."""
        if self._told.get(where) == reason:
            log.info("not told again (the same failure as last time): %s", text)
            return
        self._told[where] = reason
        await self.alerts.tell(text, target, logged=logged)

    def succeeded(self, where: tuple[str, str]) -> None:
        """The target at `where` published without failing: a failure there is news again."""
        self._told.pop(where, None)


@dataclass
class TargetReport:
    """What one publish did on one target."""

    target: Any
    shown: tuple[Outcome, ...] = tuple(o for o in Outcome if o != Outcome.DEFERRED)
    """The outcomes the summary counts, in order (the outlet's)."""
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    error: str | None = None
    resumable: bool = True
    """Whether publishing again may finish the target: not after `error` is a setup problem
    only the target's managers can fix (`SetupNeeded`)."""
    resume_at: dt.datetime | None = None
    """When the cap lets the deferred steps go, if the platform said."""
    cap: str = "the daily cap"
    """What the deferred steps wait for: the daily cap, or a rate limit too long to wait."""
    notes: list[str] = field(default_factory=list)

    @property
    def deferred(self) -> int:
        """Steps left for a later publish (see `cap`)."""
        return self.counts[Outcome.DEFERRED]

    @property
    def ok(self) -> bool:
        """Whether the target has the whole issue."""
        return self.error is None and self.deferred == 0

    def summary(self) -> str:
        """`3 posted, 0 recovered, 1 edited, 7 unchanged, 0 removed`, what is left, what failed."""
        text = ", ".join(f"{self.counts[outcome]} {outcome.value}" for outcome in self.shown)
        text += "".join(f"; {note}" for note in self.notes)
        if self.deferred:
            when = f" after {self.resume_at:%Y-%m-%d %H:%M} UTC" if self.resume_at else ""
            text += f"; {self.deferred} left for the next publish{when} ({self.cap})"
        return f"failed: {self.error} ({text})" if self.error else text


@dataclass
class PublishReport:
    """What one publish of an issue on one outlet did, target by target."""

    issue_number: int
    targets: list[TargetReport]

    @property
    def ok(self) -> bool:
        """Whether every target got the whole issue."""
        return all(t.ok for t in self.targets)

    def count(self, outcome: Outcome) -> int:
        """How many steps had `outcome`, over every target."""
        return sum(t.counts[outcome] for t in self.targets)


@dataclass(frozen=True)
class PlannedStep:
    """A step and what running it now would do (for previews and dry runs)."""

    step: Step[Any]
    payload: Payload
    outcome: Outcome
    look_first: bool = False
    """The step is looked for on the platform before it is made: an attempt was interrupted,
    or a backup restored since may have lost its record (`restored`)."""
    restored: bool = False
    """A backup was restored since the step's issue may have been published."""

    @property
    def why_looked_for(self) -> str:
        """Why the step is looked for before it is made, in words."""
        if self.restored:
            return "a backup was restored since it may have been made"
        return "an attempt was interrupted"

    changed: bool = False
    """Sent already, its payload changed since, and the outlet cannot edit it."""
