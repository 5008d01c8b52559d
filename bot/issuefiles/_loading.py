"""Loading issue files from disk: one file, the files a command names, a folder of them."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import IssueFileError, IssueFileErrors
from bot.issuefiles._front_matter import (
    FRONT_MATTER_FENCE,
    Problems,
    number_in_name,
    read_front_matter,
)
from bot.issuefiles._lines import file_lines, not_utf8
from bot.issuefiles._reading import parse_issue
from bot.models import Issue


def load_issue(
    path: Path | str,
    warnings: list[IssueFileError] | None = None,
    later_rules: list[IssueFileError] | None = None,
) -> Issue:
    """Read and validate one issue file; its warnings go to `warnings`, when given, and the
    problems under rules older newsbots did not have to `later_rules` (see `parse_issue`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line, why = not_utf8(path.read_bytes(), exc)
        raise IssueFileErrors([IssueFileError(path, line, why)]) from None
    except OSError as exc:
        raise IssueFileErrors([IssueFileError(path, 0, f"cannot read: {exc.strerror}")]) from None
    return parse_issue(text, path, warnings, later_rules)


def issue_paths(paths: Iterable[Path | str]) -> list[Path]:
    """The issue files named: files as given, directories for their issue files, by number.

    In a directory, hidden files (an editor's lock `.#202.md`, a backup `.202.md.swp`), what
    is not a regular file (a dangling symlink, a folder) and other Markdown files (a
    `README.md`, see `is_issue_file`) are not issue files. A file named twice (`issues/
    issues/202.md`, or one path relative and one absolute) is listed once, where first named:
    it is one issue, not two with the same number.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            listed = (p for p in _markdown_files(path) if p.suffix == ".md" and is_issue_file(p))
            found += sorted(listed, key=_file_order)
        else:
            found.append(path)
    return named_once(found)


def is_issue_file(path: Path) -> bool:
    """Whether a Markdown file found in a folder of issue files is one: it is named after its
    number (`202.md`, read even while broken) or starts with a front-matter block (a misnamed
    `issue-202.md`, read to be told its name). A `README.md` or `CHANGELOG.md` kept beside the
    issues is neither, and is left alone."""
    if number_in_name(path) is not None:
        return True
    try:
        with path.open("rb") as file:
            head = file.read(1024)
    except OSError:
        return True  # cannot tell: read as one, to be reported as unreadable
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # saved as UTF-16: read, to be told so
        head = head.decode("utf-16", errors="ignore").encode()
    lines = head.removeprefix(b"\xef\xbb\xbf").splitlines()
    return bool(lines) and lines[0].strip() == FRONT_MATTER_FENCE.encode()


def _markdown_files(directory: Path) -> Iterator[Path]:
    """The regular, not hidden files in `directory` whose names end in `.md` or `.markdown`,
    in any case."""
    return (
        p
        for p in directory.iterdir()
        if p.suffix.lower() in (".md", ".markdown") and not p.name.startswith(".") and p.is_file()
    )


def named_once(files: Iterable[Path]) -> list[Path]:
    """The files named, each once, where first named: `a.md ./a.md`, or one path relative
    and one absolute, are one file."""
    seen: set[str] = set()
    kept: list[Path] = []
    for path in files:
        # Not Path.resolve: on Python 3.11 it raises on a symlink loop, and such a path is
        # reported as unreadable where it is read.
        same = os.path.realpath(path)
        if same not in seen:
            seen.add(same)
            kept.append(path)
    return kept


def overlooked_files(paths: Iterable[Path | str]) -> list[Path]:
    """The files in the folders of `paths` that look like issue files but are not read as
    one: a name ending in `.MD`, `.Md` or `.markdown`, where an issue file's ends in `.md`
    (`202.md`). An editor who saved `203.MD` would otherwise never hear of it again."""
    return sorted(
        (p for p in _other_markdown(paths) if p.suffix != ".md" and is_issue_file(p)),
        key=_file_order,
    )


def left_out_files(paths: Iterable[Path | str]) -> list[Path]:
    """The Markdown files in the folders of `paths` that are not issue files (a `README.md`,
    a `CHANGELOG.markdown`: see `is_issue_file`), and are not read as any."""
    return sorted((p for p in _other_markdown(paths) if not is_issue_file(p)), key=_file_order)


def _other_markdown(paths: Iterable[Path | str]) -> Iterator[Path]:
    """The Markdown files in the folders of `paths` whose names are not `<number>.md`."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from (
                p
                for p in _markdown_files(path)
                if not (p.suffix == ".md" and number_in_name(p) is not None)
            )


def numbered_issue_files(directory: Path) -> dict[int, Path]:
    """The issue files in `directory` by the number their names give (`203.md`), valid or not:
    a file is named after its issue."""
    if not directory.is_dir():
        return {}
    numbered = ((number_in_name(p), p) for p in issue_paths([directory]))
    return {number: p for number, p in numbered if number is not None}


def _file_order(path: Path) -> tuple[int, str]:
    number = number_in_name(path)
    return (number, "") if number is not None else (1 << 62, path.name)


@dataclass(frozen=True)
class LoadResult:
    """Issues that loaded, every problem in the files that did not, and the warnings of
    those that did (see `parse_issue`)."""

    issues: list[tuple[Path, Issue]]
    errors: list[IssueFileError]
    warnings: list[IssueFileError] = field(default_factory=list)


def load_issues(paths: Iterable[Path | str]) -> LoadResult:
    """Load every issue file under `paths`, collecting problems instead of stopping at one."""
    errors: list[IssueFileError] = []
    warnings: list[IssueFileError] = []
    issues = list(read_issues(paths, errors, warnings))
    return LoadResult(issues, errors, warnings)


def read_issues(
    paths: Iterable[Path | str],
    errors: list[IssueFileError],
    warnings: list[IssueFileError] | None = None,
) -> Iterator[tuple[Path, Issue]]:
    """Each valid issue file under `paths`, read only when asked for; problems go to `errors`,
    and the warnings of each file yielded to `warnings`, when given.

    Only the numbers seen are kept between files, so reading a folder of any size this way
    holds one issue at a time.
    """
    numbers: dict[int, Path] = {}
    for path in issue_paths(paths):
        found: list[IssueFileError] = []
        try:
            issue = load_issue(path, found)
        except IssueFileErrors as exc:
            errors.extend(exc.errors)
            continue
        if issue.number in numbers:
            errors.append(
                IssueFileError(
                    path,
                    _number_line(path),
                    f"issue #{issue.number} is also in {numbers[issue.number]}: "
                    "name only one of the two files",
                )
            )
            continue
        numbers[issue.number] = path
        if warnings is not None:
            warnings.extend(found)
        yield path, issue


def _number_line(path: Path) -> int:
    """The line of a valid issue file's `number:`, read again: only a file whose number is
    also another's is, so reading a folder does not keep each file's lines."""
    return front_matter_line(path, "number")


def front_matter_line(path: Path, key: str) -> int:
    """The line of `key:` in a valid issue file's front matter, read again (a warning about it
    needs it, not every file read). Line 1, the front matter's, if the file changed since and
    has no such key any more."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    values, _ = read_front_matter(file_lines(text.removeprefix("\ufeff")), Problems(path))
    return values.get(key, (1, ""))[0]


def read_checked(files: Iterable[Path]) -> Iterator[tuple[Issue, Path]]:
    """Issue files checked before, read again one at a time as they are asked for; raise
    `IssueFileErrors` at the first that broke since, so a stream being stored stops there."""
    errors: list[IssueFileError] = []
    for path, issue in read_issues(files, errors):
        if errors:
            break
        yield issue, path
    if errors:
        raise IssueFileErrors(errors)


def publish_times(directory: Path) -> dict[int, dt.datetime]:
    """The `publish_at` of each valid issue file in `directory` that has one, by number."""
    if not directory.is_dir():
        return {}
    loaded = load_issues([directory])
    return {issue.number: issue.publish_at for _, issue in loaded.issues if issue.publish_at}
