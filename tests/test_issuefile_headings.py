"""Headings an editor does not get as meant: lines meant as headings that CommonMark reads as
text (`##Industry`, or `##` then a pasted non-breaking space), and text over a `---` meant as
a drawn line that CommonMark reads as a heading. Each is reported on its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import IssueFileError, IssueFileErrors
from bot.issuefiles import parse_issue

HEADER = "---\nnumber: 7\ntitle: Test Weekly: Issue #7\n---\n\n"


def errors_of(text: str) -> list[str]:
    with pytest.raises(IssueFileErrors) as caught:
        parse_issue(text, "7.md")
    return [str(error) for error in caught.value.errors]


@pytest.mark.parametrize(
    ("heading", "why"),
    [
        ("##Industry", "it has no space after `##`"),
        ("##\u00a0Industry", "the space after `##` is U+00A0, not a plain space"),
        ("##\u2003Industry", "the space after `##` is U+2003, not a plain space"),
    ],
)
def test_a_section_heading_read_as_text_is_reported_on_its_line(heading: str, why: str) -> None:
    # As text it would join the intro silently; the item under it would then be reported as
    # coming before any section, on a line the editor sees nothing wrong with.
    text = HEADER + f"Hello readers.\n\n{heading}\n\n### An item\n\nIts blurb.\n"
    assert errors_of(text)[0] == (
        f"7.md:8: this line is not a heading, as {why}, and would be published as text: "
        "write `## Industry`, or escape the first `#` (`\\#`) if it is meant as text"
    )


def test_an_item_heading_without_its_space_is_reported_in_a_paragraph_too() -> None:
    text = HEADER + "Hello.\n\n## News\n\n### First\n\nIts blurb.\n###Second\n\nMore.\n"
    reported = errors_of(text)
    assert reported[0].startswith("7.md:13: this line is not a heading, as it has no space ")
    assert "write `### Second`" in reported[0]


@pytest.mark.parametrize(
    "line",
    ["#MachineLearning trends at the start of a line.", "\\##Industry", "####### Seven"],
)
def test_text_that_only_starts_with_hashes_is_still_text(line: str) -> None:
    # One `#` is a hashtag, an escaped `#` is meant as text, seven are never a heading.
    text = HEADER + f"{line}\n\n## News\n\n### An item\n\nIts blurb.\n"
    assert parse_issue(text, "7.md").intro.startswith(line[:5])


def test_hashes_in_a_code_block_are_code() -> None:
    text = HEADER + "## News\n\n### An item\n\n```sh\n##no space in a comment\n```\n"
    assert "##no space" in parse_issue(text, "7.md").sections[0].items[0].blurb


def test_a_back_issue_archived_with_such_a_line_reads_as_it_was_archived() -> None:
    text = HEADER + "Hello.\n##Industry\n\n## News\n\n### An item\n\nIts blurb.\n"
    later: list[IssueFileError] = []
    assert parse_issue(text, "7.md", later_rules=later).intro == "Hello.\n##Industry"
    assert [error.line for error in later] == [7]


def test_newsbot_check_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "7.md"
    # Pasted from a word processor: a byte-order mark, CRLF line ends, a non-breaking space.
    text = "\ufeff" + HEADER + "Hello.\n\n##\u00a0Industry\n\n### An item\n\nIts blurb.\n"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:8: this line is not a heading" in result.stderr


def test_lines_over_a_drawn_line_are_reported_not_read_as_a_section() -> None:
    # `---` right under text makes it a heading (CommonMark's setext heading): pasted as a
    # drawn line, it made the intro a section with no items, or a blurb a section named
    # "Blurb. A closing line" that "must fit on one line".
    text = HEADER + (
        "Hello readers.\nUntil next week!\n---\n\n## News\n\n### One\n\nBlurb.\n"
        "A closing line\n---\n"
    )
    assert errors_of(text) == [
        "7.md:6: the `---` on line 8 makes the lines above it a section heading: leave a blank "
        "line above it to draw a line",
        "7.md:14: the `---` on line 16 makes the lines above it a section heading: leave a "
        "blank line above it to draw a line",
    ]


def test_a_one_line_name_over_a_drawn_line_is_a_section_told_how_to_draw_a_line() -> None:
    underlined = HEADER + "News\n----\n\n### One\n\nIts blurb.\n"
    assert [section.name for section in parse_issue(underlined, "7.md").sections] == ["News"]
    closing = underlined + "\nThat is all\n---\n"
    assert errors_of(closing) == [
        "7.md:13: section 'That is all' has no items: add `### Title` items; or the `---` on "
        "line 14 makes the line above it a section heading: leave a blank line above it to "
        "draw a line"
    ]
    assert parse_issue(closing.replace("all\n---", "all\n\n---"), "7.md").sections[0].name == "News"
