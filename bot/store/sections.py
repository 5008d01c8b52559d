"""Sections as readers know them today, for both backends: what a search's `section` filter
finds, and each section listed once, by the slug its name has today.

Before slugs kept the letters of other scripts, `## 業界ニュース` was archived as `section` and
`## AI ニュース` as `ai` (`bot.models.ascii_slug`), and the issues archived then keep those
slugs (`bot.store.ingest.keep_archived_slugs`). A reader searching the section by its name
today (`業界ニュース`, `ai-ニュース`) means those issues too; not the other sections an older
newsbot gave the same slug (`## 論文` was `section` too), nor, by the older slug, the section
whose slug it is today (`ai` is `## AI`'s)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.models import ascii_slug, slugify

if TYPE_CHECKING:
    from bot.store.interfaces import IssueStore

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


def known_today(
    archived: Iterable[tuple[str, str, int]], *, limit: int | None
) -> list[tuple[str, str]]:
    """(slug, name) of the first `limit` sections (all with None) by name, from every
    (slug, name, newest issue) archived: each section once, by the slug its name has today,
    named as in the newest issue that has it there. Every name an older newsbot archived
    under one slug is a section of its own; one archived under both slugs is named as under
    its slug today (a section renamed in place keeps its slug: `## Industry {#industry}`)."""
    newest: dict[str, tuple[bool, int, str]] = {}
    for slug, name, number in archived:
        before = slugged_before(slug, name)
        today = slugify(name) if before else slug
        seen = (not before, number, name)
        if today not in newest or seen > newest[today]:
            newest[today] = seen
    listed = sorted(((name, slug) for slug, (_, _, name) in newest.items()))
    return [(slug, name) for name, slug in listed[:limit]]


def slugs_meant(archived: Iterable[tuple[str, str]]) -> dict[str, str | None]:
    """Each slug of `archived` (slug, name) pairs with the slug today of the one section an
    older newsbot gave it: what a suggestion filed under it then meant. None for a slug it
    gave several sections (`業界ニュース` and `論文` both `section`): it means none of them."""
    today: dict[str, set[str]] = {}
    for slug, name in archived:
        today.setdefault(slug, set()).add(slugify(name) if slugged_before(slug, name) else slug)
    return {slug: meant.pop() if len(meant) == 1 else None for slug, meant in today.items()}


async def named_today(
    issues: IssueStore, filed: Iterable[str | None]
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The sections as readers know them today (`IssueStore.sections_today`), and the name of
    each by its slug, with each slug of `filed` (suggestions' sections) that an older newsbot
    gave one section alone named as that section (`slugs_meant`)."""
    known = await issues.sections_today(limit=None)
    names = dict(known)
    older = {slug for slug in filed if slug and slug not in names}
    if older:
        for slug, meant in slugs_meant(await issues.names_under(older)).items():
            if meant in names:
                names[slug] = names[meant]
    return known, names
