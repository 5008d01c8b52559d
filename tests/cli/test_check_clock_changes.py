"""`newsbot check` warns of an issue's publish_at in an hour the schedule's zone skips or
repeats: the issue would go out at another time, or at the first of two, than it says."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


def check_in_berlin(path: Path, publish_at: str) -> tuple[int, str]:
    path.write_text(
        f"---\nnumber: 9\ntitle: Weekly #9\npublish_at: {publish_at}\n---\n\nThe intro.\n\n"
        "## News\n\n### [First](https://example.com/1)\n\nA blurb.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["check", str(path)], env={"NEWSBOT_SCHEDULE__TIMEZONE": "Europe/Berlin"}
    )
    return result.exit_code, result.stderr


def test_a_time_in_the_hour_skipped_in_spring_says_when_it_goes_out(tmp_path: Path) -> None:
    code, err = check_in_berlin(tmp_path / "9.md", "2026-03-29T02:30")
    assert code == 0, err
    assert (
        err.split()
        == (
            f"{tmp_path / '9.md'}:4: publish_at 2026-03-29T02:30 in Europe/Berlin does not exist: "
            "the clocks skip that hour, so it goes out at 03:30 CEST; "
            "write the time it is to go out"
        ).split()
    )


def test_a_time_in_the_hour_repeated_in_autumn_says_which_and_how_to_name_the_other(
    tmp_path: Path,
) -> None:
    code, err = check_in_berlin(tmp_path / "9.md", "2026-10-25T02:30")
    assert code == 0, err
    assert (
        err.split()
        == (
            f"{tmp_path / '9.md'}:4: publish_at 2026-10-25T02:30 in Europe/Berlin happens twice "
            "(the clocks go back): it goes out at the first, 02:30 CEST; write "
            "2026-10-25T02:30+01:00 for the second"
        ).split()
    )


@pytest.mark.parametrize(
    "publish_at", ["2026-03-29T03:30", "2026-10-25T03:30", "2026-03-29T02:30+01:00"]
)
def test_a_time_the_clocks_name_once_is_not_warned_about(tmp_path: Path, publish_at: str) -> None:
    code, err = check_in_berlin(tmp_path / "9.md", publish_at)
    assert code == 0, err
    assert "publish_at" not in err
