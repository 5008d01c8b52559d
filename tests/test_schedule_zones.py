"""The schedule in a timezone whose date is not UTC's at the firing: an issue is due by the
date of the firing where the editors are, as `newsbot schedule` forecasts it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.publishing.outlets.x import x_outlet
from bot.sandbox.x import XEmulator
from bot.schedule import triggers as scheduler
from bot.store import Archive
from tests.factories import issue
from tests.test_scheduled import scheduled_on, settings_for


@pytest.mark.parametrize(
    ("timezone", "cron", "date", "sent"),
    [
        # Monday 09:00 in Auckland is Sunday 20:00 UTC: Monday's issue goes out then.
        ("Pacific/Auckland", "0 9 * * MON", dt.date(2026, 12, 7), [203]),
        # Sunday 18:00 in Los Angeles is Monday 02:00 UTC: Monday's issue is not due yet.
        ("America/Los_Angeles", "0 18 * * SUN", dt.date(2026, 12, 7), []),
    ],
)
async def test_a_firing_goes_by_its_date_in_the_schedules_zone(
    archive: Archive,
    x_emulator: XEmulator,
    tmp_path: Path,
    timezone: str,
    cron: str,
    date: dt.date,
    sent: list[int],
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    settings = settings_for(x_emulator, folder, cron=cron, timezone=timezone)
    await archive.issues.ingest(issue(203, date=date))
    (firing,) = scheduler.next_firings(
        scheduler.trigger(settings), dt.datetime(2026, 12, 5, tzinfo=dt.UTC), 1
    )
    forecast = scheduler.upcoming_issues(
        [firing], set(), await archive.issues.issues(), tz=scheduler.zone(settings)
    )
    assert forecast == [sent[0] if sent else None], "what `newsbot schedule` says"
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x)
        # `newsbot run`'s clock reads UTC, as the machine's does.
        work.clock = lambda: firing.astimezone(dt.UTC)
        report = await work.fire(work.clock())
    assert report.published == ({"x": sent} if sent else {})
    assert bool(x_emulator.live_tweets()) == bool(sent)
