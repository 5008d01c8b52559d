"""The schedule: apscheduler 3.11's cron firings over real 2026 clock changes, catch-up, the CLI.

What apscheduler does, pinned here: a time in the skipped spring hour fires an hour later by
the clock (never silently dropped), and a time in the repeated autumn hour fires twice, an hour
apart; the outbox ledger makes that second firing publish nothing new.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import ConfigError
from bot.models import Issue, IssueSummary, OutboxEntry, StepState
from bot.schedule import triggers as scheduler
from bot.settings import Settings, load_settings
from bot.store import Archive
from tests.conftest import ISSUES

# Each zone's two 2026 clock changes (all on a Sunday): (zone, spring forward, fall back).
CHANGES = [
    ("Europe/Berlin", dt.date(2026, 3, 29), dt.date(2026, 10, 25)),
    ("America/New_York", dt.date(2026, 3, 8), dt.date(2026, 11, 1)),
    ("Australia/Sydney", dt.date(2026, 10, 4), dt.date(2026, 4, 5)),
]
CHANGE_DAYS = [(tz, day) for tz, spring, autumn in CHANGES for day in (spring, autumn)]


def schedule(cron: str, tz: str) -> Settings:
    return load_settings(schedule={"cron": cron, "timezone": tz})


def local(day: dt.date, tz: str, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize("cron", ["0 9 * * SUN", "0 9 * * MON"])
@pytest.mark.parametrize(("tz", "day"), CHANGE_DAYS)
def test_a_weekly_cron_fires_once_a_week_across_a_clock_change(
    cron: str, tz: str, day: dt.date
) -> None:
    settings = schedule(cron, tz)
    after = local(day - dt.timedelta(weeks=3), tz)
    firings = scheduler.next_firings(scheduler.trigger(settings), after, 6)
    assert len(firings) == 6
    assert firings[0] < local(day, tz) < firings[-1]
    walls = [f.replace(tzinfo=None) for f in firings]
    assert all(f.hour == 9 and f.minute == 0 for f in walls)
    assert [b - a for a, b in itertools.pairwise(walls)] == [dt.timedelta(days=7)] * 5
    # In elapsed time exactly one week is an hour short or long: the change is really crossed.
    elapsed = [b.astimezone(dt.UTC) - a.astimezone(dt.UTC) for a, b in itertools.pairwise(firings)]
    assert sorted(elapsed)[0] != sorted(elapsed)[-1]
    assert {abs(e - dt.timedelta(days=7)) for e in elapsed} == {
        dt.timedelta(0),
        dt.timedelta(hours=1),
    }
    assert scheduler.skipped_hour_warning(settings, 2026) is None
    assert scheduler.repeated_hour_note(settings, 2026) is None


@pytest.mark.parametrize(
    ("tz", "day", "goes_out"),
    [
        ("Europe/Berlin", dt.date(2026, 3, 29), "03:30 CEST (UTC+02:00)"),
        ("America/New_York", dt.date(2026, 3, 8), "03:30 EDT (UTC-04:00)"),
        ("Australia/Sydney", dt.date(2026, 10, 4), "03:30 AEDT (UTC+11:00)"),
    ],
)
def test_a_cron_in_the_skipped_hour_fires_an_hour_later_and_is_warned_about(
    tz: str, day: dt.date, goes_out: str
) -> None:
    settings = schedule("30 2 * * SUN", tz)
    firings = scheduler.next_firings(
        scheduler.trigger(settings), local(day, tz) - dt.timedelta(days=8), 3
    )
    # The week before, the change day (02:30 does not exist: 03:30 by the clock), the week after.
    assert [f.date() for f in firings] == [
        day - dt.timedelta(days=7),
        day,
        day + dt.timedelta(days=7),
    ]
    assert [f"{f:%H:%M}" for f in firings] == ["02:30", "03:30", "02:30"]
    assert firings[1] == dt.datetime.combine(day, dt.time(3, 30), tzinfo=ZoneInfo(tz))
    warning = scheduler.skipped_hour_warning(settings, 2026)
    assert warning is not None
    assert f"{day:%Y-%m-%d}" in warning
    assert "schedule.cron" in warning
    assert f"goes out at {goes_out} instead" in warning
    assert "clocks jump from 02:00 to 03:00" in warning
    # A clock change already past is not warned about again.
    assert scheduler.skipped_hour_warning(settings, 2026, after=local(day, tz, 12)) is None


@pytest.mark.parametrize(
    ("tz", "day", "cron", "offsets"),
    [
        ("Europe/Berlin", dt.date(2026, 10, 25), "30 2 * * SUN", ("+02:00", "+01:00")),
        ("America/New_York", dt.date(2026, 11, 1), "30 1 * * SUN", ("-04:00", "-05:00")),
        ("Australia/Sydney", dt.date(2026, 4, 5), "30 2 * * SUN", ("+11:00", "+10:00")),
    ],
)
def test_a_cron_in_the_repeated_hour_fires_twice(
    tz: str, day: dt.date, cron: str, offsets: tuple[str, str]
) -> None:
    settings = schedule(cron, tz)
    firings = scheduler.next_firings(
        scheduler.trigger(settings), local(day, tz) - dt.timedelta(days=1), 3
    )
    # apscheduler fires twice that night, an hour apart, then weekly again: the ledger makes
    # the second firing harmless (the issue it would send is already in the outbox).
    first, second, following = firings
    assert first.date() == second.date() == day
    minute, hour = cron.split()[:2]
    assert f"{first:%H:%M}" == f"{second:%H:%M}" == f"{int(hour):02d}:{int(minute):02d}"
    assert first.replace(tzinfo=None) == second.replace(tzinfo=None)
    assert second.astimezone(dt.UTC) - first.astimezone(dt.UTC) == dt.timedelta(hours=1)
    assert (scheduler.utc_offset(first), scheduler.utc_offset(second)) == offsets
    assert following.date() == day + dt.timedelta(days=7)
    note = scheduler.repeated_hour_note(settings, 2026)
    assert note is not None and "happens twice" in note and f"{day:%Y-%m-%d}" in note
    # The same cron lands in the skipped hour at the other change of the year: warned, not noted.
    warning = scheduler.skipped_hour_warning(settings, 2026)
    assert warning is None or f"{day:%Y-%m-%d}" not in warning


def test_transitions_are_found_to_the_second() -> None:
    found = scheduler.transitions(ZoneInfo("Europe/Berlin"), 2026)
    assert [(t.at, t.skips) for t in found] == [
        (dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC), True),
        (dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC), False),
    ]
    assert scheduler.transitions(ZoneInfo("UTC"), 2026) == []


def summaries(*numbers_and_dates: tuple[int, dt.date | None]) -> list[IssueSummary]:
    return [
        IssueSummary(number=n, title=f"Issue {n}", subtitle=None, date=d)
        for n, d in numbers_and_dates
    ]


FIRED = dt.datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Europe/Berlin"))
ARCHIVED = summaries(
    (203, dt.date(2026, 11, 30)),  # dated after the last firing: waits for its own
    (202, dt.date(2026, 11, 23)),
    (201, None),
    (200, dt.date(2026, 11, 9)),
)


@pytest.mark.parametrize(
    ("policy", "published", "due"),
    [
        ("latest", set(), [202]),
        ("latest", {200}, [202]),
        ("latest", {202}, []),  # 201 and 200 were passed over: not sent after a newer issue
        ("all", set(), [200, 201, 202]),
        ("all", {201}, [200, 202]),
        ("all", {200, 201, 202}, []),
        ("none", set(), []),
    ],
)
def test_due_issues(policy: scheduler.CatchUp, published: set[int], due: list[int]) -> None:
    assert scheduler.due_issues(published, ARCHIVED, FIRED, policy) == due


def test_an_issue_out_at_its_own_time_passes_over_no_regular_issue() -> None:
    # #231 went out on Sunday at its own publish_at; #230, a regular issue, is Monday's.
    monday = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
    regular = IssueSummary(number=230, title="Regular", subtitle=None, date=None)
    special = IssueSummary(
        number=231,
        title="Special",
        subtitle=None,
        date=None,
        publish_at=dt.datetime(2026, 12, 6, 9, tzinfo=dt.UTC),
    )
    archived = [regular, special]
    assert scheduler.due_issues({231}, archived, monday, "latest") == [230]
    assert scheduler.upcoming_issues([monday], {231}, archived) == [230], "as forecast"
    # A regular issue newer than both is still the one that goes out.
    newer = IssueSummary(number=232, title="Newer", subtitle=None, date=None)
    assert scheduler.due_issues({231}, [*archived, newer], monday, "latest") == [232]


def test_nothing_is_due_before_the_first_firing() -> None:
    assert scheduler.due_issues(set(), ARCHIVED, None, "all") == []


def test_upcoming_issues_send_each_issue_once_on_its_firing() -> None:
    firings = [FIRED, FIRED + dt.timedelta(days=7), FIRED + dt.timedelta(days=14)]
    assert scheduler.upcoming_issues(firings, {200}, ARCHIVED) == [202, 203, None]


async def test_published_issues_reads_sent_steps_from_the_ledger(
    archive: Archive, issue_202: Issue
) -> None:
    await archive.issues.ingest(issue_202)
    await archive.ledger.record(OutboxEntry("a", 202, "x", "x", "post", state=StepState.PENDING))
    assert await scheduler.published_issues(archive, [202]) == set()
    await archive.ledger.record(OutboxEntry("b", 202, "x", "x", "post", state=StepState.SENT))
    assert await scheduler.published_issues(archive, [202, 201]) == {202}


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("timezone", "Europe/Berlim", "unknown timezone 'Europe/Berlim'"),
        ("timezone", "../etc/passwd", "unknown timezone"),
        ("cron", "0 9 * *", "got 4, expected 5"),
        ("cron", "0 25 * * *", "higher than the maximum"),
        ("cron", "0 9 * * 8", "weekdays are 0-7 (0 and 7 are Sunday)"),
        ("cron", "0 0 30 2 *", "'0 0 30 2 *' never fires"),
        ("cron", "0 9 * * mon-fri/9x", "weekday 'mon-fri/9x': write a name"),
        ("cron", "0 9 * * monday", "like MON-FRI/2"),
        ("cron", "0 9 * * 1-5/0", "a step is 1 or more"),
        ("cron", "0 9 1 jan-dec/3x *", "month 'jan-dec/3x': write a name"),
        ("cron", "0 9 31 4,6 *", "never fires"),
        ("catch_up", "some", "latest"),
    ],
)
def test_a_bad_schedule_setting_names_the_key(
    tmp_path: Path, key: str, value: str, says: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(f'[schedule]\n{key} = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=f"schedule.{key}") as caught:
        load_settings(config)
    assert says in str(caught.value)


def test_a_cron_that_fires_only_in_leap_years_is_taken() -> None:
    assert load_settings(schedule={"cron": "0 9 29 2 *"}).schedule.cron == "0 9 29 2 *"


def test_the_defaults() -> None:
    settings = load_settings().schedule
    assert (settings.cron, settings.timezone, settings.catch_up) == ("0 9 * * MON", "UTC", "latest")
    assert (settings.misfire_grace_time, settings.coalesce) == (3600, True)


async def test_make_scheduler_adds_one_cron_job_and_does_not_start() -> None:
    settings = load_settings(
        schedule={"cron": "0 9 * * MON", "timezone": "Europe/Berlin", "misfire_grace_time": 600}
    )
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    made = scheduler.make_scheduler(settings, job)
    assert not made.running
    [added] = made.get_jobs()
    assert (added.id, added.misfire_grace_time, added.coalesce, added.max_instances) == (
        scheduler.JOB_ID,
        600,
        True,
        1,
    )
    made.start()
    try:
        [started] = made.get_jobs()
        expected = scheduler.next_firings(scheduler.trigger(settings), dt.datetime.now(dt.UTC), 1)
        assert started.next_run_time == expected[0]
    finally:
        made.shutdown(wait=False)


OFFSET_LINE = re.compile(r"^  \w{3} \d{4}-\d\d-\d\d \d\d:\d\d \S+ \(UTC[+-]\d\d:\d\d\)  ", re.M)


def test_newsbot_schedule_prints_five_firings(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    db = str(tmp_path / "a.db")
    assert runner.invoke(app, ["--db", db, "ingest", str(folder)]).exit_code == 0
    env = {"NEWSBOT_SCHEDULE__TIMEZONE": "Europe/Berlin"}
    result = runner.invoke(app, ["--db", db, "schedule"], env=env)
    assert result.exit_code == 0, result.stderr
    lines = OFFSET_LINE.findall(result.stdout)
    assert len(lines) == 5
    assert "(UTC+01:00)" in result.stdout or "(UTC+02:00)" in result.stdout
    assert "issue #202 'Deep Learning Weekly: Issue #202'" in result.stdout
    assert result.stdout.count("the newest issue not yet published at that time") == 4

    result = runner.invoke(app, ["--db", db, "schedule", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["timezone"] == "Europe/Berlin"
    assert [f["issue"] for f in payload["firings"]] == [202, None, None, None, None]
    for firing in payload["firings"]:
        at = dt.datetime.fromisoformat(firing["at"])
        assert (at.weekday(), at.hour) == (0, 9)
        assert firing["utc_offset"] in ("+01:00", "+02:00")
        assert firing["at"].endswith(firing["utc_offset"])


def test_newsbot_schedule_without_an_archive_warns_about_the_skipped_hour(tmp_path: Path) -> None:
    env = {"NEWSBOT_SCHEDULE__TIMEZONE": "Europe/Berlin", "NEWSBOT_SCHEDULE__CRON": "30 2 * * SUN"}
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "none.db"), "schedule"], env=env)
    assert result.exit_code == 0, result.stderr
    assert len(OFFSET_LINE.findall(result.stdout)) == 5
    assert "(none is waiting now)" in result.stdout
    # Within the coming twelve months there is always one spring change in Berlin.
    assert "does not exist in Europe/Berlin" in result.stderr
    assert "goes out at 03:30 CEST (UTC+02:00) instead" in result.stderr


@pytest.mark.parametrize(
    ("cron", "weekdays"),
    [
        ("0 9 * * 1", {"Mon"}),  # crontab's 1 is Monday (apscheduler 3 alone reads Tuesday)
        ("0 9 * * 0", {"Sun"}),
        ("0 9 * * 7", {"Sun"}),
        ("0 9 * * 1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 9 * * */2", {"Sun", "Tue", "Thu", "Sat"}),
        ("0 9 * * 5,6,0", {"Fri", "Sat", "Sun"}),
        ("0 9 * * MON-FRI", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 9 * * MON-FRI/2", {"Mon", "Wed", "Fri"}),
        ("0 9 * * tue-sun/2", {"Tue", "Thu", "Sat"}),
        ("0 9 * * SAT-SUN", {"Sat", "Sun"}),
        ("0 9 * * sun,Wed", {"Sun", "Wed"}),
    ],
)
def test_weekday_numbers_mean_what_they_mean_in_crontab(cron: str, weekdays: set[str]) -> None:
    firings = scheduler.next_firings(
        scheduler.trigger(schedule(cron, "UTC")), dt.datetime(2026, 11, 25, tzinfo=dt.UTC), 14
    )
    assert {f"{firing:%a}" for firing in firings} == weekdays


def test_month_names_keep_their_step() -> None:
    cron = scheduler.trigger(schedule("0 9 1 jan-dec/3 *", "UTC"))
    firings = scheduler.next_firings(cron, dt.datetime(2026, 11, 25, tzinfo=dt.UTC), 4)
    assert [f"{firing:%Y-%m}" for firing in firings] == ["2027-01", "2027-04", "2027-07", "2027-10"]


def test_a_sixth_field_in_front_is_seconds() -> None:
    cron = scheduler.trigger(schedule("*/10 * * * * *", "UTC"))
    firings = scheduler.next_firings(cron, dt.datetime(2026, 11, 25, 9, 0, 1, tzinfo=dt.UTC), 3)
    assert [f"{firing:%H:%M:%S}" for firing in firings] == ["09:00:10", "09:00:20", "09:00:30"]


def test_schedule_lists_an_issue_with_its_own_publish_at(tmp_path: Path) -> None:
    import asyncio

    from typer.testing import CliRunner

    from bot.cli import app
    from bot.store import Archive
    from tests.factories import issue

    db = tmp_path / "a.db"

    async def archived() -> None:
        async with await Archive.open(db) as archive:
            await archive.issues.ingest(issue(7))
            await archive.issues.ingest(issue(8, publish_at=dt.datetime(2099, 1, 5, 18, 30)))

    asyncio.run(archived())
    env = {
        "NEWSBOT_SCHEDULE__CRON": "0 9 * * MON",
        "NEWSBOT_SCHEDULE__TIMEZONE": "Europe/Berlin",
        "NEWSBOT_ISSUES__DIRECTORY": str(tmp_path),  # no issue file besides the archive's
    }
    result = CliRunner().invoke(app, ["--db", str(db), "schedule", "--count", "2"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # The cron's first firing publishes #7; #8 waits for its own time, read in the zone.
    assert "issue #7" in lines[1] and "#8" not in lines[1]
    assert lines[2].endswith("not yet published at that time (none is waiting now)")
    assert "Mon 2099-01-05 18:30 CET (UTC+01:00)  issue #8" in lines[3]
    assert lines[3].endswith("(its own publish_at)")


def test_schedule_names_a_new_file_the_next_firing_ingests_and_publishes(tmp_path: Path) -> None:
    from bot.issuefiles import format_issue
    from tests.factories import issue

    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "203.md").write_text(format_issue(issue(203)), encoding="utf-8")
    env = {"NEWSBOT_SCHEDULE__CRON": "0 9 * * MON", "NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    args = ["--db", str(tmp_path / "a.db"), "schedule", "--count", "2"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].endswith("issue #203 'Test Weekly: Issue #203'")
    assert lines[2].endswith("(none is waiting now)"), "sent once, by the first firing"
    # A file with a problem stops the firing's ingest, and the schedule says so.
    (folder / "204.md").write_text("---\nnumber: 204\n---\n", encoding="utf-8")
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "issue #203" not in result.stdout
    assert "warning: issue files have problems (`newsbot check` lists them)" in result.stderr


_DAY0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@st.composite
def _archive_and_firings(
    draw: st.DrawFn,
) -> tuple[list[IssueSummary], list[dt.datetime], list[dt.datetime]]:
    """Issues (some dated, some with their own publish_at), weekly firings and restarts."""
    numbers = sorted(draw(st.sets(st.integers(1, 60), min_size=1, max_size=12)))
    archived = []
    for number in numbers:
        offset = st.integers(-10, 120).map(lambda days: _DAY0 + dt.timedelta(days=days))
        date = draw(st.none() | offset.map(lambda moment: moment.date()))
        publish_at = draw(st.none() | offset.map(lambda m: m.replace(tzinfo=None, hour=18)))
        archived.append(
            IssueSummary(
                number=number, title=f"#{number}", subtitle=None, date=date, publish_at=publish_at
            )
        )
    firings = [_DAY0 + dt.timedelta(weeks=w) for w in range(draw(st.integers(1, 16)))]
    restarts = draw(st.lists(st.sampled_from(firings), max_size=4, unique=True))
    return archived, firings, [r + dt.timedelta(hours=1) for r in restarts]


POLICIES: list[scheduler.CatchUp] = ["latest", "all", "none"]


@given(_archive_and_firings(), st.sampled_from(POLICIES))
def test_simulated_weeks_publish_each_issue_at_most_once_and_never_early(
    case: tuple[list[IssueSummary], list[dt.datetime], list[dt.datetime]],
    policy: scheduler.CatchUp,
) -> None:
    archived, firings, restarts = case
    zone = ZoneInfo("Europe/Berlin")
    published: dict[int, dt.datetime] = {}
    # Each firing publishes with "latest"; each restart catches up with the policy.
    runs: list[tuple[dt.datetime, scheduler.CatchUp]] = sorted(
        [(f, "latest") for f in firings] + [(r, policy) for r in restarts]
    )
    for now, run_policy in runs:
        last = max((f for f in firings if f <= now), default=None)
        due = scheduler.due_issues(set(published), archived, last, run_policy, now=now, tz=zone)
        for number in due:
            assert number not in published, "published twice"
            published[number] = now
    by_number = {s.number: s for s in archived}
    for number, at in published.items():
        summary = by_number[number]
        if summary.publish_at is not None:
            assert at >= summary.publish_at.replace(tzinfo=zone), "before its own time"
        elif summary.date is not None:
            assert at.date() >= summary.date, "before its date"
    # The newest issue due by the last firing has gone out (nothing newer can hold it back).
    end = firings[-1]
    due_at_end = [
        s.number
        for s in archived
        if (s.publish_at.replace(tzinfo=zone) <= end if s.publish_at else True)
        and (s.publish_at is not None or s.date is None or s.date <= end.date())
    ]
    if due_at_end:
        assert max(due_at_end) in published


def test_an_archived_publish_at_past_the_calendar_in_utc_stops_no_command(tmp_path: Path) -> None:
    # Archived before `newsbot check` refused it: 9999-12-31T23:59 in UTC-12 is in year 10000.
    from tests.factories import issue

    db = tmp_path / "a.db"
    far = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=12)))

    async def archived() -> None:
        async with await Archive.open(db) as archive:
            await archive.issues.ingest(issue(7))
            await archive.issues.ingest(issue(8, publish_at=far))

    asyncio.run(archived())
    env = {"NEWSBOT_ISSUES__DIRECTORY": str(tmp_path)}
    for command in ("schedule", "status"):
        result = CliRunner().invoke(app, ["--db", str(db), command], env=env)
        assert result.exit_code == 0, result.output
        assert "issue #7" in result.stdout or "#7" in result.stdout


def test_schedule_shows_a_publish_at_in_the_skipped_hour_when_it_really_comes(
    tmp_path: Path,
) -> None:
    # 02:30 does not exist in Berlin on 29 March 2099: it goes out at 03:30 CEST, as status says.
    from tests.factories import issue

    db = tmp_path / "a.db"

    async def archived() -> None:
        async with await Archive.open(db) as archive:
            await archive.issues.ingest(issue(8, publish_at=dt.datetime(2099, 3, 29, 2, 30)))

    asyncio.run(archived())
    env = {"NEWSBOT_SCHEDULE__TIMEZONE": "Europe/Berlin"}
    result = CliRunner().invoke(app, ["--db", str(db), "schedule", "--count", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert "Sun 2099-03-29 03:30 CEST (UTC+02:00)  issue #8" in result.stdout
