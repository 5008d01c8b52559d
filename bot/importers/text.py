"""Plain-text issues, laid out like Deep Learning Weekly's, imported as an `Issue`.

The layout has no markup, one paragraph per line::

    Deep Learning Weekly: Issue #202          the issue's title, with its number
    Quantum AI, Global AI Index, … and more   the subtitle
    Hey folks,                                the intro, up to its sign-off
    …
    Until next week!
    Industry                                  a section heading
    Unveiling our new Quantum AI campus       an item's title
    Google has unveiled a new …               its blurb
    Papers & Publications
    Towards General Purpose Vision Systems
    Abstract:                                 a paper's abstract follows
    A special purpose learning system …

Blank lines are ignored. Lines are told apart by their shape and by what follows them:

- A *short line* is at most 150 characters and does not end in sentence punctuation
  (`. ! ? … : ; ,`, before any closing quote or bracket). A *sentence* is any other line.
- The first line is the title; its number is the first `#N`, `Issue N` or `No. N` in it.
- The second line is the subtitle if it is a short line (up to 300 characters) that is not a
  greeting and does not start the sections: it is a list (has a comma), or is too long to be a
  heading, or is not followed by an item title.
- The intro starts with an optional greeting (`Hey folks,`, `Hi all`, …) and runs over
  sentences; it ends after a sign-off (`Until next week!`, `Cheers`, …), with any sign-off
  lines that follow and, after one ending in a comma, its signature (`Until next time,` then
  `Jane`); or before the first short line. `bot.importers._sign_off` says what signs off.
  A short line just before a heading whose next line is short stays in the intro too: read
  as a heading, it would have nothing under it.
- A sign-off at the very end (`Happy reading!`, `Until next time,`, `Jane`) is not an item:
  an issue has no place for it, so it is left out and reported.
- A *heading* is a short line of at most 8 words and 60 characters followed by something
  that can be a title: another short line, or a title-like sentence (below).
- A short line that is not a heading is an item's title. The line after a title is its blurb.
  A title's list marker (`1.`, `2)`, `-`, `*`, `•`) is layout, left out with the extra spaces.
- A heading followed by a title-like sentence (below), not by a short line, may as well be a
  title over its blurb. Right under another heading it is that title (`Industry`, `New robot
  arm released`, `Acme released a new robot arm.`): as a heading it would leave the one above
  with nothing under it. Elsewhere it stays a heading, reported when a sentence follows that
  title, since the shapes cannot tell the two readings apart.
- A sentence of at most 100 characters that holds one sentence, after a blurb or heading and
  followed by a sentence or `Abstract:`, is a title that ends in punctuation (`Does Knowledge
  Distillation Really Work?`).
- Any other sentence after a blurb is an item with no title: the title is guessed from the
  sentence's subject (the words before ` is `, ` are `, `,` …), else its first words and `…`.
- `Abstract:` (alone, or followed by text) starts the current item's abstract, which runs over
  the sentences that follow until the next title or heading.
- A link at a line's end, set apart from its words (`… a report. Read more: https://…`,
  `(https://…)`, `Title - https://…`), is taken off before the line's shape is judged, and an
  address on a line of its own joins the line above: either is the link of the item that line
  is in, if it has none yet, and else stays in its text. A link on the first line is the
  issue's, unless one is passed in. A lone `Read more` with no address is left out, reported,
  unless a sentence follows it (it is then a title). See `bot.importers._text_links`.

Every guess (a guessed title, a section with nothing under it, items before any heading, an
empty abstract, a title with no text under it, a short line kept in the intro, a heading or a
title either of which the line could be) is a `Notice` with its line (`FILE:LINE: …`) and an
editor note on the item it concerns (for a line kept in the intro, the first item). Text that
would ping in Discord is defused and reported. No date or link is invented: an item's link is
one its lines hold, and the issue's date and link are passed in (or its link is on line 1).
"""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path

from bot.errors import SourceError
from bot.importers._draft import (
    IssueDraft,
    ItemDraft,
    SectionDraft,
    build_issue,
    guess_title,
)
from bot.importers._markdown import escape_heading, escape_paragraph
from bot.importers._report import Imported, Notice
from bot.importers._sign_off import (
    expects_signature,
    is_greeting,
    is_sign_off,
    is_signature,
    sign_off_start,
)
from bot.importers._text_lines import (
    ABSTRACT,
    HEADING_CHARS,
    Kind,
    Line,
    Shapes,
    as_title,
    ends_sentence,
    issue_link,
    issue_number,
    split_lines,
)
from bot.issuefiles import not_utf8

SUBTITLE = 300
GUESSED_SECTION = "Items"


class _State(enum.Enum):
    SECTION = "after a heading"
    TITLE = "after a title"
    BLURB = "after a blurb"
    ABSTRACT = "in an abstract"


class _Reader(Shapes):
    """Reads the numbered lines of one plain-text issue into an `IssueDraft`."""

    def __init__(self, lines: list[Line], source: str, notices: list[Notice]) -> None:
        super().__init__(lines, source)
        self.notices = notices
        self.sections: list[SectionDraft] = []
        self.item: ItemDraft | None = None
        self.state = _State.SECTION
        self.headings: dict[int, Line] = {}
        # Notes for the next item: about lines that made no item of their own.
        self.pending_notes: list[str] = []

    # --- the header and intro ------------------------------------------------------------------

    def subtitle(self, index: int) -> bool:
        """Whether the line at `index` (the second) is the subtitle."""
        if index >= len(self.lines):
            return False
        text = self.lines[index].text
        if len(text) > SUBTITLE or ends_sentence(text) or is_greeting(text):
            return False
        if ABSTRACT.match(text):
            return False
        is_list = ", " in text or len(text) > HEADING_CHARS
        return is_list or not self.heading(index) or self.heading(index + 1)

    def intro_end(self, index: int) -> int:
        """The index of the first line after the intro that starts at `index`."""
        if index < len(self.lines) and is_greeting(self.lines[index].text):
            index += 1
        while index < len(self.lines):
            line = self.lines[index]
            if is_sign_off(line.text):
                return self.sign_off_end(index)
            if line.kind is Kind.SHORT and self.firm_heading(index + 1):
                self.keep_in_intro(line)
            elif line.kind is not Kind.SENTENCE or self.kind(index + 1) is Kind.ABSTRACT:
                break
            index += 1
        return index

    def keep_in_intro(self, line: Line) -> None:
        """Keep a short line right above the first heading in the intro, noting it: read as a
        heading it would have nothing under it."""
        self.notices.append(
            Notice(
                self.where(line),
                "a short line before the first section heading, with nothing under it: "
                "kept in the intro",
            )
        )
        self.pending_notes.append(
            "kept in the intro: a short line before the first section heading, with nothing "
            f"under it (line {line.number}); check it"
        )

    def sign_off_end(self, index: int) -> int:
        """The index after the sign-off at `index`: its further lines and, after a comma, the
        signature under it (`Until next time,` then `Jane`)."""
        while index + 1 < len(self.lines) and is_sign_off(self.lines[index + 1].text):
            index += 1
        signed = index + 1 < len(self.lines) and is_signature(self.lines[index + 1].text)
        if signed and expects_signature(self.lines[index].text):
            index += 1
        return index + 1

    def leave_out_sign_off(self, start: int) -> None:
        """Leave out the sign-off at the end of the lines after `start`, noting it."""
        end = start + sign_off_start([line.text for line in self.lines[start:]])
        if end == len(self.lines):
            return
        first, last = self.lines[end], self.lines[-1]
        last = last.after[-1] if last.after else last
        lines = f"line {first.number}" if first is last else f"lines {first.number}–{last.number}"
        self.notices.append(
            Notice(self.where(first), f"the sign-off at the end ({lines}) is not an item: left out")
        )
        self.lines = self.lines[:end]

    # --- the body --------------------------------------------------------------------------------

    def read_body(self, start: int) -> None:
        """Read every line from `start` into sections and items."""
        for index in range(start, len(self.lines)):
            self.read_line(index)
            for address in self.lines[index].after:
                self.address_line(address)
        self.close_item()

    def text_of(self, line: Line, item: ItemDraft) -> str:
        """The line's text in `item`: the link at its end becomes the item's link, when the
        item has none yet; else the line stays as written."""
        if line.link is not None and item.link is None:
            item.link = line.link
            return line.text
        return line.whole

    def address_line(self, line: Line) -> None:
        """An address on a line of its own: the link of the item above, else its text; after
        a heading, an item named by the address."""
        item = self.item
        if item is None:
            self.notices.append(
                Notice(
                    self.where(line), "an address with no title: imported as an item named by it"
                )
            )
            self.new_item(line, line.whole).notes.append(
                f"named by its address: the source has no title for this link (line "
                f"{line.number}); check it"
            )
            assert self.item is not None
            self.item.link = line.link
            self.state = _State.TITLE
        elif item.link is None:
            item.link = line.link
        else:
            (item.abstract if item.abstract is not None else item.blurb).append(
                escape_paragraph(line.whole)
            )

    def read_line(self, index: int) -> None:
        """Place one line of the body: abstract, heading, title, blurb or untitled item."""
        line = self.lines[index]
        if line.kind is Kind.ABSTRACT:
            self.abstract(index)
        elif line.kind is Kind.SHORT and self.firm_heading(index):
            self.start_section(line)
        elif line.kind is Kind.SHORT and self.heading(index):
            self.heading_or_title(index)
        elif line.kind is Kind.SHORT:
            self.start_item(line)
        elif self.state is _State.TITLE:
            self.add_blurb(line)
        elif self.state is _State.ABSTRACT and not (
            self.sentence_title(index) and self.kind(index + 1) is Kind.ABSTRACT
        ):
            self.add_abstract(line)
        elif self.sentence_title(index):
            self.start_item(line)
        else:
            self.untitled_item(line)

    def heading_or_title(self, index: int) -> None:
        """Place a short line followed by a one-sentence title, which may instead be its blurb.

        Right under a heading it is a title: as a heading it would leave that one with nothing
        under it. Elsewhere it is a heading; if a sentence follows that title, it is noted, as
        the shapes cannot tell the two readings apart."""
        line, following = self.lines[index], self.lines[index + 1].number
        if self.state is _State.SECTION and self.sections:
            above = self.headings[id(self.sections[-1])]
            self.notices.append(
                Notice(
                    self.where(line),
                    f"read as an item's title with line {following} as its blurb, not as a "
                    f"section heading: {above.text!r} (line {above.number}) would have nothing "
                    "under it",
                )
            )
            self.start_item(line).notes.append(
                "read as an item's title, not a section heading: the heading above would have "
                f"nothing under it (line {line.number}); check it"
            )
            return
        self.start_section(line)
        if self.kind(index + 2) is Kind.SENTENCE:
            self.notices.append(
                Notice(
                    self.where(line),
                    f"read as a section heading with line {following} as its first item's "
                    f"title; it may instead be an item's title with line {following} as its "
                    "blurb: check it",
                )
            )
            self.pending_notes.append(
                "the line above, read as this section's heading, may be an item's title with "
                f"this line as its blurb (line {line.number}); check it"
            )

    def current_section(self, line: Line) -> SectionDraft:
        """The section to add an item to; a guessed one if no heading came yet."""
        if not self.sections:
            self.notices.append(
                Notice(
                    self.where(line),
                    f"no section heading above this item: put in a section named "
                    f"{GUESSED_SECTION!r}",
                )
            )
            self.sections.append(SectionDraft(self.where(line), GUESSED_SECTION))
            self.pending_notes.append(
                "section name guessed: the source has no section heading above this item "
                f"(line {line.number}); check it"
            )
        return self.sections[-1]

    def new_item(self, line: Line, title: str | None = None) -> ItemDraft:
        """Close the current item and start one titled `title` (plain text), else by the line
        (whose link is then the item's)."""
        self.close_item()
        section = self.current_section(line)
        item = ItemDraft(self.where(line), "")
        if title is None:
            title = as_title(self.text_of(line, item))
        item.title = escape_heading(title)
        item.notes.extend(self.pending_notes)
        self.pending_notes = []
        section.items.append(item)
        self.item = item
        return item

    def start_section(self, line: Line) -> None:
        """Close the current item and start a section at a heading line."""
        self.close_item()
        self.sections.append(SectionDraft(self.where(line), escape_heading(line.whole)))
        self.headings[id(self.sections[-1])] = line
        self.state = _State.SECTION

    def start_item(self, line: Line) -> ItemDraft:
        """Start an item at its title line; its blurb comes next."""
        item = self.new_item(line)
        self.state = _State.TITLE
        return item

    def add_blurb(self, line: Line) -> None:
        """Give the current item its blurb."""
        assert self.item is not None
        self.item.blurb.append(escape_paragraph(self.text_of(line, self.item)))
        self.state = _State.BLURB

    def add_abstract(self, line: Line) -> None:
        """Add a paragraph to the current item's abstract."""
        assert self.item is not None and self.item.abstract is not None
        self.item.abstract.append(escape_paragraph(self.text_of(line, self.item)))

    def untitled_item(self, line: Line, *, what: str = "blurb") -> ItemDraft:
        """Start an item whose title is guessed from the line's text, and note it."""
        title = guess_title(line.text)
        self.notices.append(
            Notice(
                self.where(line), f"no title line for this item: guessed {title!r} from the {what}"
            )
        )
        item = self.new_item(line, title)
        item.notes.append(
            f"title guessed from the {what}: the source has no title line for this item "
            f"(line {line.number}); check it"
        )
        if what == "blurb":
            item.blurb.append(escape_paragraph(self.text_of(line, item)))
            self.state = _State.BLURB
        return item

    def abstract(self, index: int) -> None:
        """Start the current item's abstract, or a guessed item if there is none."""
        line = self.lines[index]
        rest = ABSTRACT.match(line.text)
        text = rest.group("rest").strip() if rest else ""
        item = self.item
        if item is None or self.state not in (_State.TITLE, _State.BLURB):
            following = text or self.following_sentence(index)
            item = self.untitled_item(
                Line(line.number, following or "Abstract", line.kind), what="abstract"
            )
        rest = ABSTRACT.match(self.text_of(line, item))
        text = rest.group("rest").strip() if rest else ""
        item.abstract = [escape_paragraph(text)] if text else []
        self.state = _State.ABSTRACT

    def following_sentence(self, index: int) -> str:
        """The sentence after the line at `index`, if one follows."""
        return self.lines[index + 1].text if self.kind(index + 1) is Kind.SENTENCE else ""

    def close_item(self) -> None:
        """Finish the current item, noting an empty abstract or a missing text."""
        item, self.item = self.item, None
        if item is None:
            return
        if item.abstract == []:
            self.notices.append(Notice(item.where, "`Abstract:` with no text after it: left out"))
            item.notes.append("the source has an empty `Abstract:` for this item; check it")
            item.abstract = None
        if not item.blurb and item.abstract is None:
            line = item.where.rsplit(":", 1)[-1]
            self.notices.append(Notice(item.where, "no text under this title"))
            item.notes.append(f"the source has no text under this title (line {line}); check it")

    # --- headings with nothing under them ----------------------------------------------------

    def place_empty_sections(self) -> list[SectionDraft]:
        """Sections with items; an empty heading becomes a text-less item next to its place."""
        kept = [section for section in self.sections if section.items]
        if not kept:
            return []
        for position, section in enumerate(self.sections):
            if section.items:
                continue
            line = self.headings[id(section)]
            before = [s for s in self.sections[:position] if s.items]
            target = before[-1] if before else next(s for s in self.sections if s.items)
            item = ItemDraft(self.where(line), section.name)
            item.notes.append(
                f"this line looked like a section heading with nothing under it (line "
                f"{line.number}): imported as an item without text; check it"
            )
            self.notices.append(
                Notice(
                    self.where(line),
                    "a heading with nothing under it: imported as an item without text "
                    f"in section {target.name!r}",
                )
            )
            if before:
                target.items.append(item)
            else:
                target.items.insert(0, item)
        return kept


def parse_text_issue(
    text: str,
    source: Path | str,
    *,
    date: dt.date | None = None,
    link: str | None = None,
) -> Imported:
    """Read a plain-text issue; raise `SourceError` naming `source:line` if it cannot be one."""
    source = str(source)
    notices: list[Notice] = []
    lines = split_lines(text.removeprefix("\ufeff"), source, notices)
    if not lines:
        raise SourceError(f"{source}:1", "the file is empty")
    reader = _Reader(lines, source, notices)
    title, link, addresses = issue_link(lines[0], link)
    draft = IssueDraft(
        source, issue_number(lines[0], f"{source}:{lines[0].number}"), title, date=date, link=link
    )
    draft.intro = [escape_paragraph(address) for address in addresses]
    # Before anything is read, so no line looking ahead takes the sign-off for text.
    reader.leave_out_sign_off(1)
    index = 1
    if reader.subtitle(index):
        # A subtitle is one line: an address written on or under it opens the intro.
        draft.subtitle, *addresses = lines[index].written_lines()
        draft.intro += [escape_paragraph(address) for address in addresses]
        index += 1
    intro_end = reader.intro_end(index)
    draft.intro += [
        escape_paragraph(text) for line in lines[index:intro_end] for text in line.written_lines()
    ]
    if intro_end >= len(reader.lines):
        raise SourceError(
            f"{source}:{lines[-1].number}",
            "found no section headings or item titles after the intro: a heading or title is "
            "a short line without final punctuation, on a line of its own",
        )
    reader.read_body(intro_end)
    draft.sections = reader.place_empty_sections()
    return Imported(build_issue(draft, notices), tuple(notices))


def read_text_issue(
    path: Path | str, *, date: dt.date | None = None, link: str | None = None
) -> Imported:
    """Read a plain-text issue file (UTF-8); raise `SourceError` naming `path:line`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(str(path), f"cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, why = not_utf8(data, exc)
        raise SourceError(f"{path}:{line}", why) from None
    return parse_text_issue(text, path, date=date, link=link)
