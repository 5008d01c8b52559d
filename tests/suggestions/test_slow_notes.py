"""A reader's message built to be slow to read: a note is taken from it in about the time any
message takes, however its Markdown nests. newsbot reads every message on its one event loop,
so one slow message holds up every reader."""

from __future__ import annotations

import time

from cogs.suggestions._replies import note_of

SLOW = 5.0
"""Seconds no note may take: the old reading took over 30 on these messages, the new one a few
milliseconds; so far from both that a loaded machine cannot blur them."""


def _seconds_to_note(message: str) -> tuple[float, str | None]:
    started = time.perf_counter()
    note = note_of(message)
    return time.perf_counter() - started, note


def test_brackets_nested_thousands_deep_are_read_in_one_go() -> None:
    # Each layer of `((…))` left around nothing took a pass over the whole message.
    took, note = _seconds_to_note("see https://a.example " + "(" * 20_000 + ")" * 20_000)
    assert took < SLOW, f"{took:.1f} s to read one message"
    assert note is not None and note.startswith("see")


def test_a_masked_link_followed_by_a_run_of_spaces_is_read_in_one_go() -> None:
    # `\s*` twice side by side tried every split of the spaces after `[text](`.
    took, note = _seconds_to_note("[a](https://a.example" + " " * 40_000 + "x")
    assert took < SLOW, f"{took:.1f} s to read one message"
    assert note == "[a]( x"


def test_markdown_nested_as_readers_write_it_still_reads_as_their_words() -> None:
    assert note_of("wow ((**[this](https://a.example)**)) and ~~(<https://b.example>)~~") == (
        "wow ((**this**)) and"
    )
