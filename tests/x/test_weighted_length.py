"""X's weighted length, as newsbot counts it with its copy of twitter-text: most Latin text 1 a
character, CJK 2, an emoji 2 however many code points make it, a URL 23 whatever its length,
text counted after NFC normalisation, 280 at most."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot._vendor.twitter_text import extract_emojis_with_indices, parse_tweet
from bot._vendor.twitter_text.config import config
from bot._vendor.twitter_text.parse_tweet import _weigh, _weigh_by_character
from bot._vendor.twitter_text.regexp import emoji as emoji_module
from bot._vendor.twitter_text.regexp.emoji import (
    emoji,
    emoji_list,
    single_codepoint_emoji_ranges,
    single_codepoint_emoji_raw,
)
from bot.render.x_text import POST_MAX, fits, weighted_length

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points, 1 emoji


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("Deep Learning Weekly", 20),
        ("naïve café — “quoted” ‘text’", 28),
        ("…", 2),  # U+2026 lies outside the ranges that weigh 1
        ("e\u0301", 1),  # e + combining acute: é after NFC
        ("深度学习", 8),
        ("ディープラーニング", 18),
        ("\U0001f44d", 2),
        (FAMILY, 2),
        ("\U0001f44b\U0001f3fd", 2),  # waving hand, medium skin tone
        ("\U0001f1ef\U0001f1f5", 2),  # the flag of Japan: two regional indicators
        ("#\ufe0f\u20e3", 2),  # keycap #
        ("https://example.com", 23),
        ("https://example.com/" + "a" * 300, 23),
        ("example.com", 23),  # a URL without its scheme is still a URL
        ("Read https://example.com/a and https://example.org/b", 5 + 23 + 5 + 23),
        ("Issue #202 " + FAMILY + " https://example.com/issues/202", 11 + 2 + 1 + 23),
    ],
)
def test_weighted_length_follows_the_twitter_text_v3_rules(text: str, weight: int) -> None:
    assert weighted_length(text) == weight


@pytest.mark.parametrize(
    ("text", "fits_in_a_post"),
    [
        ("x" * POST_MAX, True),
        ("x" * (POST_MAX + 1), False),
        ("深" * (POST_MAX // 2), True),
        ("深" * (POST_MAX // 2 + 1), False),
        (FAMILY * (POST_MAX // 2), True),
        (FAMILY * (POST_MAX // 2 + 1), False),
        ("x" * (POST_MAX - 24) + " https://example.com/" + "a" * 500, True),
        ("", False),
    ],
)
def test_a_post_fits_up_to_280_weighted_characters(text: str, fits_in_a_post: bool) -> None:
    assert fits(text) is fits_in_a_post


def test_text_without_an_emojis_characters_is_not_searched_for_emoji() -> None:
    # The shortcut is exact only if every emoji the pattern matches holds one of emoji_chars.
    sequences = [entry.codepoint.split() for entry in emoji_list]
    assert all(any(int(point, 16) >= 0x80 for point in points) for points in sequences)
    assert all(low >= 0x80 for low, _ in single_codepoint_emoji_ranges)
    assert emoji.search("".join(map(chr, range(0x80))) * 2) is None
    assert extract_emojis_with_indices("Issue #202: 1 2 3 *") == []
    found = extract_emojis_with_indices("a #\ufe0f\u20e3 b " + FAMILY)
    assert [e["emoji"] for e in found] == ["#\ufe0f\u20e3", FAMILY]


_PIECES = st.sampled_from(
    [
        *("word", " ", ".", "/", ":", "#", "@", "1", "(", ")", "\r\n", "\r", "\n", "\t", "-"),
        *("https://", "http://", "example.com", "t.co/", "a.b", "x.org/path?q=1", ".jp", "www."),
        *("é", "e\u0301", "ü", "…", "—", "‐", "′", "“", "\u200d", "\u2028", "深", "ディ", "한"),
        *("\U0001f44d", FAMILY, "#\ufe0f\u20e3", "1\u20e3", "\u2139", "©", "\U0001f3fd"),
        *("\u00a0", "\ufeff", "\U00010000", "Ω", "\u212b"),
    ]
)


@given(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=30).map("".join))
def test_weighted_length_is_twitter_texts_count_whatever_the_text(text: str) -> None:
    # weighted_length counts most text without parse_tweet: it must count exactly as it does.
    assert weighted_length(text) == parse_tweet(text).weightedLength


def test_the_emoji_pattern_finds_what_its_alternatives_alone_find() -> None:
    # `emoji` is guarded by a lookahead for speed: without it, the same matches.
    plain = re.compile(
        f"{emoji_module.multi_codepoint_emoji_joined}|[{single_codepoint_emoji_raw}]"
    )
    text = " a1#*".join(entry.emoji for entry in emoji_list) + FAMILY + "1\u20e3 ©x"
    assert [m.span() for m in emoji.finditer(text)] == [m.span() for m in plain.finditer(text)]


_LONG_PIECES = st.sampled_from(["x" * 100, "深" * 50, "\ufffe", "\ufeff", "\uffff"])
"""Runs that take a post past its limit, and characters twitter-text calls invalid."""


@given(
    st.lists(st.one_of(_PIECES, _LONG_PIECES, st.text(max_size=6)), max_size=30).map("".join),
    st.sampled_from(["defaults", "version2", "version1"]),
    st.booleans(),
)
def test_a_post_is_weighed_by_runs_as_the_release_weighs_it_by_character(
    text: str, version: str, emoji_parsing: bool
) -> None:
    # parse_tweet weighs the characters between URLs and emoji a run at a time: the same
    # length, validity and last valid place as the release's loop over every character.
    options = {"emoji_parsing_enabled": False, **config[version]}
    if emoji_parsing:
        options["emoji_parsing_enabled"] = True
    assert _weigh(text, options) == _weigh_by_character(text, options)


def test_overlapping_ranges_are_weighed_by_the_first_as_the_release_does() -> None:
    options = {
        **config["defaults"],
        "ranges": [
            {"start": 0, "end": 200, "weight": 100},
            {"start": 97, "end": 99, "weight": 300},
        ],
    }
    assert _weigh("abcd深", options) == _weigh_by_character("abcd深", options) == (600, True, 4)
