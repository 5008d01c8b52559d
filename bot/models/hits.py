"""What a search finds: plain frozen records of items read back from the archive, and the
slug of a section's name. Items were checked when their issue was stored, so a search builds
these without validating anything again (and without loading pydantic)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
"""Marks around matched words in a search snippet; renderers turn them into bold or colour."""


def slugify(name: str) -> str:
    """A stable, URL-safe slug for a name: `Mobile & Edge` → `mobile-edge`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:100].strip("-") or "section"


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
