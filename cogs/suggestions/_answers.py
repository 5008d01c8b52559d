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
which costs at most one more answer per reader. Only an answer that was sent counts: one that
Discord refused, or that never reached it, leaves the reader to be told with their next reply.
An answer deleted with the reply it answered no longer tells anything: what it alone told is
told again (it still counts among the window's `ANSWERS_PER_WINDOW`).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

ANSWER_WINDOW = dt.timedelta(hours=1)
ANSWERS_PER_WINDOW = 3
"""Messages to one reader in a window, each telling them something new."""
READERS_KEPT = 4096
"""Readers whose answers are remembered; past that, those whose hour ends soonest are forgotten."""

Reader = tuple[int, int]
"""A reader in one server: (guild id, user id)."""


@dataclass
class _Told:
    since: dt.datetime
    """When the window opened: the first answer's time."""
    topics: set[str] = field(default_factory=set)
    answers: int = 0


class RecentAnswers:
    """What newsbot told each reader in public lately, to tell them each thing once a window.

    Kept in the order the readers' windows opened, so the oldest is first: the expired are
    forgotten from the front as new windows open, each in constant time, never by a scan.
    """

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self._told: OrderedDict[Reader, _Told] = OrderedDict()
        self._answers: OrderedDict[int, tuple[Reader, frozenset[str]]] = OrderedDict()
        """What the latest answers told, by the id of the message each answered."""

    def due(self, reader: Reader, topics: Collection[str], now: dt.datetime | None = None) -> bool:
        """Whether to answer `reader` in a message about `topics` (what the answer's lines say,
        one word for each kind: see `cogs.suggestions._text.topics`) at `now` (default: the
        clock's). False when every topic was told in the window, or its answers are all spent.
        Counts nothing: `told` does, once the answer is sent."""
        told = self._current(reader, now or self.clock())
        if told is None:
            return True
        return not set(topics) <= told.topics and told.answers < ANSWERS_PER_WINDOW

    def told(
        self,
        reader: Reader,
        topics: Collection[str],
        now: dt.datetime | None = None,
        *,
        answering: int | None = None,
    ) -> None:
        """Count an answer to `reader` about `topics`, decided at `now` (default: the clock's),
        as sent: it opens their window, if none is open. `answering`: the id of the message it
        answers (see `unsaid`)."""
        now = now or self.clock()
        if answering is not None:
            self._answers[answering] = (reader, frozenset(topics))
            if len(self._answers) > READERS_KEPT:
                self._answers.popitem(last=False)
        told = self._current(reader, now)
        if told is None:
            self._told.pop(reader, None)
            self._forget_before(now)
            told = self._told[reader] = _Told(since=now)
        told.topics.update(topics)
        told.answers += 1

    def unsaid(self, answered: int) -> None:
        """Message `answered` was deleted, and the answer to it goes with it: what that told,
        the reader no longer sees, and is told again. It still counts as one of the window's
        answers."""
        reader, topics = self._answers.pop(answered, (None, frozenset()))
        told = self._current(reader, self.clock()) if reader is not None else None
        if told is not None:
            told.topics -= topics

    def _current(self, reader: Reader, now: dt.datetime) -> _Told | None:
        """What `reader` was told in the window open at `now`, if one is."""
        told = self._told.get(reader)
        if told is None or not told.since <= now < told.since + ANSWER_WINDOW:
            return None
        return told

    def _forget_before(self, now: dt.datetime) -> None:
        """Make room for one more reader: forget those whose window has ended, then, when
        `READERS_KEPT` are still remembered, those whose window ends soonest."""
        while self._told:
            oldest = next(iter(self._told.values()))
            if now < oldest.since + ANSWER_WINDOW and len(self._told) < READERS_KEPT:
                return
            self._told.popitem(last=False)
