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
which costs at most one more answer per reader. An answer counts from the moment it is decided
(`reserve`), so that two replies of one reader read at once are not both answered; one that
Discord then refused, or that never reached it, is taken back (`release`), leaving the reader
to be told with their next reply. An answer deleted with the reply it answered no longer tells
anything: what no other answer of the window still tells is told again (it still counts among
the window's `ANSWERS_PER_WINDOW`).
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
ANSWERED_KEPT = 4096
"""Replies whose answers are remembered, to be unsaid when the reply is deleted; past that, the
oldest are forgotten (their answers then stay said until the window ends)."""

Reader = tuple[int, int]
"""A reader in one server: (guild id, user id)."""


@dataclass(frozen=True, eq=False)
class Answer:
    """One answer counted for a reader (`RecentAnswers.reserve`): what it tells, and the
    message it answers, if any."""

    reader: Reader
    topics: frozenset[str]
    answering: int | None
    since: dt.datetime
    """The window it counts in: its first answer's time."""


@dataclass
class _Told:
    since: dt.datetime
    """When the window opened: the first answer's time."""
    said: list[Answer] = field(default_factory=list)
    """The window's answers the reader can still see (or is being sent)."""
    answers: int = 0
    """The window's answers: those sent, those being sent, and those deleted since."""

    @property
    def topics(self) -> set[str]:
        """What the answers still standing tell, together."""
        return {topic for answer in self.said for topic in answer.topics}


class RecentAnswers:
    """What newsbot told each reader in public lately, to tell them each thing once a window.

    Kept in the order the readers' windows opened, so the oldest is first: the expired are
    forgotten from the front as new windows open, each in constant time, never by a scan.
    """

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self._told: OrderedDict[Reader, _Told] = OrderedDict()
        self._answered: OrderedDict[int, Reader] = OrderedDict()
        """Who was answered lately, by the id of the message an answer answered."""

    def due(self, reader: Reader, topics: Collection[str], now: dt.datetime | None = None) -> bool:
        """Whether to answer `reader` in a message about `topics` (what the answer's lines say,
        one word for each kind: see `cogs.suggestions._text.topics`) at `now` (default: the
        clock's). False when every topic was told in the window, or its answers are all spent.
        Counts nothing: `reserve` or `told` does."""
        told = self._current(reader, now or self.clock())
        if told is None:
            return True
        return not set(topics) <= told.topics and told.answers < ANSWERS_PER_WINDOW

    def reserve(
        self,
        reader: Reader,
        topics: Collection[str],
        now: dt.datetime | None = None,
        *,
        answering: int | None = None,
    ) -> Answer | None:
        """When `due`, count the answer at once, before it is sent (then `release` it, if it
        could not be): another reply of the reader read meanwhile is not answered the same. The
        answer counted, or None when not due."""
        now = now or self.clock()
        if not self.due(reader, topics, now):
            return None
        return self.told(reader, topics, now, answering=answering)

    def told(
        self,
        reader: Reader,
        topics: Collection[str],
        now: dt.datetime | None = None,
        *,
        answering: int | None = None,
    ) -> Answer:
        """Count an answer to `reader` about `topics`, decided at `now` (default: the clock's):
        it opens their window, if none is open. `answering`: the id of the message it answers
        (see `unsaid`)."""
        now = now or self.clock()
        told = self._current(reader, now)
        if told is None:
            self._told.pop(reader, None)
            self._forget_before(now)
            told = self._told[reader] = _Told(since=now)
        answer = Answer(reader, frozenset(topics), answering, told.since)
        told.said.append(answer)
        told.answers += 1
        if answering is not None:
            self._answered[answering] = reader
            self._answered.move_to_end(answering)
            if len(self._answered) > ANSWERED_KEPT:
                self._answered.popitem(last=False)
        return answer

    def release(self, answer: Answer) -> None:
        """An answer `reserve` counted could not be sent: it neither tells nor counts."""
        told = self._told.get(answer.reader)
        if told is not None and told.since == answer.since and answer in told.said:
            told.said.remove(answer)
            told.answers -= 1

    def unsaid(self, answered: int) -> None:
        """Message `answered` was deleted, and the answers to it go with it: what they told
        and no other answer still standing tells, the reader no longer sees, and is told again.
        They still count among the window's answers."""
        reader = self._answered.pop(answered, None)
        told = self._current(reader, self.clock()) if reader is not None else None
        if told is not None:
            told.said = [answer for answer in told.said if answer.answering != answered]

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
