"""`newsbot schedule`: when `newsbot run` publishes next, and what."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli._console import JsonOpt, archive_path, err, out, run_async, settings_of, with_archive

STOPPED_AT_FIRING = (
    "issue files have problems (`newsbot check` lists them): the next firing ingests none of"
    " the files, so only what is archived goes out"
)

if TYPE_CHECKING:
    from bot.models import IssueSummary
    from bot.settings import Settings
    from bot.store import Archive


@dataclass(frozen=True)
class _Upcoming:
    """What the schedule will do: its next firings and the issue each would send, the issues
    with a publish_at of their own, and what to know about the coming clock changes."""

    firings: list[tuple[dt.datetime, int | None]]
    own_times: list[tuple[dt.datetime, int]]
    titles: dict[int, str]
    warnings: list[str]
    notes: list[str]


def show_schedule(
    ctx: typer.Context,
    count: Annotated[
        int, typer.Option(help="How many firings to show.", min=1, max=100, metavar="N")
    ] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Show when `newsbot run` will publish next, and which issue each firing would send."""
    settings = settings_of(ctx)
    upcoming = _upcoming(settings, count, dt.datetime.now(dt.UTC))
    if as_json:
        out.print_json(json.dumps(_as_json(settings, upcoming), ensure_ascii=False))
    else:
        _print(settings, upcoming)


def _upcoming(settings: Settings, count: int, now: dt.datetime) -> _Upcoming:
    """The next `count` firings after `now`, the issues each would send, and the rest.

    An issue's own time is read from its file when it has one, as `newsbot run` and `newsbot
    status` read it: a file held for its own time is not ingested until then, and a time just
    written in a file holds before any ingest. The file of a held issue deleted cancels it.
    A file not yet archived counts as the next firing, which ingests it first, finds it.
    """
    from bot.schedule import triggers
    from bot.schedule.cron import both_days_warning, rare_firing_warning
    from bot.schedule.files import (
        ARRIVALS_KEY,
        as_the_next_firing_finds,
        deleted_timed,
        scan_issue_files,
        stops_the_ingest,
    )

    firings = triggers.next_firings(triggers.trigger(settings), now, count)
    directory = settings.issues.directory
    scan = scan_issue_files(directory) if directory.is_dir() else None

    async def read(archive: Archive) -> tuple[set[int], list[IssueSummary], set[int], bool]:
        archived = await archive.issues.issues(limit=(await archive.issues.stats()).issues)
        numbers = {s.number for s in archived} | set(scan.times if scan else ())
        kept = await archive.state.get(ARRIVALS_KEY)
        arrivals = dict.fromkeys(int(n) for n in json.loads(kept)) if kept else {}
        gone = deleted_timed(archived, scan.present if scan else None, arrivals)
        published = await triggers.published_issues(archive, numbers | gone)
        stopped = await stops_the_ingest(scan, archive.issues)
        return published, archived, gone - published, stopped

    published: set[int] = set()
    archived: list[IssueSummary] = []
    cancelled: set[int] = set()
    stopped = bool(scan and scan.errors)  # without an archive, any problem stops the ingest
    # Without an archive yet the firings are still worth showing.
    if settings.archive.url is not None or archive_path(settings).exists():
        published, archived, cancelled, stopped = run_async(with_archive(settings, read))
    # A new file in the folder is ingested by the next firing, which then publishes it.
    kept = (s for s in archived if s.number not in cancelled)
    archived = as_the_next_firing_finds(kept, scan, stopped)
    titles = {s.number: s.title for s in archived}
    times = {s.number: s.publish_at for s in archived if s.publish_at is not None}
    if scan is not None:
        times.update(scan.times)
        titles.update(scan.titles)
    # Issues with a time of their own go out then, whatever the cron says.
    tz = triggers.zone(settings)
    own_times = sorted(
        (triggers.publish_time(settings, at).astimezone(dt.UTC).astimezone(tz), number)
        for number, at in times.items()
        if number not in published and triggers.schedulable(settings, at)
    )
    own_times = [(at, number) for at, number in own_times if at > now]
    timed = {number for _, number in own_times}
    for_cron = [s for s in archived if s.number not in timed]
    issues = triggers.upcoming_issues(firings, published, for_cron, tz=tz)
    # The clock changes of the coming twelve months (and of any year a firing shown falls in).
    years = sorted({now.year, (now + dt.timedelta(days=365)).year, *(f.year for f in firings)})
    warned = [STOPPED_AT_FIRING] if stopped else []
    cron = settings.schedule.cron
    warned += filter(None, [both_days_warning(cron), rare_firing_warning(cron, firings[0], now)])
    return _Upcoming(
        firings=list(zip(firings, issues, strict=True)),
        own_times=own_times,
        titles=titles,
        warnings=warned
        + [w for y in years if (w := triggers.skipped_hour_warning(settings, y, after=now))],
        notes=[n for y in years if (n := triggers.repeated_hour_note(settings, y, after=now))],
    )


def _as_json(settings: Settings, upcoming: _Upcoming) -> dict[str, Any]:
    """The schedule as `newsbot schedule --json` prints it."""
    from bot.schedule import triggers

    return {
        "cron": settings.schedule.cron,
        "timezone": settings.schedule.timezone,
        "firings": [
            {
                "at": firing.isoformat(),
                "utc_offset": triggers.utc_offset(firing),
                "issue": number,
            }
            for firing, number in upcoming.firings
        ],
        "own_times": [{"at": at.isoformat(), "issue": number} for at, number in upcoming.own_times],
        "warnings": upcoming.warnings,
        "notes": upcoming.notes,
    }


def _print(settings: Settings, upcoming: _Upcoming) -> None:
    """The schedule as `newsbot schedule` prints it: a line per firing, warnings on stderr."""
    from bot.schedule import triggers

    out.print(
        f"schedule {settings.schedule.cron!r} in {settings.schedule.timezone}; next firings:",
        markup=False,
        highlight=False,
    )
    # One list in time order: an issue's own time may come before the cron's next firing.
    lines: list[tuple[dt.datetime, str]] = [
        (
            firing,
            f"issue #{number} {upcoming.titles[number]!r}"
            if number is not None
            else "the newest issue not yet published at that time (none is waiting now)",
        )
        for firing, number in upcoming.firings
    ]
    lines += [
        (at, f"issue #{number} {upcoming.titles[number]!r} (its own publish_at)")
        for at, number in upcoming.own_times
    ]
    for at, what in sorted(lines, key=lambda line: line[0]):
        when = triggers.wall_clock(at)
        out.print(f"  {when}  {what}", markup=False, highlight=False, soft_wrap=True)
    for warning in upcoming.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    for note in upcoming.notes:
        out.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
