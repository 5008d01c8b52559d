"""What a firing resumes of the publishes left unfinished: for each target, only the newest issue
it owes that target.

A target that could not be reached for a while (a server that removed the bot, a permission
never given, X down) would otherwise have every issue it missed resumed at each firing, and
once reachable get them all at once, each digest pinging its readers. An older unfinished issue
is left instead: `newsbot publish N` still finishes it, from the ledger, and the editors are told
once which were left there and how to send them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.store import Archive

LEFT_KEY = "schedule.left"
"""The unfinished issues left, per outlet and target, that the editors were told of."""

Targets = Collection[str] | None
"""The targets (by their ledger names) an issue is published to on an outlet; None: all."""


@dataclass
class Owed:
    """What one outlet's targets are owed of the unfinished publishes."""

    resumed: dict[int, set[str]] = field(default_factory=dict)
    """Each issue to resume, and the targets it is the newest issue owed to."""
    left: dict[str, list[int]] = field(default_factory=dict)
    """Per target, the older unfinished issues the schedule leaves, oldest first."""


async def owed(
    archive: Archive, outlet: str, targets: Collection[str], archived: Collection[int], due: int
) -> Owed:
    """Of the publishes left unfinished on `outlet` to `targets`, of `archived` issues: per
    target, the newest issue it owes is resumed unless a newer one was published there or is
    `due` (the newest issue due on the outlet, 0 if none), and the older ones are left."""
    unfinished: dict[str, set[int]] = {}
    for tally in await archive.ledger.unfinished(outlet):
        if tally.issue_number in archived and tally.target in targets:
            unfinished.setdefault(tally.target, set()).add(tally.issue_number)
    result = Owed()
    for target, numbers in sorted(unfinished.items()):
        newest = max(numbers)
        latest = await archive.ledger.latest(outlet, target)
        attempted = newest if latest is None else latest[0]
        if newest >= max(due, attempted):
            result.resumed.setdefault(newest, set()).add(target)
            numbers.discard(newest)
        if numbers:
            result.left[target] = sorted(numbers)
    return result


def add_owed(
    todo: dict[int, dict[str, Targets]], outlet: str, numbers: Mapping[int, Targets]
) -> None:
    """Add to `todo` (per issue, per outlet, its targets) that `outlet` publishes each of
    `numbers` to its targets (None: all of them)."""
    for number, targets in numbers.items():
        wanted = todo.setdefault(number, {})
        if targets is None or (outlet in wanted and wanted[outlet] is None):
            wanted[outlet] = None
        else:
            wanted[outlet] = {*(wanted.get(outlet) or ()), *(targets or ())}


class LeftTold:
    """The unfinished issues the schedule left, told to the editors once each: kept in the
    archive, so that neither the next firing nor a restart tells them again."""

    def __init__(self, archive: Archive, tell: Callable[[str, Any], Awaitable[None]]) -> None:
        self.archive = archive
        self._tell = tell

    async def say(self, left: Sequence[tuple[str, Any, str, list[int]]]) -> None:
        """Tell, of each (outlet, target, where, numbers) of `left`, the numbers not told
        before (`where` names the target in a sentence: `in <#42>`, `on X`); forget those no
        longer left (finished by hand)."""
        told: dict[str, list[int]] = json.loads(await self.archive.state.get(LEFT_KEY) or "{}")
        now: dict[str, list[int]] = {}
        for outlet, target, where, numbers in left:
            key = f"{outlet} {target.name}"
            new = [n for n in numbers if n not in told.get(key, ())]
            now[key] = numbers
            if new:
                await self._tell(left_message(new, where), target)
        if now != told:
            await self.archive.state.set(LEFT_KEY, json.dumps(now, sort_keys=True))


def left_message(numbers: Sequence[int], where: str) -> str:
    """What the editors are told of unfinished issues the schedule leaves `where`."""
    *older, last = [f"#{n}" for n in numbers]
    listed = f"{', '.join(older)} and {last}" if older else last
    were = "Issue {} was" if not older else "Issues {} were"
    return (
        f"{were.format(listed)} left unfinished {where}: the schedule resumes only the newest"
        " issue owed there, so that readers do not get old issues all at once."
        f" `newsbot publish {numbers[0]}` sends {'it' if not older else 'one'} anyway."
    )
