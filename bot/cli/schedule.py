"""`newsbot schedule`: when `newsbot run` publishes next, and what."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli._console import JsonOpt, archive_path, err, out, run_async, settings_of, with_archive

if TYPE_CHECKING:
    from bot.models import IssueSummary
    from bot.store import Archive


def show_schedule(
    ctx: typer.Context,
    count: Annotated[
        int, typer.Option(help="How many firings to show.", min=1, max=100, metavar="N")
    ] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Show when `newsbot run` will publish next, and which issue each firing would send."""
    from bot.schedule import triggers

    settings = settings_of(ctx)
    now = dt.datetime.now(dt.UTC)
    firings = triggers.next_firings(triggers.trigger(settings), now, count)

    async def read(archive: Archive) -> tuple[set[int], list[IssueSummary]]:
        archived = await archive.issues.issues(limit=(await archive.issues.stats()).issues)
        return await triggers.published_issues(archive, (s.number for s in archived)), archived

    published: set[int] = set()
    archived: list[IssueSummary] = []
    # Without an archive yet the firings are still worth showing.
    if archive_path(settings).exists():
        published, archived = run_async(with_archive(settings, read))
    titles = {summary.number: summary.title for summary in archived}
    # Issues with a time of their own go out then, whatever the cron says.
    tz = triggers.zone(settings)
    own_times = sorted(
        (
            (triggers.publish_time(settings, s.publish_at).astimezone(tz), s)
            for s in archived
            if s.publish_at is not None and s.number not in published
        ),
        key=lambda pair: pair[0],
    )
    own_times = [(at, s) for at, s in own_times if at > now]
    timed = {s.number for _, s in own_times}
    for_cron = [s for s in archived if s.number not in timed]
    issues = triggers.upcoming_issues(firings, published, for_cron, tz=tz)
    # The clock changes of the coming twelve months (and of any year a firing shown falls in).
    years = sorted({now.year, (now + dt.timedelta(days=365)).year, *(f.year for f in firings)})
    warnings = [w for y in years if (w := triggers.skipped_hour_warning(settings, y, after=now))]
    notes = [n for y in years if (n := triggers.repeated_hour_note(settings, y, after=now))]
    if as_json:
        payload = {
            "cron": settings.schedule.cron,
            "timezone": settings.schedule.timezone,
            "firings": [
                {
                    "at": firing.isoformat(),
                    "utc_offset": triggers.utc_offset(firing),
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
        when = triggers.wall_clock(firing)
        out.print(f"  {when}  {what}", markup=False, highlight=False, soft_wrap=True)
    for at, summary in own_times:
        out.print(
            f"  {triggers.wall_clock(at)}  issue #{summary.number} {summary.title!r} "
            "(its own publish_at)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    for note in notes:
        out.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
