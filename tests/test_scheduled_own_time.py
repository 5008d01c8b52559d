"""An issue's own `publish_at` that has already passed when `newsbot run` first reads it: a file
saved a few minutes late, or a time moved earlier, goes out at once and the editors are told;
one already past at the start is the catch-up's (`schedule.catch_up`) to decide, and what the
catch-up publishes is told as late."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from bot.issuefiles import format_issue
from bot.publishing.outlets.x import x_outlet
from bot.sandbox.x import XEmulator
from bot.store import Archive
from tests.conftest import eventually
from tests.factories import issue
from tests.test_scheduled import Told, scheduled_on, settings_for
from tests.x.conftest import assert_one_thread, thread_texts


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "issues"
    made.mkdir()
    return made


def save(folder: Path, number: int, publish_at: dt.datetime) -> None:
    """The issue file of `number` with that time, saved long ago as far as settling goes."""
    path = folder / f"{number}.md"
    path.write_text(format_issue(issue(number, publish_at=publish_at)), encoding="utf-8")
    os.utime(path, (0, 0))


@pytest.mark.parametrize(
    ("late", "sent"), [(dt.timedelta(minutes=5), True), (dt.timedelta(days=7), False)]
)
async def test_a_file_saved_after_its_publish_at_goes_out_at_once_within_the_grace(
    archive: Archive, x_emulator: XEmulator, folder: Path, late: dt.timedelta, sent: bool
) -> None:
    real_now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # Started three minutes ago, when the folder was empty; the editors save #7 now, after its
    # time (before the start: the catch-up never saw it). Within schedule.misfire_grace_time
    # (an hour) it goes out at once, late; a week ago (last week's file copied as the next,
    # its time not yet changed) it waits for the editors. Either way they are told, once.
    now = [real_now - dt.timedelta(minutes=3)]
    settings = settings_for(x_emulator, folder)
    told = Told()
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x, told)
        work.clock = lambda: now[0]
        work.start()
        try:
            await work.catch_up()
            now[0] = real_now
            save(folder, 7, real_now - late)
            await work.rescan()  # the minutely look at the files
            if sent:
                thread = thread_texts(issue(7))
                await eventually(lambda: len(x_emulator.live_tweets()) == len(thread))
            assert work._scheduler is not None
            jobs = [job.id for job in work._scheduler.get_jobs()]
        finally:
            await work.stop()
    (said,) = [m for m in told.messages if "#7" in m and "had passed" in m]
    if sent:
        assert_one_thread(x_emulator.live_tweets(), thread_texts(issue(7)))
        assert said.endswith("it goes out now, late.")
    else:
        assert not x_emulator.live_tweets() and "newsbot-issue-7" not in jobs
        assert "had passed long before newsbot read its file" in said
        assert "`newsbot publish 7`" in said


async def test_a_publish_at_moved_into_the_past_goes_out_at_once(
    archive: Archive, x_emulator: XEmulator, folder: Path
) -> None:
    real_now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    now = [real_now - dt.timedelta(minutes=10)]
    settings = settings_for(x_emulator, folder)
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x, Told())
        work.clock = lambda: now[0]
        save(folder, 7, real_now + dt.timedelta(hours=1))
        work.start()
        try:
            await work.catch_up()
            assert work._scheduler is not None
            assert work._scheduler.get_job("newsbot-issue-7") is not None
            # An hour ahead, then moved to five minutes ago: "send it now, really".
            now[0] = real_now
            save(folder, 7, real_now - dt.timedelta(minutes=5))
            await work.rescan()
            await eventually(lambda: len(x_emulator.live_tweets()) == len(thread_texts(issue(7))))
        finally:
            await work.stop()
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue(7)))


async def test_a_publish_at_that_passed_before_the_start_is_left_to_the_catch_up(
    archive: Archive, x_emulator: XEmulator, folder: Path
) -> None:
    # schedule.catch_up = "none": what fell due while newsbot was down waits for a firing.
    settings = settings_for(x_emulator, folder)
    save(folder, 7, dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5))
    async with x_outlet(settings.x) as x:
        told = Told()
        work = scheduled_on(archive, settings, x, told)
        work.start()
        try:
            caught_up = await work.catch_up()
            await work.rescan()
            assert work._scheduler is not None
            jobs = [job.id for job in work._scheduler.get_jobs()]
        finally:
            await work.stop()
    assert caught_up.published == {}
    assert not [m for m in told.messages if "had passed" in m], told.messages
    assert not [job for job in jobs if job.startswith("newsbot-issue-")]
    assert not x_emulator.live_tweets()


async def test_what_the_start_catches_up_on_is_told_as_late(
    archive: Archive, x_emulator: XEmulator, folder: Path
) -> None:
    # Down over the firing of 1 January, 09:00 UTC; #7 was archived before it.
    settings = settings_for(x_emulator, folder, catch_up="latest")
    await archive.issues.ingest(issue(7))
    told = Told()
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x, told)
        work.clock = lambda: dt.datetime(2027, 1, 1, 11, tzinfo=dt.UTC)
        caught_up = await work.catch_up()
        again = await work.catch_up()  # a restart with nothing due says nothing
    assert caught_up.published == {"x": [7]} and again.published == {}
    assert told.messages == [
        "Published at newsbot's start what was due and not yet out, late (the last firing was"
        " Fri 2027-01-01 09:00 UTC (UTC+00:00)): X: #7."
    ]


async def test_an_issues_folder_that_is_not_there_is_told_once(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path
) -> None:
    # issues.directory misspelt: the editors save their files where newsbot never looks.
    folder = tmp_path / "isues"
    settings = settings_for(x_emulator, folder)
    told = Told()
    work = scheduled_on(archive, settings, None, told)
    first, second = await work.fire(), await work.fire()
    said = (
        f"issues.directory {folder} is not a folder: no issue file is read, so no new issue is"
        " published; create it, or set issues.directory to the folder of issue files."
    )
    assert first.failures == second.failures == [said], "in `newsbot status`, each firing"
    assert told.messages == [said], "told once, not at each firing"
    folder.mkdir()
    assert (await work.fire()).failures == []
