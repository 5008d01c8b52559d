"""An item's title on X, Mastodon and Bluesky: Markdown as the editor wrote it, posted as it
reads, for none of them shows Markdown."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.models import Issue
from bot.render import bluesky, mastodon, x
from bot.render.social import Thread
from tests.factories import issue, item

PLATFORMS: dict[str, Callable[[Issue], Thread]] = {
    "x": lambda source: x.thread(source),
    "mastodon": lambda source: mastodon.thread(source),
    "bluesky": lambda source: bluesky.thread(source),
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_an_items_markdown_title_is_posted_as_it_reads(platform: str) -> None:
    title = r"Using \*\*kwargs in Python \[v2\] with *new* `tricks`"
    source = issue(7, {"Code": [item(title, link="https://example.com/kwargs", blurb="Short.")]})
    posted = "\n".join(post.text for post in PLATFORMS[platform](source).posts)
    # Emphasis keeps its asterisks, as blurbs do: how plain text marks it.
    assert "Using **kwargs in Python [v2] with *new* tricks" in posted, posted
    assert "\\" not in posted and "`" not in posted, posted
