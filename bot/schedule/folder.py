"""What `newsbot run` reads in the issue folder, and what it tells the editors of it: each
firing ingests what changed (a broken file stops the ingest, not the publish), and each look at
the files notes their own times, when each issue arrived, and items still without a blurb."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import IssueFileError, IssueFileErrors
from bot.issuefiles import read_checked
from bot.models import IngestOutcome, Issue
from bot.schedule import triggers as scheduler
from bot.schedule.files import (
    FileScan,
    UnwrittenBlurbs,
    archived_as_read,
    in_thread,
    note_arrivals,
    scan_issue_files,
    signature,
    unsettled,
)
from bot.schedule.reports import (
    LEFT_AS_ARCHIVED,
    STOPPED_INGEST,
    RunReport,
    Told,
    ToldEach,
    changed_message,
    missing_folder_message,
)

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import Archive

# The schedule's own logger: what the folder says is part of what a firing logs.
log = logging.getLogger("bot.schedule.jobs")

PROBLEMS_SHOWN_MAX = 1500
"""How much of the issue files' problems an alert quotes."""


class IssueFolder:
    """The issue folder as the schedule of one `newsbot run` sees it, look after look."""

    def __init__(
        self,
        archive: Archive,
        settings: Settings,
        clock: Callable[[], dt.datetime],
        tell: Callable[[str], Awaitable[None]],
        warn: Callable[[str], Awaitable[None]],
    ) -> None:
        self.archive = archive
        self.settings = settings
        self.clock = clock
        self.tell = tell
        self.warn = warn
        """Log a warning and tell the editors it (once in the log)."""
        self.sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
        self.file_times: dict[int, dt.datetime] = {}
        """The files' own `publish_at`, by issue number, as the last look found them."""
        self.present: set[int] | None = None
        """The numbers of the issues in the folder at the last look; None before the first."""
        self.arrivals: dict[int, dt.datetime] | None = None
        """When each issue file was first seen; None until read from the archive."""
        self._seen: tuple[tuple[str, int, int], ...] | None = None
        self._missing = Told(tell)
        self._stopping = ToldEach(STOPPED_INGEST, tell, PROBLEMS_SHOWN_MAX)
        self._left_as_archived = ToldEach(LEFT_AS_ARCHIVED, tell, PROBLEMS_SHOWN_MAX)
        self._unwritten = UnwrittenBlurbs()

    async def ingest(self, report: RunReport) -> None:
        """Re-read the issue files and ingest what changed; problems stop the ingest only."""
        directory = self.settings.issues.directory
        if not directory.is_dir():
            missing = missing_folder_message(directory)
            report.failures.append(missing)
            log.warning("%s", missing)
            await self._missing.say(missing)
            return
        await self._missing.say(None)
        # A file in the middle of a save is a valid issue cut short: wait until it is written.
        changing = await unsettled(directory, self.sleep)
        if changing:
            names = ", ".join(sorted(changing))
            report.failures.append(f"still being written, left for the next firing: {names}")
            log.warning("issue files still being written are left for the next firing: %s", names)
        scan = await self.read(directory)
        stopping, archived = await archived_as_read(scan.errors, self.archive.issues)
        if stopping:
            await self._refuse(report, stopping, self._stopping)
            return
        due = scan.due(changing, lambda at: scheduler.publish_time(self.settings, at) <= report.at)
        changed: list[int] = []
        updated: list[int] = []

        def note(issue: Issue, outcome: IngestOutcome) -> None:
            if outcome != IngestOutcome.UNCHANGED:
                changed.append(issue.number)
            if outcome == IngestOutcome.UPDATED:
                updated.append(issue.number)

        # Checked above and read again here one file at a time, as the archive stores them:
        # memory stays that of one batch, however many issue files there are.
        try:
            await self.archive.issues.ingest_many(in_thread(read_checked(due)), progress=note)
        except IssueFileErrors as exc:
            await self._refuse(report, exc.errors, self._stopping)
            return
        # Nothing stopped the ingest; the back issues' problems are known only now.
        await self._refuse(report, [], self._stopping)
        await self._refuse(report, archived, self._left_as_archived)
        if changed:
            log.info("ingested issue(s) %s", ", ".join(f"#{n}" for n in changed))
        for number in sorted(await scheduler.published_issues(self.archive, updated)):
            differs = changed_message(number)
            report.failures.append(differs)
            await self.warn(differs)

    async def _refuse(
        self, report: RunReport, errors: list[IssueFileError], told: ToldEach
    ) -> None:
        """Note the files' problems of one kind in the report and the log, at every firing,
        and tell the editors each of them once: those that stopped the ingest, or those of
        back issues left as archived, which later rules refuse."""
        problems = [str(error) for error in errors]
        if problems:
            listed = "\n".join(problems)
            report.failures.append(f"{told.heading}:\n{listed}")
            log.warning("%s:\n%s", told.heading, listed)
        await told.say(problems)

    async def changed(self) -> bool:
        """Read the files again if any changed since the last look; whether any did."""
        directory = self.settings.issues.directory
        if not directory.is_dir():
            return False
        seen = await asyncio.to_thread(signature, directory)
        if seen == self._seen:
            return False
        await self.read(directory)
        self._seen = seen
        return True

    async def read(self, directory: Path) -> FileScan:
        """Check the issue files; note their own times and when each issue first arrived."""
        scan = await asyncio.to_thread(scan_issue_files, directory)
        self.file_times, self.present = dict(scan.times), scan.present
        self.arrivals = await note_arrivals(
            self.archive.state, self.arrivals, scan.modified, self.clock()
        )
        if news := await self._unwritten.news(scan, self.archive.issues):
            await self.tell(news)
        return scan
