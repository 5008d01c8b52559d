"""What a reader names in a command, read against the archive: an issue it may not have, a
section by its slug or its name (as a newer issue names it), and what to tell them when the
archive has neither; and reader text quoted back in an answer."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.errors import IssueNotFound
from bot.models import Issue, section_slug, slugify
from bot.render.discord import names_markdown
from bot.render.text import literal_words
from bot.store import Archive

if TYPE_CHECKING:
    from cogs.reader._views import SearchRequest

SAID_MAX = 80
"""How much of what a reader typed is quoted back in an answer."""
NAMES_MAX = 1500
"""How much of a list of section names is shown."""
SECTIONS_LISTED = 50
"""Sections of the whole archive named at most, after a section no issue has."""
UNDATED_LISTED = 20
"""How many matches a search in no date window looks through for issues without a date."""


def said(text: str) -> str:
    """Reader text quoted back safely: one line, shortened, no Markdown, no mentions, and
    nothing in it reorders the answer around it (`literal_words`)."""
    return literal_words(text, SAID_MAX)


def said_quoted(text: str) -> str:
    """Reader text quoted back (`said`) in curly quotes; a phrase's own quotes are not doubled."""
    inner = text.strip()
    if len(inner) > 2 and inner[0] == inner[-1] == '"':
        inner = inner[1:-1]
    return f"“{said(inner)}”"


def names(listed: Sequence[str]) -> str:
    """Section names listed for a reader: as the issues write them, never a mention, within a
    limit."""
    return names_markdown(listed, NAMES_MAX)


def no_section(issue: Issue, section: str) -> str:
    """What to tell a reader who asked for a section `issue` does not have."""
    sections = names([s.name for s in issue.sections])
    return f"Issue #{issue.number} has no section “{said(section)}”. Its sections are: {sections}."


class Asked:
    """The archive's answer to what a reader named."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    async def not_archived(self, number: int) -> str:
        """What to tell a reader who asked for an issue the archive does not have."""
        latest = await self.archive.issues.issues(limit=1, held=False)
        hint = f" The latest is #{latest[0].number}." if latest else ""
        return f"Issue #{number} isn't in the archive.{hint}"

    async def unknown_filter(self, number: int | None, section: str | None) -> str | None:
        """What to tell a reader whose search named an issue or a section the archive does not
        have; None when both are there (the words alone found nothing)."""
        if number is not None:
            try:
                found = await self.archive.issues.issue(number)
            except IssueNotFound:
                return await self.not_archived(number)
            if section is not None and found.section(slugify(section)) is None:
                return no_section(found, await self.known_name(section) or section)
            return None
        if section is None or await self.known_name(section) is not None:
            return None
        sections = await self.archive.issues.sections_today(limit=SECTIONS_LISTED, held=False)
        listed = names([name for _, name in sections])
        return f"No issue has a section “{said(section)}”. The sections are: {listed}."

    async def undated(self, request: SearchRequest) -> str | None:
        """What to tell a reader whose date window found nothing when issues without a date
        match the words: no window holds those. None when none does."""
        found = await self.archive.issues.search(
            request.query, section=request.section, issue=request.issue, limit=UNDATED_LISTED
        )
        numbers = sorted({hit.issue_number for hit in found.hits if hit.issue_date is None})
        if not numbers:
            return None
        which = ", ".join(f"#{n}" for n in numbers)
        verb, pronoun = (
            ("matches but has", "it") if len(numbers) == 1 else ("match but have", "them")
        )
        return (
            f"{which} {verb} no date, so no date window holds {pronoun}: search without "
            f"`since` to see {pronoun}."
        )

    async def after_latest(self, since: dt.date) -> str | None:
        """What to tell a reader whose date window starts after the latest issue's date (a
        year mistyped, say): no issue is in it. None when the latest issue is dated on or after
        `since`, or has no date."""
        latest = await self.archive.issues.latest()
        if latest is None or latest.date is None or latest.date >= since:
            return None
        return (
            f"No issue is dated on or after {since.isoformat()}: the latest, "
            f"#{latest.number}, is dated {latest.date.isoformat()}."
        )

    async def known_section(self, section: str) -> tuple[str, str] | None:
        """The slug and the name readers see of the section a reader asked for (by the slug a
        choice gives, by its name, or by the first words of its name when only one begins so:
        see `section_slug`), or None when no issue has it: not one whose name only has a word
        of it somewhere, as a choice does. A section an older newsbot archived under another
        slug is known by the slug its name has today (`sections_today`), which a search finds
        under both."""
        known = await self.archive.issues.sections_today(limit=None, held=False)
        found = section_slug(section, known)
        return next(((slug, name) for slug, name in known if slug == found), None)

    async def known_name(self, section: str) -> str | None:
        known = await self.known_section(section)
        return known[1] if known else None

    async def section_slug(self, section: str, number: int | None = None) -> str:
        """The slug of the section a reader's search names (`slugify` of it when none has): in
        issue `number` when the search names one, as `unknown_filter` reads it there (two
        sections may begin with "Papers" in the archive, one in that issue)."""
        if number is not None:
            with contextlib.suppress(IssueNotFound):
                chosen = (await self.archive.issues.issue(number)).section(slugify(section))
                if chosen is not None:
                    return chosen.slug
        known = await self.known_section(section)
        return known[0] if known else slugify(section)
