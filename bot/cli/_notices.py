"""What `newsbot check` and `newsbot ingest` show an editor besides problems: a valid issue
file's editor notes and warnings, each at `path:line`, so that an editor's terminal or IDE
jumps to it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cli._console import err, open_archive
from bot.errors import IssueFileError, NewsbotError
from bot.issuefiles import editor_note_lines, front_matter_line
from bot.models import Issue
from bot.render.commonmark import reads_as

if TYPE_CHECKING:
    from bot.settings import Settings


def show_notices(path: Path, issue: Issue, warnings: Iterable[IssueFileError]) -> None:
    """A valid issue file's editor notes (`path:line: note on item N (title): note`) and
    warnings (`path:line: item N (title) has no blurb: …`), in the order of their lines."""
    shown: list[tuple[int | None, str]] = [(warning.line, str(warning)) for warning in warnings]
    noted = [
        (number, item)
        for number, (_, item) in enumerate(issue.items, start=1)
        if item.editor_note is not None
    ]
    if noted:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""  # changed since it was checked: the notes are still worth showing
        lines = editor_note_lines(text, [item.editor_note or "" for _, item in noted])
        for (number, item), line in zip(noted, lines, strict=True):
            where = f"{path}:{line}" if line is not None else str(path)
            note = f"note on item {number} ({reads_as(item.title)}): {item.editor_note}"
            shown.append((line, f"{where}: {note}"))
    # A note no longer found in the file (edited since it was checked) comes last.
    print_notices(notice for _, notice in sorted(shown, key=_by_line))


def _by_line(shown: tuple[int | None, str]) -> tuple[bool, int]:
    return shown[0] is None, shown[0] or 0


def print_notices(notices: Iterable[IssueFileError | str]) -> None:
    """Each notice (an editor note, a warning) in yellow on stderr, where problems go."""
    for notice in notices:
        err.print(str(notice), markup=False, style="yellow", soft_wrap=True)


def tell_overlooked(paths: Iterable[Path]) -> None:
    """Say which files in the folders of `paths` look like issue files but are not read as
    one (`203.MD`, `203.markdown`), and what to call them."""
    from bot.issuefiles import overlooked_files

    print_notices(
        f"{path}: not read: an issue file's name ends in .md (rename it to {path.stem}.md)"
        for path in overlooked_files(paths)
    )


def tell_left_out(paths: Iterable[Path]) -> None:
    """Say once which Markdown files in the folders of `paths` are not issue files, and why:
    a `README.md` beside the issues is left alone, and so is a draft saved as `issue-204.md`
    before its front matter was written, which its editor should hear of."""
    from bot.issuefiles import left_out_files

    left_out = left_out_files(paths)
    if left_out:
        print_notices(
            [
                "left out, not issue files (not named <number>.md, and no front matter): "
                + ", ".join(map(str, left_out))
            ]
        )


async def left_as_archived(
    settings: Settings, errors: list[IssueFileError]
) -> tuple[list[IssueFileError], list[str]]:
    """`errors` split as `newsbot run` splits them (see `archived_as_read`): those that stop
    the ingest, and the notices of back issues left as archived. All stop it where there is
    no archive yet."""
    from bot.schedule.files import archived_as_read
    from bot.schedule.reports import LEFT_AS_ARCHIVED

    try:
        async with await open_archive(settings) as archive:
            stopping, archived = await archived_as_read(errors, archive.issues)
    except NewsbotError:
        return errors, []
    return stopping, [f"{LEFT_AS_ARCHIVED}:", *map(str, archived)] if archived else []


def clock_change_warnings(
    issues: Iterable[tuple[Path, Issue]], zone: ZoneInfo
) -> list[IssueFileError]:
    """A warning at the `publish_at:` line of each issue whose time, read in `zone` (the
    schedule's), falls in an hour the clocks skip or repeat (`publish_at_clock_change`)."""
    from bot.schedule.triggers import publish_at_clock_change

    return [
        IssueFileError(path, front_matter_line(path, "publish_at"), reason)
        for path, issue in issues
        if issue.publish_at is not None
        and (reason := publish_at_clock_change(issue.publish_at, zone)) is not None
    ]


def show_schedule_warnings(settings: Settings) -> None:
    """Warn on stderr of a `schedule.cron` that is valid but not what it seems: one naming both
    a day of the month and a weekday, or whose next firing is more than a year away."""
    import datetime as dt

    from bot.settings import DEFAULT_CRON

    cron = settings.schedule.cron
    if cron == DEFAULT_CRON:
        return  # a good one, and reading it would load apscheduler for nothing
    from bot.schedule.cron import both_days_warning, cron_trigger, rare_firing_warning

    now = dt.datetime.now(dt.UTC)
    following = cron_trigger(cron, ZoneInfo(settings.schedule.timezone)).get_next_fire_time(
        None, now
    )
    for warning in filter(
        None, [both_days_warning(cron), rare_firing_warning(cron, following, now)]
    ):
        err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
