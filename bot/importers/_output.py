"""The folder of issue files an import writes to: what is there, and writing only what changed."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import IssueFileErrors, RoundTripError, SourceError
from bot.importers._files import write_atomically, write_new
from bot.importers._record import ImportRecord, read_record
from bot.issuefiles import format_issue, load_issue, number_in_name, parse_issue
from bot.models import Issue


class WriteOutcome(enum.Enum):
    """What importing one issue did to its file."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"
    REPLACED = "replaced"


EDITED = "edited since import"
NOT_IMPORTED = "not written by newsbot import"


@dataclass(frozen=True)
class Written:
    """An issue and its file, and what importing it did.

    A `KEPT` file says why in `kept_because`; a `REPLACED` one names the copy of what it was
    in `backup`.
    """

    path: Path
    issue: Issue
    outcome: WriteOutcome
    kept_because: str | None = None
    backup: Path | None = None


@dataclass
class IssueFolder:
    """The issue files (`N.md`) in a folder: those that read, and the numbers of all of them."""

    path: Path
    issues: dict[int, Issue] = field(default_factory=dict)
    broken: dict[int, str] = field(default_factory=dict)

    @property
    def numbers(self) -> set[int]:
        """Every issue number that has a file, readable or not."""
        return set(self.issues) | set(self.broken)

    def issue_path(self, number: int) -> Path:
        """Where the file of issue `number` is (or goes)."""
        return self.path / f"{number}.md"


def scan_folder(folder: Path) -> IssueFolder:
    """The issue files in `folder` (which may not exist yet)."""
    found = IssueFolder(folder)
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.md")):
        number = number_in_name(path)
        if number is None:
            continue
        try:
            found.issues[number] = load_issue(path)
        except IssueFileErrors as exc:
            found.broken[number] = str(exc.errors[0])
    return found


def issue_file_text(issue: Issue, path: Path) -> str:
    """The issue file for `issue`, checked to read back as exactly `issue`."""
    text = format_issue(issue)
    try:
        again = parse_issue(text, path)
    except IssueFileErrors as exc:
        raise RoundTripError(str(path), str(exc.errors[0])) from None
    if again != issue:
        raise RoundTripError(str(path), "it reads back as a different issue")
    return text


BACKUP_LIMIT = 1000


def backup_path(path: Path, number: int) -> Path:
    """The `number`th copy of a replaced file: `202.md.~1~`, which is not an `*.md` issue file."""
    return path.with_name(f"{path.name}.~{number}~")


def _back_up(path: Path) -> Path:
    """Copy the file at `path` to the first free `backup_path`; return where."""
    data = path.read_bytes()
    for number in range(1, BACKUP_LIMIT + 1):
        if write_new(backup_path(path, number), data):
            return backup_path(path, number)
    raise SourceError(str(path), f"already has {BACKUP_LIMIT} copies; remove some")


@dataclass
class _Plan:
    issue: Issue
    path: Path
    data: bytes
    outcome: WriteOutcome
    kept_because: str | None = None


def _plan(issue: Issue, path: Path, record: ImportRecord, *, force: bool) -> _Plan:
    data = issue_file_text(issue, path).encode("utf-8")
    try:
        found = path.read_bytes()
    except FileNotFoundError:
        return _Plan(issue, path, data, WriteOutcome.CREATED)
    except OSError as exc:
        raise SourceError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if found == data:
        return _Plan(issue, path, data, WriteOutcome.UNCHANGED)
    if record.wrote(path, found):
        return _Plan(issue, path, data, WriteOutcome.UPDATED)
    if force:
        return _Plan(issue, path, data, WriteOutcome.REPLACED)
    why = EDITED if record.knows(path) else NOT_IMPORTED
    return _Plan(issue, path, data, WriteOutcome.KEPT, why)


def _write(plan: _Plan) -> Path | None:
    """Write a planned file, first copying what it replaces; return the copy, if any."""
    backup = _back_up(plan.path) if plan.outcome is WriteOutcome.REPLACED else None
    write_atomically(plan.path, plan.data)
    if load_issue(plan.path) != plan.issue:
        raise RoundTripError(str(plan.path), "the written file reads back differently")
    return backup


_WRITES = frozenset({WriteOutcome.CREATED, WriteOutcome.UPDATED, WriteOutcome.REPLACED})


def save_issues(
    issues: Sequence[Issue],
    folder: IssueFolder,
    *,
    force: bool = False,
    progress: Callable[[Written], None] | None = None,
) -> list[Written]:
    """Write each issue's file unless it is already byte-identical; check all before writing.

    A file that differs from what import last wrote there (edited by hand, or never written
    by import) is kept, unless `force`: then it is copied to `FILE.~N~` and replaced.
    Raise `SourceError` if two issues share a number or a file cannot be read or written, and
    `RoundTripError` if a file would not read back.
    """
    record = read_record(folder.path)
    plans: list[_Plan] = []
    seen: set[int] = set()
    for issue in issues:
        path = folder.issue_path(issue.number)
        if issue.number in seen:
            raise SourceError(str(path), f"two imported issues have the number {issue.number}")
        seen.add(issue.number)
        plans.append(_plan(issue, path, record, force=force))
    writes = [plan for plan in plans if plan.outcome in _WRITES]
    for plan in writes:
        # Recorded before writing, so no crash can make a file import wrote look edited.
        record.allow(plan.path, plan.data)
    written: list[Written] = []
    try:
        if writes:
            record.save()
        for plan in plans:
            backup = _write(plan) if plan.outcome in _WRITES else None
            if plan.outcome is not WriteOutcome.KEPT:
                record.set(plan.path, plan.data)
            done = Written(plan.path, plan.issue, plan.outcome, plan.kept_because, backup)
            written.append(done)
            if progress is not None:
                progress(done)
    except OSError as exc:
        where = exc.filename or folder.path
        raise SourceError(str(where), f"cannot write: {exc.strerror or exc}") from None
    finally:
        _save_record(record)
    return written


def _save_record(record: ImportRecord) -> None:
    try:
        record.save()
    except OSError as exc:
        raise SourceError(str(record.path), f"cannot write: {exc.strerror or exc}") from None
