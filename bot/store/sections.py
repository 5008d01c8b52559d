"""Which sections a search's `section` filter finds, for both backends: those archived under
the slug asked for, and those an older newsbot archived under the slug it gave their names.

Before slugs kept the letters of other scripts, `## 業界ニュース` was archived as `section` and
`## AI ニュース` as `ai` (`bot.models.ascii_slug`), and the issues archived then keep those
slugs (`bot.store.ingest.keep_archived_slugs`). A reader searching the section by its name
today (`業界ニュース`, `ai-ニュース`) means those issues too; not the other sections an older
newsbot gave the same slug (`## 論文` was `section` too, and `## AI` is `ai`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from bot.models import ascii_slug, slugify

NamesUnder = Callable[[Collection[str]], Awaitable[list[tuple[str, str]]]]
"""`IssueStore.names_under`: every (slug, name) of a section archived under one of the slugs."""


@dataclass(frozen=True)
class SoughtSection:
    """The sections a search in the section `slug` finds: every one archived under `slug`,
    and under `older` (when given) those named one of `names`, or every one with `names`
    None (no other section has that slug)."""

    slug: str
    older: str | None = None
    names: tuple[str, ...] | None = None


async def sought_section(slug: str, names_under: NamesUnder) -> SoughtSection:
    """The sections a search in `slug` finds: the section of that slug, and the same section
    as an older newsbot archived it (named the same, under the `ascii_slug` of its name)."""
    older = ascii_slug(slug)  # the ASCII letters of a name are those of its slug
    if older == slug:
        return SoughtSection(slug)
    archived = await names_under([older])
    names = tuple(n for _, n in archived if ascii_slug(n) == older and slugify(n) == slug)
    if not names:
        return SoughtSection(slug)
    if len(names) == len(archived):  # no other section was archived under it
        return SoughtSection(slug, older)
    return SoughtSection(slug, older, names)
