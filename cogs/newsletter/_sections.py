"""The sections a channel receives, as managers type them and as the archive names them.

A channel's sections are kept as slugs (`industry`); managers are shown each section by the
name the newest issue that has it gives it (`Industry`).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.models import section_slug
from bot.render.discord import heading_markdown, names_markdown
from bot.render.text import literal
from bot.status import Status
from bot.status import with_section_names as status_with_section_names

NAME_SHOWN_MAX = 60
"""How much of one section name is quoted back."""
UNKNOWN_SHOWN = 5
"""How many of the names a manager typed wrong are quoted back."""
KNOWN_SHOWN_MAX = 1500
"""How much of the list of known section names is shown, after a wrong one or as chosen."""


def parse_sections(known: Mapping[str, str], text: str) -> tuple[dict[str, str], str | None]:
    """The sections named in comma-separated `text`, slug to the name meant, in the order
    typed; or why some are not sections. `known`: each section's name by its slug, as readers
    know them today (`IssueStore.sections_today`)."""
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    slugs = [section_slug(name, known.items()) for name in wanted]
    unknown = [name for name, slug in zip(wanted, slugs, strict=True) if slug is None]
    if unknown:
        names = names_markdown(sorted(known.values()), KNOWN_SHOWN_MAX) or "none yet"
        return {}, f"No section is called {quoted(unknown)}. The sections are: {names}."
    return {slug: known[slug] for slug in slugs if slug is not None}, None


def quoted(names: list[str]) -> str:
    """“A”, “A” or “B”, “A”, “B” or “C”: each name shown literally, the first few only."""
    shown = [f"“{literal(name, NAME_SHOWN_MAX)}”" for name in names[:UNKNOWN_SHOWN]]
    if len(names) > UNKNOWN_SHOWN:
        shown.append(f"{len(names) - UNKNOWN_SHOWN} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def shown_sections(names: list[str]) -> str:
    """Section names as one line of a message: `Industry, Mobile & Edge`, as the issues write
    them."""
    return names_markdown(names, KNOWN_SHOWN_MAX)


def with_section_names(status: Status, known: Mapping[str, str]) -> Status:
    """`status` with each channel's sections by their names as the issues write them, for
    Discord."""
    return status_with_section_names(
        status, known, lambda name: heading_markdown(name, NAME_SHOWN_MAX)
    )
