"""What an outlet is to the publishing engine: a platform's I/O, and nothing of the ledger.

The engine (`bot/publishing/engine.py`) plans, records, retries, recovers, removes, locks and
alerts for every outlet; an outlet only plans an issue's steps for one of its targets (from a
pure renderer in `bot/render/`), and creates, edits, removes and looks up on its platform.
A new outlet is a renderer, a class with these methods, and its settings.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.models import Issue, OutboxEntry
from bot.publishing.steps import Payload, Step
from bot.render.publish import Post


class StepError(Exception):
    """A step's call failed; `transient` ones (5xx, timeouts) are worth retrying after a pause.

    A transient failure may have reached the platform: the next attempt looks before it makes.
    """

    resumable = True
    """Whether publishing again, with nothing changed, may get further."""
    made_nothing = False
    """Said by the outlet where the platform answered the call with a refusal (a 4xx, a rate
    limit), so the call surely made nothing; never inferred. By default a failed call may have
    made what it asked for (its request may have reached the platform, the answer lost or cut
    off), and the step is looked for before it is made again. The engine reads it of a failed
    `create` or `edit` (`Engine._run_step`): such a refusal is not counted in the step's
    attempts; of a failed lookup it is dropped (`Retries.make`), as what an earlier attempt
    made is still unknown."""

    def __init__(self, reason: str, *, transient: bool = False, made_nothing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.made_nothing = made_nothing


class SetupNeeded(StepError):
    """The target cannot take the issue until its managers change its setup on the platform
    (`reason` says what): publishing again before that fails the same way."""

    resumable = False


class MaybeMade(StepError):
    """The platform refused a repeat of something recent: an earlier attempt may have made it,
    so the step is looked for before it is tried again (once)."""


class Refused(StepError):
    """The platform refuses this kind of step (`step.action`): it and the target's later steps
    of that kind are made as `instead`. `reason` is what the editors are told."""

    def __init__(self, reason: str, *, instead: str) -> None:
        super().__init__(reason)
        self.instead = instead


class Gone(StepError):
    """What a step made was deleted on the platform (a moderator removed a message, a thread or
    a forum post). `key` is the step whose making must be done again: the step itself, or the
    thread it was in; what was inside it goes with it and is made again too."""

    def __init__(self, reason: str, *, key: str) -> None:
        super().__init__(reason)
        self.key = key


class CapReached(StepError):
    """The platform's post cap, or a rate limit too long to wait out, is spent until
    `reset_at` (epoch seconds): the rest of the target's steps wait for a later publish.
    `cap` names it for the report (`Mastodon's rate limit`)."""

    def __init__(
        self,
        reason: str,
        reset_at: float | None,
        cap: str | None = None,
        *,
        made_nothing: bool = False,
    ) -> None:
        super().__init__(reason, made_nothing=made_nothing)
        self.reset_at = reset_at
        self.cap = cap


@dataclass(frozen=True)
class Remote:
    """What the platform made for a step: its id, and the channel or thread it lives in."""

    remote_id: int
    location_id: int | None = None


class Destination(Protocol):
    """Where an outlet publishes: a channel, an account. The ledger knows it by `name`."""

    @property
    def name(self) -> str:
        """The target as the ledger names it."""
        ...


class Lookup(enum.Enum):
    """What `Outlet.recover` says of a step it did not find, besides None (not among what it
    read, which may not reach back far enough)."""

    NOT_MADE = "not made"
    """Not found, and the lookup read all the platform holds since `since` (or ever): the step
    was surely not made. After a backup is restored, steps are looked for in order until one
    is surely not made: those after it were not made either."""


class Outcome(enum.StrEnum):
    """What running one step did (or, in a preview, would do)."""

    POSTED = "posted"
    RECOVERED = "recovered"
    """An interrupted attempt had made it: found on the platform, not made again."""
    EDITED = "edited"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    DEFERRED = "deferred"
    """Left for a later publish: the outlet's daily cap, or a long rate limit, is spent."""


TargetT = TypeVar("TargetT", bound=Destination)


class Outlet(Protocol[TargetT]):
    """One platform, as the engine drives it."""

    name: str
    """The outlet as the ledger names it (`discord`, `x`); part of every step key."""
    title: str
    """The outlet as people name it (`Discord`, `X`)."""
    edits: bool
    """Whether what it made can be edited and removed; if not, a sent step is left as it is."""
    outcomes: tuple[Outcome, ...]
    """The outcomes its report line counts, in order."""
    daily_cap: int | None
    """The most steps it may make in 24 hours (judged from the ledger), or None."""
    nowhere: str
    """What the editors are told when no target receives issues on this outlet."""

    async def targets(self) -> list[TargetT]:
        """Every target that receives issues on this outlet."""
        ...

    async def resolve(self, target: TargetT) -> TargetT:
        """The target with what planning needs filled in; `StepError` if it cannot be used."""
        ...

    def plan(
        self,
        issue: Issue,
        target: TargetT,
        ledger: Mapping[str, OutboxEntry],
        thanks: Mapping[str, Post],
    ) -> Sequence[Step[TargetT]]:
        """The steps of publishing `issue` to `target`, in order (pure; the ledger says how
        earlier runs went, e.g. that the platform refused a kind of step)."""
        ...

    async def create(self, step: Step[TargetT], payload: Payload, ids: Mapping[str, int]) -> Remote:
        """Make what the step describes; `ids` are the remote ids of the steps it refers to."""
        ...

    async def recover(
        self,
        step: Step[TargetT],
        payload: Payload,
        ids: Mapping[str, int],
        *,
        since: dt.datetime | None = None,
    ) -> Remote | Lookup | None:
        """What an earlier attempt at this step made, if it made anything; `since`: when the
        earliest attempt it looks for may have been made (a backup restored was taken), to
        read back to. None when it found nothing among what it read, `Lookup.NOT_MADE` when
        that was all since `since` (or all there is)."""
        ...

    async def edit(self, step: Step[TargetT], payload: Payload, entry: OutboxEntry) -> None:
        """Change what the step made (recorded in `entry`) to match `payload`."""
        ...

    async def remove(self, entry: OutboxEntry) -> bool:
        """Delete what a step no longer planned made; whether a call was needed (gone already
        counts as done)."""
        ...

    def where(self, target: TargetT) -> str:
        """The target in a report line: `channel 42`, `X`."""
        ...

    def mention(self, target: TargetT) -> str:
        """The target in an alert's sentence: `in <#42>`, `on X`."""
        ...

    def note(self, step: Step[TargetT]) -> str | None:
        """What a report says about having made this step (a fallback kind), if anything."""
        ...
