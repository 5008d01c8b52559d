"""`newsbot check|ingest|latest|issue|search|schema|backup`: issue files and the archive.

Issues and search results are shown with rich in a terminal, and as JSON for scripts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.text import Text

from bot.cli._console import (
    ISSUE_NUMBER_MAX,
    SEARCH_OFFSET_MAX,
    JsonOpt,
    archive_location,
    date_option,
    err,
    fail,
    open_archive,
    opening_settings_of,
    out,
    run_async,
    searchable_query,
    settings_of,
    with_archive,
)
from bot.errors import IssueFileError, IssueFileErrors, IssueNotFound, NewsbotError
from bot.text import shorten

if TYPE_CHECKING:
    from bot.issuefiles import LoadResult
    from bot.models import IngestOutcome, Issue, SearchHit, SearchPage
    from bot.settings import Settings
    from bot.store import Archive

SCHEMA_FILE = "issue.schema.json"

ABSTRACT_SHOWN_MAX = 300
"""How much of an item's abstract `newsbot issue` shows under its blurb."""
QUERY_SHOWN_MAX = 100
"""How much of a query a search that found nothing shows (`--json` gives it whole)."""


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


SectionOpt = Annotated[
    str | None, typer.Option(help="Only this section (name or slug).", metavar="NAME")
]


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


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Words, "a phrase" or a prefix*.', metavar="QUERY")],
    section: SectionOpt = None,
    issue: Annotated[
        int | None,
        typer.Option(help="Only this issue number.", min=1, max=ISSUE_NUMBER_MAX, metavar="N"),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Issues from this date.", metavar="YYYY-MM-DD")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Issues up to this date.", metavar="YYYY-MM-DD")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many results.", min=1, max=100, metavar="N")] = 10,
    offset: Annotated[
        int,
        typer.Option(help="Skip this many results.", min=0, max=SEARCH_OFFSET_MAX, metavar="N"),
    ] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Search every archived item; best matches first."""
    since_date, until_date = date_option(since, "--since"), date_option(until, "--until")
    if since_date and until_date and since_date > until_date:
        raise typer.BadParameter(
            f"{until} is before --since {since}", ctx=ctx, param_hint="'--until'"
        )
    query = searchable_query(ctx, query)

    async def find(archive: Archive) -> SearchPage:
        slug = await _searched_section(archive, section) if section else None
        page = await archive.issues.search(
            query,
            section=slug,
            issue=issue,
            since=since_date,
            until=until_date,
            limit=limit,
            offset=offset,
        )
        if not page.hits:
            await _check_filters(archive, section, slug, issue)
        return page

    page = run_async(with_archive(opening_settings_of(ctx), find))
    if as_json:
        payload = {
            "query": query,
            "offset": page.offset,
            "has_more": page.has_more,
            "limited": page.limited,
            "hits": [hit_json(hit) for hit in page.hits],
        }
        out.print_json(json.dumps(payload, ensure_ascii=False))
    else:
        out.print(search_view(query, page))


async def _searched_section(archive: Archive, section: str) -> str:
    """The slug of the section --section names: its own, or that of the section whose name it
    is (a section renamed in place keeps its slug); its slug when none is named so."""
    from bot.models import section_slug, slugify

    known = await archive.issues.section_names(limit=None)
    return section_slug(section, known) or slugify(section)


async def _check_filters(
    archive: Archive, section: str | None, slug: str | None, issue: int | None
) -> None:
    """Fail naming a --section or --issue the archive does not have (a search found nothing)."""
    if issue is not None:
        try:
            await archive.issues.issue(issue)
        except IssueNotFound:
            raise NewsbotError(f"issue #{issue} is not in the archive") from None
    if slug is not None:
        sections = dict(await archive.issues.section_names(limit=None))
        if slug not in sections:
            names = ", ".join(sorted(sections.values())) or "none yet"
            raise NewsbotError(f"no section {section!r} in the archive; sections: {names}")


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


# --- how issues and search results look ----------------------------------------------------


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


def snippet_text(hit: SearchHit) -> Text:
    """A hit's snippet with the matched words highlighted."""
    text = Text()
    for run, marked in hit.snippet_parts():
        text.append(run.replace("\n", " "), style="bold yellow" if marked else None)
    return text


def search_view(query: str, page: SearchPage) -> RenderableType:
    """Search results as a numbered list with issue, section and snippet, after a line saying
    what the archive limited to answer fast, if anything."""
    if not page.hits:
        past = f" past result {page.offset}" if page.offset else ""
        shown = shorten(query, QUERY_SHOWN_MAX)
        missing = Text(f"No items match {shown!r}{past}.", style="yellow")
        return Group(_limited_line(page), missing) if page.limited else missing
    # Here, not at the top: `--json`, and a search that found nothing, print no table.
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("Item", ratio=3)
    table.add_column("Where", ratio=1)
    for rank, hit in enumerate(page.hits, start=page.offset + 1):
        title = Text(hit.item.title, style="bold")
        if hit.item.link:
            title.append(f"\n{hit.item.link}", style="blue underline")
        title.append("\n")
        title.append_text(snippet_text(hit))
        table.add_row(str(rank), title, f"#{hit.issue_number} · {hit.section_name}")
    return Group(_limited_line(page), table) if page.limited else table


def _limited_line(page: SearchPage) -> Text:
    return Text(f"Limited: {page.limited}.", style="yellow")


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """A search hit as plain JSON: the item, where it is, and what matched."""
    parts = hit.snippet_parts()
    return {
        "issue": hit.issue_number,
        "issue_title": hit.issue_title,
        "issue_date": hit.issue_date.isoformat() if hit.issue_date else None,
        "section": hit.section_name,
        "section_slug": hit.section_slug,
        "item_id": hit.item_id,
        "title": hit.item.title,
        "link": hit.item.link,
        "blurb": hit.item.blurb,
        "score": round(hit.score, 6),
        "snippet": "".join(run for run, _ in parts),
        "matches": [run for run, marked in parts if marked],
    }
