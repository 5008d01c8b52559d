"""The schedule's work in one process: an issue's own publish_at, broken issue files, the
policies, and a stop in the middle of a publish (X through the real tweepy and its emulator)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobEvent

import bot.issuefiles._loading
import bot.schedule.jobs
from bot.errors import IssueFileError
from bot.issuefiles import format_issue
from bot.models import Issue
from bot.publishing.outlets.x import XOutlet, x_outlet
from bot.sandbox.x import XEmulator
from bot.schedule.files import SETTLE_SECONDS
from bot.schedule.jobs import ISSUE_JOB, PUBLISHING_LEASE, ScheduledPublishing
from bot.schedule.triggers import JOB_ID
from bot.settings import Settings, load_settings
from bot.status import gather_status, status_lines
from bot.store import Archive
from bot.wiring import build
from tests.conftest import ISSUES, eventually
from tests.factories import issue, item
from tests.x.conftest import assert_one_thread, thread_texts


def settings_for(x_emulator: XEmulator, folder: Path, **schedule: object) -> Settings:
    keys = {key.removeprefix("NEWSBOT_X__").lower(): v for key, v in x_emulator.env().items()}
    return load_settings(
        issues={"directory": folder},
        x=keys,
        schedule={"cron": "0 9 1 1 *", "catch_up": "none", **schedule},
        publishing={"retry_delay": 0.01, "stop_grace": 0},
    )


def saved_a_while_ago(*paths: Path) -> None:
    """Date the files' last change a few `SETTLE_SECONDS` back: their saves are over, so a
    firing reads them at once rather than waiting to see them settle (which
    `test_a_file_caught_in_the_middle_of_a_save_waits_until_it_is_written` checks), and they
    still arrived long after any firing the schedule missed."""
    written = time.time() - 3 * SETTLE_SECONDS
    for path in paths:
        os.utime(path, (written, written))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "issues"
    made.mkdir()
    return made


class Told:
    """What the schedule told the editors (the alerts channels, in `newsbot run`)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def tell(self, text: str, target: object = None, *, logged: bool = False) -> None:
        self.messages.append(text)


def scheduled_on(
    archive: Archive, settings: Settings, x: XOutlet | None = None, told: Told | None = None
) -> ScheduledPublishing:
    """The schedule's work on the archive, publishing on X when `x` is given."""
    return ScheduledPublishing(build(settings, archive, threads=[x] if x else [], alerts=told))


@pytest.fixture
async def scheduled(
    archive: Archive, x_emulator: XEmulator, folder: Path
) -> AsyncIterator[tuple[ScheduledPublishing, Told]]:
    settings = settings_for(x_emulator, folder)
    told = Told()
    async with x_outlet(settings.x) as x:
        yield scheduled_on(archive, settings, x, told), told


async def test_an_issue_goes_out_at_its_own_publish_at_and_not_before(
    scheduled: tuple[ScheduledPublishing, Told],
    archive: Archive,
    x_emulator: XEmulator,
    folder: Path,
) -> None:
    work, _ = scheduled
    # Its time is a day ahead of the machine's clock and the schedule's clock stands just
    # before it: what is checked is when its job is due and what a run before its time does,
    # never whether the machine gets there in time.
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(microsecond=0)
    now = [at - dt.timedelta(seconds=1)]
    work.clock = lambda: now[0]
    timed = issue(7, publish_at=at)
    (folder / "7.md").write_text(format_issue(timed), encoding="utf-8")
    # Saved a while ago: a firing takes it at once instead of waiting for the save to settle.
    os.utime(folder / "7.md", (0, 0))
    work.start()
    try:
        await work.rescan()  # what the minutely look at the files does
        assert work._scheduler is not None
        job = work._scheduler.get_job(ISSUE_JOB.format(7))
        assert job is not None and job.next_run_time == at, "its job is due at its time"
        # A firing before its time neither publishes it nor lets readers find it early, and
        # its own job, run early (a clock set back), publishes nothing either.
        early = await work.fire()
        assert early.published == {} and await archive.issues.issues() == []
        assert await work.publish_own_time(7) is None
        assert not x_emulator.live_tweets()
        # Its time comes: the scheduler runs its job, which publishes it.
        now[0] = at
        work._scheduler.modify_job(job.id, next_run_time=dt.datetime.now(dt.UTC))
        await eventually(lambda: len(x_emulator.live_tweets()) == len(thread_texts(timed)))
    finally:
        await work.stop()
    assert_one_thread(x_emulator.live_tweets(), thread_texts(timed))


async def test_a_broken_issue_file_stops_the_ingest_not_the_publish(
    scheduled: tuple[ScheduledPublishing, Told],
    archive: Archive,
    x_emulator: XEmulator,
    folder: Path,
    issue_202: Issue,
) -> None:
    work, told = scheduled
    await archive.issues.ingest(issue_202)
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    (folder / "203.md").write_text("---\nnumber: 203\n---\n", encoding="utf-8")
    saved_a_while_ago(folder / "202.md", folder / "203.md")
    first = await work.fire()
    second = await work.fire()
    assert first.published == {"x": [202]}, "what the archive holds still goes out"
    assert any("203.md:" in failure for failure in first.failures)
    assert len(told.messages) == 1, "the editors are told once, not at every firing"
    assert "203.md:" in told.messages[0] and "none was ingested" in told.messages[0]
    assert second.published == {}
    assert [s.number for s in await archive.issues.issues()] == [202]
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202))


async def test_a_back_issue_refused_by_a_later_rule_does_not_keep_new_issues_out(
    scheduled: tuple[ScheduledPublishing, Told],
    archive: Archive,
    x_emulator: XEmulator,
    folder: Path,
) -> None:
    # Archived by a newsbot that let raw HTML through; the file is still in the folder as it was.
    back = issue(1, {"Rust": [item("A faster Vec", "https://example.com/vec", "Use Vec<T> less.")]})
    (folder / "1.md").write_text(format_issue(back), encoding="utf-8")
    saved_a_while_ago(folder / "1.md")
    await archive.issues.ingest(back)
    new = issue(2, {"Rust": [item("Smaller strings", "https://example.com/str")]})
    (folder / "2.md").write_text(format_issue(new), encoding="utf-8")
    os.utime(folder / "2.md", (0, 0))
    work, told = scheduled
    first = await work.fire()
    second = await work.fire()
    assert first.published == {"x": [2]}, "the new issue goes out"
    assert await archive.issues.issue(1) == back, "the back issue stays as archived"
    assert len(told.messages) == 1, "the editors are told once, not at every firing"
    assert "1.md:" in told.messages[0] and "raw HTML" in told.messages[0]
    assert "stays as archived until fixed" in told.messages[0]
    assert any("1.md:" in failure for failure in second.failures)
    assert_one_thread(x_emulator.live_tweets(), thread_texts(new))
    # Edited since, the file meets today's rules, as a new one does.
    edited = back.model_copy(update={"title": "Rust Weekly: Issue #1, edited"})
    (folder / "1.md").write_text(format_issue(edited), encoding="utf-8")
    os.utime(folder / "1.md", (0, 0))
    third = await work.fire()
    assert any("none was ingested" in f and "1.md:" in f for f in third.failures)
    assert "none was ingested" in told.messages[-1] and "raw HTML" in told.messages[-1]
    assert await archive.issues.issue(1) == back


async def test_the_scheduled_ingest_reads_each_file_again_as_it_stores_it(
    scheduled: tuple[ScheduledPublishing, Told],
    archive: Archive,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work, told = scheduled
    for number in (202, 203, 204):
        text = (ISSUES / "202.md").read_text(encoding="utf-8")
        (folder / f"{number}.md").write_text(
            text.replace("number: 202", f"number: {number}"), encoding="utf-8"
        )
        saved_a_while_ago(folder / f"{number}.md")
    read = bot.issuefiles._loading.load_issue
    reads: list[str] = []

    def read_then_edit(path: Path | str, warnings: list[IssueFileError] | None = None) -> Issue:
        """Reads a file as newsbot does; once all were checked, an editor saves 204 broken."""
        reads.append(Path(path).name)
        found = read(path, warnings)
        if len(reads) == 3:
            (folder / "204.md").write_text("---\nnumber: 204\n---\n", encoding="utf-8")
        return found

    monkeypatch.setattr(bot.issuefiles._loading, "load_issue", read_then_edit)
    report = await work.fire()
    assert reads == ["202.md", "203.md", "204.md"] * 2, "checked, then stored as read again"
    assert any("204.md:" in failure for failure in report.failures)
    assert "204.md:" in told.messages[0] and "none was ingested" in told.messages[0]
    assert await archive.issues.issues() == [], "all or nothing, as when it was checked broken"


@pytest.mark.parametrize(("policy", "expected"), [("latest", [3]), ("all", [1, 2, 3])])
async def test_catch_up_publishes_per_the_policy(
    archive: Archive, x_emulator: XEmulator, folder: Path, policy: str, expected: list[int]
) -> None:
    settings = settings_for(x_emulator, folder, catch_up=policy)
    await archive.issues.ingest_many([(issue(n), None) for n in (1, 2, 3)])
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x)
        report = await work.catch_up()
        again = await work.catch_up()
    assert report.kind == "catch-up" and report.published == {"x": expected}
    assert again.published == {}


async def test_a_stop_mid_publish_leaves_it_to_be_resumed_by_the_next_firing(
    archive: Archive, x_emulator: XEmulator, folder: Path, issue_202: Issue
) -> None:
    settings = settings_for(x_emulator, folder)
    await archive.issues.ingest(issue_202)
    thread = thread_texts(issue_202)
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x)
        work.start()
        # X answers slowly: the stop comes while the thread is being posted.
        x_emulator.config.latency = 0.3
        firing = asyncio.ensure_future(work.on_firing())
        await eventually(lambda: len(x_emulator.live_tweets()) >= 2)
        await work.stop()
        await asyncio.gather(firing, return_exceptions=True)
        assert 2 <= len(x_emulator.live_tweets()) < len(thread)
        x_emulator.config.latency = 0
        resumed = await work.fire()
    assert resumed.published == {"x": [202]}, "the unfinished publish is resumed"
    assert_one_thread(x_emulator.live_tweets(), thread)


async def test_a_cron_in_the_skipped_hour_is_warned_about_at_start(
    archive: Archive, x_emulator: XEmulator, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(x_emulator, folder, cron="30 2 * * SUN", timezone="Europe/Berlin")
    work = scheduled_on(archive, settings)
    with caplog.at_level("INFO", logger="bot.schedule.jobs"):
        work.start()
        await work.stop()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    # Whichever year is next: Berlin skips 02:00-03:00 on the last Sunday of March.
    assert any("does not exist in Europe/Berlin" in w and "03:30 CEST" in w for w in warnings)
    assert any("next firing" in r.getMessage() for r in caplog.records)


async def test_x_down_is_logged_told_and_retried_at_the_next_firing(
    scheduled: tuple[ScheduledPublishing, Told],
    archive: Archive,
    x_emulator: XEmulator,
    issue_202: Issue,
) -> None:
    work, told = scheduled
    await archive.issues.ingest(issue_202)
    fault = x_emulator.inject("POST", "/2/tweets", 503, times=20)
    down = await work.fire()
    assert down.published == {}
    assert down.failures and "#202 on X: X did not get the whole issue" in down.failures[0]
    assert any("could not publish issue #202 on X" in m for m in told.messages)
    fault.times = fault.hits  # X is back
    back = await work.fire()
    assert back.published == {"x": [202]}
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202))


async def test_an_issue_added_after_the_missed_firing_waits_for_the_next_one(
    archive: Archive, x_emulator: XEmulator, folder: Path, issue_202: Issue
) -> None:
    # Down over the last firing (1 January), #202 was there before it and #203 came after:
    # the catch-up sends #202 only, even with "all"; the next firing sends #203.
    settings = settings_for(x_emulator, folder, catch_up="all")
    (folder / "202.md").write_text(format_issue(issue_202), encoding="utf-8")
    (folder / "203.md").write_text(format_issue(issue(203)), encoding="utf-8")
    saved_a_while_ago(folder / "203.md")  # still long after the missed firing
    before = dt.datetime(2025, 12, 31, tzinfo=dt.UTC).timestamp()
    os.utime(folder / "202.md", (before, before))
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x)
        caught_up = await work.catch_up()
        firing = await work.fire()
    assert caught_up.published == {"x": [202]}
    assert firing.published == {"x": [203]}


async def test_an_issue_edited_while_down_keeps_the_time_it_first_arrived(
    archive: Archive, x_emulator: XEmulator, folder: Path, issue_202: Issue
) -> None:
    # Seen before the missed firing, then corrected while newsbot was down: still due.
    path = folder / "202.md"
    path.write_text(format_issue(issue_202), encoding="utf-8")
    before = dt.datetime(2025, 12, 31, tzinfo=dt.UTC).timestamp()
    os.utime(path, (before, before))
    quiet = settings_for(x_emulator, folder, catch_up="none")
    await scheduled_on(archive, quiet).catch_up()
    path.write_text(format_issue(issue_202).replace("Hey folks", "Hello folks"), "utf-8")
    saved_a_while_ago(path)
    settings = settings_for(x_emulator, folder, catch_up="latest")
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x)
        caught_up = await work.catch_up()
    assert caught_up.published == {"x": [202]}


async def test_a_catch_up_left_to_another_process_is_tried_again_when_its_lease_ends(
    archive: Archive,
    x_emulator: XEmulator,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A process on another machine held the publishing lease and died: this one's catch-up
    # at start finds the lease taken, and runs once it has run out, not a week later.
    monkeypatch.setattr(bot.schedule.jobs, "LEASE_RETRY_SECONDS", 0.3)
    settings = settings_for(x_emulator, folder, catch_up="latest")
    await archive.issues.ingest(issue(3))
    assert await archive.state.try_lease(PUBLISHING_LEASE, "another-host.example:1", ttl=0.2)
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x)
        work.start()
        try:
            await eventually(
                lambda: len(x_emulator.live_tweets()) == len(thread_texts(issue(3))), within=10
            )
        finally:
            await work.stop()
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue(3)))


async def test_a_file_caught_in_the_middle_of_a_save_waits_until_it_is_written(
    scheduled: tuple[ScheduledPublishing, Told],
    archive: Archive,
    x_emulator: XEmulator,
    folder: Path,
) -> None:
    work, _ = scheduled
    full = issue(203, {"News": [item("First")], "Tools": [item("Second")]})
    whole = format_issue(full)
    path = folder / "203.md"
    cut = whole[: whole.index("## Tools")]  # the first section of two: a valid issue too
    path.write_text(cut, encoding="utf-8")  # modified just now: the save goes on
    waits: list[float] = []

    async def save_ends(seconds: float) -> None:
        waits.append(seconds)
        path.write_text(whole, encoding="utf-8")
        written = path.stat().st_mtime - 10
        os.utime(path, (written, written))

    work.folder.sleep = save_ends
    report = await work.fire()
    assert waits, "the firing waited for the file"
    assert report.published == {"x": [203]}
    assert_one_thread(x_emulator.live_tweets(), thread_texts(full))


async def test_a_file_still_changing_is_left_for_the_next_firing(
    scheduled: tuple[ScheduledPublishing, Told], archive: Archive, folder: Path
) -> None:
    work, _ = scheduled
    path = folder / "203.md"
    path.write_text(format_issue(issue(203)), encoding="utf-8")

    async def still_writing(seconds: float) -> None:
        path.write_text(path.read_text(encoding="utf-8") + "\nMore.", encoding="utf-8")

    work.folder.sleep = still_writing
    report = await work.fire()
    assert report.published == {}
    assert any("still being written" in f and "203.md" in f for f in report.failures)
    assert await archive.issues.issues() == []


async def test_a_published_issue_whose_file_changed_is_said_to_differ(
    scheduled: tuple[ScheduledPublishing, Told],
    archive: Archive,
    folder: Path,
    issue_202: Issue,
) -> None:
    work, told = scheduled
    path = folder / "202.md"
    path.write_text(format_issue(issue_202), encoding="utf-8")
    os.utime(path, (0, 0))
    assert (await work.fire()).published == {"x": [202]}
    path.write_text(format_issue(issue_202).replace("Hey folks", "Hello folks"), "utf-8")
    os.utime(path, (1, 1))
    again = await work.fire()
    assert again.published == {}
    said = "Issue #202 was published and its file has changed since"
    assert any(said in failure and "newsbot publish 202" in failure for failure in again.failures)
    assert any(said in message for message in told.messages)


async def test_an_issue_whose_publish_at_cannot_be_scheduled_stops_no_other(
    scheduled: tuple[ScheduledPublishing, Told], archive: Archive, folder: Path
) -> None:
    # Archived before `newsbot check` refused it: its UTC time is past year 9999.
    work, _ = scheduled
    far = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=12)))
    await archive.issues.ingest(issue(8, publish_at=far))
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
    (folder / "9.md").write_text(format_issue(issue(9, publish_at=soon)), encoding="utf-8")
    os.utime(folder / "9.md", (0, 0))
    work.start()
    try:
        await work.rescan()
        assert work._scheduler is not None
        jobs = {job.id for job in work._scheduler.get_jobs()}
    finally:
        await work.stop()
    assert "newsbot-issue-9" in jobs and "newsbot-issue-8" not in jobs


async def test_a_firing_missed_past_the_grace_time_runs_late_and_is_told(
    scheduled: tuple[ScheduledPublishing, Told],
    archive: Archive,
    x_emulator: XEmulator,
    issue_202: Issue,
) -> None:
    # The machine slept over the firing for longer than misfire_grace_time (an hour).
    work, told = scheduled
    await archive.issues.ingest(issue_202)
    work.start()
    try:
        assert work._scheduler is not None
        due = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        work._scheduler.modify_job(JOB_ID, next_run_time=due)
        await eventually(
            lambda: len(x_emulator.live_tweets()) == len(thread_texts(issue_202)), within=10
        )
    finally:
        await work.stop()
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202))
    assert any(
        message.startswith("The firing due at ")
        and "was missed" in message
        and "misfire_grace_time (3600 s" in message
        for message in told.messages
    )


async def test_deleting_the_file_of_an_issue_held_for_its_time_cancels_its_publish(
    scheduled: tuple[ScheduledPublishing, Told], archive: Archive, folder: Path
) -> None:
    work, told = scheduled
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
    timed = issue(9, publish_at=at)
    path = folder / "9.md"
    path.write_text(format_issue(timed), encoding="utf-8")
    os.utime(path, (0, 0))
    await archive.issues.ingest(timed)  # `newsbot ingest`, by hand, before its time
    work.start()
    try:
        assert work._scheduler is not None
        await work.rescan()
        assert work._scheduler.get_job("newsbot-issue-9") is not None
        path.unlink()  # the editors take it back
        await work.rescan()
        assert work._scheduler.get_job("newsbot-issue-9") is None
        late = await work.fire(at + dt.timedelta(minutes=1))
        status = await gather_status(archive, work.settings, now=dt.datetime.now(dt.UTC))
    finally:
        await work.stop()
    assert late.published == {}, "not sent by a firing after its time either"
    assert [m for m in told.messages if "#9's file was deleted" in m] != []
    assert status.schedule.cancelled == (9,) and status.schedule.timed_issue is None
    assert any(line.startswith("Cancelled: #9's file was deleted") for line in status_lines(status))


async def test_a_firing_while_the_last_one_runs_runs_when_it_ends_and_is_said_once(
    archive: Archive,
    x_emulator: XEmulator,
    folder: Path,
    issue_202: Issue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(x_emulator, folder)
    (folder / "202.md").write_text(format_issue(issue_202), encoding="utf-8")
    os.utime(folder / "202.md", (0, 0))  # saved long ago: no wait for the save to settle
    later = issue(203)
    both = len(thread_texts(issue_202)) + len(thread_texts(later))
    skipped: list[JobEvent] = []
    # X holds #202's first post unanswered until the test lets it go: the publish runs as
    # long as the test needs.
    gate = x_emulator.inject("POST", "/2/tweets", 200, hang=True)
    async with x_outlet(settings.x) as x:
        work = scheduled_on(archive, settings, x)
        work.start()
        try:
            assert work._scheduler is not None
            work._scheduler.add_listener(skipped.append, EVENT_JOB_MAX_INSTANCES)
            with caplog.at_level("INFO"):
                work._scheduler.modify_job(JOB_ID, next_run_time=dt.datetime.now(dt.UTC))
                await eventually(lambda: gate.hits == 1)
                # #203 is saved while #202 is being published, and the schedule fires twice
                # more before that publish ends.
                (folder / "203.md").write_text(format_issue(later), encoding="utf-8")
                os.utime(folder / "203.md", (0, 0))
                for times in (1, 2):
                    work._scheduler.modify_job(JOB_ID, next_run_time=dt.datetime.now(dt.UTC))
                    await eventually(lambda: len(skipped) == times)  # noqa: B023
                assert not x_emulator.live_tweets()
                gate.release()
                # Not lost: #203 goes out as soon as #202's publish ends, not a firing later.
                await eventually(lambda: len(x_emulator.live_tweets()) == both, within=20)
        finally:
            gate.release()
            await work.stop()
    texts = [tweet.text for tweet in x_emulator.live_tweets()]
    assert texts == thread_texts(issue_202) + thread_texts(later)
    said = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert [(name, level) for name, level, text in said if "still running" in text] == [
        ("bot.schedule.overlap", "INFO")
    ], "said once, in newsbot's words"
    assert "maximum number of running instances" not in caplog.text
