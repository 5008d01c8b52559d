"""An issue file line built to be slow to read, from an editor's slip or a pasted page: an
unfinished note to the editor followed by thousands of spaces is read in about the time any
line takes (it took 19 s for 4,000 spaces, time growing with their number cubed)."""

from __future__ import annotations

import time

import pytest

from bot.errors import IssueFileErrors
from bot.issuefiles import parse_issue
from tests.test_issuefiles import GOOD

SLOW = 5.0
"""Seconds no file may take to read: over 30 before for this one, milliseconds now; so far from
both that a loaded machine cannot blur them."""


def test_an_unfinished_note_to_the_editor_with_many_spaces_is_read_in_one_go() -> None:
    text = GOOD.replace("Its blurb.", "<!-- editor: " + " " * 5_000 + "-->x\n\nIts blurb.")
    started = time.perf_counter()
    with pytest.raises(IssueFileErrors, match=r"7\.md:12: raw HTML is not published"):
        parse_issue(text, "7.md")
    took = time.perf_counter() - started
    assert took < SLOW, f"{took:.1f} s to read one issue file"


def test_notes_to_the_editor_read_as_before() -> None:
    for written, note in [
        ("<!-- editor: check this title -->", "check this title"),
        ("<!--editor:check   the  numbers-->", "check   the  numbers"),
        ("<!-- editor: a --> b -->", "a --> b"),
    ]:
        text = GOOD.replace("Its blurb.", f"{written}\n\nIts blurb.")
        item = parse_issue(text, "7.md").sections[0].items[0]
        assert item.editor_note == note, written
