"""What one run of the scheduled work did: kept in the archive for `newsbot status`, logged."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.publishing.service import OUTLET_NAMES, OutletName
from bot.schedule.triggers import wall_clock
from bot.text import shorten

if TYPE_CHECKING:
    from bot.publishing.service import Publisher
    from bot.store import Archive

log = logging.getLogger("bot.schedule.jobs")


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

    def sent(self) -> str:
        """What went out where: `Discord: #202; X: #202`, or empty."""
        return "; ".join(
            f"{OUTLET_NAMES[outlet]}: {', '.join(f'#{n}' for n in numbers)}"
            for outlet, numbers in self.published.items()
        )

    def summary(self) -> str:
        """One line for the log: what went out where, and how many problems."""
        problems = f"; {len(self.failures)} problem(s)" if self.failures else ""
        return f"{self.kind} done: {self.sent() or 'nothing to publish'}{problems}"


class Told:
    """One piece of news about the issue files, told to the editors once: each firing finds it
    again, and it is said only when it changed since."""

    def __init__(self, tell: Callable[[str], Awaitable[None]]) -> None:
        self._tell = tell
        self._last: str | None = None

    async def say(self, news: str | None) -> None:
        """Tell `news` unless it was told last; None when there is nothing to tell now, so
        that the same news coming back is told again."""
        if news is not None and news != self._last:
            await self._tell(news)
        self._last = news


class ToldEach:
    """Problems of one kind in the issue files, each told to the editors once while it lasts:
    a firing tells only those the last look at this kind did not find. Another kind's news in
    between (a new file broken, then fixed) does not make old problems news again."""

    def __init__(
        self, heading: str, tell: Callable[[str], Awaitable[None]], shown_max: int
    ) -> None:
        self.heading = heading
        self._tell = tell
        self._shown_max = shown_max
        self._found: set[str] = set()

    async def say(self, problems: list[str]) -> None:
        """Tell the heading and those of `problems` not found last time; forget those gone,
        so that one coming back is told again."""
        new = [problem for problem in problems if problem not in self._found]
        self._found = set(problems)
        if new:
            listed = "\n".join(new)
            # The heading speaks of them all: say that those told before still stand.
            before = len(problems) - len(new)
            still = f"\n…and {before} told before, still there" if before else ""
            await self._tell(f"{self.heading}:\n{shorten(listed, self._shown_max)}{still}")


STOPPED_INGEST = "Issue files have problems, so none was ingested (what is archived still goes out)"
LEFT_AS_ARCHIVED = (
    "Issue files archived by an older newsbot break its newer rules: each stays as archived "
    "until fixed (`newsbot check` shows how), and the other files were ingested"
)
"""Said of back issues valid when they were archived (`Vec<T>` in a blurb, now raw HTML)."""


def deleted_message(number: int, directory: object) -> str:
    """What the editors are told of an issue held for its time whose file they deleted."""
    return (
        f"Issue #{number}'s file was deleted from {directory}: its publish_at no longer"
        " publishes it, and it stays held from readers in the archive (put the file back to"
        f" schedule it again; `newsbot publish {number} --early` sends it now)."
    )


def changed_message(number: int) -> str:
    """What the editors are told of a published issue whose file changed since."""
    return (
        f"Issue #{number} was published and its file has changed since: readers see the new"
        f" text, what was posted is unchanged (`newsbot publish {number}` posts the correction;"
        " `--dry-run` first shows it)."
    )


def missing_folder_message(directory: Path) -> str:
    """What the editors are told when `issues.directory` is no folder: nothing new goes out."""
    where = "" if directory.is_absolute() else f" (from {Path.cwd()})"
    return (
        f"issues.directory {directory}{where} is not a folder: no issue file is read, so no new"
        " issue is published; create it, or set issues.directory to the folder of issue files."
    )


def missed_message(what: str, due: dt.datetime, grace: int | float) -> str:
    """What the editors are told of a run apscheduler dropped for being too late."""
    return (
        f"The {what} due at {wall_clock(due)} was missed: newsbot could not run it within"
        f" schedule.misfire_grace_time ({grace} s; a suspended machine or a paused VM)."
        " It runs now, late."
    )


def caught_up_message(report: RunReport, last_firing: dt.datetime) -> str:
    """What the editors are told when the start published what a firing left due (newsbot
    was down then, or an outlet was): that it went out late, and since when."""
    return (
        f"Published at newsbot's start what was due and not yet out, late (the last firing was"
        f" {wall_clock(last_firing)}): {report.sent()}."
    )


async def publish_into(
    report: RunReport,
    archive: Archive,
    publisher: Publisher,
    todo: Mapping[int, Mapping[OutletName, Collection[str] | None]],
) -> None:
    """Publish each issue of `todo` to its outlets (to the targets named, None: all of them),
    oldest first, noting in `report` (and the log) what went out and what failed."""
    for number in sorted(todo):
        outlets = list(todo[number])
        if not outlets:
            continue
        issue = await archive.issues.issue(number, held=True)
        only = {o: targets for o, targets in todo[number].items() if targets is not None}
        log.info("publishing #%d to %s", number, ", ".join(OUTLET_NAMES[o] for o in outlets))
        for result in await publisher.publish(issue, outlets, only=only):
            for line in result.lines:
                log.info("%s", line)
            if result.failure is None:
                report.published.setdefault(result.outlet, []).append(number)
            else:
                failure = f"#{number} on {OUTLET_NAMES[result.outlet]}: {result.failure}"
                report.failures.append(failure)
                log.warning("%s", failure)
