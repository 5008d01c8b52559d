"""Copying an archive whole from one backend to another (an SQLite file, a PostgreSQL
database), then checking the copy: the same rows in every table, and the same search hits."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import NewsbotError
from bot.store import Archive

SAMPLE_SEARCHES = 20
"""Searches run on both archives after a copy, to check the index came along."""
_SAMPLE_PAGES = 10


class CopyError(NewsbotError):
    """A copy that cannot be made, or one whose check found a difference."""


@dataclass(frozen=True)
class Copied:
    """A checked copy: the rows of each table, and how many searches were compared."""

    counts: dict[str, int]
    searches: int


async def copy_archive(source: Archive, destination: Archive) -> Copied:
    """Copy every row of `source` into the empty `destination`, in one transaction, then check
    that each table holds as many rows and that sample searches find the same items.

    Raise `CopyError` if `destination` holds anything, if the archives are at different schema
    versions of their backends, or if the check finds a difference.
    """
    held = {table: n for table, n in (await destination.counts()).items() if n}
    if held:
        what = ", ".join(f"{n} {table}" for table, n in held.items())
        raise CopyError(f"{destination.location} is not empty ({what}): copy into a new file"
                        " or an empty database")  # fmt: skip
    await destination.load(source.rows())
    counts = await source.counts()
    copied = await destination.counts()
    if copied != counts:
        raise CopyError(f"the copy in {destination.location} differs: {copied} against {counts}")
    searches = 0
    for text in await _sample_searches(source):
        original, again = await _hits(source, text), await _hits(destination, text)
        if original is None or again is None:
            continue  # too many hits to see them all: which come first may differ by backend
        if original != again:
            raise CopyError(
                f"the copy in {destination.location} finds other items for {text!r} than"
                f" {source.location}"
            )
        searches += 1
    return Copied(counts, searches)


async def _sample_searches(archive: Archive) -> list[str]:
    """Searches for the copy's check: words and a phrase from titles across the archive."""
    texts: list[str] = []
    summaries = await archive.issues.issues(limit=SAMPLE_SEARCHES)
    for summary in summaries:
        issue = await archive.issues.issue(summary.number, held=True)
        for _, item in issue.items[:1]:
            words = item.title.split()
            texts += [words[0], f'"{" ".join(words[:3])}"'] if words else []
    return texts[:SAMPLE_SEARCHES]


async def _hits(archive: Archive, text: str) -> set[int] | None:
    """Every item a search finds, or None if there are more than its first pages show."""
    found: set[int] = set()
    for page_number in range(_SAMPLE_PAGES):
        page = await archive.issues.search(text, limit=100, offset=page_number * 100)
        found |= {hit.item_id for hit in page.hits}
        if not page.has_more:
            return found
    return None
