"""Which sections a search's `section` filter finds, for both backends: those archived under
the slug asked for but those whose name has another slug today, and those an older newsbot
archived under the slug it gave their names.

Before slugs kept the letters of other scripts, `## 業界ニュース` was archived as `section` and
`## AI ニュース` as `ai` (`bot.models.ascii_slug`), and the issues archived then keep those
slugs (`bot.store.ingest.keep_archived_slugs`). A reader searching the section by its name
today (`業界ニュース`, `ai-ニュース`) means those issues too; not the other sections an older
newsbot gave the same slug (`## 論文` was `section` too), nor, by the older slug, the section
whose slug it is today (`ai` is `## AI`'s)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from bot.models import ascii_slug, slugify

NamesUnder = Callable[[Collection[str]], Awaitable[list[tuple[str, str]]]]
"""`IssueStore.names_under`: every (slug, name) of a section archived under one of the slugs."""


@dataclass(frozen=True)
class SoughtSection:
    """The sections a search in the section `slug` finds: those archived under `slug` named
    one of `names` (every one with `names` None), and under `older` (when given) those named
    one of `older_names` (every one with None: no other section has that slug)."""

    slug: str
    names: tuple[str, ...] | None = None
    older: str | None = None
    older_names: tuple[str, ...] | None = None


def slugged_before(slug: str, name: str) -> bool:
    """Whether `slug` is the one an older newsbot gave `name`, which has another today."""
    return slug == ascii_slug(name) != slugify(name)


async def sought_section(slug: str, names_under: NamesUnder) -> SoughtSection:
    """The sections a search in `slug` finds: those archived under it but the ones whose name
    has another slug today, and the same section as an older newsbot archived it (named the
    same, under the `ascii_slug` of its name). A slug set by hand (`{#industry}`) is no
    name's older slug: all of it is found."""
    older = ascii_slug(slug)  # the ASCII letters of a name are those of its slug
    archived = await names_under({slug, older})
    under = [name for s, name in archived if s == slug]
    names = tuple(name for name in under if not slugged_before(slug, name))
    kept = None if len(names) == len(under) else names
    if older == slug:
        return SoughtSection(slug, kept)
    before = [name for s, name in archived if s == older]
    older_names = tuple(n for n in before if slugged_before(older, n) and slugify(n) == slug)
    if not older_names:
        return SoughtSection(slug, kept)
    return SoughtSection(
        slug, kept, older, None if len(older_names) == len(before) else older_names
    )
