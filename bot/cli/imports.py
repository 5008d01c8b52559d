"""`newsbot import text|feed`: issues from other formats into issue files (and the archive).

`bot.cli` loads it as the `import` group when one of its commands runs (feedparser and aiohttp
load with it). The commands read the settings that the `newsbot` callback puts in the root
context's `obj`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import TypeAdapter, ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.cli._console import (
    archive_location,
    date_option,
    err,
    fail,
    out,
    run_async,
    settings_of,
)
from bot.cli._stopping import run_loop
from bot.errors import NewsbotError, SourceError
from bot.importers._fetch import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, is_url, remember
from bot.importers._output import WriteOutcome, Written, save_issues, scan_folder
from bot.importers._report import Imported, Notice
from bot.importers.feed import (
    FeedDocument,
    FeedImport,
    download_feed,
    feed_issues,
    read_feed_file,
)
from bot.importers.text import read_text_issue
from bot.issuefiles import named_once
from bot.models import IngestOutcome, Issue, Link
from bot.settings import Settings
from bot.store import Archive

T = TypeVar("T")

import_app = typer.Typer(
    help="Import issues from plain text or RSS/Atom feeds into issue files.",
    no_args_is_help=True,
)

_LINK = TypeAdapter(Link)
_MEGABYTE = 1024 * 1024


def _warn(notices: Iterable[Notice]) -> None:
    for notice in notices:
        err.print(str(notice), markup=False, highlight=False, soft_wrap=True, style="yellow")


def _link(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _LINK.validate_python(value)
    except ValidationError as exc:
        reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise fail(f"--link {value!r}: {reason}") from None


@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    ) as progress:
        yield progress


def _write(issues: Sequence[Issue], folder: Path, progress: Progress, force: bool) -> list[Written]:
    task = progress.add_task("writing issue files", total=len(issues))
    try:
        return save_issues(
            issues, scan_folder(folder), force=force, progress=lambda _: progress.advance(task)
        )
    except NewsbotError as exc:
        raise fail(f"{exc}; nothing more was written") from None


def _out_folder(out_dir: Path | None, settings: Settings) -> Path:
    """The folder to write issue files to (`--out`, else the issues folder); fail if it is
    something else, naming where it was given."""
    folder = out_dir or settings.issues.directory
    if folder.exists() and not folder.is_dir():
        named = "--out names" if out_dir else "issues.directory names"
        raise fail(f"{folder}: is not a folder; {named} the folder of the issue files")
    return folder


def _report(written: Sequence[Written]) -> None:
    for done in written:
        if done.outcome is WriteOutcome.KEPT:
            _warn(
                [Notice(str(done.path), f"{done.kept_because}; kept — use --force to replace it")]
            )
            continue
        told = f"{done.path}: {done.outcome.value} (#{done.issue.number} {done.issue.title})"
        if done.backup is not None:
            told += f"; what was there is kept in {done.backup}"
        out.print(told, markup=False, highlight=False, soft_wrap=True)
    counts = {outcome: 0 for outcome in WriteOutcome}
    for done in written:
        counts[done.outcome] += 1
    always = (WriteOutcome.CREATED, WriteOutcome.UPDATED, WriteOutcome.UNCHANGED)
    summary = [f"{n} {outcome.value}" for outcome, n in counts.items() if n or outcome in always]
    out.print(", ".join(summary) + ".")


def _imported(written: Sequence[Written]) -> list[Written]:
    """The files that now hold what was imported: all but the kept ones."""
    return [done for done in written if done.outcome is not WriteOutcome.KEPT]


async def _ingest(location: Path | str, written: Sequence[Written]) -> list[IngestOutcome]:
    async with await Archive.open(location) as archive:
        return await archive.issues.ingest_many(
            [(done.issue, done.path) for done in _imported(written)]
        )


def _ingest_all(settings: Settings, written: Sequence[Written]) -> None:
    try:
        outcomes = run_loop(_ingest(settings.archive.location(), written))
    except NewsbotError as exc:
        raise fail(f"{exc}; nothing was ingested") from None
    except (sqlite3.Error, OSError) as exc:
        raise fail(f"{settings.archive.shown()}: {exc}; nothing was ingested") from None
    summary = ", ".join(
        f"{sum(1 for o in outcomes if o is outcome)} {outcome.value}" for outcome in IngestOutcome
    )
    out.print(f"{settings.archive.shown()}: {summary}.", markup=False, highlight=False)


def _load(
    source: str, folder: Path, time_limit: float, max_bytes: int, *, refresh: bool
) -> FeedDocument:
    if not is_url(source):
        try:
            return read_feed_file(source)
        except NewsbotError as exc:
            raise fail(str(exc)) from None
    return run_async(
        download_feed(
            source, folder, time_limit=time_limit, max_bytes=max_bytes, conditional=not refresh
        )
    )


def _read_entries(
    document: FeedDocument, folder: Path, since: dt.date | None, limit: int | None
) -> FeedImport:
    with _progress() as progress:
        task = progress.add_task("reading entries", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            return feed_issues(
                document, scan_folder(folder), since=since, limit=limit, progress=advance
            )
        except NewsbotError as exc:
            raise fail(f"{exc}; nothing was written") from None


OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Write issue files here (default: issues.directory).", metavar="DIR"
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace issue files changed since import wrote them, keeping a copy of each "
        "as FILE.~N~.",
    ),
]
IngestOpt = Annotated[
    bool,
    typer.Option("--ingest", help="Also store the imported issues in the archive, all or none."),
]


@import_app.command("text")
def import_text(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Plain-text issues.", metavar="FILE")],
    out_dir: OutOpt = None,
    date: Annotated[
        str | None, typer.Option(help="The issue's date (one FILE only).", metavar="YYYY-MM-DD")
    ] = None,
    link: Annotated[
        str | None,
        typer.Option(help="The issue's address on the web (one FILE only).", metavar="URL"),
    ] = None,
    force: ForceOpt = False,
    ingest: IngestOpt = False,
) -> None:
    """Import plain-text issues; if any file cannot be imported, nothing is written."""
    settings = settings_of(ctx)
    if ingest:
        archive_location(settings)
    folder = _out_folder(out_dir, settings)
    if (date or link) and len(files) > 1:
        raise fail("--date and --link describe one issue: import one FILE with them")
    issue_date, issue_link = date_option(date, "--date"), _link(link)
    imported: list[Imported] = []
    failures: list[NewsbotError] = []
    sources: dict[int, Path] = {}
    for path in named_once(files):
        try:
            done = read_text_issue(path, date=issue_date, link=issue_link)
        except NewsbotError as exc:
            failures.append(exc)
            continue
        number = done.issue.number
        if number in sources:
            # Said here, with both files: the writing would only name the issue file.
            reason = f"issue #{number} is also the issue of {sources[number]}: import one of them"
            failures.append(SourceError(f"{path}:1", reason))
            continue
        sources[number] = path
        imported.append(done)
    for done in imported:
        _warn(done.notices)
    for failure in failures:
        err.print(str(failure), markup=False, highlight=False, soft_wrap=True)
    if failures:
        raise fail(f"{len(failures)} file(s) could not be imported; nothing was written")
    with _progress() as progress:
        written = _write([done.issue for done in imported], folder, progress, force)
    _report(written)
    if ingest:
        _ingest_all(settings, written)


@import_app.command("feed")
def import_feed(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(help="The feed's URL, or a feed file.", metavar="URL-or-FILE")
    ],
    out_dir: OutOpt = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only entries published on or after this date.", metavar="YYYY-MM-DD"),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="Only the newest N entries.", min=1, metavar="N")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            help="Give up on the feed's server after this long.", min=0.001, metavar="SECONDS"
        ),
    ] = DEFAULT_TIMEOUT,
    max_size: Annotated[
        float, typer.Option(help="Refuse a larger feed.", min=0.001, max=1e6, metavar="MB")
    ] = DEFAULT_MAX_BYTES / _MEGABYTE,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh", help="Fetch in full, ignoring the remembered ETag/Last-Modified."
        ),
    ] = False,
    force: ForceOpt = False,
    ingest: IngestOpt = False,
) -> None:
    """Import a newsletter's RSS/Atom feed, one issue per entry; a re-import updates in place."""
    settings = settings_of(ctx)
    if ingest:
        archive_location(settings)
    folder = _out_folder(out_dir, settings)
    since_date = date_option(since, "--since")
    document = _load(source, folder, timeout, int(max_size * _MEGABYTE), refresh=refresh)
    if document.unchanged:
        out.print(
            f"{source}: feed unchanged (HTTP 304); importing the copy from the last fetch.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    result = _read_entries(document, folder, since_date, limit)
    _warn(result.notices)
    for done in result.imported:
        _warn(done.notices)
    with _progress() as progress:
        written = _write([done.issue for done in result.imported], folder, progress, force)
    _report(written)
    if ingest and _imported(written):
        _ingest_all(settings, written)
    if document.validators is not None:
        # Remembered last, so a failed write or ingest is retried in full next time.
        try:
            remember(folder, document.source, document.validators, document.data)
        except OSError as exc:
            reason = f"cannot keep a copy of the feed ({exc.strerror or exc}); "
            _warn([Notice(str(exc.filename or folder), reason + "it is fetched in full next time")])
