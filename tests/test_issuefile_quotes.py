"""Front-matter values in single quotes, as YAML front matter quotes a title with a colon in
it: newsbot reads no YAML, so the quotes would be published; each is reported on its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import IssueFileError, IssueFileErrors
from bot.issuefiles import format_issue, parse_issue
from tests.factories import issue

BODY = "\n## News\n\n### An item\n\nIts blurb.\n"


def errors_of(text: str) -> list[str]:
    with pytest.raises(IssueFileErrors) as caught:
        parse_issue(text, "7.md")
    return [str(error) for error in caught.value.errors]


def test_a_single_quoted_title_is_reported_with_both_ways_to_write_it() -> None:
    text = "---\nnumber: 7\ntitle: 'Test Weekly: Issue #7'\n---\n" + BODY
    assert errors_of(text) == [
        "7.md:3: title: single quotes would be published as part of the value: write it "
        "without them (`title: Test Weekly: Issue #7`), or as "
        "`title: \"'Test Weekly: Issue #7'\"` if they are meant"
    ]


def test_single_quoted_numbers_and_dates_are_reported_once_each() -> None:
    text = "---\nnumber: '7'\ntitle: It''s\ndate: '2021-06-16'\n---\n" + BODY
    assert errors_of(text) == [
        "7.md:2: number: write the value without quotes: `number: 7`",
        "7.md:4: date: write the value without quotes: `date: 2021-06-16`",
    ]


@pytest.mark.parametrize(
    "title",
    # Before, `'Tis the season of 'AI'` was read as YAML-quoted, and the fix suggested for
    # it (`title: Tis the season of 'AI`) lost a quote of the title.
    ["'Tis the season", "Rock 'n' roll", "It's 'here'", "'", "'Tis the season of 'AI'", "'a' 'b'"],
)
def test_a_quote_that_does_not_wrap_the_value_is_text(title: str) -> None:
    text = f"---\nnumber: 7\ntitle: {title}\n---\n" + BODY
    assert parse_issue(text, "7.md").title == title


def test_a_single_quoted_title_with_doubled_quotes_is_reported() -> None:
    text = "---\nnumber: 7\ntitle: 'It''s AI: Issue #7'\n---\n" + BODY
    assert errors_of(text) == [
        "7.md:3: title: single quotes would be published as part of the value: write it "
        "without them (`title: It's AI: Issue #7`), or as "
        "`title: \"'It's AI: Issue #7'\"` if they are meant"
    ]


def test_a_title_in_single_quotes_is_written_so_that_it_reads_back() -> None:
    quoted = issue(7).model_copy(update={"title": "'Quoted' Weekly '7'"})
    text = format_issue(quoted)
    assert "title: \"'Quoted' Weekly '7'\"" in text
    assert parse_issue(text, "7.md") == quoted


def test_a_back_issue_archived_with_quotes_reads_as_it_was_archived() -> None:
    text = "---\nnumber: 7\ntitle: 'Test Weekly'\n---\n" + BODY
    later: list[IssueFileError] = []
    assert parse_issue(text, "7.md", later_rules=later).title == "'Test Weekly'"
    assert [error.line for error in later] == [3]


def test_newsbot_check_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "7.md"
    path.write_text("---\nnumber: 7\ntitle: 'Test Weekly: Issue #7'\n---\n" + BODY, "utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3: title: single quotes would be published" in result.stderr
