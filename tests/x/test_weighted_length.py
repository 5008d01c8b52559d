"""X's weighted length, as newsbot counts it with its copy of twitter-text: most Latin text 1 a
character, CJK 2, an emoji 2 however many code points make it, a URL 23 whatever its length,
text counted after NFC normalisation, 280 at most."""

from __future__ import annotations

import pytest

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
