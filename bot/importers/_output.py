"""The folder of issue files an import writes to: what is there, and writing only what changed."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import IssueFileErrors, RoundTripError, SourceError
from bot.importers._files import write_atomically
from bot.issuefiles import format_issue, load_issue, parse_issue
from bot.models import Issue


class WriteOutcome(enum.Enum):
    """What importing one issue did to its file."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Written:
    """An issue and its file, and what importing it did."""

    path: Path
    issue: Issue
    outcome: WriteOutcome


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

    def number_for_link(self, link: str) -> int | None:
        """The number of the issue file whose `link` is `link`, if one has it."""
        return next((n for n, issue in sorted(self.issues.items()) if issue.link == link), None)

    def issue_path(self, number: int) -> Path:
        """Where the file of issue `number` is (or goes)."""
        return self.path / f"{number}.md"


def scan_folder(folder: Path) -> IssueFolder:
    """The issue files in `folder` (which may not exist yet)."""
    found = IssueFolder(folder)
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.md")):
        if not path.stem.isdigit():
            continue
        try:
            found.issues[int(path.stem)] = load_issue(path)
        except IssueFileErrors as exc:
            found.broken[int(path.stem)] = str(exc.errors[0])
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


def _outcome(path: Path, text: str) -> WriteOutcome:
    if not path.exists():
        return WriteOutcome.CREATED
    if path.read_bytes() == text.encode("utf-8"):
        return WriteOutcome.UNCHANGED
    return WriteOutcome.UPDATED


def save_issues(
    issues: Sequence[Issue],
    folder: IssueFolder,
    *,
    progress: Callable[[Written], None] | None = None,
) -> list[Written]:
    """Write each issue's file unless it is already byte-identical; check all before writing.

    Raise `SourceError` if two issues share a number or a target file is an unreadable issue
    file (it is not overwritten), and `RoundTripError` if a file would not read back.
    """
    planned: list[tuple[Issue, Path, str]] = []
    seen: set[int] = set()
    for issue in issues:
        path = folder.issue_path(issue.number)
        if issue.number in seen:
            raise SourceError(str(path), f"two imported issues have the number {issue.number}")
        if issue.number in folder.broken:
            raise SourceError(
                str(path),
                f"is not a valid issue file ({folder.broken[issue.number]}); fix or remove it "
                "before importing over it",
            )
        seen.add(issue.number)
        planned.append((issue, path, issue_file_text(issue, path)))
    written: list[Written] = []
    for issue, path, text in planned:
        outcome = _outcome(path, text)
        if outcome is not WriteOutcome.UNCHANGED:
            write_atomically(path, text.encode("utf-8"))
            if load_issue(path) != issue:
                raise RoundTripError(str(path), "the written file reads back differently")
        done = Written(path, issue, outcome)
        written.append(done)
        if progress is not None:
            progress(done)
    return written
