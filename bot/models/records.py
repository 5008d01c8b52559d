"""What the archive keeps besides issues: subscriptions, the publishing ledger, suggestions.

Plain frozen records, the same whichever database holds them.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field


class IngestOutcome(enum.Enum):
    """What ingesting one issue did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class StepState(enum.StrEnum):
    """Where one publishing step stands in the ledger; the values are what the archive stores."""

    PENDING = "pending"
    """Planned, not yet tried."""
    SENDING = "sending"
    """Its call is in flight, or was when the process stopped: recover before sending again."""
    SENT = "sent"
    """The platform made it; its id is recorded and it is never sent again."""
    FAILED = "failed"
    """The last attempt failed for the recorded reason; the next publish tries again."""
    REMOVED = "removed"
    """What it made was deleted because the edited issue no longer has it."""


class SuggestionStatus(enum.StrEnum):
    """Where a reader's suggestion stands in the editors' review; the values are stored."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PUBLISHED = "published"


@dataclass(frozen=True)
class Subscription:
    """A Discord channel that receives each issue: its kind, role, sections and alerts channel."""

    guild_id: int
    channel_id: int
    kind: str
    role_id: int | None = None
    sections: tuple[str, ...] = ()
    alerts_channel_id: int | None = None
    section_names: tuple[str, ...] | None = None
    """The names `sections` were chosen by, as the managers meant them; None for a channel set
    up before they were kept (`bot.publishing.targets.from_subscription`)."""


@dataclass(frozen=True)
class OutboxEntry:
    """One step's row in the outbox ledger: where it stands and what the platform answered."""

    key: str
    issue_number: int
    outlet: str
    target: str
    action: str
    state: StepState = StepState.PENDING
    payload_hash: str | None = None
    remote_id: str | None = None
    location_id: str | None = None
    reason: str | None = None
    attempts: int = 0
    """The calls to make the step that may have made it (a refusal that surely made nothing
    is not one): a step with any is looked for on the platform before it is made again."""


@dataclass(frozen=True)
class OutboxTally:
    """How many of an issue's steps on one outlet and target are in one unfinished state."""

    issue_number: int
    outlet: str
    target: str
    state: StepState
    steps: int
    reason: str | None = None


@dataclass(frozen=True)
class Supporter:
    """A reader who suggested a link, with their note."""

    user_id: int
    name: str
    note: str | None = None
    source: str = "command"
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class Suggestion:
    """A link readers suggested for the next issue, with everyone who suggested it."""

    id: int
    url: str
    status: SuggestionStatus
    section: str | None = None
    """The slug of the section it was suggested for (or an editor chose), if any."""
    title: str | None = None
    issue_number: int | None = None
    """The issue it was published in, once it was."""
    supporters: tuple[Supporter, ...] = field(default_factory=tuple)

    @property
    def support(self) -> int:
        """How many readers suggested it."""
        return len(self.supporters)


@dataclass(frozen=True)
class ArchivedLink:
    """Where an archived item with that link was published."""

    issue_number: int
    section_name: str
    title: str
    link: str
