"""Drafts of an issue, filled in by an importer and turned into a valid `Issue` in one place.

Both importers collect Markdown into drafts; `build_issue` makes the drafts fit the model
(unique sections and items, lengths within limits), reporting each change as a `Notice`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from bot.errors import SourceError
from bot.importers._markdown import markdown_link, note_text
from bot.importers._report import Notice
from bot.models import Issue, Item, Section, slugify
from bot.text import defuse_mentions, shorten, without_controls

MAX_LINE = 500
MAX_TEXT = 20_000

# Where a sentence's subject ends: "The Global AI Index is an index …", "Ivy, a framework, …".
_SUBJECT_END = re.compile(r"\s(?:is|are|was|were|has|have|will|can)\s|[,;:(—–]\s?|\s-\s")
_PRONOUNS = frozenset({"this", "that", "these", "those", "it", "they", "we", "you", "he", "she"})
_SUBJECT_WORDS = 8
_FALLBACK_WORDS = 6


def guess_title(text: str) -> str:
    """A title for plain text that has none: its subject, else its first words and `…`."""
    match = _SUBJECT_END.search(text)
    subject = text[: match.start()].split() if match else []
    lone_pronoun = len(subject) == 1 and subject[0].lower() in _PRONOUNS
    if 0 < len(subject) <= _SUBJECT_WORDS and not lone_pronoun:
        return " ".join(subject)
    words = text.split()
    if len(words) <= _FALLBACK_WORDS:
        return " ".join(words).rstrip(".!?…,;:") or "Untitled"
    return " ".join(words[:_FALLBACK_WORDS]).rstrip(".!?…,;:") + "…"


@dataclass
class ItemDraft:
    """An item being imported: Markdown title and paragraphs, and notes for the editor."""

    where: str
    title: str
    link: str | None = None
    blurb: list[str] = field(default_factory=list)
    abstract: list[str] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class SectionDraft:
    """A section being imported: its Markdown name and items."""

    where: str
    name: str
    items: list[ItemDraft] = field(default_factory=list)


@dataclass
class IssueDraft:
    """An issue being imported; the title and subtitle are plain text, the rest Markdown."""

    where: str
    number: int
    title: str
    subtitle: str | None = None
    date: dt.date | None = None
    link: str | None = None
    intro: list[str] = field(default_factory=list)
    sections: list[SectionDraft] = field(default_factory=list)


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _safe(text: str, *, keep_layout: bool = False) -> str:
    """Text held to the rule the models hold it to; removing a control character can join a
    mention, so mentions are defused after."""
    return defuse_mentions(without_controls(text, keep_layout=keep_layout)).strip()


def _fit_line(text: str, where: str, what: str, notices: list[Notice]) -> str:
    text = _safe(text)
    if len(text) <= MAX_LINE:
        return text
    notices.append(Notice(where, f"{what} is longer than {MAX_LINE} characters: shortened"))
    return shorten(text, MAX_LINE)


def _fit_text(paragraphs: list[str], where: str, what: str, notices: list[Notice]) -> str:
    text = "\n\n".join(kept for kept in (_safe(p, keep_layout=True) for p in paragraphs) if kept)
    if len(text) <= MAX_TEXT:
        return text
    notices.append(
        Notice(where, f"{what} is longer than {MAX_TEXT} characters: cut short; check the end")
    )
    return shorten(text, MAX_TEXT)


def _numbered(base: str, taken: set[str], key: Callable[[str], str], last: dict[str, int]) -> str:
    """`base`, or `base (2)`, `base (3)` … whose key is not taken yet.

    `last` holds the number each base was last given, so the next of the same name starts
    there: an issue of thousands of items titled alike ("Read more") is numbered in time
    that grows with their number, not with its square.
    """
    name, count = base, last.get(key(base), 1)
    short = shorten(base, MAX_LINE - 12)
    while key(name) in taken:
        count += 1
        name = f"{short} ({count})"
        if key(name) == key(short):
            # A slug is cut at 100 characters, so a long name takes its number up front.
            name = f"({count}) {short}"
    last[key(base)] = count
    return name


def _slug_key(name: str) -> str:
    return slugify(name)


def _title_key(title: str) -> str:
    return f"title:{slugify(title)}"


class _Keys:
    """The section slugs and item keys taken so far in one issue."""

    def __init__(self) -> None:
        self.slugs: set[str] = set()
        self.items: set[str] = set()
        self.last_numbers: dict[str, int] = {}
        """The number each slug or title key was last given (see `_numbered`)."""

    def section_name(self, draft: SectionDraft, notices: list[Notice]) -> str:
        """The section's name, numbered if another section has its slug."""
        name = _numbered(draft.name, self.slugs, _slug_key, self.last_numbers)
        if name != draft.name:
            notices.append(Notice(draft.where, f"a second section named {draft.name!r}: renamed"))
            draft.items[0].notes.append(f"section renamed: {draft.name!r} appears twice; check it")
        self.slugs.add(slugify(name))
        return name

    def item(self, draft: ItemDraft, notices: list[Notice]) -> tuple[str, str | None]:
        """The item's title and link, changed so its key is unique in the issue."""
        title, link = draft.title, draft.link
        if link is not None and link in self.items:
            notices.append(Notice(draft.where, f"{link} is already an item's link above"))
            draft.notes.append("this link is already an item's link above: kept in the text")
            draft.blurb.insert(0, markdown_link(title, link))
            link = None
        if link is None:
            title = _numbered(draft.title, self.items, _title_key, self.last_numbers)
            if title != draft.title:
                notices.append(Notice(draft.where, f"a second item titled {draft.title!r}"))
                draft.notes.append("title numbered: another item above has the same title")
        self.items.add(link if link is not None else _title_key(title))
        return title, link


def _build_item(draft: ItemDraft, keys: _Keys, notices: list[Notice]) -> Item:
    draft.title = _fit_line(draft.title, draft.where, "the title", notices)
    title, link = keys.item(draft, notices)
    abstract = draft.abstract
    try:
        return Item(
            title=title,
            link=link,
            blurb=_fit_text(draft.blurb, draft.where, "the text", notices),
            abstract=_fit_text(abstract, draft.where, "the abstract", notices) or None
            if abstract
            else None,
            editor_note=note_text(draft.notes),
        )
    except ValidationError as exc:
        raise SourceError(draft.where, f"item {title!r}: {_reason(exc)}") from None


def _build_section(draft: SectionDraft, keys: _Keys, notices: list[Notice]) -> Section:
    draft.name = _fit_line(draft.name, draft.where, "the section name", notices)
    name = keys.section_name(draft, notices)
    items = tuple(_build_item(item, keys, notices) for item in draft.items)
    try:
        return Section(name=name, slug=slugify(name), items=items)
    except ValidationError as exc:
        raise SourceError(draft.where, f"section {name!r}: {_reason(exc)}") from None


def build_issue(draft: IssueDraft, notices: list[Notice]) -> Issue:
    """The valid `Issue` a draft describes; raise `SourceError` if it cannot be one."""
    keys = _Keys()
    sections: list[Section] = []
    for section in draft.sections:
        if not section.items:
            notices.append(
                Notice(section.where, f"section {section.name!r} has no items: left out")
            )
            continue
        sections.append(_build_section(section, keys, notices))
    if not sections:
        raise SourceError(draft.where, "found no items to import")
    try:
        return Issue(
            number=draft.number,
            title=_fit_line(draft.title, draft.where, "the issue title", notices),
            subtitle=draft.subtitle,
            date=draft.date,
            link=draft.link,
            intro=_fit_text(draft.intro, draft.where, "the intro", notices),
            sections=tuple(sections),
        )
    except ValidationError as exc:
        raise SourceError(draft.where, _reason(exc)) from None
