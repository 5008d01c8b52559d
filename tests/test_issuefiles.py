"""Issue files: every bundled file is valid, files round-trip, and every problem has a line."""

from __future__ import annotations

import datetime as dt
import functools
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.schedule.files
from bot.errors import IssueFileError, IssueFileErrors
from bot.issuefiles import (
    format_issue,
    issue_paths,
    load_issue,
    load_issues,
    parse_issue,
    read_issues,
)
from bot.models import Issue, Item, Section
from bot.schedule.files import signature
from tests.conftest import ISSUES

SAMPLE_202 = (ISSUES / "202.md").read_text(encoding="utf-8")


def errors_of(text: str, name: str = "7.md") -> list[IssueFileError]:
    with pytest.raises(IssueFileErrors) as caught:
        parse_issue(text, Path("issues") / name)
    return caught.value.errors


def one_error(text: str, name: str = "7.md") -> IssueFileError:
    errors = errors_of(text, name)
    assert len(errors) == 1, errors
    return errors[0]


GOOD = """---
number: 7
title: Test Weekly: Issue #7
---

Hello readers.

## News

### [A linked item](https://example.com/a)

Its blurb.

### An item without a link

Another blurb.
"""


@pytest.mark.parametrize("path", issue_paths([ISSUES]), ids=lambda p: p.name)
def test_every_bundled_issue_file_is_valid_and_canonical(path: Path) -> None:
    issue = load_issue(path)
    assert format_issue(issue) == path.read_text(encoding="utf-8")


def test_issue_202_is_the_whole_sample(issue_202: Issue) -> None:
    assert issue_202.number == 202
    assert [s.name for s in issue_202.sections] == [
        "Industry",
        "Mobile & Edge",
        "Learning",
        "Libraries & Code",
        "Papers & Publications",
    ]
    assert [len(s.items) for s in issue_202.sections] == [6, 3, 4, 2, 3]
    assert all(item.link is None for _, item in issue_202.items), "the sample has no links"
    papers = issue_202.sections[-1].items
    assert all(p.abstract and len(p.abstract) > 500 for p in papers)
    guessed = [item for _, item in issue_202.items if item.editor_note]
    assert [item.title for item in guessed] == ["The Global AI Index"]


def test_a_good_file_parses() -> None:
    issue = parse_issue(GOOD, "issues/7.md")
    assert issue.intro == "Hello readers."
    (section,) = issue.sections
    assert section.slug == "news"
    assert [(i.title, i.link, i.blurb) for i in section.items] == [
        ("A linked item", "https://example.com/a", "Its blurb."),
        ("An item without a link", None, "Another blurb."),
    ]


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("### An item without a link", "### "), 14, "no title"),
        (("(https://example.com/a)", "(javascript:alert(1))"), 10, "not valid"),
        (("(https://example.com/a)", "(ftp://example.com/a)"), 10, "http"),
        (("title: Test", "colour: red\ntitle: Test"), 3, "unknown front-matter key 'colour'"),
        (("number: 7", "number: 8"), 2, "does not match the file name 7.md"),
        (("number: 7", "number: seven"), 2, "whole number"),
        (("---\n\nHello", "date: 21/06/2021\n---\n\nHello"), 4, "YYYY-MM-DD"),
        (("Hello readers.", "# Big title"), 6, "level-1 heading"),
        (("### [A linked", "Stray text.\n\n### [A linked"), 10, "belongs to an item"),
        (("Its blurb.", "<div>html</div>"), 12, "raw HTML"),
        (("## News", "### Orphan\n\n## News"), 8, "before any section"),
        (("Another blurb.", "Another blurb.\n\n## News\n\n### X"), 18, "appears twice"),
        (("Another blurb.", "Another blurb.\n\n## Empty"), 18, "no items"),
        (
            ("### An item without a link", "### [A linked item](https://example.com/a)"),
            14,
            "already in this issue on line 10",
        ),
        (("Its blurb.", "#### Abstract"), 12, "empty"),
        (("Hello readers.", "#### Abstract\n\nx"), 6, "belongs under an item"),
        (("title: Test Weekly: Issue #7\n", ""), 1, "needs a `title:` line"),
    ],
)
def test_each_problem_is_reported_with_its_line(
    change: tuple[str, str], line: int, reason: str
) -> None:
    old, new = change
    assert old in GOOD
    error = one_error(GOOD.replace(old, new, 1))
    assert error.line == line
    assert reason in error.reason
    assert str(error).startswith(f"issues/7.md:{line}: ")


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c"])
def test_a_line_is_numbered_as_an_editor_numbers_it(char: str) -> None:
    # Only `\n`, `\r\n` and `\r` end a line (CommonMark's line endings, and an editor's):
    # a separator pasted into the intro stays in its line and is reported there, and a
    # problem further down keeps the number an editor shows.
    text = GOOD.replace("Hello readers.", f"Hello{char}readers.").replace(
        "Another blurb.", "Another [blurb](javascript:alert(1))."
    )
    errors = errors_of(text)
    assert [(e.line, "control character" in e.reason) for e in errors] == [(6, True), (16, False)]
    assert f"U+{ord(char):04X}" in errors[0].reason
    assert "javascript:" in errors[1].reason


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("### An item without a link", "### \u200b\u200b", 14),
        ("## News", "## \u200b", 8),
        ("title: Test Weekly: Issue #7", "title: \u2060\u3164", 3),
    ],
)
def test_a_title_or_name_of_invisible_characters_is_refused(old: str, new: str, line: int) -> None:
    error = one_error(GOOD.replace(old, new))
    assert (error.line, "invisible characters" in error.reason) == (line, True), error


def test_a_section_renamed_in_place_keeps_the_slug_written_after_its_name() -> None:
    text = GOOD.replace("## News", "## Industry news {#news}")
    issue = parse_issue(text, "issues/7.md")
    assert [(s.name, s.slug) for s in issue.sections] == [("Industry news", "news")]
    assert "## Industry news {#news}\n" in format_issue(issue)
    assert issue.section("news") is issue.section("industry-news") is issue.sections[0]
    # A name that ends like a slug is written back with its own slug after it.
    braced_section = Section.model_validate({"name": "x {#y}", "items": issue.sections[0].items})
    braced = issue.model_copy(update={"sections": (braced_section,)})
    assert parse_issue(format_issue(braced), "issues/7.md") == braced


@pytest.mark.parametrize(
    ("heading", "line", "reason"),
    [
        (
            "## News {#News Items}",
            8,
            "`{#News Items}` is not a section slug: a slug is lower case, its words joined by "
            "`-`, as in `{#news-items}`",
        ),
        ("## News {#}", 8, "as in `{#news}`"),
        ("## {#news}", 8, "this section has no name"),
        (
            "## News\n\n### [B](https://example.com/b)\n\n## Later {#news}",
            12,
            "section 'Later' has the slug `news` of section 'News' (line 8): give one of them "
            "another `{#slug}`",
        ),
    ],
)
def test_a_slug_after_a_section_name_is_checked(heading: str, line: int, reason: str) -> None:
    error = one_error(GOOD.replace("## News", heading))
    assert (error.line, reason in error.reason) == (line, True), error


def test_an_item_with_no_text_is_valid_with_a_warning_at_its_heading() -> None:
    """A draft's items have no blurb until the editor writes them: the file is valid, as a
    back issue's bare link is, but each such item is named at its heading. An abstract is
    text enough; an invalid file warns of nothing, its problems come first."""
    text = GOOD.replace("Another blurb.\n", "") + (
        "\n## Papers\n\n### [P](https://example.com/p)\n\n#### Abstract\n\nIts abstract.\n\n"
        "### [Weekly \\*\\*kwargs\\*\\*](https://example.com/q)\n"
    )
    warnings: list[IssueFileError] = []
    issue = parse_issue(text, Path("issues/7.md"), warnings)
    assert [item.title for _, item in issue.items][1:] == [
        "An item without a link",
        "P",
        "Weekly \\*\\*kwargs\\*\\*",
    ]
    assert [str(warning) for warning in warnings] == [
        "issues/7.md:14: item 2 (An item without a link) has no blurb: readers would see its "
        "title alone; write one under its heading",
        "issues/7.md:25: item 4 (Weekly **kwargs**) has no blurb: readers would see its title "
        "alone; write one under its heading",
    ]
    broken: list[IssueFileError] = []
    with pytest.raises(IssueFileErrors):
        parse_issue(text.replace("## Papers", "## News"), Path("issues/7.md"), broken)
    assert broken == []
    for path in issue_paths([ISSUES]):
        load_issue(path, broken)
    assert broken == [], "every bundled issue has its blurbs"


def test_a_problem_names_sections_and_items_as_readers_read_them() -> None:
    """Not as the Markdown writes them, nor with each backslash doubled."""
    text = GOOD.replace("## News", "## *Mobile* \\& Edge\n\n## Mobile \\& Edge", 1).replace(
        "### An item without a link\n\nAnother blurb.",
        "### [Weekly \\*\\*kwargs\\*\\*](https://example.com/a)\n\nAgain.",
    )
    assert [(error.line, error.reason) for error in errors_of(text)] == [
        (8, "section '*Mobile* & Edge' has no items: add `### Title` items"),
        (10, "section 'Mobile & Edge' appears twice (first on line 8): merge the two"),
        (
            16,
            "item 'Weekly **kwargs**' has the link of item 'A linked item' (line 12): an issue "
            "holds each link once; merge the two or fix the link",
        ),
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        (
            "## News",
            "## C++\n\n### [B](https://example.com/b)\n\n## C#",
            12,
            "section 'C#' has the slug `c` of section 'C++' (line 8): give one of them another "
            "`{#slug}`",
        ),
        (
            "## News",
            "## Mobile & Edge\n\n### [B](https://example.com/b)\n\n## Mobile / Edge",
            12,
            "section 'Mobile / Edge' has the slug `mobile-edge` of section 'Mobile & Edge'",
        ),
        (
            "## News",
            "## Café Corner\n\n### [B](https://example.com/b)\n\n## cafe  corner",
            12,
            "section 'cafe corner' appears twice (first on line 8): merge the two",
        ),
        (
            "### An item without a link",
            "### What is new in C++\n\nText.\n\n### What is new in C#",
            18,
            "item 'What is new in C#' cannot be told apart from item 'What is new in C++' (line "
            "14): items without a link are told apart by the letters and digits of their titles",
        ),
        (
            "### An item without a link",
            "### [Another title](https://example.com/a)",
            14,
            "item 'Another title' has the link of item 'A linked item' (line 10): an issue holds "
            "each link once; merge the two or fix the link",
        ),
    ],
)
def test_sections_or_items_with_one_key_are_told_as_the_editor_sees_them(
    old: str, new: str, line: int, reason: str
) -> None:
    """Two names that only newsbot's keys make one are not "twice" the same: the error says
    what they share and how to tell them apart."""
    assert old in GOOD
    error = one_error(GOOD.replace(old, new, 1))
    assert (error.line, reason in error.reason) == (line, True), error


def test_sections_and_items_named_in_other_scripts_are_told_apart() -> None:
    text = (
        "---\nnumber: 7\ntitle: T\n---\n\n## 業界\n\n### ニュース\n\n本文。\n\n"
        "### 研究\n\n本文。\n\n## Новости\n\n### Новости недели\n\nТекст.\n\n"
        "### Статья о моделях\n\nТекст два.\n"
    )
    issue = parse_issue(text, "issues/7.md")
    assert [s.slug for s in issue.sections] == ["業界", "новости"]
    assert [item.key for _, item in issue.items] == [
        "title:ニュース",
        "title:研究",
        "title:новости-недели",
        "title:статья-о-моделях",
    ]


def test_a_reference_link_keeps_its_definition_with_the_text_that_uses_it() -> None:
    text = GOOD.replace("Its blurb.", "Its [blurb][b].\n\n[b]: https://example.com/b")
    issue = parse_issue(text, "issues/7.md")
    blurb = issue.sections[0].items[0].blurb
    assert blurb == "Its [blurb][b].\n\n[b]: https://example.com/b"
    assert format_issue(issue) == text, "written back as it was read"


def test_a_reference_link_defined_under_another_item_is_reported_where_it_is_used() -> None:
    text = GOOD.replace("Its blurb.", "Its [blurb][b].").replace(
        "Another blurb.", "Another blurb.\n\n[b]: https://example.com/b"
    )
    error = one_error(text)
    assert (error.line, "line 18" in error.reason) == (12, True), error
    assert "under the same item" in error.reason


def test_a_lone_carriage_return_ends_a_line_as_in_commonmark() -> None:
    text = GOOD.replace("\n", "\r")
    assert parse_issue(text, "issues/7.md") == parse_issue(GOOD, "issues/7.md")
    assert one_error(text.replace("Its blurb.", "<div>html</div>")).line == 12


def test_missing_or_unclosed_front_matter() -> None:
    assert "front-matter block" in one_error("## News\n\n### T\n").reason
    error = errors_of("---\nnumber: 7\ntitle: T\n\n## News\n")[0]
    assert "not closed" in error.reason


def test_every_problem_in_a_file_is_reported_not_just_the_first() -> None:
    broken = (
        GOOD.replace("number: 7", "number: 8")
        .replace("### An item without a link", "### ")
        .replace("Hello readers.", "# H1")
    )
    errors = errors_of(broken)
    assert [e.line for e in errors] == [2, 6, 14]


def test_load_issues_reports_every_file(tmp_path: Path) -> None:
    (tmp_path / "7.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "8.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "9.md").write_text(GOOD.replace("number: 7", "number: 9").replace("## News", "#"))
    result = load_issues([tmp_path])
    assert [issue.number for _, issue in result.issues] == [7]
    assert {(e.path.name, e.line) for e in result.errors} == {
        ("8.md", 2),
        ("9.md", 8),
        ("9.md", 10),
    }


def test_read_issues_reads_each_file_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "7.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "8.md").write_text(GOOD.replace("number: 7", "number: 8"), encoding="utf-8")
    errors: list[IssueFileError] = []
    issues = read_issues([tmp_path], errors)
    assert next(issues)[1].number == 7
    (tmp_path / "8.md").write_text(GOOD.replace("number: 7", "number: 8").replace("## News", "#"))
    assert list(issues) == [], "8.md is read after the edit, not before"
    assert [(e.path.name, e.line) for e in errors] == [("8.md", 8), ("8.md", 10)]


def test_a_file_that_is_not_utf8_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "7.md"
    path.write_bytes(GOOD.encode().replace(b"Its blurb.", b"Its \xff blurb."))
    with pytest.raises(IssueFileErrors) as caught:
        load_issue(path)
    assert caught.value.errors[0].line == 12
    assert "UTF-8" in caught.value.errors[0].reason


def test_editor_note_and_abstract_round_trip() -> None:
    text = GOOD.replace(
        "Its blurb.", "<!-- editor: check this title -->\n\nIts blurb.\n\n#### Abstract\n\nLong."
    )
    issue = parse_issue(text, "7.md")
    first = issue.sections[0].items[0]
    assert (first.editor_note, first.abstract) == ("check this title", "Long.")
    assert format_issue(issue) == text


def test_links_with_parentheses_and_unicode_round_trip() -> None:
    issue = parse_issue(GOOD, "7.md")
    odd = Item(title="Odd (link)", link="https://en.wikipedia.org/wiki/A_(b)_ü")
    changed = issue.model_copy(
        update={"sections": (Section(name="News", slug="news", items=(odd,)),)}
    )
    assert parse_issue(format_issue(changed), "7.md") == changed


# --- generated issues --------------------------------------------------------------------

WORDS = st.text(alphabet=string.ascii_letters + string.digits + "éü中文😀", min_size=1, max_size=8)
PUNCT = st.sampled_from([",", ".", "!", "?", ":", ";", " —", "'s", " &"])


@functools.cache
def lines(max_words: int = 8) -> st.SearchStrategy[str]:
    """Lines of 1 to `max_words` words, some followed by punctuation."""
    words = st.tuples(WORDS, st.one_of(st.just(""), PUNCT))
    return st.lists(words, min_size=1, max_size=max_words).map(
        lambda drawn: " ".join(w + p for w, p in drawn)
    )


paragraphs = st.lists(lines(20), min_size=0, max_size=3).map("\n\n".join)
links = st.one_of(
    st.none(),
    st.builds(
        lambda path: f"https://example.com/{path}",
        st.text(string.ascii_lowercase + "/-_(", max_size=20),
    ),
)
# Each strategy is built once: building and validating them again at every draw took a third of
# the time of the properties that generate issues.
section_names = st.lists(
    lines(3),
    min_size=1,
    max_size=4,
    unique_by=lambda n: Section.model_validate({"name": n, "items": [Item(title="x")]}).slug,
)
abstracts = st.one_of(st.none(), lines(30))
editor_notes = st.one_of(st.none(), lines(5))
subtitles = st.one_of(st.none(), lines(10))
dates = st.one_of(st.none(), st.dates())


@st.composite
def issues(draw: st.DrawFn) -> Issue:
    number = draw(st.integers(1, 99_999))
    sections = []
    seen_keys: set[str] = set()
    names = draw(section_names)
    natural = {Section.model_validate({"name": n, "items": [Item(title="x")]}).slug for n in names}
    for position, name in enumerate(names):
        items = []
        for _ in range(draw(st.integers(1, 4))):
            candidate = Item(
                title=draw(lines(6)),
                link=draw(links),
                blurb=draw(paragraphs),
                abstract=draw(abstracts),
                editor_note=draw(editor_notes),
            )
            if candidate.key not in seen_keys:
                seen_keys.add(candidate.key)
                items.append(candidate)
        if items:
            # Some sections keep a slug of their own (renamed in place): `## Name {#s2}`.
            kept = f"kept-{position}"
            own = {"slug": kept} if kept not in natural and draw(st.booleans()) else {}
            sections.append(Section.model_validate({"name": name, "items": items, **own}))
    return Issue(
        number=number,
        title=draw(lines(6)),
        subtitle=draw(subtitles),
        date=draw(dates),
        link=draw(links),
        intro=draw(paragraphs),
        sections=tuple(sections),
    )


@given(issues())
def test_generated_issues_survive_writing_and_reading(issue: Issue) -> None:
    text = format_issue(issue)
    assert parse_issue(text, f"issues/{issue.number}.md") == issue
    assert format_issue(parse_issue(text, f"{issue.number}.md")) == text


def _mutate(text: str, data: st.DataObject) -> str:
    lines_ = text.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["delete", "duplicate", "insert", "replace", "truncate"]))
        at = data.draw(st.integers(0, max(len(lines_) - 1, 0)))
        junk = data.draw(
            st.one_of(
                st.text(max_size=40),
                st.sampled_from(
                    [
                        "---",
                        "## ",
                        "### ",
                        "#### Abstract",
                        "<!-- x -->",
                        "# T",
                        "### [x](javascript:1)",
                        "number: 9",
                        "key value",
                        "\x00",
                    ]
                ),
            )
        )
        if kind == "delete" and lines_:
            del lines_[at]
        elif kind == "duplicate" and lines_:
            lines_.insert(at, lines_[at])
        elif kind == "insert":
            lines_.insert(at, junk)
        elif kind == "replace" and lines_:
            lines_[at] = junk
        elif kind == "truncate":
            lines_ = lines_[:at]
    return "\n".join(lines_)


@given(st.data())
def test_broken_files_only_ever_raise_issue_file_errors_with_a_line(data: st.DataObject) -> None:
    text = _mutate(data.draw(st.sampled_from([GOOD, SAMPLE_202])), data)
    name = data.draw(st.sampled_from(["7.md", "202.md"]))
    line_count = max(len(text.splitlines()), 1)
    try:
        parse_issue(text, Path("issues") / name)
    except IssueFileErrors as exc:
        for error in exc.errors:
            assert 1 <= error.line <= line_count + 1, error
            assert error.reason and str(error).startswith(f"issues/{name}:{error.line}: ")


@given(st.text(max_size=400))
def test_any_text_is_an_issue_or_located_errors(text: str) -> None:
    try:
        parse_issue(text, "issues/1.md")
    except IssueFileErrors as exc:
        assert all(error.line >= 1 for error in exc.errors)


def test_links_that_contain_entity_like_text_round_trip() -> None:
    issue = parse_issue(GOOD, "7.md")
    odd = Item(title="Odd", link="https://x.example/&#106;avascript?a=1&amp;b=2&c=3")
    changed = issue.model_copy(
        update={"sections": (Section(name="News", slug="news", items=(odd,)),)}
    )
    text = format_issue(changed)
    assert parse_issue(text, "7.md") == changed
    assert "&c=3" in text, "an ordinary & is left as it is"


def test_publish_at_is_read_with_or_without_an_offset_and_written_back() -> None:
    naive = parse_issue(GOOD.replace("title:", "publish_at: 2026-11-30T09:00\ntitle:"), "7.md")
    assert naive.publish_at is not None and naive.publish_at.tzinfo is None
    assert (naive.publish_at.hour, naive.publish_at.minute) == (9, 0)
    aware = parse_issue(
        GOOD.replace("title:", "publish_at: 2026-11-30 09:00+01:00\ntitle:"), "7.md"
    )
    assert aware.publish_at is not None and aware.publish_at.utcoffset() is not None
    for issue in (naive, aware):
        assert parse_issue(format_issue(issue), "7.md") == issue
    assert "publish_at: 2026-11-30T09:00\n" in format_issue(naive)


@pytest.mark.parametrize(
    "value", ["next monday", "2026-11-30", "2026-1-30T09:00", "09:00", "２０２６-11-30T09:00"]
)
def test_a_bad_publish_at_names_its_line(value: str) -> None:
    error = one_error(GOOD.replace("title:", f"publish_at: {value}\ntitle:"))
    assert error.line == 3
    assert "publish_at must be a date and time like 2026-11-30T09:00" in error.reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2021-02-30", "date 2021-02-30 does not exist: February 2021 has 28 days"),
        ("2024-02-30", "date 2024-02-30 does not exist: February 2024 has 29 days"),
        ("2021-04-31", "date 2021-04-31 does not exist: April 2021 has 30 days"),
        ("2021-13-01", "date 2021-13-01 does not exist: there is no month 13"),
        ("2021-00-10", "date 2021-00-10 does not exist: there is no month 0"),
        ("2021-06-00", "date 2021-06-00 does not exist: there is no day 0"),
        ("0000-06-01", "date 0000-06-01 does not exist: there is no year 0"),
        ("2021-06-31", "date 2021-06-31 does not exist: June 2021 has 30 days"),
    ],
)
def test_a_date_that_does_not_exist_is_called_so(value: str, reason: str) -> None:
    error = one_error(GOOD.replace("title:", f"date: {value}\ntitle:"))
    assert (error.line, error.reason) == (3, reason)


@pytest.mark.parametrize(
    "value", ["21/06/2021", "2021-6-1", "20210616", "2021-W24-3", "２０２１-06-16"]
)
def test_a_malformed_date_is_asked_for_as_yyyy_mm_dd(value: str) -> None:
    error = one_error(GOOD.replace("title:", f"date: {value}\ntitle:"))
    assert (error.line, error.reason) == (3, f"date must be written YYYY-MM-DD, not {value!r}")


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        ("2026-02-29T09:00", "February 2026 has 28 days"),
        ("2026-13-01T09:00", "there is no month 13"),
        ("2026-11-30T24:00", "there is no hour 24 (the hours go from 00 to 23)"),
        ("2026-11-30T09:60", "there is no minute 60"),
        ("2026-11-30 09:00:61", "there is no second 61"),
        ("2026-11-30T09:00+24:00", "there is no UTC offset +24:00"),
    ],
)
def test_a_publish_at_that_does_not_exist_is_called_so(value: str, missing: str) -> None:
    error = one_error(GOOD.replace("title:", f"publish_at: {value}\ntitle:"))
    assert (error.line, error.reason) == (3, f"publish_at {value} does not exist: {missing}")


def test_a_leap_day_is_a_date() -> None:
    issue = parse_issue(GOOD.replace("title:", "date: 2024-02-29\ntitle:"), "7.md")
    assert issue.date is not None and issue.date.isoformat() == "2024-02-29"


def test_a_byte_order_mark_is_not_part_of_the_file(tmp_path: Path) -> None:
    assert parse_issue("\ufeff" + GOOD, "issues/7.md") == parse_issue(GOOD, "issues/7.md")
    path = tmp_path / "7.md"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_issue(path) == parse_issue(GOOD, "issues/7.md")
    broken = "\ufeff" + GOOD.replace("Its blurb.", "<div>html</div>")
    error = one_error(broken)
    assert (error.line, error.reason.split(":")[0]) == (12, "raw HTML is not published")
    assert [e.line for e in errors_of("\ufeff" + GOOD.replace("number: 7", "number: x"))] == [2]


# --- links that are not web links ----------------------------------------------------------

NOT_WEB = "a link must start with http:// or https://"


@pytest.mark.parametrize(
    ("link", "href"),
    [
        ("[x](javascript:alert(1))", "javascript:alert(1)"),
        ("[x](JaVaScRiPt:alert(1))", "JaVaScRiPt:alert(1)"),
        ("[x](vbscript:msgbox(1))", "vbscript:msgbox(1)"),
        ("[x](   javascript:alert(1))", "javascript:alert(1)"),
        ("[x](<\tjavascript:alert(1)>)", "javascript:alert(1)"),
        ("[x](&#x6A;avascript:alert(1))", "javascript:alert(1)"),
        ("[x](data:text/html,<b>hi</b>)", "data:text/html,%3Cb%3Ehi%3C/b%3E"),
        ("<file:///etc/passwd>", "file:///etc/passwd"),
        ("<javascript:alert(1)>", "javascript:alert(1)"),
        ("<editor@example.com>", "mailto:editor@example.com"),
        ("[mail](mailto:editor@example.com)", "mailto:editor@example.com"),
        ("![x](data:image/png;base64,AAAA)", "data:image/png;base64,AAAA"),
        ("[x](/issues/6)", "/issues/6"),
        ("[x](ftp://example.com/file)", "ftp://example.com/file"),
    ],
)
@pytest.mark.parametrize(
    ("where", "line"),
    [
        (("Hello readers.", "Hello readers,\nsee {link} today."), 7),
        (("Its blurb.", "Its blurb,\nwith {link} in it."), 13),
        (("Another blurb.", "Another blurb.\n\n#### Abstract\n\nA\nlong\n*{link}*."), 22),
        (("Hello readers.", "> Quoted:\n>\n> - one\n> - two {link}"), 9),
        (("### An item without a link", "### An item with {link} in its title"), 14),
        (("## News", "## News {link}"), 8),
    ],
)
def test_a_link_that_is_not_a_web_link_is_reported_on_its_line(
    link: str, href: str, where: tuple[str, str], line: int
) -> None:
    old, new = where
    errors = errors_of(GOOD.replace(old, new.format(link=link), 1))
    # In an item's heading, a link that is not around the whole title is a second problem.
    (error,) = (e for e in errors if NOT_WEB in e.reason)
    assert error.line == line, error
    assert error.reason == f"{'image from' if link[0] == '!' else 'link to'} {href!r}: {NOT_WEB}"
    assert all(e.line == line for e in errors), errors


def test_a_reference_style_link_is_reported_where_it_is_used() -> None:
    text = GOOD.replace("Its blurb.", "Its blurb\nand [this][r].\n\n[r]: data:text/html,x")
    error = one_error(text)
    assert (error.line, error.reason) == (
        13,
        f"link to 'data:text/html,x' (its address is on line 15): {NOT_WEB}",
    )
    unused = GOOD.replace("Its blurb.", "Its blurb.\n\n[r]:\n  JAVASCRIPT:alert(1)")
    error = one_error(unused)
    assert (error.line, error.reason) == (14, f"link definition 'JAVASCRIPT:alert(1)': {NOT_WEB}")
    inline = GOOD.replace("Its blurb.", "[x](data:x) and ![y][r]\n\n[r]: data:x")
    assert [(e.line, e.reason) for e in errors_of(inline)] == [
        (12, f"link to 'data:x': {NOT_WEB}"),
        (12, f"image from 'data:x' (its address is on line 14): {NOT_WEB}"),
    ]


def test_every_link_that_is_not_a_web_link_is_reported_in_line_order(tmp_path: Path) -> None:
    text = GOOD.replace("Hello readers.", "Hello [a](javascript:a).").replace(
        "Another blurb.", "Another\n[b](data:b) blurb [c](javascript:c)."
    )
    (tmp_path / "7.md").write_text(text, encoding="utf-8")
    result = load_issues([tmp_path])
    assert result.issues == []
    assert [str(e).split(": link to ")[0] for e in result.errors] == [
        f"{tmp_path / '7.md'}:6",
        f"{tmp_path / '7.md'}:17",
        f"{tmp_path / '7.md'}:17",
    ]


def test_web_links_in_text_are_kept_as_written() -> None:
    blurb = "See [one](https://example.com/a), <HTTPS://example.com/b> and [two][r].\n\n"
    blurb += "[r]: http://x.example/"
    issue = parse_issue(GOOD.replace("Its blurb.", blurb), "7.md")
    assert issue.sections[0].items[0].blurb.startswith("See [one](https://example.com/a), <HTTPS")


@pytest.mark.parametrize(
    ("heading", "reason"),
    [
        ("### [T](javascript:x)", f"this link is not valid ({NOT_WEB}): an item link is"),
        (
            "### [T](https://example.com/a b)",
            "this link is not valid (a link cannot contain spaces; percent-encode them as %20)",
        ),
        ("### [T](ftp://example.com/x)", "item 'T': link: a link must start with http"),
        ("### <javascript:x>", f"link to 'javascript:x': {NOT_WEB}"),
        ("### [T][r]\n\n[r]: javascript:x", "link to 'javascript:x' (its address is on line 16)"),
    ],
)
def test_an_items_own_link_that_is_not_a_web_link_is_reported_once(
    heading: str, reason: str
) -> None:
    error = one_error(GOOD.replace("### An item without a link", heading))
    assert error.line == 14 and error.reason.startswith(reason), error


def test_hidden_files_and_what_is_not_a_regular_file_are_not_issue_files(tmp_path: Path) -> None:
    (tmp_path / "204.md").write_text("---\nnumber: 204\n---\n", encoding="utf-8")
    (tmp_path / ".#204.md").symlink_to("editor@host.4242:1733400000")  # Emacs's lock
    (tmp_path / ".204.md").write_text("a backup", encoding="utf-8")
    (tmp_path / "205.md").symlink_to(tmp_path / "gone.md")
    (tmp_path / "206.md").mkdir()
    assert issue_paths([tmp_path]) == [tmp_path / "204.md"]
    assert [name for name, _, _ in signature(tmp_path)] == ["204.md"]


def test_a_file_vanishing_while_the_folder_is_looked_at_is_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "204.md").write_text("---\nnumber: 204\n---\n", encoding="utf-8")
    (tmp_path / "205.md").write_text("---\nnumber: 205\n---\n", encoding="utf-8")
    before = signature(tmp_path)
    listed = issue_paths

    def listed_then_deleted(paths: list[Path]) -> list[Path]:
        found = listed(paths)
        (tmp_path / "205.md").unlink()  # an editor's save renames over it, or deletes it
        return found

    monkeypatch.setattr(bot.schedule.files, "issue_paths", listed_then_deleted)
    after = signature(tmp_path)
    assert after != before and [name for name, _, _ in after] == ["204.md"]


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:59-12:00", "9999-12-31T23:59", "9999-12-31T20:00", "0001-01-01T09:00+10:00"],
)
def test_a_publish_at_whose_utc_time_is_past_the_calendar_names_its_line(value: str) -> None:
    error = one_error(GOOD.replace("title:", f"publish_at: {value}\ntitle:"))
    assert (error.line, error.reason) == (
        3,
        f"publish_at {value} is out of range: in UTC it falls outside the years 1 to 9999,"
        " where newsbot can schedule it",
    )


def test_a_publish_at_late_in_9999_that_every_zone_can_hold_is_taken() -> None:
    parsed = parse_issue(GOOD.replace("title:", "publish_at: 9999-12-31T09:00\ntitle:"), "7.md")
    assert parsed.publish_at == dt.datetime(9999, 12, 31, 9, 0)


def test_raw_html_inside_text_is_reported_on_its_line() -> None:
    """Discord shows inline HTML as written and the other outlets leave it out, so an
    `<!-- editor: … -->` written inside a paragraph reached readers: it is refused, as an
    HTML block is, once on each line that holds some."""
    text = (
        GOOD.replace("Hello readers.", "Hello <b>readers</b>.\nSecond line <br> here.")
        .replace("Its blurb.", "Its blurb. <!-- editor: ask Jane about the numbers -->")
        .replace("### An item without", "### An <em>item</em> without")
    )
    errors = errors_of(text)
    reason = (
        "raw HTML is not published ({}): write it in Markdown, or escape a `<` meant as text "
        "(`\\<`); a note to the editor is `<!-- editor: … -->` on its own line under an item's "
        "heading"
    )
    assert [(e.line, e.reason) for e in errors] == [
        (6, reason.format("'<b>'")),
        (7, reason.format("'<br>'")),
        (13, reason.format("'<!-- editor: ask Jane about the numbers -->'")),
        (15, reason.format("'<em>'")),
    ]


def test_angle_brackets_that_are_not_html_are_text() -> None:
    text = GOOD.replace(
        "Its blurb.",
        "Press \\<Ctrl>, see `<b>` and <https://example.com/x>; 2 < 3 and a <- b.",
    )
    blurb = parse_issue(text, "7.md").sections[0].items[0].blurb
    assert blurb.startswith("Press \\<Ctrl>")


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        (
            "title: Test Weekly: Issue #7",
            'title: "Test Weekly: Issue #7',
            3,
            'title: this quoted value is not closed: end it with `"`',
        ),
        (
            "---\n\nHello",
            'subtitle:   "Robots\n---\n\nHello',
            4,
            'subtitle: this quoted value is not closed: end it with `"`',
        ),
        (
            "title: Test Weekly: Issue #7",
            'title: "Test" Weekly "7"',
            3,
            "title: a quoted value must be a valid double-quoted string",
        ),
    ],
)
def test_a_broken_quoted_value_is_reported_once(old: str, new: str, line: int, reason: str) -> None:
    """A value that starts with `"` is a quoted string: one never closed would otherwise be
    published with its stray quote. A broken `title:` is reported as broken, not as missing."""
    error = one_error(GOOD.replace(old, new, 1))
    assert (error.line, error.reason) == (line, reason)


def test_quotes_inside_a_value_are_text() -> None:
    text = GOOD.replace("title: Test Weekly: Issue #7", 'title: "Q" is for quantum')
    assert parse_issue(text, "7.md").title == '"Q" is for quantum'


def test_a_file_only_later_rules_break_reads_as_older_newsbots_read_it() -> None:
    """An archived back issue is told from an edited one by reading it as it was archived:
    raw HTML kept in its blurb, an unclosed quote kept in its title."""
    text = GOOD.replace("Its blurb.", "Use Vec<T> less.").replace(
        "title: Test Weekly: Issue #7", 'title: "Test Weekly: Issue #7'
    )
    with pytest.raises(IssueFileErrors) as strictly:
        parse_issue(text, "7.md")
    later: list[IssueFileError] = []
    read = parse_issue(text, "7.md", later_rules=later)
    assert [str(e) for e in later] == [str(e) for e in strictly.value.errors]
    assert [e.line for e in later] == [3, 12]
    assert read.title == '"Test Weekly: Issue #7'
    assert read.sections[0].items[0].blurb == "Use Vec<T> less."
    # A problem older newsbots refused as well still stops it.
    broken = text.replace("number: 7", "number: seven")
    with pytest.raises(IssueFileErrors, match="number"):
        parse_issue(broken, "7.md", later_rules=[])
