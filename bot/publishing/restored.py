"""A backup put in the archive's place: which issues the engine looks for on the platforms
before it makes their steps.

The outbox ledger lives in the archive, so a backup knows nothing of what was published after
it was taken: restored, it would have the engine post those steps again. `newsbot backup`
therefore writes `TAKEN` into each copy (never into the archive), and an archive found holding
it is a backup restored (by `newsbot restore`, or by hand): it is marked `RESTORED` through the
highest issue number it or the issue folder then knows, since nothing published before the
restore can be newer, and `SINCE` keeps when the backup was taken (how far back a lookup need
read). Steps of those issues that the ledger does not show sent are looked for before they are
made, in order, until a lookup that read everything since the backup finds one surely not made
(`Lookup.NOT_MADE`); a later issue is published as usual, with no lookups.

An issue folder that is not there cannot count its issues: the mark is then taken provisionally
(the operator warned, naming the folder), and `TAKEN` kept, so that the next start or publish
that finds the folder raises it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.issuefiles import numbered_issue_files
from bot.store import Archive
from bot.store.interfaces import StateStore

log = logging.getLogger(__name__)

TAKEN = "backup:taken"
"""In a backup only: when it was taken. An archive holding it is a backup restored."""
RESTORED = "restored:through"
"""The highest issue number known when a backup was found restored: the steps of those issues
that the ledger does not show sent may have been made since the backup."""
CLOCK_SKEW = dt.timedelta(minutes=10)
"""How far a platform's clock may run behind this machine's, in a post's time."""
SINCE = "restored:since"
"""With `RESTORED`, when the backup was taken (ISO 8601), if it was known."""


@dataclass(frozen=True)
class Restored:
    """A backup found restored: issues up to `through` may have steps made that its ledger
    does not know of, since `since` (when it was taken; None: not known)."""

    through: int
    since: dt.datetime | None

    def lookups(self) -> Lost:
        """The lookups of a publish to one target of an issue up to `through`: back to a
        little before `since`, as the platforms' clocks may run behind this machine's."""
        return Lost(None if self.since is None else self.since - CLOCK_SKEW)


@dataclass
class Lost:
    """One publish's steps of one target that a restored backup's ledger may have lost: each
    not shown sent is looked for (back to `since`) until a lookup shows one surely not made,
    which `ended` the lookups (the steps after it were not made either)."""

    since: dt.datetime | None
    ended: bool = False


def backup_state(taken: dt.datetime) -> dict[str, str]:
    """What a backup taken at `taken` keeps in its state, and the archive does not."""
    return {TAKEN: taken.isoformat()}


async def restored_through(archive: Archive, issues: Path | None) -> int | None:
    """The highest issue number whose steps may have been made while a backup stood in for
    the archive; None if it never did (see `restored`)."""
    found = await restored(archive, issues)
    return None if found is None else found.through


async def restored(archive: Archive, issues: Path | None, *, mark: bool = True) -> Restored | None:
    """Whether a backup stood in for the archive, and what it may have lost; None if never.
    A backup newly restored is marked first (unless not to `mark`: a preview changes nothing),
    through the highest number in it and among the files of the issue folder `issues`."""
    # `TAKEN` first: `mark_restored` deletes it last, so it is either still there, or the
    # mark it leaves is complete.
    taken = await archive.state.get(TAKEN)
    through = await archive.state.get(RESTORED)
    if taken is None:
        if through is None:
            return None
        return Restored(int(through), _time(await archive.state.get(SINCE)))
    stats = await archive.issues.stats()
    folder_missing = issues is not None and not await asyncio.to_thread(issues.is_dir)
    files = await asyncio.to_thread(numbered_issue_files, issues) if issues else {}
    highest = max([stats.latest_issue or 0, int(through or 0), *files])
    since = _time(taken)
    if not mark:
        return Restored(highest, since)
    await mark_restored(archive.state, highest, since, final=not folder_missing)
    log.warning(
        "the archive is a backup (taken %s) restored: what the ledger does not show sent of"
        " issues up to #%d is looked for on each platform before it is made, as it may have"
        " been published since the backup",
        taken,
        highest,
    )
    if folder_missing:
        log.warning(
            "the issue folder %s is not there: issues published since the backup whose files"
            " are in it are not counted yet; they are once newsbot starts or publishes with"
            " the folder in place (issues.directory)",
            issues,
        )
    return Restored(highest, since)


async def mark_restored(
    state: StateStore, through: int, since: dt.datetime | None, *, final: bool = True
) -> None:
    """Record that the steps of issues up to `through` may have been made unrecorded since
    `since` (a backup restored), and, if `final`, that the archive is no longer a backup."""
    await state.set(RESTORED, str(through))
    if since is None:
        await state.delete(SINCE)
    else:
        await state.set(SINCE, since.isoformat())
    if final:
        await state.delete(TAKEN)


def _time(text: str | None) -> dt.datetime | None:
    """A time kept as ISO 8601, None if not one (a backup taken by hand says no time)."""
    try:
        time = None if text is None else dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return time if time is None or time.tzinfo else time.replace(tzinfo=dt.UTC)
