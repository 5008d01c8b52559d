"""Two sections, or two items, that an issue cannot tell apart, said as the editor sees them:
the same name written twice, or two names (or two items sharing a link) that only newsbot's
keys make one, with how to tell them apart."""

from __future__ import annotations

import unicodedata

from bot.render.commonmark import reads_as

_SHOWN = 80
"""How much of a name a problem quotes."""


def named(markdown: str) -> str:
    """A section's name or an item's title in a problem, quoted as readers read it: `'Weekly
    **kwargs** & more'`, not the Markdown `Weekly \\*\\*kwargs\\*\\* \\& more`."""
    read = reads_as(markdown)
    # A name as long as a paragraph would bury the problem it is named in.
    return f"'{read if len(read) <= _SHOWN else read[: _SHOWN - 1] + '…'}'"


def _folded(name: str) -> str:
    """A name as a reader compares it by eye: as read (not as its Markdown is written),
    without case, accents, emphasis or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", reads_as(name).casefold())
    kept = (c for c in decomposed if not unicodedata.combining(c) and c not in "*_~")
    return " ".join("".join(kept).split())


def section_clash(name: str, slug: str, first_name: str, first_line: int) -> str:
    """Why section `name`, of slug `slug`, clashes with `first_name` on `first_line`."""
    if _folded(name) == _folded(first_name):
        return f"section {named(name)} appears twice (first on line {first_line}): merge the two"
    # `## C++` and `## C#`: threads, chosen sections and searches know a section by its slug.
    return (
        f"section {named(name)} has the slug `{slug}` of section {named(first_name)} (line "
        f"{first_line}): give one of them another `{{#slug}}`"
    )


def item_clash(title: str, link: str | None, first_title: str, first_line: int) -> str:
    """Why item `title` (with `link`) clashes with item `first_title` on `first_line`: an
    issue holds each link once, and tells items without one apart by their titles' slugs."""
    if _folded(title) == _folded(first_title):
        return f"item {named(title)} is already in this issue on line {first_line}"
    if link is not None:
        return (
            f"item {named(title)} has the link of item {named(first_title)} (line "
            f"{first_line}): an issue holds each link once; merge the two or fix the link"
        )
    return (
        f"item {named(title)} cannot be told apart from item {named(first_title)} (line "
        f"{first_line}): items without a link are told apart by the letters and digits of "
        "their titles, which are the same; reword one of the titles or give the item its link"
    )
