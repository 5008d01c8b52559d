"""The lines of a plain-text issue, and what each can be by its shape and the lines after it.

`bot.importers.text` describes the layout; this module holds its shapes: a *short line*, a
*sentence*, `Abstract:`, and from them a title and a heading. A heading is *firm* when a
short line follows it: then it is a heading even right under another heading. One followed
by a one-sentence title is not: `Industry`, `New robot arm released`, `Acme released a new
robot arm.` reads as a heading, a title and its blurb, not as two headings.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.importers._markdown import clean_line, defuse_pings
from bot.importers._report import Notice

SHORT_LINE = 150
SENTENCE_TITLE = 100
HEADING_CHARS = 60
HEADING_WORDS = 8

ABSTRACT = re.compile(r"^abstract\s*:\s*(?P<rest>.*)$", re.IGNORECASE)
_SENTENCE_END = frozenset(".!?…:;,")
_CLOSERS = "\"'”’)]»"
_INNER_SENTENCE = re.compile(r"[.!?…][\"'”’)]?\s+[A-Z0-9“\"‘'(]")


class Kind(enum.Enum):
    """The shape of a line."""

    SHORT = "short line"
    SENTENCE = "sentence"
    ABSTRACT = "Abstract:"


@dataclass(frozen=True)
class Line:
    """A non-blank line, cleaned, with its number as an editor numbers it."""

    number: int
    text: str
    kind: Kind


def ends_sentence(text: str) -> bool:
    """Whether a line ends in sentence punctuation, before any closing quote or bracket."""
    return text.rstrip(_CLOSERS)[-1:] in _SENTENCE_END


def _kind(text: str) -> Kind:
    if ABSTRACT.match(text):
        return Kind.ABSTRACT
    if len(text) <= SHORT_LINE and not ends_sentence(text):
        return Kind.SHORT
    return Kind.SENTENCE


def split_lines(text: str, source: str, notices: list[Notice]) -> list[Line]:
    """The non-blank lines, cleaned and with pings defused, numbered as an editor numbers them."""
    lines: list[Line] = []
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(raw_lines, start=1):
        cleaned, removed = clean_line(raw)
        if removed:
            notices.append(Notice(f"{source}:{number}", "removed control characters"))
        cleaned, pings = defuse_pings(cleaned)
        if pings:
            notices.append(Notice(f"{source}:{number}", "defused text that would ping in Discord"))
        if cleaned:
            lines.append(Line(number, cleaned, _kind(cleaned)))
    return lines


class Shapes:
    """What the lines of one issue can be, each judged by its shape and the lines after it."""

    def __init__(self, lines: list[Line], source: str) -> None:
        self.lines = lines
        self.source = source

    def where(self, line: Line) -> str:
        """Where a line is, as `FILE:LINE`."""
        return f"{self.source}:{line.number}"

    def kind(self, index: int) -> Kind | None:
        """The kind of the line at `index`, or None past either end."""
        return self.lines[index].kind if 0 <= index < len(self.lines) else None

    def sentence_title(self, index: int) -> bool:
        """A sentence that can be a title: short, one sentence, followed by text or `Abstract:`."""
        text = self.lines[index].text
        return (
            self.kind(index) is Kind.SENTENCE
            and len(text) <= SENTENCE_TITLE
            and not _INNER_SENTENCE.search(text)
            and self.kind(index + 1) in (Kind.SENTENCE, Kind.ABSTRACT)
        )

    def title_candidate(self, index: int) -> bool:
        """Whether the line at `index` can be an item's title."""
        return self.kind(index) is Kind.SHORT or (
            self.kind(index) is Kind.SENTENCE and self.sentence_title(index)
        )

    def heading(self, index: int) -> bool:
        """Whether the line at `index` is a section heading: short, and a title follows."""
        text = self.lines[index].text
        return (
            self.kind(index) is Kind.SHORT
            and len(text) <= HEADING_CHARS
            and len(text.split()) <= HEADING_WORDS
            and self.title_candidate(index + 1)
        )

    def firm_heading(self, index: int) -> bool:
        """Whether the line at `index` is a heading with a short line after it, so a heading
        even right under another heading (which then has nothing under it)."""
        return (
            0 <= index < len(self.lines)
            and self.heading(index)
            and self.kind(index + 1) is Kind.SHORT
        )
