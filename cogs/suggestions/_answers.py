"""How often newsbot answers a reader in public, in a section thread: so that a reader cannot
make it post one message for every one of theirs.

A reply whose links were not all taken (refused, over the daily limit, already in an issue,
passed on) is answered with a message saying why. None of those links counts toward the
reader's daily limit, so without a bound one reader could have the bot post as often as they
do. Within an hour of its first answer to a reader (in one server), newsbot answers them again
in a message only to tell them something it has not told them in that hour (another reason a
link is refused, another page already in an issue), and at most `ANSWERS_PER_WINDOW` times: a
reply it would only tell the same again gets a ❌ reaction. So a reader's first refusal of
each kind is always explained, and a reader who keeps posting refused links gets one message,
not one per reply. Per reader, not per thread: a reader posting in many threads is not
answered in each.

What was told is kept in memory, for `READERS_KEPT` readers at most: a restart forgets it,
which costs at most one more answer per reader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

ANSWER_WINDOW = dt.timedelta(hours=1)
ANSWERS_PER_WINDOW = 3
"""Messages to one reader in a window, each telling them something new."""
READERS_KEPT = 4096
"""Readers whose answers are remembered; past that, the least recently answered are forgotten."""

Reader = tuple[int, int]
"""A reader in one server: (guild id, user id)."""


@dataclass
class _Told:
    since: dt.datetime
    """When the window opened: the first answer's time."""
    topics: set[str] = field(default_factory=set)
    answers: int = 0


class RecentAnswers:
    """What newsbot told each reader in public lately, to tell them each thing once a window."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self._told: dict[Reader, _Told] = {}

    def answer(self, reader: Reader, topics: Collection[str]) -> bool:
        """Whether to answer `reader` in a message about `topics` (what the answer's lines say,
        one word for each kind: see `cogs.suggestions._text.topics`); counted as answered when
        so. False when every topic was told in the window, or its answers are all spent."""
        now = self.clock()
        told = self._told.pop(reader, None)
        if told is None or not told.since <= now < told.since + ANSWER_WINDOW:
            told = _Told(since=now)
        new = not set(topics) <= told.topics and told.answers < ANSWERS_PER_WINDOW
        if new:
            told.topics.update(topics)
            told.answers += 1
        if told.answers:
            self._keep(reader, told, now)
        return new

    def _keep(self, reader: Reader, told: _Told, now: dt.datetime) -> None:
        """Remember `told` as the most recent; forget the expired, then the least recent, when
        `READERS_KEPT` are remembered already."""
        if len(self._told) >= READERS_KEPT:
            for key in [k for k, t in self._told.items() if now >= t.since + ANSWER_WINDOW]:
                del self._told[key]
        while len(self._told) >= READERS_KEPT:
            del self._told[next(iter(self._told))]
        self._told[reader] = told
