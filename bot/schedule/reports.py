"""What one run of the scheduled work did: kept in the archive for `newsbot status`, logged."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from bot.publishing.service import OUTLET_NAMES, OutletName
from bot.schedule.triggers import wall_clock


@dataclass
class RunReport:
    """What one run of the scheduled work did."""

    kind: str
    """`firing`, `catch-up` or `publish_at`."""
    at: dt.datetime
    published: dict[OutletName, list[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def state(self) -> str:
        """The JSON kept under `scheduler.LAST_FIRING_KEY`."""
        return json.dumps(
            {
                "kind": self.kind,
                "at": self.at.isoformat(),
                "published": self.published,
                "failures": self.failures,
            }
        )

    def summary(self) -> str:
        """One line for the log: what went out where, and how many problems."""
        published = "; ".join(
            f"{OUTLET_NAMES[outlet]}: {', '.join(f'#{n}' for n in numbers)}"
            for outlet, numbers in self.published.items()
        )
        problems = f"; {len(self.failures)} problem(s)" if self.failures else ""
        return f"{self.kind} done: {published or 'nothing to publish'}{problems}"


def missed_message(what: str, due: dt.datetime, grace: int | float) -> str:
    """What the editors are told of a run apscheduler dropped for being too late."""
    return (
        f"The {what} due at {wall_clock(due)} was missed: newsbot could not run it within"
        f" schedule.misfire_grace_time ({grace} s; a suspended machine or a paused VM)."
        " It runs now, late."
    )
