"""Text over a length limit in an issue file: reported with its length and the limit, as an
editor's character counter shows them, and a long name quoted short enough to read the
problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import IssueFileErrors
from bot.issuefiles import parse_issue

HEADER = "---\nnumber: 7\ntitle: Test Weekly: Issue #7\n---\n\n## News\n\n"


def errors_of(text: str) -> list[str]:
    with pytest.raises(IssueFileErrors) as caught:
        parse_issue(text, "7.md")
    return [str(error) for error in caught.value.errors]


def test_a_blurb_over_the_limit_is_told_with_its_length() -> None:
    # Before: "blurb: String should have at most 20000 characters", pydantic's words, and not
    # how far over it is.
    text = HEADER + "### Long one\n\n" + ("word " * 5000).strip() + "\n"
    assert errors_of(text) == [
        "7.md:8: item 'Long one': blurb: it is 24,999 characters long, and the most is "
        "20,000: shorten it"
    ]


def test_a_long_title_is_quoted_short_in_its_problem() -> None:
    # Before, the whole 606-character title was quoted, the problem at the end of the line.
    title = "Title " + "x" * 600
    (problem,) = errors_of(HEADER + f"### {title}\n\nIts blurb.\n")
    assert problem == (
        f"7.md:8: item '{title[:79]}…': title: it is 606 characters long, and the most is "
        "500: shorten it"
    )


def test_newsbot_check_tells_the_length(tmp_path: Path) -> None:
    path = tmp_path / "7.md"
    path.write_text(HEADER + "### Long one\n\n" + "x" * 20_001 + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:8: item 'Long one': blurb: it is 20,001 characters long" in result.stderr
