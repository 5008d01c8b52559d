"""The `newsbot` command line: check and ingest issue files, read and search the archive."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.archive import Archive, IngestOutcome
from bot.cli import _views as views
from bot.cli._console import (
    ISSUE_NUMBER_MAX,
    SQLITE_INT_MAX,
    CliState,
    NewsbotGroup,
    archive_path,
    date_option,
    discord_token,
    err,
    fail,
    open_archive,
    out,
    reaching,
    run_async,
    settings_of,
)
from bot.cli.imports import import_app
from bot.cli.publish import preview, publish
from bot.cli.status import status
from bot.cli.suggestions import suggestions_app
from bot.errors import IssueNotFound, NewsbotError
from bot.issuefiles import LoadResult, load_issues
from bot.logs import configure_logging
from bot.models import Issue, SearchPage, issue_json_schema, slugify
from bot.settings import Settings, load_settings

T = TypeVar("T")

app = typer.Typer(
    cls=NewsbotGroup,
    name="newsbot",
    help="newsbot: a newsletter's issues, archived, searchable and published.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SCHEMA_FILE = "issue.schema.json"


def version_line() -> str:
    """`newsbot <version>`, the version installed (from the package's metadata)."""
    try:
        return f"newsbot {metadata.version('newsbot')}"
    except metadata.PackageNotFoundError:
        return "newsbot (version unknown: it is not installed; run `python3 dev.py test` once)"


def _show_version(value: bool) -> None:
    if value:
        out.print(version_line(), markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="A TOML settings file.", metavar="FILE")
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="The archive file (overrides archive.path).", metavar="FILE"),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print newsbot's version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    overrides: dict[str, Any] = {}
    if db is not None:
        overrides["archive"] = {"path": db}
    try:
        settings = load_settings(config, **overrides)
    except NewsbotError as exc:
        raise fail(str(exc)) from None
    configure_logging(settings, verbose=verbose)
    ctx.obj = CliState(settings)


def _paths(ctx: typer.Context, paths: list[Path] | None) -> list[Path]:
    return paths or [settings_of(ctx).issues.directory]


def _report(result: LoadResult) -> None:
    for error in result.errors:
        err.print(str(error), markup=False, highlight=False, soft_wrap=True)


def _load(paths: list[Path]) -> LoadResult:
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise fail(f"{missing[0]}: no such file or folder")
    result = load_issues(paths)
    if not result.issues and not result.errors:
        raise fail(f"no issue files (*.md) in {', '.join(map(str, paths))}")
    return result


PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Issue files or folders of them (default: issues.directory)."),
]


@app.command()
def check(ctx: typer.Context, paths: PathsArg = None) -> None:
    """Validate issue files; report every problem in every file as path:line."""
    result = _load(_paths(ctx, paths))
    _report(result)
    for path, issue in result.issues:
        for number, (_, item) in enumerate(issue.items, start=1):
            if item.editor_note:
                err.print(
                    f"{path}: note on item {number} ({item.title}): {item.editor_note}",
                    markup=False,
                    style="yellow",
                    soft_wrap=True,
                )
    if result.errors:
        files = len({error.path for error in result.errors})
        raise fail(f"{len(result.errors)} problem(s) in {files} file(s)")
    out.print(f"{len(result.issues)} issue file(s) are valid.")


async def _ingest(settings: Settings, result: LoadResult) -> dict[IngestOutcome, list[int]]:
    done: dict[IngestOutcome, list[int]] = {outcome: [] for outcome in IngestOutcome}
    async with await open_archive(settings, create=True) as archive:
        with Progress(
            TextColumn("ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("ingest", total=len(result.issues))

            def advance(issue: Issue, outcome: IngestOutcome) -> None:
                done[outcome].append(issue.number)
                progress.advance(task)

            await archive.ingest_many(
                [(issue, path) for path, issue in result.issues], progress=advance
            )
    return done


@app.command()
def ingest(ctx: typer.Context, paths: PathsArg = None) -> None:
    """Store issue files in the archive; if any file is invalid, nothing is stored."""
    settings = settings_of(ctx)
    archive_path(settings)
    result = _load(_paths(ctx, paths))
    if result.errors:
        _report(result)
        raise fail(
            f"{len(result.errors)} problem(s) found; nothing was ingested. "
            "Fix them (see `newsbot check`) and run again."
        )
    done = run_async(_ingest(settings, result))
    summary = ", ".join(f"{len(numbers)} {outcome.value}" for outcome, numbers in done.items())
    out.print(f"{settings.archive.path}: {summary}.")


async def _with_archive(settings: Settings, use: Callable[[Archive], Awaitable[T]]) -> T:
    async with await open_archive(settings) as archive:
        return await use(archive)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
SectionOpt = Annotated[
    str | None, typer.Option(help="Only this section (name or slug).", metavar="NAME")
]


def _print_issue(issue: Issue, *, as_json: bool, section: str | None = None) -> None:
    if as_json:
        out.print_json(issue.model_dump_json())
    else:
        out.print(views.issue_view(issue, section=section))


@app.command()
def latest(
    ctx: typer.Context,
    section: Annotated[
        str | None, typer.Option(help="Show only this section.", metavar="NAME")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the newest issue in the archive."""
    issue = run_async(_with_archive(settings_of(ctx), lambda archive: archive.latest()))
    if issue is None:
        raise fail("the archive has no issues yet: run `newsbot ingest issues/`")
    slug = _section_slug(issue, section)
    _print_issue(issue, as_json=as_json, section=slug)


def _section_slug(issue: Issue, section: str | None) -> str | None:
    if section is None:
        return None
    slug = slugify(section)
    if issue.section(slug) is None:
        names = ", ".join(s.name for s in issue.sections)
        raise fail(f"issue #{issue.number} has no section {section!r}; it has: {names}")
    return slug


@app.command("issue")
def show_issue(
    ctx: typer.Context,
    number: Annotated[
        int, typer.Argument(help="The issue's number.", min=1, max=ISSUE_NUMBER_MAX, metavar="N")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show one archived issue."""
    issue = run_async(_with_archive(settings_of(ctx), lambda archive: archive.issue(number)))
    _print_issue(issue, as_json=as_json)


@app.command()
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
    offset: Annotated[int, typer.Option(help="Skip this many results.", min=0, metavar="N")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Search every archived item; best matches first."""
    since_date, until_date = date_option(since, "--since"), date_option(until, "--until")
    slug = slugify(section) if section else None

    async def find(archive: Archive) -> SearchPage:
        page = await archive.search(
            query,
            section=slug,
            issue=issue,
            since=since_date,
            until=until_date,
            limit=limit,
            # No archive holds that many results; SQLite's integers end not far beyond.
            offset=min(offset, SQLITE_INT_MAX // 2),
        )
        if not page.hits:
            await _check_filters(archive, section, slug, issue)
        return page

    page = run_async(_with_archive(settings_of(ctx), find))
    if as_json:
        payload = {
            "query": query,
            "offset": page.offset,
            "has_more": page.has_more,
            "hits": [views.hit_json(hit) for hit in page.hits],
        }
        out.print_json(json.dumps(payload, ensure_ascii=False))
    else:
        out.print(views.search_view(query, page))


async def _check_filters(
    archive: Archive, section: str | None, slug: str | None, issue: int | None
) -> None:
    """Fail naming a --section or --issue the archive does not have (a search found nothing)."""
    if issue is not None:
        try:
            await archive.issue(issue)
        except IssueNotFound:
            raise NewsbotError(f"issue #{issue} is not in the archive") from None
    if slug is not None:
        sections = dict(await archive.section_names(limit=(await archive.stats()).sections))
        if slug not in sections:
            names = ", ".join(sorted(sections.values())) or "none yet"
            raise NewsbotError(f"no section {section!r} in the archive; sections: {names}")


@app.command()
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
        out.print(f"{path} is current.")
        return
    path.write_text(text, encoding="utf-8")
    out.print(f"wrote {path}")


@app.command()
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to write.", metavar="FILE")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the archive into FILE, checked; safe while `newsbot run` is writing to it."""
    from bot.backup import back_up

    copy = run_async(back_up(archive_path(settings_of(ctx)), file, force=force))
    out.print(
        f"wrote {copy.path} ({copy.size:,} bytes): {copy.stats.issues} issue(s), "
        f"{copy.stats.items} item(s), schema version {copy.schema_version}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command("schedule")
def show_schedule(
    ctx: typer.Context,
    count: Annotated[
        int, typer.Option(help="How many firings to show.", min=1, max=100, metavar="N")
    ] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Show when `newsbot run` will publish next, and which issue each firing would send."""
    import datetime as dt

    from bot.models import IssueSummary
    from bot.schedule import triggers as scheduler

    settings = settings_of(ctx)
    now = dt.datetime.now(dt.UTC)
    firings = scheduler.next_firings(scheduler.trigger(settings), now, count)

    async def read(archive: Archive) -> tuple[set[int], list[IssueSummary]]:
        archived = await archive.issues(limit=(await archive.stats()).issues)
        return await scheduler.published_issues(archive, (s.number for s in archived)), archived

    published: set[int] = set()
    archived: list[IssueSummary] = []
    # Without an archive yet the firings are still worth showing.
    if archive_path(settings).exists():
        published, archived = run_async(_with_archive(settings, read))
    titles = {summary.number: summary.title for summary in archived}
    # Issues with a time of their own go out then, whatever the cron says.
    tz = scheduler.zone(settings)
    own_times = sorted(
        (
            (scheduler.publish_time(settings, s.publish_at).astimezone(tz), s)
            for s in archived
            if s.publish_at is not None and s.number not in published
        ),
        key=lambda pair: pair[0],
    )
    own_times = [(at, s) for at, s in own_times if at > now]
    timed = {s.number for _, s in own_times}
    for_cron = [s for s in archived if s.number not in timed]
    issues = scheduler.upcoming_issues(firings, published, for_cron, tz=tz)
    # The clock changes of the coming twelve months (and of any year a firing shown falls in).
    years = sorted({now.year, (now + dt.timedelta(days=365)).year, *(f.year for f in firings)})
    warnings = [w for y in years if (w := scheduler.skipped_hour_warning(settings, y, after=now))]
    notes = [n for y in years if (n := scheduler.repeated_hour_note(settings, y, after=now))]
    if as_json:
        payload = {
            "cron": settings.schedule.cron,
            "timezone": settings.schedule.timezone,
            "firings": [
                {
                    "at": firing.isoformat(),
                    "utc_offset": scheduler.utc_offset(firing),
                    "issue": number,
                }
                for firing, number in zip(firings, issues, strict=True)
            ],
            "own_times": [{"at": at.isoformat(), "issue": s.number} for at, s in own_times],
            "warnings": warnings,
            "notes": notes,
        }
        out.print_json(json.dumps(payload, ensure_ascii=False))
        return
    out.print(
        f"schedule {settings.schedule.cron!r} in {settings.schedule.timezone}; next firings:",
        markup=False,
        highlight=False,
    )
    for firing, number in zip(firings, issues, strict=True):
        what = (
            f"issue #{number} {titles[number]!r}"
            if number is not None
            else "the newest unpublished issue at that time (none archived yet)"
        )
        when = scheduler.wall_clock(firing)
        out.print(f"  {when}  {what}", markup=False, highlight=False, soft_wrap=True)
    for at, summary in own_times:
        out.print(
            f"  {scheduler.wall_clock(at)}  issue #{summary.number} {summary.title!r} "
            "(its own publish_at)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    for note in notes:
        out.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def run(ctx: typer.Context) -> None:
    """Run newsbot on Discord until stopped (Ctrl-C or SIGTERM stop it cleanly)."""
    from bot.app import run_bot  # discord.py loads only for the commands that need it

    settings = settings_of(ctx)
    token = discord_token(settings)
    archive_path(settings)

    async def run_until_stopped() -> None:
        with reaching("Discord", settings.discord.api_base):
            await run_bot(settings, token)

    run_async(run_until_stopped())


@app.command("sync-commands")
def sync_commands(ctx: typer.Context) -> None:
    """Send newsbot's slash commands to Discord now, even if they look unchanged."""
    from bot.app import sync_only

    settings = settings_of(ctx)
    token = discord_token(settings)
    archive_path(settings)

    async def sync() -> int:
        with reaching("Discord", settings.discord.api_base):
            return await sync_only(settings, token)

    count = run_async(sync())
    out.print(f"synced {count} command(s).")


@app.command()
def demo(
    ctx: typer.Context,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep", help="Afterwards, leave it all running and let you play the reader."
        ),
    ] = False,
) -> None:
    """Run newsbot on the bundled Discord and X emulators and play an editor and a reader.

    It needs no account and nothing beyond 127.0.0.1, and works from any folder.
    """
    from bot.demo import bundled_issues, run_demo  # the emulators load only for the demo

    try:
        folder = bundled_issues()
    except NewsbotError as exc:
        raise fail(str(exc)) from None
    result = _load([folder])
    if result.errors:
        _report(result)
        raise fail("the bundled issue files are invalid")
    code = run_async(run_demo(folder, result, keep=keep))
    if code:
        raise typer.Exit(code)


NO_ID_HELP = (
    "The application id is the Application ID on your application's General Information page "
    "at https://discord.com/developers/applications"
)
NO_APPLICATION_ID = (
    f"no application id: pass --client-id ID or set discord.application_id. {NO_ID_HELP}"
)
SNOWFLAKE_MAX = 2**64 - 1


@app.command("invite-url")
def invite_url(
    ctx: typer.Context,
    client_id: Annotated[
        int | None,
        typer.Option(
            "--client-id",
            help="The application's id (default: discord.application_id).",
            min=1,
            metavar="ID",
        ),
    ] = None,
    announcements: Annotated[
        bool,
        typer.Option(
            "--announcements",
            help="Issues go to an announcement channel: crosspost the digest (Manage Messages).",
        ),
    ] = False,
    roles: Annotated[
        bool,
        typer.Option(
            "--roles", help="A digest pings a role readers take with Notify me (Manage Roles)."
        ),
    ] = False,
) -> None:
    """Print the link that adds newsbot to a server, with the permissions its features need."""
    from bot import invite

    settings = settings_of(ctx)
    application = client_id or settings.discord.application_id
    if application is None:
        raise fail(NO_APPLICATION_ID)
    if application > SNOWFLAKE_MAX:
        raise fail(f"{application} is not a Discord id (it is too large). {NO_ID_HELP}")
    wanted = invite.needs(settings, announcements=announcements, roles=roles)
    out.print(invite.invite_url(application, wanted), markup=False, highlight=False)
    err.print("It asks for:", markup=False, highlight=False)
    for need in wanted:
        err.print(
            f"  {', '.join(need.permissions)}: to {need.feature}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if not announcements:
        err.print("  (--announcements: to crosspost in an announcement channel)", style="dim")
    if invite.NOTIFY_ME not in wanted:
        err.print("  (--roles: to give readers the role a digest pings)", style="dim")
    if invite.REPLIES not in wanted:
        err.print(
            "  (discord.message_content = true: to take links in replies as suggestions)",
            style="dim",
        )


app.command("preview")(preview)
app.command("status")(status)
app.command("publish")(publish)
app.add_typer(import_app, name="import", help="Bring issues in from other formats.")
app.add_typer(
    suggestions_app, name="suggestions", help="Links readers suggested for the next issue."
)


def main() -> None:
    """Entry point of the `newsbot` console script."""
    app()
