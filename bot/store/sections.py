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

from bot.errors import IssueNotFound
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


def may_be_slugged_before(slug: str, name: str) -> bool:
    """Whether `slug` is the one an older newsbot gave `name`, which has another today, as far
    as the two tell: an editor may have set those letters (`## AI ニュース {#ai}`)."""
    return slug == ascii_slug(name) != slugify(name)


def slugged_before(archived: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """The (slug, name) of `archived` whose slug an older newsbot gave the name, which has
    another slug today. Only the archive tells it from a slug an editor set to the same
    letters (`## AI ニュース {#ai}`): the name archived under its slug today too (issues since
    the upgrade), or another name under the same slug (`業界ニュース` and `論文` were both
    `section`; `ai` was `## AI ニュース`'s and is `## AI`'s). A name that alone was ever
    archived under its slug keeps it: one section, one slug. `archived` holds every name
    under each of its slugs, and under the slug today of each name (`archived_near`)."""
    pairs = set(archived)
    names: dict[str, set[str]] = {}
    for slug, name in pairs:
        names.setdefault(slug, set()).add(name)
    return frozenset(
        (slug, name)
        for slug, name in pairs
        if may_be_slugged_before(slug, name)
        and ((slugify(name), name) in pairs or len(names[slug]) > 1)
    )


async def archived_near(slugs: Collection[str], names_under: NamesUnder) -> list[tuple[str, str]]:
    """Every (slug, name) archived under `slugs`, and under the slug today of each name there
    that may have been slugged by an older newsbot: what `slugged_before` weighs."""
    archived = await names_under(slugs)
    today = {slugify(n) for s, n in archived if may_be_slugged_before(s, n)} - set(slugs)
    return archived + await names_under(today) if today else archived


async def sought_section(slug: str, names_under: NamesUnder) -> SoughtSection:
    """The sections a search in `slug` finds: those archived under it but the ones whose name
    has another slug today, and the same section as an older newsbot archived it (named the
    same, under the `ascii_slug` of its name). A slug set by hand (`{#industry}`) is no
    name's older slug: all of it is found."""
    older = ascii_slug(slug)  # the ASCII letters of a name are those of its slug
    archived = await archived_near({slug, older}, names_under)
    slugged = slugged_before(archived)
    under = [name for s, name in archived if s == slug]
    names = tuple(name for name in under if (slug, name) not in slugged)
    kept = None if len(names) == len(under) else names
    if older == slug:
        return SoughtSection(slug, kept)
    before = [name for s, name in archived if s == older]
    older_names = tuple(n for n in before if (older, n) in slugged and slugify(n) == slug)
    if not older_names:
        return SoughtSection(slug, kept)
    return SoughtSection(
        slug, kept, older, None if len(older_names) == len(before) else older_names
    )


def known_today(
    archived: Iterable[tuple[str, str, int | None]], *, limit: int | None
) -> list[tuple[str, str]]:
    """(slug, name) of the first `limit` sections (all with None) by name, from every
    (slug, name, newest issue shown) archived: each section once, by the slug its name has
    today, named as in the newest issue that has it there. Every name an older newsbot
    archived under one slug is a section of its own; one archived under both slugs is named as
    under its slug today (a section renamed in place keeps its slug: `## Industry {#industry}`).
    A pair only in issues not shown (None: held back from readers) is not listed, but tells an
    older slug as any does, as the search (`sought_section`) weighs every issue."""
    every = list(archived)
    slugged = slugged_before((slug, name) for slug, name, _ in every)
    newest: dict[str, tuple[bool, int, str]] = {}
    for slug, name, number in every:
        if number is None:
            continue
        before = (slug, name) in slugged
        today = slugify(name) if before else slug
        seen = (not before, number, name)
        if today not in newest or seen > newest[today]:
            newest[today] = seen
    listed = sorted(((name, slug) for slug, (_, _, name) in newest.items()))
    return [(slug, name) for name, slug in listed[:limit]]


async def slugs_meant(slugs: Collection[str], names_under: NamesUnder) -> dict[str, str | None]:
    """Each of `slugs` archived with the slug today of the one section an older newsbot gave
    it: what a suggestion filed under it then meant. None for a slug it gave several sections
    (`業界ニュース` and `論文` both `section`): it means none of them."""
    archived = await archived_near(slugs, names_under)
    slugged = slugged_before(archived)
    today: dict[str, set[str]] = {}
    for slug, name in archived:
        if slug not in slugs:
            continue  # read only as evidence (`archived_near`)
        today.setdefault(slug, set()).add(slugify(name) if (slug, name) in slugged else slug)
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
        for slug, meant in (await slugs_meant(older, issues.names_under)).items():
            if meant in names:
                names[slug] = names[meant]
    return known, names


async def slug_today(issues: IssueStore, number: int, slug: str) -> str:
    """The slug readers know today of the section archived under `slug` in issue `number`:
    what a reply in its thread is filed under. An older newsbot gave one slug several names
    (`業界ニュース` in #300 and `論文` in #301 both `section`): that issue's name tells which
    section it is, by the slug that name has today (`slugged_before`). `slug` itself when
    the issue no longer has it."""
    try:
        archived = await issues.issue(number, held=True)
    except IssueNotFound:
        return slug
    name = next((s.name for s in archived.sections if s.slug == slug), None)
    if name is None or not may_be_slugged_before(slug, name):
        return slug
    slugged = slugged_before(await archived_near({slug}, issues.names_under))
    return slugify(name) if (slug, name) in slugged else slug
