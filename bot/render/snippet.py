"""A search hit's snippet as a reader reads it: a window of the matched field's plain text, with
the words the search matched.

The archive's snippet is cut from the Markdown it indexed, so it may show syntax or stop inside
a link. It still says which field matched and which words: the window is cut again from that
field's plain text (`plain_text`, kept between searches), around the same words. A field without
any syntax reads as it is written, and the archive's snippet of it is kept as it is. A snippet
of the title, shown just above it, would only repeat it: the item's blurb is shown instead.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from bot.models import SearchHit
from bot.render.markdown import has_syntax, plain_text
from bot.text import ELLIPSIS, one_line

WINDOW = 160
"""Characters of plain text a snippet shows at most, around the matches."""
LEAD = 40
"""Characters of plain text shown before the first match, when the field is longer."""
_WORD = re.compile(r"[^\W_]+")
_BETWEEN_WORDS = r"[\W_]+"

Span = tuple[int, int]


def _unspaced(char: str) -> bool:
    """Whether `char` is written without spaces around words (CJK): no word boundary there."""
    return unicodedata.east_asian_width(char) in ("W", "F")


@functools.lru_cache(maxsize=512)
def _matcher(runs: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern finding the marked runs of a snippet again in plain text: their words in
    order, whatever separates them there, never a part of a longer word."""
    patterns = []
    for run in runs:
        words = _WORD.findall(run)
        if not words:
            continue
        pattern = _BETWEEN_WORDS.join(re.escape(word) for word in words)
        if not _unspaced(words[0][0]):
            pattern = r"(?<![^\W_])" + pattern
        if not _unspaced(words[-1][-1]):
            pattern += r"(?![^\W_])"
        patterns.append(pattern)
    if not patterns:
        return None
    return re.compile("|".join(sorted(set(patterns), key=len, reverse=True)), re.IGNORECASE)


def _source(hit: SearchHit, shown: str) -> str:
    """The field of the hit the archive's snippet (`shown`, without marks) was cut from; the
    snippet itself when it is in none (then it is all there is)."""
    needle = shown.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS).strip()
    item = hit.item
    # A hit read from the archive has its abstract; the protocol promises only what all show.
    abstract: str | None = getattr(item, "abstract", None)
    for field in (item.title, item.blurb, abstract):
        if field and needle and needle in field:
            return field
    return needle


def _told(hit: SearchHit) -> str | None:
    """What the item says about itself: its blurb, else its abstract; None without either."""
    abstract: str | None = getattr(hit.item, "abstract", None)
    return hit.item.blurb or abstract or None


def _window(text: str, matches: Sequence[Span]) -> Span:
    """Where the snippet starts and ends in `text`: the most matches `WINDOW` characters hold,
    a little before them, cut between words."""
    if len(text) <= WINDOW:
        return 0, len(text)
    first, most, last = 0, 0, 0
    for index, (begin, _) in enumerate(matches):
        last = max(last, index)
        while last < len(matches) and matches[last][1] <= begin + WINDOW:
            last += 1
        if last - index > most:
            first, most = begin, last - index
    start = max(0, min(first - LEAD, len(text) - WINDOW))
    end = start + WINDOW
    if start > 0:
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", start, end + 1)
        end = space if space > start else end
    return start, end


def _runs(text: str, matches: Sequence[Span], start: int, end: int) -> list[tuple[str, bool]]:
    """`text[start:end]` as (text, matched) runs; touching matches are one run."""
    runs: list[tuple[str, bool]] = []
    at = start
    for begin, finish in matches:
        if begin < at or finish > end:
            continue
        if begin > at:
            runs.append((text[at:begin], False))
        if runs and runs[-1][1] and begin == at:
            runs[-1] = (runs[-1][0] + text[begin:finish], True)
        else:
            runs.append((text[begin:finish], True))
        at = finish
    if at < end:
        runs.append((text[at:end], False))
    return runs


def _as_cut(parts: list[tuple[str, bool]]) -> tuple[list[tuple[str, bool]], bool, bool]:
    """The archive's snippet as runs on one line, its ellipses told apart from its text."""
    runs = [(text.replace("\n", " "), marked) for text, marked in parts]
    before = bool(runs) and not runs[0][1] and runs[0][0].startswith(ELLIPSIS)
    if before:
        runs[0] = (runs[0][0].removeprefix(ELLIPSIS), False)
    after = bool(runs) and not runs[-1][1] and runs[-1][0].endswith(ELLIPSIS)
    if after:
        runs[-1] = (runs[-1][0].removesuffix(ELLIPSIS), False)
    return [run for run in runs if run[0]], before, after


def snippet_runs(hit: SearchHit) -> tuple[list[tuple[str, bool]], bool, bool]:
    """A hit's snippet as (text, matched) runs of the matched field's plain text, and whether
    text was left out before them and after them."""
    parts = hit.snippet_parts()
    source = _source(hit, "".join(part for part, _ in parts))
    told = _told(hit)
    if source == hit.item.title and told:
        # The title is shown just above, its matched words with it: a snippet of it would only
        # say it again. The opening of what the item says about itself is shown instead, the
        # words matched there in bold too (looked for in that opening only: a search's answer
        # should not cost a pass over every long blurb it shows).
        text = _opening(told)
        start, end = _window(text, ())
        matches = _words_in(parts, text, end)
        return _runs(text, matches, start, end), False, end < len(text)
    if not has_syntax(source):
        # Text without syntax reads as it is written: the archive's cut is the snippet.
        return _as_cut(parts)
    text = plain_text(source)
    matches = _matches(parts, text, len(text))
    start, end = _window(text, matches)
    return _runs(text, matches, start, end), start > 0, end < len(text)


def _opening(told: str) -> str:
    """The plain text of `told` as far as a snippet shows it, at least: read whole only when
    its opening holds syntax (a burst of readers' searches shows many openings)."""
    opening = told[: WINDOW * 2]
    if len(opening) < len(told) and not has_syntax(opening):
        # Nothing further on can change how the opening reads.
        return one_line(opening)
    return plain_text(told)


def _words_in(parts: list[tuple[str, bool]], text: str, end: int) -> list[Span]:
    """`_matches`, found without compiling a pattern for each search when the text and every
    marked run are ASCII and each run one word: a burst of different searches would compile
    one each. Anything else is the pattern's: its case folding is Unicode's (`ſ` is an `s`,
    `İ` an `i`), and in CJK, written without spaces, one word may hold another (東京, 東京都)."""
    shown = text[:end]
    if not shown.isascii():
        return _matches(parts, text, end)
    folded = shown.lower()
    spans: set[Span] = set()
    for run, marked in parts:
        words = _WORD.findall(run) if marked else ()
        if len(words) > 1 or not run.isascii():  # a phrase: its words in order, as it reads
            return _matches(parts, text, end)
        for word in map(str.lower, words):
            at = folded.find(word)
            while at != -1:
                stop = at + len(word)
                if _alone(folded, at, stop):
                    spans.add((at, stop))
                at = folded.find(word, stop)
    return sorted(spans)


def _alone(text: str, start: int, stop: int) -> bool:
    """Whether `text[start:stop]` (ASCII) is a whole word there, as `_matcher`'s pattern finds
    one: no letter or digit right before or after it."""
    before = start == 0 or not text[start - 1].isalnum()
    return before and (stop == len(text) or not text[stop].isalnum())


def _matches(parts: list[tuple[str, bool]], text: str, end: int) -> list[Span]:
    """Where the words marked in the archive's snippet (`parts`) are in `text`, before `end`."""
    matcher = _matcher(tuple(part for part, marked in parts if marked))
    return [m.span() for m in matcher.finditer(text, 0, end)] if matcher is not None else []
