"""`newsbot check|ingest|latest|issue|schema|backup|restore`: issue files and the archive.

Issues are shown with rich in a terminal, and as JSON for scripts; `newsbot search` is in
`bot.cli.search`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group, RenderableType
from rich.text import Text

from bot.cli._console import (
    ISSUE_NUMBER_MAX,
    JsonOpt,
    archive_location,
    err,
    fail,
    open_archive,
    out,
    run_async,
    settings_of,
    with_archive,
)
from bot.errors import IssueFileError, IssueFileErrors
from bot.text import shorten

if TYPE_CHECKING:
    from bot.issuefiles import LoadResult
    from bot.models import IngestOutcome, Issue
    from bot.settings import Settings

SCHEMA_FILE = "issue.schema.json"

ABSTRACT_SHOWN_MAX = 300
"""How much of an item's abstract `newsbot issue` shows under its blurb."""


def _paths(ctx: typer.Context, paths: list[Path] | None) -> list[Path]:
    """The paths named, else the issues folder; one that is a file is not read as an issue."""
    if paths:
        return paths
    folder = settings_of(ctx).issues.directory
    if folder.exists() and not folder.is_dir():
        raise fail(f"the issues folder {folder} is not a folder (issues.directory)")
    return [folder]


def report_problems(result: LoadResult) -> None:
    """Print every problem found in the issue files, one `path:line: …` a line, on stderr."""
    _print_problems(result.errors)


def _print_problems(errors: Iterable[IssueFileError]) -> None:
    for error in errors:
        err.print(str(error), markup=False, highlight=False, soft_wrap=True)


def load_issue_files(paths: list[Path]) -> LoadResult:
    """The issue files in `paths`, read, after saying which other Markdown files their folders
    hold; a failure if a path is missing or holds none."""
    from bot.cli._notices import tell_left_out, tell_overlooked
    from bot.issuefiles import load_issues

    _require_files(paths)
    tell_overlooked(paths)
    tell_left_out(paths)
    result = load_issues(paths)
    if not result.issues and not result.errors:
        raise _no_issue_files(paths)
    return result


def _require_files(paths: list[Path]) -> None:
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise fail(f"{missing[0]}: no such file or folder")


def _no_issue_files(paths: list[Path]) -> typer.Exit:
    return fail(f"no issue files (*.md) in {', '.join(map(str, paths))}")


def valid_issue_files(
    paths: list[Path], warnings: list[IssueFileError]
) -> tuple[dict[Path, int], list[IssueFileError]]:
    """The valid issue files in `paths` with their issues' numbers, and every problem in the
    others; the valid files' warnings go to `warnings`.

    Each file is read and let go, so checking a folder of any size holds one issue at a time;
    a failure if a path is missing or holds no issue file.
    """
    from bot.cli._notices import tell_overlooked
    from bot.issuefiles import read_issues

    _require_files(paths)
    tell_overlooked(paths)
    errors: list[IssueFileError] = []
    valid = {path: issue.number for path, issue in read_issues(paths, errors, warnings)}
    if not valid and not errors:
        raise _no_issue_files(paths)
    return valid, errors


PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Issue files or folders of them (default: issues.directory)."),
]


def check(ctx: typer.Context, paths: PathsArg = None) -> None:
    """Validate issue files; report every problem in every file as path:line."""
    from zoneinfo import ZoneInfo

    from bot.cli._notices import clock_change_warnings, show_notices, show_schedule_warnings

    show_schedule_warnings(settings_of(ctx))
    result = load_issue_files(_paths(ctx, paths))
    report_problems(result)
    zone = ZoneInfo(settings_of(ctx).schedule.timezone)
    result.warnings.extend(clock_change_warnings(result.issues, zone))
    warned: dict[Path, list[IssueFileError]] = {}
    for warning in result.warnings:
        warned.setdefault(warning.path, []).append(warning)
    for path, issue in result.issues:
        show_notices(path, issue, warned.get(path, []))
    if result.errors:
        files = len({error.path for error in result.errors})
        raise fail(f"{len(result.errors)} problem(s) in {files} file(s)")
    warnings = f", with {len(result.warnings)} warning(s)" if result.warnings else ""
    out.print(f"{len(result.issues)} issue file(s) are valid{warnings}.")


async def _ingest(
    settings: Settings, files: list[Path]
) -> tuple[dict[IngestOutcome, list[int]], list[int]] | list[IssueFileError]:
    """The issues stored, by outcome, and those of the updated ones already published; or, if
    a file broke since it was checked, its problems."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.issuefiles import read_checked
    from bot.models import IngestOutcome

    done: dict[IngestOutcome, list[int]] = {outcome: [] for outcome in IngestOutcome}
    async with await open_archive(settings, create=True) as archive:
        with Progress(
            TextColumn("ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("ingest", total=len(files))

            def advance(issue: Issue, outcome: IngestOutcome) -> None:
                done[outcome].append(issue.number)
                progress.advance(task)

            try:
                await archive.issues.ingest_many(read_checked(files), progress=advance)
            except IssueFileErrors as exc:
                return exc.errors
        from bot.publishing.catalogue import OUTLET_NAMES

        updated = done[IngestOutcome.UPDATED]
        posted = await archive.ledger.published_numbers(tuple(OUTLET_NAMES)) if updated else set()
    return done, sorted(posted.intersection(updated))


def ingest(ctx: typer.Context, paths: PathsArg = None) -> None:
    """Store issue files in the archive; if any file is invalid, nothing is stored."""
    settings = settings_of(ctx)
    archive_location(settings)
    # Checked first and stored second, each file read alone both times: memory stays that of
    # one issue and one batch, however many files there are.
    warnings: list[IssueFileError] = []
    files, errors = valid_issue_files(_paths(ctx, paths), warnings)
    # Back issues archived before a rule that now refuses them are left as they are.
    from bot.cli._notices import left_as_archived, print_notices

    errors, archived = run_async(left_as_archived(settings, errors)) if errors else ([], [])
    if errors:
        _print_problems(errors)
        raise _nothing_ingested(len(errors))
    print_notices(archived)
    stored = run_async(_ingest(settings, list(files)))
    if isinstance(stored, list):
        _print_problems(stored)
        raise _nothing_ingested(len(stored))
    done, posted = stored
    summary = ", ".join(f"{len(numbers)} {outcome.value}" for outcome, numbers in done.items())
    out.print(f"{settings.archive.shown()}: {summary}.", markup=False, highlight=False)
    # The warnings of the issues stored now: an unchanged one's were shown when it was.
    from bot.models import IngestOutcome

    changed = {*done[IngestOutcome.ADDED], *done[IngestOutcome.UPDATED]}
    print_notices(warning for warning in warnings if files.get(warning.path) in changed)
    if posted:
        # As `newsbot run` tells the editors when it ingests a changed published issue.
        from bot.schedule.reports import changed_message

        for number in posted:
            err.print(changed_message(number), markup=False, style="yellow", soft_wrap=True)


def _nothing_ingested(problems: int) -> typer.Exit:
    return fail(
        f"{problems} problem(s) found; nothing was ingested. "
        "Fix them (see `newsbot check`) and run again."
    )


def _print_issue(issue: Issue, *, as_json: bool, section: str | None = None) -> None:
    if as_json:
        out.print_json(issue.model_dump_json())
    else:
        out.print(issue_view(issue, section=section))


def latest(
    ctx: typer.Context,
    section: Annotated[
        str | None, typer.Option(help="Show only this section.", metavar="NAME")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the newest issue readers can see (not one held for its publish_at)."""
    issue = run_async(with_archive(settings_of(ctx), lambda archive: archive.issues.latest()))
    if issue is None:
        raise fail("the archive has no issues yet: run `newsbot ingest issues/`")
    slug = _section_slug(issue, section)
    _print_issue(issue, as_json=as_json, section=slug)


def _section_slug(issue: Issue, section: str | None) -> str | None:
    if section is None:
        return None
    from bot.models import slugify

    found = issue.section(slugify(section))
    if found is None:
        names = ", ".join(s.name for s in issue.sections)
        raise fail(f"issue #{issue.number} has no section {section!r}; it has: {names}")
    return found.slug


def show_issue(
    ctx: typer.Context,
    number: Annotated[
        int, typer.Argument(help="The issue's number.", min=1, max=ISSUE_NUMBER_MAX, metavar="N")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show one archived issue."""
    issue = run_async(with_archive(settings_of(ctx), lambda archive: archive.issues.issue(number)))
    _print_issue(issue, as_json=as_json)


def schema(
    ctx: typer.Context,
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Fail if the file is missing or stale instead of writing it."),
    ] = False,
) -> None:
    """Write the issue JSON schema into the issues folder (or check that it is current)."""
    folder = settings_of(ctx).issues.directory
    path = folder / SCHEMA_FILE
    from bot.models import issue_json_schema

    text = json.dumps(issue_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise fail(f"{path}: the issues folder {folder} {what} (issues.directory)")
    if path.is_dir():
        raise fail(f"{path} is a folder, not the schema file")
    if check_only:
        if not path.exists():
            raise fail(f"{path} is missing: run `newsbot schema` to write it")
        try:
            current = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            current = None
        if current != text:
            raise fail(f"{path} is stale: run `newsbot schema` to regenerate it")
        out.print(f"{path} is current.", markup=False, highlight=False)
        return
    path.write_text(text, encoding="utf-8")
    out.print(f"wrote {path}", markup=False, highlight=False)


def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to write.", metavar="FILE")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the archive into FILE, checked; safe while `newsbot run` is writing to it."""
    from bot.backup import back_up

    copy = run_async(back_up(archive_location(settings_of(ctx)), file, force=force))
    out.print(
        f"wrote {copy.path} ({copy.size:,} bytes): {copy.stats.issues} issue(s), "
        f"{copy.stats.items} item(s), schema version {copy.schema_version}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to restore.", metavar="FILE")],
) -> None:
    """Put a backup in the archive's place; what it lost of later publishes is not sent twice.

    Stop `newsbot run` first: it is refused while newsbot runs on the archive. The archive it
    replaces is kept beside it (NAME.replaced-DATE), on PostgreSQL dumped beside FILE
    (DATABASE.replaced-DATE.dump); a damaged one is replaced too.
    """
    from bot.restore import restore as put_back

    settings = settings_of(ctx)
    location = archive_location(settings, replaced=True)
    done = run_async(put_back(location, file, settings.issues.directory))
    if done.created:
        into = f"no archive was at {done.archive}: created it from {file}"
    else:
        into = f"restored {file} into the archive {done.archive}"
    kept = (
        f"; the archive it replaced is kept as {done.kept} (delete it once this one is checked)"
        if done.kept is not None
        else ""
    )
    out.print(
        f"{into}: {done.stats.issues} issue(s), {done.stats.items} item(s), schema version"
        f" {done.schema_version}{kept}; what it does not show sent of issues up to"
        f" #{done.through} is looked for on each platform before it is published again",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


# --- how issues look ------------------------------------------------------------------------


def issue_view(issue: Issue, *, section: str | None = None) -> RenderableType:
    """An issue as a reader would skim it: title, intro, and each section's items."""
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    parts: list[RenderableType] = []
    heading = Text(f"#{issue.number} · {issue.title}", style="bold")
    if issue.subtitle:
        heading.append(f"\n{issue.subtitle}", style="italic")
    meta = " · ".join(x for x in (issue.date.isoformat() if issue.date else "", issue.link) if x)
    if meta:
        heading.append(f"\n{meta}", style="dim")
    parts.append(heading)
    if issue.intro and section is None:
        parts.append(Text(issue.intro, style="default"))
    for part in issue.sections:
        if section is not None and part.slug != section:
            continue
        table = Table(show_header=False, box=None, padding=(0, 1), expand=True)
        table.add_column(ratio=1)
        for item in part.items:
            title = Text(item.title, style="bold")
            if item.link:
                title.append(f"  {item.link}", style="blue underline")
            body = Text(item.blurb) if item.blurb else Text()
            if item.abstract:
                body.append(
                    ("\n" if item.blurb else "") + shorten(item.abstract, ABSTRACT_SHOWN_MAX), "dim"
                )
            table.add_row(Group(title, body))
        parts.append(Panel(table, title=escape(part.name), title_align="left"))
    return Group(*parts)
