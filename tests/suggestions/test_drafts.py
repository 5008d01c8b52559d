"""The draft's editor notes: every reader who suggested a link is named, within the limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.issuefiles import format_issue, parse_issue
from bot.models import IssueSummary, Suggestion, SuggestionStatus, Supporter
from bot.suggestions import NOTE_MAX, draft_issue, draft_title
from bot.suggestions.drafts import EDITOR_NOTE_MAX
from tests.properties import examples


def drafted(*readers: tuple[str, str | None]) -> str:
    """The editor note in a draft of one accepted link suggested by `readers` (name, note)."""
    accepted = Suggestion(
        id=1,
        url="https://example.com/noted",
        status=SuggestionStatus.ACCEPTED,
        supporters=tuple(Supporter(n, name, note) for n, (name, note) in enumerate(readers)),
    )
    draft = draft_issue(3, "Issue #3", [accepted], {})
    assert parse_issue(format_issue(draft), "3.md") == draft, "newsbot check accepts the draft"
    note = draft.items[0][1].editor_note
    assert note is not None and len(note) <= EDITOR_NOTE_MAX
    return note


def test_long_notes_are_each_shortened_and_no_reader_is_left_out() -> None:
    note = drafted(
        ("Bob", "first reader " + "y" * 60 + " why " * 20),
        ("Eve", "second reader " + "z " * 130),
        ("Grace", "third reader wants this too " + "w " * 120),
    )
    assert note.startswith("suggested by 3 reader(s) — Bob: “first reader y")
    assert "; Eve: “second reader z z" in note
    assert "; Grace: “third reader wants this too w w" in note
    assert note.count("…”") == 3, "each note is shortened, none dropped"


def test_short_notes_stay_whole_beside_a_long_one() -> None:
    short = "a must read, " + "clear and short, " * 5 + "really"
    note = drafted(("Ann", short), ("Ben", "x " * 150), ("Cy", None))
    assert note.startswith(f"suggested by 3 reader(s) — Ann: “{short}”; Ben: “x x")
    assert note.endswith("…”; Cy")


def test_direction_controls_are_left_out_of_an_editor_note() -> None:
    # An override left open would show the rest of the note's line backwards in an editor.
    note = drafted(("Eve\u202e", "nice \u202egpj.exe\u2069 \u202a"), ("عمر\u2067", "رائع"))
    assert note == "suggested by 2 reader(s) — Eve: “nice gpj.exe”; عمر: “رائع”"


@examples(150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=32),
            st.none() | st.text(max_size=NOTE_MAX),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_every_reader_is_named_whole(readers: list[tuple[str, str | None]]) -> None:
    readers = [(f"R{n}{name}".strip(), note) for n, (name, note) in enumerate(readers)]
    note = drafted(*readers)
    assert note.startswith(f"suggested by {len(readers)} reader(s) — ")
    for n in range(len(readers)):
        assert f"R{n}" in note


def test_a_link_accepted_twice_in_two_sections_is_in_the_draft_once() -> None:
    """Two suggestions of one page stored apart (a path's brackets written both ways, before
    they were one page) and accepted in two sections: an issue holds each link once, so the
    draft has the most-supported one, and `newsbot check` accepts it."""
    reader = (Supporter(1, "Ann", None),)
    plain, encoded = "https://example.com/wiki/A_[b]", "https://example.com/wiki/A_%5Bb%5D"
    accepted = [
        Suggestion(id=1, url=plain, status=SuggestionStatus.ACCEPTED, section="learning"),
        Suggestion(
            id=2,
            url=encoded,
            status=SuggestionStatus.ACCEPTED,
            section="industry",
            supporters=reader,
        ),
    ]
    draft = draft_issue(3, "Issue #3", accepted, {"learning": "Learning", "industry": "Industry"})
    assert [(s.slug, len(s.items)) for s in draft.sections] == [("industry", 1)]
    assert parse_issue(format_issue(draft), "3.md") == draft, "newsbot check accepts the draft"


@pytest.mark.parametrize(
    ("number", "latest", "expected"),
    [
        (202, "Deep Learning Weekly: Issue #202", "Deep Learning Weekly: Issue #203"),
        (202, "Deep Learning Weekly #202: the #1 model", "Deep Learning Weekly #203: the #1 model"),
        (202, "Weekly #202: #202 ways to fine-tune", "Weekly #203: #202 ways to fine-tune"),
        (20, "Weekly #20: the #200 best papers", "Weekly #21: the #200 best papers"),
        (2, "The #2024 roundup, issue #2", "The #2024 roundup, issue #3"),
        (202, "Weekly, no number", "Issue #203"),
    ],
)
def test_the_draft_title_changes_only_the_issue_s_own_number(
    number: int, latest: str, expected: str
) -> None:
    summary = IssueSummary(number=number, title=latest, subtitle=None, date=None)
    assert draft_title(number + 1, summary) == expected
