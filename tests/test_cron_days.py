"""A cron naming both a day of the month and a weekday: crontab fires on a day matching either,
newsbot (apscheduler) on a day matching both, so `newsbot schedule` and the start of `newsbot
run` warn about it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.sandbox.x import XEmulator
from bot.schedule.cron import both_days_warning
from bot.store import Archive
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
