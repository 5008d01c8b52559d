"""What a search finds: plain frozen records of items read back from the archive, and the
slug of a section's name. Items were checked when their issue was stored, so a search builds
these without validating anything again (and without loading pydantic)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

_DASHES = re.compile(r"-+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
"""Marks around matched words in a search snippet; renderers turn them into bold or colour."""


@functools.lru_cache(maxsize=4096)
def slugify(name: str) -> str:
    """A stable slug for a name: `Mobile & Edge` → `mobile-edge`, `AI ニュース` → `ai-ニュース`.

    Latin letters are folded to ASCII, accents dropped (`Café` → `cafe`), as slugs always
    were; a Latin letter with no ASCII form (`ß`, `ø`) and any symbol or punctuation outside
    ASCII are left out. Letters and digits of every other script are kept, case-folded, with
    their marks, so that two names in those scripts never share a slug. ASCII punctuation
    and spaces separate words. A name with nothing kept is `section`.
    """
    if name.isascii():  # most names: the same rule, in C
        return _NOT_ALNUM.sub("-", name.lower()).strip("-")[:100].strip("-") or "section"
    kept: list[str] = []
    other_script = False  # the last character kept is of another script: its marks stay too
    for char in unicodedata.normalize("NFKD", name):
        if char.isascii():
            kept.append(char.lower() if char.isalnum() else "-")
            other_script = False
            continue
        category = unicodedata.category(char)
        if category[0] == "M":
            if other_script:
                kept.append(char)
        elif category[0] in "LN" and not unicodedata.name(char, "LATIN").startswith("LATIN"):
            kept.append(char.casefold())
            other_script = True
        else:
            other_script = False
    slug = _DASHES.sub("-", unicodedata.normalize("NFC", "".join(kept))).strip("-")
    return slug[:100].strip("-") or "section"


def ascii_slug(name: str) -> str:
    """The slug an older newsbot gave `name`, before slugs kept the letters of other scripts:
    its ASCII letters and digits alone, `section` when it has none (`業界` → `section`, `AI
    ニュース` → `ai`). Sections archived then keep it (`bot.store.ingest.keep_archived_slugs`):
    their threads and the ledger's steps are keyed on it."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("-", ascii_name.lower()).strip("-")[:100].strip("-") or "section"


def section_slug(typed: str, known: Iterable[tuple[str, str]]) -> str | None:
    """The slug of the section `typed` names among `known` (slug, name) pairs: the one with
    `typed`'s slug, else the one whose name has it (a section renamed in place keeps its
    slug: `## Industry news {#industry}`), else the only one whose name begins with its words
    (`Papers` for "Papers & Publications", as a reader types it without picking the choice);
    None when no section, or more than one, is named so."""
    wanted = slugify(typed)
    pairs = list(known)
    found = next((slug for slug, _ in pairs if slug == wanted), None)
    found = found or next((slug for slug, name in pairs if slugify(name) == wanted), None)
    if found:
        return found
    begun = {slug for slug, name in pairs if slugify(name).startswith(f"{wanted}-")}
    return begun.pop() if len(begun) == 1 else None


class ItemText(Protocol):
    """What a hit shows of its item: an issue's `Item`, or a `FoundItem` read back unchecked."""

    @property
    def title(self) -> str: ...

    @property
    def link(self) -> str | None: ...

    @property
    def blurb(self) -> str: ...


@dataclass(frozen=True)
class FoundItem:
    """An archived item as a search reads it back: its text, checked when it was stored."""

    title: str
    link: str | None = None
    blurb: str = ""
    abstract: str | None = None
    editor_note: str | None = None


@dataclass(frozen=True)
class SearchHit:
    """One archived item that matched a search, with where it appeared."""

    item_id: int
    item: ItemText
    issue_number: int
    issue_title: str
    issue_date: dt.date | None
    section_name: str
    section_slug: str
    score: float
    """bm25 score; lower is a better match."""
    snippet: str
    """Matched text with HIGHLIGHT_START/END around the matches."""

    def __post_init__(self) -> None:
        if isinstance(self.issue_date, str):
            # SQLite hands a stored date back as its ISO text.
            object.__setattr__(self, "issue_date", dt.date.fromisoformat(self.issue_date))

    def snippet_parts(self) -> list[tuple[str, bool]]:
        """The snippet as (text, highlighted) runs, for a renderer to style."""
        parts: list[tuple[str, bool]] = []
        for run in self.snippet.split(HIGHLIGHT_START):
            marked, sep, rest = run.partition(HIGHLIGHT_END)
            if sep:
                parts.append((marked, True))
                if rest:
                    parts.append((rest, False))
            elif run:
                parts.append((run, False))
        return parts


@dataclass(frozen=True)
class SearchPage:
    """A page of search results, best first."""

    hits: tuple[SearchHit, ...]
    offset: int
    has_more: bool
    limited: str | None = None
    """What the archive left out or did not rank to answer fast, told to the reader; None when
    the search ran in full."""
