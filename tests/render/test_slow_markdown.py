"""Issue Markdown built to be slow to read: a blurb of backtick runs of many lengths, from an
editor's slip or a hostile feed, is read in about the time any blurb takes, for a search's
snippet, Discord's copy and a cut. newsbot renders on the one event loop every reader shares."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.render.commonmark import discord_markdown, plain_line
from bot.render.markdown import cut_markdown, plain_text, title_markdown

SLOW = 5.0
"""Seconds no reading may take: each took from 40 s to minutes before, milliseconds now; so far
from both that a loaded machine cannot blur them."""

RUNS = "".join("`" * count + "a" for count in range(1, 160))
"""Runs of 1, 2, 3 … 159 backticks, each once (12,879 characters): none closes another, and each
was read to the end of the text once per shorter run tried, from each of its backticks."""

READINGS: list[Callable[[str], str]] = [
    plain_text.__wrapped__,
    lambda markdown: cut_markdown(markdown, 1_000),
    lambda markdown: title_markdown(markdown + "](x)"),
    lambda markdown: discord_markdown.__wrapped__(markdown + " &amp;"),
]


@pytest.mark.parametrize("read", READINGS, ids=["plain-text", "cut", "title", "discord-markdown"])
def test_backtick_runs_of_every_length_are_read_in_one_go(read: Callable[[str], str]) -> None:
    started = time.perf_counter()
    read(RUNS)
    took = time.perf_counter() - started
    assert took < SLOW, f"{took:.1f} s to read one blurb"


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("a `b` c", "a b c"),
        ("``a ` b`` c", "a ` b c"),
        ("`a``b` and ``c``", "a``b and c"),
        ("\\`a` b` c", "`a b c"),
        ("x ```a`` b ```", "x a`` b"),
    ],
)
def test_code_spans_read_as_before(markdown: str, plain: str) -> None:
    assert plain_text.__wrapped__(markdown) == plain
    assert discord_markdown.__wrapped__(markdown + " &amp;") == markdown + " &"
    assert plain_line.__wrapped__(markdown, keep_links=False)  # still parses


@pytest.mark.parametrize(
    "markdown",
    [
        pytest.param("*a " * 40_000, id="stars-never-closed"),
        pytest.param("**a " * 30_000, id="double-stars-never-closed"),
        pytest.param("a _b" * 30_000, id="underscores-never-closed"),
        pytest.param("~~a " * 30_000, id="tildes-never-closed"),
    ],
)
def test_emphasis_never_closed_is_read_in_one_go(markdown: str) -> None:
    # Each mark was read to the end of the text: time grew with the length squared (over
    # 30 s for these 120,000 characters, about 1 s at a blurb's 20,000).
    for read in READINGS[:2]:  # its plain text, and a cut
        started = time.perf_counter()
        read(markdown)
        took = time.perf_counter() - started
        assert took < SLOW, f"{took:.1f} s to read one blurb"


def test_a_tag_never_closed_is_read_in_one_go() -> None:
    # `<a` and spaces with no `>`: the spaces were split between three repeats every way.
    started = time.perf_counter()
    assert plain_text.__wrapped__("see <a" + " " * 3_000 + "x") == "see <a x"
    took = time.perf_counter() - started
    assert took < SLOW, f"{took:.1f} s to read one blurb"


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("*a* **b** _c_ __d__ ~~e~~ ***f***", "a b c d e f"),
        ("a * b * and snake_case_name and 2*3*4", "a * b * and snake_case_name and 234"),
        ("x <b>y</b> <!-- note --> <br/> <a href='z'>w</a> <!-- open", "x y w <!-- open"),
        ("a < b > c and <a <!-- x --> >", "a < b > c and <a >"),
    ],
)
def test_emphasis_and_html_read_as_before(markdown: str, plain: str) -> None:
    assert plain_text.__wrapped__(markdown) == plain
