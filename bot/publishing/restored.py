"""A backup put in the archive's place: which issues the engine looks for on the platforms
before it makes their steps.

The outbox ledger lives in the archive, so a backup knows nothing of what was published after
it was taken: restored, it would have the engine post those steps again. `newsbot backup`
therefore writes `TAKEN` into each copy (never into the archive), and an archive found holding
it is a backup restored (by `newsbot restore`, or by hand): it is marked `RESTORED` through the
highest issue number it or the issue folder then knows, since nothing published before the
restore can be newer. Steps of those issues that the ledger does not show sent are looked for
before they are made; a later issue is published as usual, with no lookups.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
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


def backup_state(taken: dt.datetime) -> dict[str, str]:
    """What a backup taken at `taken` keeps in its state, and the archive does not."""
    return {TAKEN: taken.isoformat()}


async def restored_through(archive: Archive, issues: Path | None) -> int | None:
    """The highest issue number whose steps may have been made while a backup stood in for
    the archive; None if it never did. A backup newly restored is marked first, through the
    highest number in it and among the files of the issue folder `issues`."""
    through = await archive.state.get(RESTORED)
    taken = await archive.state.get(TAKEN)
    if taken is None:
        return None if through is None else int(through)
    stats = await archive.issues.stats()
    files = await asyncio.to_thread(numbered_issue_files, issues) if issues else {}
    highest = max([stats.latest_issue or 0, int(through or 0), *files])
    await mark_restored(archive.state, highest)
    log.warning(
        "the archive is a backup (taken %s) restored: what the ledger does not show sent of"
        " issues up to #%d is looked for on each platform before it is made, as it may have"
        " been published since the backup",
        taken,
        highest,
    )
    return highest


async def mark_restored(state: StateStore, through: int) -> None:
    """Record that the steps of issues up to `through` may have been made unrecorded (a
    backup restored), and that the archive is no longer a backup."""
    await state.set(RESTORED, str(through))
    await state.delete(TAKEN)
