"""Text safety: control characters, Discord mentions and shortening, the one rule for each."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text import (
    LINE_BREAKS,
    ZERO_WIDTH_SPACE,
    defuse_mentions,
    find_control,
    has_visible_text,
    is_control,
    narrowed,
    one_line,
    shorten,
    without_controls,
)

# What Discord reads as a ping or a link, written out apart from bot.text so a mistake there shows.
DISCORD_MENTION = re.compile(r"@everyone|@here|<@!?[0-9]+>|<@&[0-9]+>|<#[0-9]+>")

# Pieces that make mentions, near-mentions, escapes and control characters likely in examples.
_PIECES = st.sampled_from(
    [
        *("@everyone", "@here", "@", "<", ">", "<@", "<@!", "<@&", "<#", "#", "&", "!"),
        *("123", "9", " ", "  ", "\n", "\r\n", "\t", "\\", "\\*", ".", "-", ",", "…", "word"),
        *("\x00", "\x07", "\x1b", "\x1f", "\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\x0c"),
        ZERO_WIDTH_SPACE,
    ]
)
TEXTS = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40).map("".join)


@given(TEXTS)
def test_without_controls_leaves_no_control_character(text: str) -> None:
    assert find_control(without_controls(text)) is None
    assert find_control(without_controls(text, keep_layout=True), keep_layout=True) is None
    assert "\r" not in without_controls(text, keep_layout=True)


def test_every_character_is_found_as_is_control_says() -> None:
    # find_control reads patterns, not is_control: both must name the same characters.
    for code in (*range(0x10000), 0x1F600, 0xE0001, 0x10FFFF):
        char = chr(code)
        assert (find_control(f"a{char}b") == char) is is_control(char), hex(code)
        layout = is_control(char) and char not in "\t\n"
        assert (find_control(f"a{char}b", keep_layout=True) == char) is layout, hex(code)


def _without_controls_char_by_char(text: str, keep_layout: bool) -> str:
    """without_controls as its docstring says it, one character at a time."""
    if keep_layout:
        text = text.replace("\r\n", "\n")
    out = []
    for char in text:
        if not is_control(char):
            out.append(char)
        elif char == "\t":
            out.append("\t" if keep_layout else " ")
        elif char in LINE_BREAKS:
            out.append("\n" if keep_layout else " ")
    return "".join(out)


@given(TEXTS, st.booleans())
def test_without_controls_does_what_it_says_to_each_character(text: str, layout: bool) -> None:
    assert without_controls(text, keep_layout=layout) == _without_controls_char_by_char(
        text, layout
    )


@given(TEXTS)
def test_one_line_is_one_clean_line(text: str) -> None:
    line = one_line(text)
    assert find_control(line) is None
    assert line == line.strip()
    assert len(line.splitlines()) <= 1


@given(TEXTS)
def test_defused_text_never_pings_and_reads_the_same(text: str) -> None:
    defused = defuse_mentions(text)
    assert not DISCORD_MENTION.search(defused), defused
    assert defused.replace(ZERO_WIDTH_SPACE, "") == text.replace(ZERO_WIDTH_SPACE, "")
    assert defuse_mentions(defused) == defused, "defusing twice changes nothing"


@given(TEXTS, st.integers(min_value=0, max_value=60))
def test_shorten_never_exceeds_the_limit(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert len(short) <= limit
    if len(text) <= limit:
        assert short == text
    else:
        assert short.endswith("…") or limit == 0


@given(TEXTS, st.integers(min_value=0, max_value=60))
def test_a_safe_label_never_exceeds_pings_or_holds_a_control(text: str, limit: int) -> None:
    # The order every caller uses: clean, defuse, then shorten; a cut never revives a mention.
    label = shorten(defuse_mentions(one_line(text)), limit)
    assert len(label) <= limit
    assert find_control(label) is None
    assert not DISCORD_MENTION.search(label), label


@pytest.mark.parametrize(
    ("text", "defused"),
    [
        ("hi @everyone and @here", "hi @\u200beveryone and @\u200bhere"),
        ("<@42> <@!43> <@&44> <#45>", "<\u200b@42> <\u200b@!43> <\u200b@&44> <\u200b#45>"),
        # Discord reads @everyone and @here in lower case only; other text is left as written.
        ("@Everyone @HERE <@abc> <#> @alice", "@Everyone @HERE <@abc> <#> @alice"),
    ],
)
def test_defuse_mentions_breaks_every_mention_form(text: str, defused: str) -> None:
    assert defuse_mentions(text) == defused


@pytest.mark.parametrize(
    ("text", "limit", "short"),
    [
        ("knowledge distillation works", 20, "knowledge…"),
        ("knowledge distillation works", 23, "knowledge distillation…"),
        ("one, two, three", 10, "one, two…"),
        ("a \\*starred\\* word", 11, "a…"),
        ("x" * 50, 10, "x" * 9 + "…"),
        ("short", 20, "short"),
        ("short", 0, ""),
    ],
)
def test_shorten_cuts_at_a_word_boundary(text: str, limit: int, short: str) -> None:
    assert shorten(text, limit) == short


def test_a_cut_never_leaves_a_backslash_escaping_the_ellipsis() -> None:
    assert shorten("x\\*yyyyyyyy", 3) == "x…"
    assert shorten("end\\. next words", 8) == "end…"


def test_without_controls_keeps_words_apart() -> None:
    assert without_controls("a\tb\u2028c\x85d\x00e\x1bf") == "a b c def"
    assert without_controls("a\r\nb\rc\u2029d\te\x07", keep_layout=True) == "a\nb\nc\nd\te"


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"])
def test_control_characters_are_cc_and_the_line_separators(char: str) -> None:
    assert is_control(char)
    assert find_control(f"a{char}b", keep_layout=True) == char


def test_layout_is_only_tabs_and_newlines() -> None:
    assert find_control("a\tb\nc", keep_layout=True) is None
    assert find_control("a\tb") == "\t"
    assert find_control("a\r\nb", keep_layout=True) == "\r"
    assert not any(is_control(char) for char in " a…\u200b\u00a0")


@pytest.mark.parametrize(
    "text",
    ["\u200b", "\u200b\u200d\u2060", " \u200c ", "\u202e\u200f", "\u00ad", "\u3164", "\u2800", ""],
)
def test_only_invisible_characters_show_nothing(text: str) -> None:
    assert not has_visible_text(text)


@pytest.mark.parametrize("text", ["a", "\u200b7", "🔥", "業界", "\u200fשלום", "·", "-"])
def test_any_letter_digit_mark_or_symbol_shows(text: str) -> None:
    assert has_visible_text(text)


def test_narrowed_folds_only_full_width_ascii_and_the_ideographic_space() -> None:
    assert narrowed("ＧＰＴ－４　ｉｓ！～") == "GPT-4 is!~", "U+FF01 to U+FF5E, and U+3000"
    # Not the rest of Unicode's compatibility forms (NFKC), which the search index keeps.
    kept = "x² ① ﬁ ｶﾀｶﾅ ｟ ￥ 機械学習"
    assert narrowed(kept) == kept
    assert narrowed("plain") == "plain"
