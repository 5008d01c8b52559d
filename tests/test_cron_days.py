"""A cron naming both a day of the month and a weekday: crontab fires on a day matching either,
newsbot (apscheduler) on a day matching both, so `newsbot schedule`, `newsbot check` and the
start of `newsbot run` warn about it, and of a cron whose next firing is more than a year away
(`0 0 29 2 MON`: a Monday the 29th of February, in 2044)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.sandbox.x import XEmulator
from bot.schedule.cron import both_days_warning, cron_trigger, rare_firing_warning
from bot.store import Archive
from tests.conftest import ISSUES
from tests.test_scheduled import scheduled_on, settings_for

WARNING = (
    "schedule.cron '0 9 1 * MON' names both a day of the month (1) and a weekday (MON): newsbot"
    " fires only on a day that is both, where crontab fires on either; write * for one of them"
    " to fire on the other alone"
)


@pytest.mark.parametrize(
    ("cron", "warned"),
    [
        ("0 9 1 * MON", True),
        ("0 9 1-7 * 1", True),
        ("*/10 0 9 13 * FRI", True),  # seconds in front
        ("0 9 * * MON", False),
        ("0 9 1 * *", False),
        ("0 9 */2 * MON", False),  # a step over every day restricts nothing: crontab agrees
    ],
)
def test_both_days_named_are_warned_about(cron: str, warned: bool) -> None:
    assert (both_days_warning(cron) is not None) == warned


def test_newsbot_schedule_warns_of_both_days(tmp_path: Path) -> None:
    env = {"NEWSBOT_SCHEDULE__CRON": "0 9 1 * MON", "NEWSBOT_ISSUES__DIRECTORY": str(tmp_path)}
    args = ["--db", str(tmp_path / "a.db"), "schedule", "--count", "2"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert f"warning: {WARNING}" in " ".join(result.stderr.split())
    # Only Mondays that are the 1st, as the warning says.
    firings = result.stdout.splitlines()[1:]
    assert all(line.lstrip().startswith("Mon ") and "-01 09:00" in line for line in firings)


async def test_newsbot_run_warns_of_both_days_at_start(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(x_emulator, tmp_path, cron="0 9 1 * MON")
    work = scheduled_on(archive, settings)
    with caplog.at_level("INFO", logger="bot.schedule.jobs"):
        work.start()
        await work.stop()
    assert WARNING in [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


RARE = (
    "schedule.cron '0 0 29 2 MON' next fires on Mon 2044-02-29 00:00, in 17 year(s): nothing"
    " is published on the schedule until then (an issue's own publish_at still is)"
)
NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("cron", "warned"),
    [
        ("0 0 29 2 MON", True),
        ("0 9 29 2 *", True),  # taken, as leap days are real, but the next is in 2028
        ("0 9 5 12 *", False),  # yearly: the next is 364 days away
        ("0 9 1 * MON", False),  # both days, a few times a year
        ("0 9 * * MON", False),
    ],
)
def test_a_cron_whose_next_firing_is_over_a_year_away_is_warned_about(
    cron: str, warned: bool
) -> None:
    following = cron_trigger(cron, dt.UTC).get_next_fire_time(None, NOW)
    assert (rare_firing_warning(cron, following, NOW) is not None) == warned


def _said(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("command", [["check"], ["schedule", "--count", "1"]])
def test_newsbot_check_and_schedule_say_when_a_rare_cron_fires(
    tmp_path: Path, command: list[str]
) -> None:
    shutil.copy(ISSUES / "202.md", tmp_path / "202.md")
    env = {"NEWSBOT_SCHEDULE__CRON": "0 0 29 2 MON", "NEWSBOT_ISSUES__DIRECTORY": str(tmp_path)}
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "a.db"), *command], env=env)
    assert result.exit_code == 0, result.output
    warned = _said(result.stderr)
    assert "names both a day of the month (29) and a weekday (MON)" in warned
    # The year is that of the machine's clock: only its day is fixed.
    assert "schedule.cron '0 0 29 2 MON' next fires on Mon 2044-02-29 00:00, in" in warned


async def test_newsbot_run_warns_of_a_rare_cron_at_start(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(x_emulator, tmp_path, cron="0 0 29 2 MON")
    work = scheduled_on(archive, settings)
    work.clock = lambda: NOW
    with caplog.at_level("INFO", logger="bot.schedule.jobs"):
        work.start()
        await work.stop()
    assert RARE in [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
