"""Issue text built to be slow to render for X and Mastodon: a blurb of dotted words (`a.a.a.…`,
`a-a-a-….com`), from an editor's slip or a hostile feed, renders in about the time any blurb
takes. Finding the URLs in it once took minutes, on the one event loop every reader shares."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.render import mastodon, x
from bot.render.social import Thread
from bot.render.x_text import url_spans, weighted_length
from tests.factories import issue, item

SLOW = 5.0
"""Seconds no rendering may take: each of these took from 18 s to minutes before, about half a
second now; so far from both that a loaded machine cannot blur them."""

DOTTED = [
    pytest.param("a." * 2_000, id="labels-of-one-letter"),
    pytest.param("http://" + "a." * 2_000, id="labels-after-a-scheme"),
    pytest.param("http://" + "a-" * 9_990 + ".com", id="one-long-label"),
]


@pytest.mark.parametrize("render", [x.thread, mastodon.thread], ids=["x", "mastodon"])
@pytest.mark.parametrize("blurb", DOTTED)
def test_a_blurb_of_dotted_words_renders_in_one_go(
    render: Callable[..., Thread], blurb: str
) -> None:
    started = time.perf_counter()
    rendered = render(issue(1, {"News": [item("Dots", "https://a.example/x", blurb=blurb)]}))
    took = time.perf_counter() - started
    assert took < SLOW, f"{took:.1f} s to render one issue"
    assert rendered.posts


def test_domains_are_found_as_before_up_to_the_limits_of_dns() -> None:
    # DNS allows 63 characters a label and 127 labels: the most of either is still one URL.
    for domain in ("a." * 125 + "example.com", "a" * 63 + ".example.com"):
        assert url_spans(f"see {domain} now") == [(4, 4 + len(domain))]
        assert weighted_length(f"see {domain}") == 4 + 23
    # A list's longer name is still taken before the shorter one it begins with.
    assert url_spans("at http://嘉里大酒店.嘉里大酒店 and x.co.uk") == [(3, 21), (26, 33)]
