"""The lines of a plain-text issue, and what each can be by its shape and the lines after it.

`bot.importers.text` describes the layout; this module holds its shapes: a *short line*, a
*sentence*, `Abstract:`, and from them a title and a heading. A heading is *firm* when a
short line follows it: then it is a heading even right under another heading. One followed
by a one-sentence title is not: `Industry`, `New robot arm released`, `Acme released a new
robot arm.` reads as a heading, a title and its blurb, not as two headings.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass

from bot.errors import SourceError
from bot.importers._markdown import clean_line, defuse_pings
from bot.importers._report import Notice
from bot.importers._text_links import LineLink, link_at_end, lone_label

SHORT_LINE = 150
SENTENCE_TITLE = 100
HEADING_CHARS = 60
HEADING_WORDS = 8

ABSTRACT = re.compile(r"^abstract\s*:\s*(?P<rest>.*)$", re.IGNORECASE)
_NUMBER = re.compile(r"(?:#|\b(?:issue|no\.|number)\s*#?)\s*([0-9]{1,6})\b", re.IGNORECASE)
_ANY_NUMBER = re.compile(r"(?:#|\b(?:issue|no\.|number)\s*#?)\s*([0-9]+)\b", re.IGNORECASE)
"""A number written as `_NUMBER`'s are, of any length: one out of range is named."""
_LIST_MARKER = re.compile(r"^(?:\(?[0-9]{1,3}[.)]|[-*+•·‣▪◦–])\s+(?=\S)")
"""`1. `, `2) `, `(3) `, `- `, `• `: a numbered or bulleted list's marker before a title."""
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
    """A non-blank line, cleaned, with its number as an editor numbers it.

    A link at its end (`… Read more: https://…`) is taken off `text`, which its shape is
    judged by, into `link`; `written` is then the whole line. The lines holding only an
    address that follow it are in `after`.
    """

    number: int
    text: str
    kind: Kind
    link: str | None = None
    written: str = ""
    after: tuple[Line, ...] = ()

    @property
    def whole(self) -> str:
        """The line as written, its link included."""
        return self.written or self.text

    def written_lines(self) -> list[str]:
        """The line as written and each address line after it: the text it stands for."""
        return [self.whole, *(line.whole for line in self.after)]


def as_title(text: str) -> str:
    """A title line as a title: without a list's marker before it, its spaces single."""
    return " ".join(_LIST_MARKER.sub("", text).split())


def ends_sentence(text: str) -> bool:
    """Whether a line ends in sentence punctuation, before any closing quote or bracket."""
    return text.rstrip(_CLOSERS)[-1:] in _SENTENCE_END


def _kind(text: str) -> Kind:
    if ABSTRACT.match(text):
        return Kind.ABSTRACT
    if len(text) <= SHORT_LINE and not ends_sentence(text):
        return Kind.SHORT
    return Kind.SENTENCE


def _blurb_follows(splits: list[LineLink], at: int) -> bool:
    """Whether a blurb follows the line at `at`: a sentence that cannot be a title (see
    `Shapes.sentence_title`), addresses on lines of their own passed over."""
    texts = [split.text for split in splits[at + 1 :] if split.text or split.link is None]
    if not texts or _kind(texts[0]) is not Kind.SENTENCE:
        return False
    title_like = len(texts[0]) <= SENTENCE_TITLE and not _INNER_SENTENCE.search(texts[0])
    return not (title_like and len(texts) > 1 and _kind(texts[1]) is not Kind.SHORT)


def split_lines(text: str, source: str, notices: list[Notice]) -> list[Line]:
    """The non-blank lines, cleaned and with pings defused, numbered as an editor numbers them.

    An address on a line of its own joins the line above (see `Line.after`). A lone `Read
    more` links nowhere and is left out, reported, unless a sentence follows it: then it is
    an item's title, as any short line.
    """
    kept: list[tuple[int, str]] = []
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(raw_lines, start=1):
        cleaned, removed = clean_line(raw)
        if removed:
            notices.append(Notice(f"{source}:{number}", "removed control characters"))
        cleaned, pings = defuse_pings(cleaned)
        if pings:
            notices.append(Notice(f"{source}:{number}", "defused text that would ping in Discord"))
        if cleaned:
            kept.append((number, cleaned))
    splits = [link_at_end(cleaned) for _, cleaned in kept]
    lines: list[Line] = []
    for at, ((number, cleaned), split) in enumerate(zip(kept, splits, strict=True)):
        following = splits[at + 1] if at + 1 < len(splits) else None
        over_address = following is not None and following.link is not None and not following.text
        if lone_label(cleaned, over_address=over_address) and not _blurb_follows(splits, at):
            # Over an address on a line of its own, the words go and the address is the link
            # (see `Line.after`); anywhere else the copy lost the link, which the editor is told.
            if not over_address:
                where = f"{source}:{number}"
                notices.append(Notice(where, f"{cleaned!r} has no address: left out"))
            continue
        if split.link is None:
            lines.append(Line(number, cleaned, _kind(cleaned)))
        elif split.text:
            lines.append(Line(number, split.text, _kind(split.text), split.link, cleaned))
        elif lines:
            # An address on a line of its own belongs to the text above it.
            address = Line(number, "", Kind.SHORT, split.link, cleaned)
            lines[-1] = dataclasses.replace(lines[-1], after=(*lines[-1].after, address))
        else:
            lines.append(Line(number, cleaned, _kind(cleaned)))
    return lines


def issue_number(first: Line, where: str) -> int:
    """The issue number in the `first` line, at `where`; raise `SourceError` if it has none."""
    match = _NUMBER.search(first.text)
    if match and 1 <= int(match.group(1)) <= 999_999:
        return int(match.group(1))
    written = _ANY_NUMBER.search(first.text)
    if written:
        raise SourceError(
            where,
            f"the first line numbers the issue {written.group(1)}; an issue number is "
            "from 1 to 999999",
        )
    raise SourceError(
        where,
        "the first line names the issue with its number, as in "
        f"`Deep Learning Weekly: Issue #202`; got {first.text[:80]!r}",
    )


def issue_link(first: Line, given: str | None) -> tuple[str, str | None, list[str]]:
    """The issue's title, its link and the address lines left for the intro, from the first
    line: a link written on or under it is the issue's, unless one is `given`."""
    addresses = [line.whole for line in first.after]
    if given is None and first.link is not None:
        return first.text, first.link, addresses
    if given is None and first.after:
        return first.whole, first.after[0].link, addresses[1:]
    return first.whole, given, addresses


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
