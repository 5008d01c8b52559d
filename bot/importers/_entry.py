"""One feed entry's HTML as an issue's intro and sections.

- A section starts at a heading (`h1`–`h3`) without a link, or at a paragraph that is one
  short bold line without a link.
- An item starts at a *linked title*: a heading with a link, or a paragraph that starts with a
  link (maybe bold). Its title is the heading's or the link's text, its link the first http(s)
  link; the rest of that paragraph and the paragraphs after it are its blurb.
- The email's header and footer (`View this email in your browser`, `Unsubscribe`; see
  `bot.importers._email_furniture`) are left out, reported.
- Paragraphs without a link after the last item that sign the entry off (`See you next
  Tuesday!`, `Cheers,` then a name; see `bot.importers._sign_off`) are left out, reported.
- Paragraphs before the first section or item are the intro. Items before any section go in
  a section named `Items`. Paragraphs between a heading and its first item become items of
  their own, titled after their first link (or guessed from their text).
- An entry with no linked title at all is imported raw, in one section: `Links`, one item per
  paragraph that has a link (titled after it, the paragraph as blurb), or, with no links at
  all, `Items` with the whole text as one item.

Every such guess is a `Notice` and an editor note on the item.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from bot.importers._draft import ItemDraft, SectionDraft, guess_title
from bot.importers._email_furniture import without_email_furniture
from bot.importers._html import (
    Block,
    Inline,
    alt_text,
    leading_link,
    links,
    lone_bold,
    plain_text,
    strip_leading,
    title_text,
    to_markdown,
)
from bot.importers._markdown import collapse_spaces, defuse_pings, escape_heading
from bot.importers._report import Notice
from bot.importers._sign_off import sign_off_start
from bot.text import defuse_mentions, shorten, without_controls

BOLD_SECTION_CHARS = 80
SECTION_LEVELS = 3
GUESSED_SECTION = "Items"
RAW_LINKS_SECTION = "Links"
RAW_TEXT_SECTION = "Items"
_SEPARATORS = " —–-:|·•,."


class _Role(enum.Enum):
    SECTION = "section"
    ITEM = "item"
    TEXT = "text"


def _role(block: Block) -> _Role:
    if block.level:
        if links(block.inlines, continued=False):
            return _Role.ITEM
        return _Role.SECTION if block.level <= SECTION_LEVELS else _Role.TEXT
    text = plain_text(block.inlines).strip()
    if lone_bold(block.inlines) and len(text) <= BOLD_SECTION_CHARS:
        return _Role.SECTION
    return _Role.ITEM if leading_link(block.inlines) else _Role.TEXT


@dataclass
class EntryStructure:
    """An entry's intro paragraphs and sections (Markdown), and how many pings were defused."""

    intro: list[str] = field(default_factory=list)
    sections: list[SectionDraft] = field(default_factory=list)
    pings: int = 0


class _Structurer:
    """Walks an entry's blocks, building sections and items and noting every guess."""

    def __init__(self, where: str, notices: list[Notice]) -> None:
        self.where = where
        self.notices = notices
        self.result = EntryStructure()
        self.item: ItemDraft | None = None
        self.loose: list[Block] = []
        self.guessed_section = False

    def markdown(self, inlines: list[Inline]) -> str:
        """Runs as a Markdown paragraph, counting defused pings."""
        markdown, pings = to_markdown(inlines)
        self.result.pings += pings
        return markdown

    def plain(self, inlines: list[Inline]) -> str:
        """Runs as one line of plain text, counting defused pings."""
        text, pings = title_text(inlines)
        self.result.pings += pings
        # Cleaned here, before an empty title is noticed; a removed character can join a mention.
        return defuse_mentions(without_controls(text)).strip()

    def defused(self, text: str) -> str:
        """Plain text with pings defused, counted."""
        text, pings = defuse_pings(text)
        self.result.pings += pings
        return text

    def text_block(self, block: Block) -> str:
        """A block as a Markdown paragraph; a heading becomes a bold line."""
        inlines = block.inlines if not block.level else [Inline("strong", children=block.inlines)]
        return self.markdown(inlines)

    def read(self, blocks: list[Block]) -> EntryStructure:
        """Sort every block into the intro, a section or an item; leave out the sign-off."""
        blocks = self.without_sign_off(blocks)
        for block in blocks:
            role = _role(block)
            if role is _Role.SECTION:
                self.start_section(block)
            elif role is _Role.ITEM:
                self.start_item(block)
            elif self.item is not None:
                self.item.blurb.append(self.text_block(block))
            elif self.result.sections:
                self.loose.append(block)
            else:
                self.result.intro.append(self.text_block(block))
        self.place_loose()
        return self.result

    def without_sign_off(self, blocks: list[Block]) -> list[Block]:
        """The blocks without the paragraphs that sign the entry off after its last item."""
        # Only a paragraph without a link can sign off: a link is something to keep.
        texts = [
            plain_text(block.inlines)
            if _role(block) is _Role.TEXT and not links(block.inlines)
            else ""
            for block in blocks
        ]
        end = sign_off_start(texts)
        if end < len(blocks):
            signed = shorten(collapse_spaces(" ".join(texts[end:])), 80)
            self.notices.append(
                Notice(
                    self.where,
                    f"the sign-off after the last item ({signed!r}) is not part of it: left out",
                )
            )
        return blocks[:end]

    def start_section(self, block: Block) -> None:
        """Start a section at a heading or a lone bold line."""
        self.place_loose()
        self.item = None
        name = self.plain(block.inlines).rstrip(":").strip() or GUESSED_SECTION
        self.result.sections.append(SectionDraft(self.where, escape_heading(name)))

    def section(self) -> SectionDraft:
        """The section to add an item to; a guessed one if no heading came yet."""
        if not self.result.sections:
            self.notices.append(
                Notice(self.where, f"items before any section heading: put in {GUESSED_SECTION!r}")
            )
            self.result.sections.append(SectionDraft(self.where, GUESSED_SECTION))
            self.guessed_section = True
        return self.result.sections[-1]

    def start_item(self, block: Block) -> None:
        """Start an item at a linked title."""
        self.place_loose()
        section = self.section()
        item = self.heading_item(block) if block.level else self.paragraph_item(block)
        if self.guessed_section and not section.items:
            item.notes.append("section name guessed: the entry has no heading above this item")
        section.items.append(item)
        self.item = item

    def heading_item(self, block: Block) -> ItemDraft:
        """An item from a heading with a link: the heading is the title."""
        found = links(block.inlines, continued=False)
        checked = [link for link in found if link.href is not None]
        item = self.new_item(self.plain(block.inlines), block.inlines, checked[:1] or found[:1])
        if len(checked) > 1:
            # The title can carry one link; the heading, as a paragraph, keeps the others.
            item.blurb.append(self.text_block(block))
        return item

    def paragraph_item(self, block: Block) -> ItemDraft:
        """An item from a paragraph that starts with a link; the rest is its blurb."""
        found = leading_link(block.inlines)
        assert found is not None
        link, rest = found
        item = self.new_item(self.plain(link.children), link.children, [link])
        rest = strip_leading(rest, _SEPARATORS)
        if plain_text(rest).strip():
            item.blurb.append(self.markdown(rest))
        return item

    def new_item(self, title: str, inlines: list[Inline], link: list[Inline]) -> ItemDraft:
        """An item titled `title` (plain) with the first of `link`, noting a dropped one."""
        href = link[0].href if link else None
        if not title:
            title = self.defused(alt_text(inlines) or href or "Untitled")
            self.notices.append(Notice(self.where, f"a link with no text: titled {title!r}"))
        item = ItemDraft(self.where, escape_heading(title), href)
        if link and href is None:
            item.notes.append(
                "the source's link for this item was not a valid http(s) link and was dropped"
            )
        return item

    def place_loose(self) -> None:
        """Paragraphs between a heading and its first item become items of their own."""
        loose, self.loose = self.loose, []
        if not loose:
            return
        section = self.result.sections[-1]
        self.notices.append(
            Notice(
                self.where,
                f"text under section {section.name!r} before its first linked title: "
                f"imported as {len(loose)} item(s) of its own",
            )
        )
        for block in loose:
            section.items.append(self.raw_item(block, "text under the section heading"))

    def raw_item(self, block: Block, why: str) -> ItemDraft:
        """An item made of one paragraph: titled after its first link, else guessed."""
        checked = [link for link in links(block.inlines) if link.href is not None]
        markdown = self.text_block(block)
        if checked:
            title = self.plain(checked[0].children) or self.defused(checked[0].href or "Untitled")
            note = f"raw item ({why}): titled after its first link; check it"
            item = ItemDraft(self.where, escape_heading(title), checked[0].href)
        else:
            title = guess_title(self.plain(block.inlines))
            note = f"raw item ({why}): title guessed from the text; check it"
            item = ItemDraft(self.where, escape_heading(title))
        item.blurb.append(markdown)
        item.notes.append(note)
        return item


def entry_structure(
    blocks: list[Block],
    *,
    where: str,
    title: str,
    link: str | None,
    notices: list[Notice],
) -> EntryStructure:
    """The intro and sections of an entry's blocks; raw sections if it has no linked titles."""
    blocks = without_email_furniture(blocks, where, notices)
    if any(_role(block) is _Role.ITEM for block in blocks):
        return _Structurer(where, notices).read(blocks)
    return _raw_structure(blocks, where=where, title=title, link=link, notices=notices)


def _raw_structure(
    blocks: list[Block], *, where: str, title: str, link: str | None, notices: list[Notice]
) -> EntryStructure:
    """One section of raw items for an entry with no linked titles."""
    structurer = _Structurer(where, notices)
    has_headings = any(_role(block) is _Role.SECTION for block in blocks)
    reason = "no linked titles" if has_headings else "no headings and no linked titles"
    linked = {id(block) for block in blocks if any(a.href for a in links(block.inlines))}
    result = structurer.result
    if not linked:
        notices.append(
            Notice(where, f"cannot find sections or items ({reason}, no links): imported whole")
        )
        item = ItemDraft(where, escape_heading(title), link)
        item.blurb = [structurer.text_block(block) for block in blocks]
        item.notes.append(f"raw item: the entry has {reason} and no links; check it")
        result.sections = [SectionDraft(where, RAW_TEXT_SECTION, [item])]
        return result
    notices.append(
        Notice(
            where,
            f"cannot find sections or items ({reason}): imported as raw items in "
            f"section {RAW_LINKS_SECTION!r}",
        )
    )
    section = SectionDraft(where, RAW_LINKS_SECTION)
    for block in structurer.without_sign_off(blocks):
        if id(block) in linked:
            section.items.append(structurer.raw_item(block, f"the entry has {reason}"))
        elif section.items:
            section.items[-1].blurb.append(structurer.text_block(block))
        else:
            result.intro.append(structurer.text_block(block))
    result.sections = [section]
    return result
