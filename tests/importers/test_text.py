"""The plain-text importer: the sample, the layout rules, escaping, and random input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.importers._draft
import bot.models
from bot.importers import Notice, SourceError, parse_text_issue, read_text_issue
from bot.importers._output import issue_file_text
from bot.issuefiles import format_issue, load_issue
from tests.importers.conftest import DATA, ISSUE_202, SAMPLE
from tests.importers.safety import assert_round_trip, assert_safe, rendered_text

GUESS_NOTE = (
    "title guessed from the blurb: the source has no title line for this item (line 11); check it"
)


def test_the_sample_imports_to_exactly_issue_202() -> None:
    imported = read_text_issue(SAMPLE)
    assert format_issue(imported.issue) == ISSUE_202.read_text(encoding="utf-8")
    assert imported.issue == load_issue(ISSUE_202)


def test_the_sample_reports_its_one_guess_with_line_11() -> None:
    imported = read_text_issue(SAMPLE)
    assert imported.notices == (
        Notice(
            f"{SAMPLE}:11",
            "no title line for this item: guessed 'The Global AI Index' from the blurb",
        ),
    )
    assert str(imported.notices[0]).startswith(f"{SAMPLE}:11: ")
    guessed = imported.issue.sections[0].items[1]
    assert (guessed.title, guessed.editor_note) == ("The Global AI Index", GUESS_NOTE)


def test_the_sample_is_read_by_its_structure() -> None:
    issue = read_text_issue(SAMPLE).issue
    assert [s.name for s in issue.sections] == [
        "Industry",
        "Mobile & Edge",
        "Learning",
        "Libraries & Code",
        "Papers & Publications",
    ]
    assert issue.subtitle is not None and issue.subtitle.endswith("and more")
    assert issue.intro.startswith("Hey folks,\n\n") and issue.intro.endswith("Until next week!")
    industry = issue.sections[0].items
    # A title that ends in a full stop ("… of A.I.") is still a title: a blurb follows it.
    assert (
        industry[-1].title
        == "China’s response to COVID showed the world how to make the most of A.I."
    )
    papers = issue.sections[-1].items
    assert [item.title for item in papers][-1] == "Does Knowledge Distillation Really Work?"
    assert all(item.abstract and not item.blurb for item in papers)
    assert (issue.date, issue.link) == (None, None)


def test_date_and_link_are_only_what_is_passed_in() -> None:
    imported = read_text_issue(
        SAMPLE, date=dt.date(2021, 6, 16), link="https://example.com/issues/202"
    )
    assert imported.issue.date == dt.date(2021, 6, 16)
    assert imported.issue.link == "https://example.com/issues/202"


def test_markdown_characters_are_escaped_and_read_back_the_same() -> None:
    imported = read_text_issue(DATA / "tricky.txt")
    issue = imported.issue
    assert_round_trip(issue)
    assert_safe(issue)
    section = issue.sections[0]
    assert section.name == r"News & \[Updates\]"
    titles = [item.title for item in section.items]
    assert titles[0] == r"Title with \[brackets\] and a trailing \#"
    assert titles[-1] == "---"
    blurbs = [item.blurb for item in section.items]
    assert blurbs[:5] == [
        r"\# This blurb starts with a hash.",
        r"\- This blurb starts with a dash.",
        r"1\. This blurb looks like the start of a list.",
        r"\> This blurb looks like a quote.",
        r"This blurb has \<!-- an html comment --> and \<b>tags\</b> and \&amp; entities.",
    ]
    # Rendered, each blurb reads exactly as the source line did.
    source = (DATA / "tricky.txt").read_text(encoding="utf-8").splitlines()
    assert [rendered_text(blurb) for blurb in blurbs[:5]] == source[7:16:2]
    assert rendered_text(issue.intro).splitlines()[1] == source[3]


def test_pings_are_defused_and_reported() -> None:
    imported = read_text_issue(DATA / "tricky.txt")
    last = imported.issue.sections[0].items[-1]
    assert "@everyone" not in last.blurb and "<@&123>" not in last.blurb
    assert (
        last.blurb.replace("\u200b", "")
        == r"Hey @everyone, and \<@&123>, read this right now please."
    )
    assert Notice(f"{DATA / 'tricky.txt'}:18", "defused text that would ping in Discord") in (
        imported.notices
    )


def test_channel_mentions_are_defused_and_reported_like_pings() -> None:
    text = (
        "X: Issue #3 <#1>\n"
        "News <#2>\n"
        "Join <#3>\n"
        "A blurb that links <#4> and writes @Everyone, which Discord does not read as a ping.\n"
    )
    imported = parse_text_issue(text, "x.txt")
    assert_safe(imported.issue)
    file = format_issue(imported.issue)
    for channel in "1234":
        assert f"<#{channel}>" not in file
        assert f"<\u200b#{channel}>" in file
    assert "@Everyone" in file
    assert [str(notice) for notice in imported.notices] == [
        f"x.txt:{line}: defused text that would ping in Discord" for line in (1, 2, 3, 4)
    ]


def parse(text: str) -> tuple[object, list[str]]:
    imported = parse_text_issue(text, "x.txt")
    return imported.issue, [str(notice) for notice in imported.notices]


def test_a_heading_with_nothing_under_it_becomes_a_noted_item() -> None:
    text = (
        "X Weekly: Issue #3\nHello,\nSome intro.\nUntil next week!\n"
        "Orphans\nTools\nHammer\nA hammer for nails.\n"
    )
    imported = parse_text_issue(text, "x.txt")
    (section,) = imported.issue.sections
    assert section.name == "Tools"
    assert [item.title for item in section.items] == ["Orphans", "Hammer"]
    assert section.items[0].editor_note is not None
    assert "(line 5)" in section.items[0].editor_note
    assert any(
        str(n).startswith("x.txt:5: a heading with nothing under it") for n in imported.notices
    )


def outline(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    issue = parse_text_issue(text, "x.txt").issue
    return [(s.name, [(i.title, i.blurb) for i in s.items]) for s in issue.sections]


TWO_SECTIONS = (
    "ML Digest: Issue #12\nHi everyone,\nA short week.\n"
    "News\nA new model\nSomeone released a new model today.\n"
    "Tools\nA new tool\nA tool that does one thing well.\n"
)
TWO_SECTIONS_OUTLINE = [
    ("News", [("A new model", "Someone released a new model today.")]),
    ("Tools", [("A new tool", "A tool that does one thing well.")]),
]


@pytest.mark.parametrize(
    ("sign_off", "lines"),
    [
        ("Happy reading!\nUntil next time,\nJane\n", "lines 10–12"),
        ("Cheers\nJane & Tom\nThe ML Digest team\n", "lines 10–12"),
        ("Thanks for reading!\n\nSee you next week,\n— Jane\n", "lines 10–13"),
        ("Until next week!\n", "line 10"),
    ],
)
def test_a_sign_off_at_the_end_is_left_out_not_made_an_item(sign_off: str, lines: str) -> None:
    imported = parse_text_issue(TWO_SECTIONS + sign_off, "x.txt")
    assert outline(TWO_SECTIONS + sign_off) == TWO_SECTIONS_OUTLINE
    assert [str(n) for n in imported.notices] == [
        f"x.txt:10: the sign-off at the end ({lines}) is not an item: left out"
    ]
    assert all(item.editor_note is None for _, item in imported.issue.items)


def test_a_sign_off_of_several_lines_closes_the_intro() -> None:
    text = TWO_SECTIONS.replace(
        "A short week.\n", "A short week.\nHappy reading!\nUntil next time,\nJane\n"
    )
    imported = parse_text_issue(text, "x.txt")
    assert imported.issue.intro == (
        "Hi everyone,\n\nA short week.\n\nHappy reading!\n\nUntil next time,\n\nJane"
    )
    assert outline(text) == TWO_SECTIONS_OUTLINE
    assert imported.notices == ()


def test_a_thank_you_in_the_intro_does_not_end_it() -> None:
    text = TWO_SECTIONS.replace(
        "A short week.\n", "Thanks, everyone, for answering the survey!\nA short week.\n"
    )
    issue = parse_text_issue(text, "x.txt").issue
    assert issue.intro.endswith("survey!\n\nA short week.")
    assert outline(text) == TWO_SECTIONS_OUTLINE


@pytest.mark.parametrize(
    "ending",
    [
        "Best practices for PyTorch\nHow to train faster.\n",
        "Enjoy the silence\nA quiet keyboard.\n",
        "Cheers for the new saw\nA saw that cuts.\n",
    ],
)
def test_titles_that_look_like_a_sign_off_stay_items(ending: str) -> None:
    imported = parse_text_issue(TWO_SECTIONS + ending, "x.txt")
    titles = [item.title for _, item in imported.issue.items]
    assert titles[:2] == ["A new model", "A new tool"]
    assert titles[2] == ending.split("\n")[0]
    assert not any("sign-off" in n.message for n in imported.notices)


def test_items_before_any_heading_go_in_a_guessed_section() -> None:
    imported = parse_text_issue(
        "X: Issue #4\nSub, title\nFirst item\nIts blurb is here.\n", "x.txt"
    )
    assert imported.issue.subtitle == "Sub, title"
    (section,) = imported.issue.sections
    assert section.name == "Items"
    assert section.items[0].title == "First item"
    assert section.items[0].editor_note == (
        "section name guessed: the source has no section heading above this item (line 3); check it"
    )
    assert [str(n) for n in imported.notices] == [
        "x.txt:3: no section heading above this item: put in a section named 'Items'"
    ]


def test_an_empty_abstract_and_a_title_without_text_are_noted() -> None:
    text = "Y: Issue #5\nPapers\nA paper\nAbstract:\nAnother paper\nAbstract: It works.\nLast one\n"
    imported = parse_text_issue(text, "y.txt")
    items = imported.issue.sections[0].items
    assert [(item.title, item.abstract) for item in items] == [
        ("A paper", None),
        ("Another paper", "It works."),
        ("Last one", None),
    ]
    notes = [item.editor_note for item in items]
    assert notes[0] == (
        "the source has an empty `Abstract:` for this item; check it; "
        "the source has no text under this title (line 3); check it"
    )
    assert notes[1] is None
    assert notes[2] == "the source has no text under this title (line 7); check it"


def test_the_same_title_twice_is_numbered_not_dropped() -> None:
    text = "Z: Issue #6\nNews\nSame title\nOne blurb.\nSame title\nAnother blurb.\n"
    imported = parse_text_issue(text, "z.txt")
    assert [item.title for item in imported.issue.sections[0].items] == [
        "Same title",
        "Same title (2)",
    ]


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("", "x.txt:1", "the file is empty"),
        ("\n  \n", "x.txt:1", "the file is empty"),
        ("No number here\nNews\nA\nB.\n", "x.txt:1", "the first line names the issue"),
        ("X: Issue #0\nNews\nA\nB.\n", "x.txt:1", "numbers the issue 0; an issue number is from"),
        ("X: Issue #1000000\nNews\nA\nB.\n", "x.txt:1", "numbers the issue 1000000; an issue"),
        ("X: No. 0012345678\nNews\nA\nB.\n", "x.txt:1", "numbers the issue 0012345678; an"),
        ("X: Issue #1\nHello,\nJust an intro.\n", "x.txt:3", "found no section headings"),
    ],
)
def test_what_cannot_be_imported_fails_with_file_and_line(
    text: str, where: str, reason: str
) -> None:
    with pytest.raises(SourceError) as caught:
        parse_text_issue(text, "x.txt")
    assert caught.value.where == where
    assert reason in caught.value.reason


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"X: Issue #1\nNews\nTitle\nA blurb with \xff in it.\n")
    with pytest.raises(SourceError, match=r"bad\.txt:4: the file is not valid UTF-8"):
        read_text_issue(path)


def test_control_characters_are_removed_and_reported() -> None:
    _, notices = parse("X: Issue #2\nNews\nTi\x00tle\nA\x07 blurb.\n")
    assert notices == ["x.txt:3: removed control characters", "x.txt:4: removed control characters"]


def test_windows_and_old_mac_line_ends_read_the_same() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    unix = parse_text_issue(text, "s.txt").issue
    assert parse_text_issue(text.replace("\n", "\r\n"), "s.txt").issue == unix
    assert parse_text_issue(text.replace("\n", "\r"), "s.txt").issue == unix


SPECIAL_LINES = [
    "# heading?",
    "## Also",
    "- dash",
    "+ plus",
    "* star",
    "1. one",
    "2) two",
    "> quote",
    "---",
    "***",
    "___",
    "===",
    "<!-- comment -->",
    "<div>",
    "</p>",
    "[a](b)",
    "[a]: /url",
    "![img](x.png)",
    "`code`",
    "```",
    "~~~",
    "    indented",
    "\ttabbed",
    "Abstract:",
    "Abstract: the abstract.",
    "Hey folks,",
    "Until next week!",
    "Industry",
    "A short title",
    "A sentence that ends here.",
    "@everyone",
    "<@&123>",
    "@here now",
    "<#123> and @Here",
    "trailing #",
    "x" * 600,
    "&amp; &#64;everyone",
    "a\\",
    "\u2028",
    "\x85",
    "\x00",
    "\ufeff",
    "Title #5",
]
LINES = st.one_of(
    st.sampled_from(SPECIAL_LINES),
    st.sampled_from(SAMPLE.read_text(encoding="utf-8").splitlines()),
    st.text(max_size=120),
)
FIRST_LINES = st.one_of(
    st.builds(
        lambda name, number: f"{name}: Issue #{number}",
        st.text(max_size=20),
        st.integers(0, 2_000_000),
    ),
    st.text(max_size=40),
)
FILES = st.builds(
    lambda first, lines, newline: newline.join([first, *lines]),
    FIRST_LINES,
    st.lists(LINES, max_size=25),
    st.sampled_from(["\n", "\r\n", "\r"]),
)


@given(FILES)
def test_random_text_gives_a_valid_issue_or_a_clear_error(text: str) -> None:
    try:
        imported = parse_text_issue(text, "random.txt")
    except SourceError as exc:
        assert str(exc).startswith("random.txt")
        return
    issue = imported.issue
    issue_file_text(issue, Path(f"{issue.number}.md"))
    assert_round_trip(issue)
    assert_safe(issue)
    for notice in imported.notices:
        assert notice.where.startswith("random.txt")


def test_long_titles_that_repeat_are_numbered_up_front() -> None:
    # Slugs stop at 100 characters, so "(2)" at the end would not tell two long titles apart.
    text = "X: Issue #1\nNews\n" + ("A" * 140 + "\nBlurb one.\n") * 3
    items = parse_text_issue(text, "x.txt").issue.sections[0].items
    assert [item.title[:4] for item in items] == ["AAAA", "(2) ", "(3) "]


def test_many_items_titled_alike_are_numbered_in_linear_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long issue whose items share a title ("Read more") is numbered one by one; each
    number found anew from (2) made 50,000 such items take hours. Counted in slugs made, not
    in seconds, so that a busy machine cannot fail it or let it pass."""
    made = 0
    slugify = bot.models.slugify

    def counted(text: str) -> str:
        nonlocal made
        made += 1
        return slugify(text)

    monkeypatch.setattr(bot.importers._draft, "slugify", counted)
    count = 2000
    sample = SAMPLE.read_text(encoding="utf-8")
    items = "".join(f"Read more\nBlurb number {n} of the same title.\n" for n in range(count))
    imported = parse_text_issue(f"{sample.rstrip()}\n{items}", "x.txt")
    titles = [item.title for item in imported.issue.sections[-1].items[-count:]]
    assert titles == ["Read more"] + [f"Read more ({n})" for n in range(2, count + 1)]
    assert made < 10 * count, f"{made} slugs made for {count} items"
