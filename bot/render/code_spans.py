"""Where Markdown code spans (`` `code` ``) close, found in time linear in the text.

A code span's pattern, `` (`+)(.+?)(?<!`)\\1(?!`) ``, reads a run of backticks, then the text
up to a run of exactly as many. Where none closes it, a regular expression reads on to the end
of the text, once for each shorter run it tries and again from each backtick of the run: text
of backtick runs of many lengths (`` `a``a```a… ``) took seconds for a few thousand characters.
`TickRuns` answers the same question from an index of the text's runs, and
`bot.render.markdown` and `bot.render.commonmark` read code spans through it.
"""

from __future__ import annotations

import bisect
import re

_RUN = re.compile(r"`+")


class TickRuns:
    """The runs of backticks in a text, by length, to find where a code span closes."""

    def __init__(self, text: str) -> None:
        runs = [match.span() for match in _RUN.finditer(text)]
        self._starts = [start for start, _ in runs]
        self._ends = [end for _, end in runs]
        self._by_length: dict[int, list[int]] = {}
        for start, end in runs:
            self._by_length.setdefault(end - start, []).append(start)

    def run_end(self, at: int) -> int:
        """Where the run of backticks holding `at` (a backtick) ends."""
        return self._ends[bisect.bisect_right(self._starts, at) - 1]

    def closing(self, at: int) -> tuple[int, int] | None:
        """The code span that the backticks from `at` to the end of their run open, as the
        pattern above reads it: (how many backticks open it, where its closing run starts).

        The pattern takes all the backticks from `at` first, then fewer, and closes at the
        first later run of exactly as many (after at least one character). Every run after
        this one starts past the opening backticks, so the answer is the longest count, up to
        those from `at`, that a later run has, closed at its first such run. None if no count
        closes: then no backtick of this run after `at` opens a span either.
        """
        end = self.run_end(at)
        for count in range(end - at, 0, -1):
            starts = self._by_length.get(count)
            if starts is None:
                continue
            later = bisect.bisect_right(starts, end)
            if later < len(starts):
                return count, starts[later]
        return None
