"""Short lines that could be a heading, an item's title or intro text: read as a reader reads
them where the lines around them tell, and reported with the reading taken where they do not."""

from __future__ import annotations

from pathlib import Path

from bot.importers import parse_text_issue
from bot.models import Issue
from tests.importers.conftest import Run

HEADER = "Weekly: Issue #33\nRobots, chips and more\nHey folks, here is this week's issue.\n"
ROBOT = (
    "New robot arm released\n"
    "Acme released a new robot arm that learns tasks from a single demonstration, "
    "with code on GitHub.\n"
)
INDEX = (
    "The AI Index is an annual report that tracks investment and research output across many "
    "countries.\n"
)
CHIP = (
    "Chip startup raises funds\n"
    "A chip startup raised $75M to build analog inference accelerators for edge devices and "
    "sensors.\n"
)
# A title and its short blurb, then a blurb with no title line: the shape of the sample's
# untitled Industry blurb, but with a blurb short enough to be a title ending in a full stop.
UNTITLED_AFTER_SHORT_BLURB = HEADER + "Industry\n" + ROBOT + INDEX + CHIP
LONG_BLURB = (
    "Google has unveiled a new campus to build a useful quantum computer, which may have many "
    "applications for AI in the years to come.\n"
)


def outline(issue: Issue) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(s.name, [(i.title, i.blurb) for i in s.items]) for s in issue.sections]


def source_line(lines: str, number: int) -> str:
    return lines.splitlines()[number - 1]


def test_a_title_under_a_heading_keeps_its_short_blurb_and_the_untitled_blurb_is_guessed() -> None:
    imported = parse_text_issue(UNTITLED_AFTER_SHORT_BLURB, "x.txt")
    issue = imported.issue
    text = UNTITLED_AFTER_SHORT_BLURB
    assert issue.subtitle == "Robots, chips and more"
    assert issue.intro == "Hey folks, here is this week's issue."
    assert outline(issue) == [
        (
            "Industry",
            [
                ("New robot arm released", source_line(text, 6)),
                ("The AI Index", source_line(text, 7)),
                ("Chip startup raises funds", source_line(text, 9)),
            ],
        )
    ]
    assert [str(n) for n in imported.notices] == [
        "x.txt:5: read as an item's title with line 6 as its blurb, not as a section heading: "
        "'Industry' (line 4) would have nothing under it",
        "x.txt:7: no title line for this item: guessed 'The AI Index' from the blurb",
    ]
    robot, guessed, chip = issue.sections[0].items
    assert robot.editor_note == (
        "read as an item's title, not a section heading: the heading above would have "
        "nothing under it (line 5); check it"
    )
    assert guessed.editor_note == (
        "title guessed from the blurb: the source has no title line for this item (line 7); "
        "check it"
    )
    assert chip.editor_note is None


def test_the_same_input_imports_the_same_from_the_command_line(
    tmp_path: Path, newsbot: Run
) -> None:
    source = tmp_path / "weekly-33.txt"
    source.write_text(UNTITLED_AFTER_SHORT_BLURB, encoding="utf-8")
    result = newsbot("import", "text", str(source), "--out", str(tmp_path / "issues"))
    assert result.exit_code == 0, result.stderr
    assert f"{source}:5: read as an item's title" in result.stderr
    assert f"{source}:7: no title line for this item" in result.stderr
    written = (tmp_path / "issues" / "33.md").read_text(encoding="utf-8")
    assert "## Industry\n\n### New robot arm released\n" in written
    assert "### The AI Index\n" in written
    assert "\n## New robot arm released" not in written


def test_a_short_line_before_the_first_heading_stays_in_the_intro() -> None:
    text = (
        HEADER
        + "Lots of robots this week\nIndustry\n"
        + ROBOT.replace(
            ", with code on GitHub.", ". The code is on GitHub, with a demo and the paper."
        )
    )
    imported = parse_text_issue(text, "x.txt")
    issue = imported.issue
    assert issue.intro == "Hey folks, here is this week's issue.\n\nLots of robots this week"
    assert outline(issue) == [("Industry", [("New robot arm released", source_line(text, 7))])]
    assert [str(n) for n in imported.notices] == [
        "x.txt:4: a short line before the first section heading, with nothing under it: "
        "kept in the intro"
    ]
    (item,) = issue.sections[0].items
    assert item.editor_note == (
        "kept in the intro: a short line before the first section heading, with nothing "
        "under it (line 4); check it"
    )


def test_both_fixes_together_read_the_whole_issue() -> None:
    text = HEADER + "Lots of robots this week\nIndustry\n" + ROBOT + INDEX + CHIP
    imported = parse_text_issue(text, "x.txt")
    assert imported.issue.intro.endswith("\n\nLots of robots this week")
    assert [item.title for item in imported.issue.sections[0].items] == [
        "New robot arm released",
        "The AI Index",
        "Chip startup raises funds",
    ]
    assert [n.where for n in imported.notices] == ["x.txt:4", "x.txt:6", "x.txt:8"]
    assert imported.issue.sections[0].items[0].editor_note == (
        "kept in the intro: a short line before the first section heading, with nothing "
        "under it (line 4); check it; read as an item's title, not a section heading: the "
        "heading above would have nothing under it (line 6); check it"
    )


def test_a_heading_or_a_title_after_a_blurb_is_reported_as_either() -> None:
    # After a blurb the shapes cannot tell "Research / a one-sentence title / its blurb" from
    # "a title / its short blurb / a blurb without a title": read as a heading, and say so.
    text = HEADER + "Industry\nNew campus\n" + LONG_BLURB + ROBOT + INDEX
    imported = parse_text_issue(text, "x.txt")
    assert [s.name for s in imported.issue.sections] == ["Industry", "New robot arm released"]
    assert [str(n) for n in imported.notices] == [
        "x.txt:7: read as a section heading with line 8 as its first item's title; it may "
        "instead be an item's title with line 8 as its blurb: check it"
    ]
    (item,) = imported.issue.sections[1].items
    assert item.editor_note == (
        "the line above, read as this section's heading, may be an item's title with this "
        "line as its blurb (line 7); check it"
    )


def test_a_heading_over_a_title_that_ends_in_a_question_mark_is_reported_the_same() -> None:
    text = (
        HEADER
        + "Industry\nNew campus\n"
        + LONG_BLURB
        + ("Research\nDoes knowledge distillation really work?\n" + LONG_BLURB)
    )
    imported = parse_text_issue(text, "x.txt")
    assert outline(imported.issue)[1] == (
        "Research",
        [("Does knowledge distillation really work?", LONG_BLURB.strip())],
    )
    assert [n.where for n in imported.notices] == ["x.txt:7"]


def test_a_heading_over_a_short_title_is_not_a_guess() -> None:
    text = HEADER + "Industry\n" + "New campus\n" + LONG_BLURB + "Research\n" + ROBOT
    imported = parse_text_issue(text, "x.txt")
    assert [s.name for s in imported.issue.sections] == ["Industry", "Research"]
    assert imported.notices == ()


def test_an_empty_heading_under_a_heading_over_a_short_title_is_still_reported() -> None:
    # "Orphans" is followed by a heading whose next line is a short title: a heading for sure.
    text = HEADER + "Industry\nNew campus\n" + LONG_BLURB + "Orphans\nTools\nHammer\n" + INDEX
    imported = parse_text_issue(text, "x.txt")
    assert [s.name for s in imported.issue.sections] == ["Industry", "Tools"]
    assert [str(n) for n in imported.notices] == [
        "x.txt:7: a heading with nothing under it: imported as an item without text in "
        "section 'Industry'"
    ]
