"""What a firing resumes of the publishes left unfinished: for each target, the newest issue it
owes that target, and every older one already part way out there.

A target that could not be reached for a while (a server that removed the bot, a permission
never given, X down) would otherwise have every issue it missed resumed at each firing, and
once reachable get them all at once, each digest pinging its readers. An older issue of which
nothing went out there is left instead: `newsbot publish N` still sends it, and the editors are
told once which were left there and how to send them. An older issue part way out (a thread
without its digest, an X thread without its tail) is always finished, or readers would see it
half published for good; its steps not yet sent go out late
(`bot.publishing.progress.LATE`), so that its digest pings nobody for old news.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from bot.publishing.progress import finished_late, out_there
from bot.store import Archive

LEFT_KEY = "schedule.left"
"""The unfinished issues left, per outlet and target, that the editors were told of."""

Targets = Collection[str] | None
"""The targets (by their ledger names) an issue is published to on an outlet; None: all."""


@dataclass
class Owed:
    """What one outlet's targets are owed of the unfinished publishes."""

    resumed: dict[int, set[str]] = field(default_factory=dict)
    """Each issue to resume, and the targets it is resumed at."""
    late: dict[int, set[str]] = field(default_factory=dict)
    """Of `resumed`, the issues finished late, and where: a newer one is out there or due."""
    left: dict[str, list[int]] = field(default_factory=dict)
    """Per target, the older unfinished issues of which nothing went out there, left by the
    schedule, oldest first."""


async def owed(
    archive: Archive, outlet: str, targets: Collection[str], archived: Collection[int], due: int
) -> Owed:
    """Of the publishes left unfinished on `outlet` to `targets`, of `archived` issues: per
    target, the newest issue it owes is resumed unless a newer one was published there or is
    `due` (the newest issue due on the outlet, 0 if none); an older one is resumed (late) if
    part of it went out there, else left."""
    unfinished: dict[str, set[int]] = {}
    for tally in await archive.ledger.unfinished(outlet):
        if tally.issue_number in archived and tally.target in targets:
            unfinished.setdefault(tally.target, set()).add(tally.issue_number)
    result = Owed()
    for target, numbers in sorted(unfinished.items()):
        newest = max(numbers)
        latest = await archive.ledger.latest(outlet, target)
        attempted = newest if latest is None else latest[0]
        in_turn = newest >= max(due, attempted)
        for number in sorted(numbers):
            if number == newest and in_turn:
                result.resumed.setdefault(number, set()).add(target)
            elif await _part_out(archive, number, outlet, target):
                result.resumed.setdefault(number, set()).add(target)
                result.late.setdefault(number, set()).add(target)
            else:
                result.left.setdefault(target, []).append(number)
    return result


async def _part_out(archive: Archive, number: int, outlet: str, target: str) -> bool:
    """Whether some of the issue's steps went out to the target, or may have: readers may see
    part of it there."""
    entries = await archive.ledger.entries(number, outlet, target)
    return any(out_there(entry) for entry in entries.values())


async def finish_late(archive: Archive, outlet: str, late: Mapping[int, Collection[str]]) -> None:
    """Record that the steps not yet sent of each issue of `late` at its targets are sent late
    (`LATE`: each sends its `late` payload): a digest of old news pings nobody. Kept in the
    ledger, so that a failure or a stop before they go out does not undo it."""
    for number, names in sorted(late.items()):
        for target in sorted(names):
            for entry in finished_late(await archive.ledger.entries(number, outlet, target)):
                await archive.ledger.record(entry)


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
    archive, so that neither the next firing nor a restart tells them again. Told in the
    editors' channels, never a target's own: only the editors can run `newsbot publish`."""

    def __init__(self, archive: Archive, tell: Callable[[str], Awaitable[None]]) -> None:
        self.archive = archive
        self._tell = tell

    async def say(self, left: Sequence[tuple[str, str, str, list[int]]]) -> None:
        """Tell, of each (outlet, target, where, numbers) of `left`, the numbers not told
        before (`target` is the ledger's name for it, `where` names it in a sentence: `in
        <#42>`, `on X`); forget those no longer left (finished by hand)."""
        told: dict[str, list[int]] = json.loads(await self.archive.state.get(LEFT_KEY) or "{}")
        now: dict[str, list[int]] = {}
        for outlet, target, where, numbers in left:
            key = f"{outlet} {target}"
            new = [n for n in numbers if n not in told.get(key, ())]
            now[key] = numbers
            if new:
                await self._tell(left_message(new, where))
        if now != told:
            await self.archive.state.set(LEFT_KEY, json.dumps(now, sort_keys=True))


def left_message(numbers: Sequence[int], where: str) -> str:
    """What the editors are told of unfinished issues the schedule leaves `where`."""
    *older, last = [f"#{n}" for n in numbers]
    listed = f"{', '.join(older)} and {last}" if older else last
    were = "Issue {} was" if not older else "Issues {} were"
    return (
        f"{were.format(listed)} left unsent {where}: none of {'it' if not older else 'them'}"
        " went out there, and the schedule sends there only the newest issue owed, so that"
        " readers do not get old issues all at once."
        f" `newsbot publish {numbers[0]}` sends {'it' if not older else 'one'} anyway."
    )
