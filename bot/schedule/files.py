"""The schedule's look at the issue files: what changed since the last look, and what the
files hold, read one at a time in a worker thread so that the event loop never waits on a disk."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.errors import IssueFileError, IssueFileErrors
from bot.issuefiles import (
    issue_paths,
    load_issue,
    numbered_issue_files,
    overlooked_files,
    read_issues,
)
from bot.models import IssueSummary
from bot.store.ingest import archived_as_is, archived_hashes
from bot.text import shorten

if TYPE_CHECKING:
    from bot.store.interfaces import IssueStore, StateStore

T = TypeVar("T")

log = logging.getLogger(__name__)

ARRIVALS_KEY = "schedule.arrivals"
"""State key: when each issue file was first seen, JSON `{number: ISO 8601}`."""

SETTLE_SECONDS = 2.0
"""An issue file modified this recently may be in the middle of a save (an editor, scp)."""
SETTLE_LOOKS = 15
"""How many times a firing looks again at files still being written before leaving them out."""
UNWRITTEN_BLURBS = (
    "Issue files to come have items without a blurb: readers would see their titles alone "
    "(write one under each heading, or leave it so)"
)
UNWRITTEN_SHOWN_MAX = 1500
"""How much of the list of items without a blurb an alert quotes."""


@dataclass(frozen=True)
class FileScan:
    """What a look at the issue files found, keeping none of the issues: each valid file with
    its own `publish_at`, those times (and those issues' titles) and the files' modification
    times by number, and every problem."""

    files: list[tuple[Path, dt.datetime | None]]
    times: dict[int, dt.datetime]
    modified: dict[int, dt.datetime]
    errors: list[IssueFileError]
    present: set[int]
    """The numbers of the issues in the folder: valid files', and those file names give
    (`206.md`, even while it is broken)."""
    titles: dict[int, str]
    """The titles of the issues with a `publish_at`, by number, to name them while held."""
    summaries: dict[int, IssueSummary]
    """Every valid file's issue, by number, as the archive lists it once ingested."""
    warnings: list[IssueFileError]
    """The valid files' warnings: items without a blurb."""
    read_as: dict[Path, tuple[int, tuple[str, ...]]]
    """The issue number and content hashes (as the archive may store it, `archived_hashes`)
    of each valid file with warnings: only they are compared with the archive, and read again
    when none of these hashes is the one stored (`archived_as_is`)."""

    def due(self, changing: set[str], come: Callable[[dt.datetime], bool]) -> list[Path]:
        """The valid files to ingest now: those not being written (`changing`) whose issue has
        no `publish_at`, or one that has `come`. An issue whose own time is still ahead stays
        out of the archive until then, so readers cannot find it early."""
        return [
            path
            for path, at in self.files
            if path.name not in changing and (at is None or come(at))
        ]


def scan_issue_files(directory: Path) -> FileScan:
    """Check every issue file in `directory`, reading one at a time."""
    errors: list[IssueFileError] = []
    files: list[tuple[Path, dt.datetime | None]] = []
    times: dict[int, dt.datetime] = {}
    modified: dict[int, dt.datetime] = {}
    titles: dict[int, str] = {}
    summaries: dict[int, IssueSummary] = {}
    warnings: list[IssueFileError] = []
    read_as: dict[Path, tuple[int, tuple[str, ...]]] = {}
    present = set(numbered_issue_files(directory))
    for path in overlooked_files([directory]):
        log.warning("%s is not read: an issue file's name ends in .md (%s.md)", path, path.stem)
    for path, issue in read_issues([directory], errors, warnings):
        present.add(issue.number)
        if warnings and warnings[-1].path == path:  # hashed only where it is needed
            read_as[path] = (issue.number, archived_hashes(issue))
        files.append((path, issue.publish_at))
        summaries[issue.number] = IssueSummary(
            number=issue.number,
            title=issue.title,
            subtitle=issue.subtitle,
            date=issue.date,
            publish_at=issue.publish_at,
        )
        if issue.publish_at:
            times[issue.number] = issue.publish_at
            titles[issue.number] = issue.title
        try:
            modified[issue.number] = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        except FileNotFoundError:
            continue  # gone since it was read: the next look sees it gone
    return FileScan(files, times, modified, errors, present, titles, summaries, warnings, read_as)


class UnwrittenBlurbs:
    """The items without a blurb in files not archived as they are (a draft moved into place
    before its blurbs were written: it would go out with bare titles), each told to the editors
    once while it stays so. Back issues archived so are not news."""

    def __init__(self) -> None:
        self._told: set[tuple[Path, str]] = set()

    async def news(self, scan: FileScan, issues: IssueStore) -> str | None:
        """What to tell the editors of such items not told yet, or None."""
        archived = {
            path: await _archived_file(path, number, digests, issues)
            for path, (number, digests) in scan.read_as.items()
        }
        fresh = [warning for warning in scan.warnings if not archived[warning.path]]
        new = [w for w in fresh if (w.path, w.reason) not in self._told]
        self._told = {(w.path, w.reason) for w in fresh}
        if not new:
            return None
        return f"{UNWRITTEN_BLURBS}:\n" + shorten("\n".join(map(str, new)), UNWRITTEN_SHOWN_MAX)


async def _archived_file(
    path: Path, number: int, digests: tuple[str, ...], issues: IssueStore
) -> bool:
    """Whether the file at `path`, scanned as issue `number` with these `digests`, is archived
    as it is: the file is read again only when no digest is the one stored."""
    stored = await issues.issue_hash(number)
    if stored is None:
        return False
    if stored in digests:
        return True
    try:
        issue = await asyncio.to_thread(load_issue, path)
    except (IssueFileErrors, OSError):
        return False  # broken or gone since the scan: the next look tells
    return issue.number == number and await archived_as_is(issue, issues)


def as_the_next_firing_finds(
    archived: Iterable[IssueSummary], scan: FileScan | None, stopped: bool
) -> list[IssueSummary]:
    """The archived issues with the folder's files ingested over them, as the next firing
    ingests them before it publishes: a new file in the folder is what it would send. A file
    with a problem stops that ingest (`stopped`, see `stops_the_ingest`), so then the archive
    is all there is."""
    found = {summary.number: summary for summary in archived}
    if scan is not None and not stopped:
        found.update(scan.summaries)
    return sorted(found.values(), key=lambda summary: summary.number, reverse=True)


async def stops_the_ingest(scan: FileScan | None, issues: IssueStore | None) -> bool:
    """Whether a problem of the files stops the next firing's ingest: any, but those of back
    issues it leaves as archived (`archived_as_read`); any at all without an archive."""
    if scan is None or not scan.errors:
        return False
    if issues is None:
        return True
    stopping, _ = await archived_as_read(scan.errors, issues)
    return bool(stopping)


async def archived_as_read(
    errors: list[IssueFileError], issues: IssueStore
) -> tuple[list[IssueFileError], list[IssueFileError]]:
    """`errors` split into those that stop the ingest, and those of files archived as they
    are, which a newer rule than the one they were ingested under refuses.

    After an upgrade a back issue that was valid then (`Vec<T>` in a blurb, now raw HTML) is
    left as archived, and warned about, rather than keeping every new issue out: a file only
    later rules break, read as the older newsbot read it, that gives the very issue archived
    under its number. A file edited since meets today's rules, as a new one does.
    """
    stopping: list[IssueFileError] = []
    archived: list[IssueFileError] = []
    by_file: dict[Path, list[IssueFileError]] = {}
    for error in errors:
        by_file.setdefault(error.path, []).append(error)
    for path, found in by_file.items():
        later: list[IssueFileError] = []
        try:
            issue = await asyncio.to_thread(load_issue, path, None, later)
        except IssueFileErrors:
            stopping.extend(found)
            continue
        same_problems = {str(e) for e in found} <= {str(e) for e in later}
        if same_problems and await archived_as_is(issue, issues):
            archived.extend(found)
        else:
            stopping.extend(found)
    return stopping, archived


def deleted_timed(
    archived: Iterable[IssueSummary], present: set[int] | None, arrivals: Mapping[int, object]
) -> set[int]:
    """The archived issues with a `publish_at` of their own whose file was in the folder once
    (`arrivals`) and is no more (`present`, None if the folder was not read): the editors
    deleted it, and the issue is not to go out on its own."""
    if present is None:
        return set()
    return {
        s.number
        for s in archived
        if s.publish_at is not None and s.number in arrivals and s.number not in present
    }


async def in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """Each of `items`, made in a worker thread so that reading files never blocks the loop."""
    while (item := await asyncio.to_thread(next, items, None)) is not None:
        yield item


def signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the issue files: changes when any file does
    (one that vanishes while it is looked at is left out: a change too)."""
    found = []
    for path in issue_paths([directory]):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        found.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


async def unsettled(
    directory: Path,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    *,
    settle: float = SETTLE_SECONDS,
    looks: int = SETTLE_LOOKS,
) -> set[str]:
    """Wait until no issue file in `directory` is being written; the names of those still
    changing after `looks` waits (none, normally).

    A file modified within the last `settle` seconds may be caught in the middle of a save, a
    valid beginning of the issue: it counts as written once the folder looked the same twice,
    `settle` seconds apart.
    """

    def recent(files: Iterable[tuple[str, int, int]]) -> set[str]:
        return {name for name, _, mtime in files if time.time() - mtime / 1e9 < settle}

    seen = await asyncio.to_thread(signature, directory)
    for _ in range(looks):
        if not recent(seen):
            return set()
        await sleep(settle)
        again = await asyncio.to_thread(signature, directory)
        if again == seen:
            return set()
        seen = again
    return recent(seen)


async def note_arrivals(
    state: StateStore,
    known: dict[int, dt.datetime] | None,
    modified: dict[int, dt.datetime],
    now: dt.datetime,
) -> dict[int, dt.datetime]:
    """When each issue file was first seen (its modification time, if earlier), `known` ones
    (None: read from the archive) with those in `modified` added, and kept in the archive.

    An issue that arrived after the last firing was not due while newsbot was down: the
    catch-up leaves it to the next firing. Kept in the archive, so a restart knows.
    """
    if known is None:
        kept = await state.get(ARRIVALS_KEY)
        known = {
            int(number): dt.datetime.fromisoformat(at)
            for number, at in (json.loads(kept) if kept else {}).items()
        }
    new = {n: min(at, now) for n, at in modified.items() if n not in known}
    if new:
        known.update(new)
        await state.set(
            ARRIVALS_KEY,
            json.dumps({str(n): at.isoformat() for n, at in sorted(known.items())}),
        )
    return known
