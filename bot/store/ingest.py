"""What both backends do alike when they store issues: item ids, content hashes, the issue's
columns and the batches a stream of issues is stored in. The SQL is each backend's
(`bot.store.sqlite.ingest`, `bot.store.postgres.ingest`)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import IssueNotFound
from bot.models import IngestOutcome, ascii_slug, slugify
from bot.store.interfaces import IssueStream

if TYPE_CHECKING:
    from bot.models import Issue, Section
    from bot.store.interfaces import IssueStore

SLOT_BITS = 20
"""An item id is `issue_number << SLOT_BITS | slot`: an item keeps it across edits, so the
search index, links and anything that points at an item stay right."""

Added = list[tuple["Issue", Path | None, str]]
"""Issues not archived yet, each with its file and content hash."""

_INGEST_BATCH_ITEMS = 10_000
"""New issues are inserted in batches of up to about so many items."""


def content_hash(issue: Issue) -> str:
    """A fingerprint of an issue's content: equal hashes mean nothing to update."""
    # Without `publish_at` an issue hashes as it did before the field existed, so archives
    # made then do not see every issue as changed.
    unset = {"publish_at"} if issue.publish_at is None else None
    return hashlib.sha256(issue.model_dump_json(exclude=unset).encode()).hexdigest()


def archived_hashes(issue: Issue) -> tuple[str, ...]:
    """The content hashes an archive holding `issue` unchanged may keep for it: its own and,
    with sections named in other scripts, the one an older newsbot stored, which gave them the
    slugs of their ASCII letters (`ascii_slug`, kept since: `keep_archived_slugs`): a quick
    guess whether a file is the very issue archived, which `archived_as_is` tells for sure."""
    own = content_hash(issue)
    older = [
        section.model_copy(update={"slug": ascii_slug(section.name)})
        if section.slug == slugify(section.name)
        else section
        for section in issue.sections
    ]
    if len({section.slug for section in older}) < len(older):
        return (own,)  # sections an older newsbot could not tell apart: it never archived these
    then = content_hash(issue.model_copy(update={"sections": tuple(older)}))
    return (own,) if then == own else (own, then)


async def archived_as_is(issue: Issue, issues: IssueStore) -> bool:
    """Whether `issues` holds `issue` as it is: ingesting it would change nothing.

    That is the hash ingesting it would store (`store_batch`: with the slugs an older newsbot
    gave its sections kept, as the archive has them) against the one stored. No guess of those
    slugs from the issue alone will do: a back issue edited after an upgrade may keep the
    older slug of `## 業界` (`section`) and give a section added then (`## 論文`) its own."""
    stored = await issues.issue_hash(issue.number)
    if stored is None:
        return False
    if stored in archived_hashes(issue):
        return True
    try:
        archived = await issues.issue(issue.number, held=True)
    except IssueNotFound:  # removed meanwhile
        return False
    slugs = {section.name: section.slug for section in archived.sections}
    return content_hash(keep_archived_slugs(issue, slugs)) == stored


def issue_columns(issue: Issue, source: Path | None, digest: str) -> tuple[object, ...]:
    """The issue's own columns, in the order both backends insert and update them: title,
    subtitle, date, link, intro, content_hash, source_path, publish_at."""
    return (
        issue.title,
        issue.subtitle,
        issue.date.isoformat() if issue.date else None,
        issue.link,
        issue.intro,
        digest,
        str(source) if source else None,
        issue.publish_at.isoformat() if issue.publish_at else None,
    )


def keep_archived_slugs(issue: Issue, archived: Mapping[str, str]) -> Issue:
    """`issue` with the slugs an older newsbot gave its sections kept, from `archived`
    (the archived issue's sections, slug by name).

    Before slugs kept the letters of other scripts, `## 業界` was archived as `section` and
    `## AI ニュース` as `ai` (`ascii_slug`). Its Discord thread, the ledger's steps and a
    channel's chosen sections are keyed on that slug: the same heading read today must keep
    it, or the file reads as edited and the next publish deletes the thread, with the
    readers' replies in it, to make it again. A slug written after the name (`{#industry}`)
    is the editor's and stays, and so does one another section of the issue now has.
    """
    taken = {section.slug for section in issue.sections}
    sections: list[Section] = []
    for section in issue.sections:
        kept = archived.get(section.name)
        if (
            kept is not None
            and kept not in taken
            and section.slug == slugify(section.name)
            and kept == ascii_slug(section.name)
        ):
            section = section.model_copy(update={"slug": kept})
            taken.add(kept)
        sections.append(section)
    if all(new is old for new, old in zip(sections, issue.sections, strict=True)):
        return issue
    return issue.model_copy(update={"sections": tuple(sections)})


async def store_batch(
    batch: Sequence[tuple[Issue, Path | None]],
    stored: Mapping[int, tuple[str, int]],
    insert_new: Callable[[Added], Awaitable[None]],
    update: Callable[[Issue, Path | None, str, int], Awaitable[None]],
    archived_slugs: Callable[[int], Awaitable[Mapping[str, str]]],
) -> list[IngestOutcome]:
    """Store issues with distinct numbers, given what is `stored` of them (by number: content
    hash and next free slot): new ones in bulk by `insert_new`, edited ones one by one by
    `update` (issue, file, hash, next slot), unchanged ones not at all. An archived issue
    keeps the slugs an older newsbot gave its sections (`keep_archived_slugs`, given the
    archived issue's sections, slug by name, by `archived_slugs`)."""
    outcomes: list[IngestOutcome] = []
    added: Added = []
    for issue, source in batch:
        digest = content_hash(issue)
        existing = stored.get(issue.number)
        if existing is not None and existing[0] != digest:
            issue = keep_archived_slugs(issue, await archived_slugs(issue.number))
            digest = content_hash(issue)
        if existing is None:
            added.append((issue, source, digest))
            outcomes.append(IngestOutcome.ADDED)
        elif existing[0] == digest:
            outcomes.append(IngestOutcome.UNCHANGED)
        else:
            # Store what came before first, so section ids follow the input order.
            await insert_new(added)
            added = []
            await update(issue, source, digest, existing[1])
            outcomes.append(IngestOutcome.UPDATED)
    await insert_new(added)
    return outcomes


async def ingest_batches(issues: IssueStream) -> AsyncIterator[list[tuple[Issue, Path | None]]]:
    """Split issues into batches of bounded size in which no issue number appears twice.

    A number seen twice (an issue and its edit, in one call) starts a new batch, so each batch
    can look up what is stored for all its issues at once.
    """
    batch: list[tuple[Issue, Path | None]] = []
    numbers: set[int] = set()
    items = 0
    async for issue, source in _each(issues):
        size = len(issue.items)
        if batch and (issue.number in numbers or items + size > _INGEST_BATCH_ITEMS):
            yield batch
            batch, numbers, items = [], set(), 0
        batch.append((issue, source))
        numbers.add(issue.number)
        items += size
    if batch:
        yield batch


async def _each(issues: IssueStream) -> AsyncIterator[tuple[Issue, Path | None]]:
    """The issues of a plain or an async iterable, one at a time."""
    if isinstance(issues, AsyncIterable):
        async for pair in issues:
            yield pair
    else:
        for pair in issues:
            yield pair
