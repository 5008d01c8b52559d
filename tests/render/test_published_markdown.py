"""An issue's Markdown where it is published: on X, Mastodon and Bluesky as the text CommonMark
reads (none of them shows Markdown), on Discord as Markdown that Discord reads the same way."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

import pytest

from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot.models import Issue
from bot.render import bluesky, mastodon, x
from bot.render.discord import names_markdown
from bot.render.publish import digest, digest_post_name, item_block, section_thread, thread_name
from bot.render.social import LinkMode, Thread
from bot.sandbox.mastodon import url_spans
from tests.factories import issue, item

PLATFORMS: dict[str, Callable[[Issue, LinkMode], Thread]] = {
    "x": lambda source, links: x.thread(source, links=links),
    "mastodon": lambda source, links: mastodon.thread(source, links=links),
    "bluesky": lambda source, links: bluesky.thread(source, links=links),
}
PYTHON = "https://en.wikipedia.org/wiki/Python_(programming_language)"


def posted(platform: str, blurb: str, *, links: LinkMode = LinkMode.ITEMS) -> str:
    source = issue(7, {"Code": [item("Title", blurb=blurb)]})
    return "\n".join(post.text for post in PLATFORMS[platform](source, links).posts)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_link_whose_url_holds_parentheses_keeps_its_url(platform: str) -> None:
    blurb = f"See [Python]({PYTHON}) here."
    assert f"See Python {PYTHON} here." in posted(platform, blurb)
    assert "See Python here." in posted(platform, blurb, links=LinkMode.ISSUE)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_reference_link_is_posted_as_an_inline_link_is(platform: str) -> None:
    blurb = "A [ref link][r], a [Collapsed][] and a [shortcut].\n\n[r]: https://example.com/ref\n"
    blurb += '[collapsed]: https://example.com/c "Title"\n[Shortcut]: <https://example.com/s>'
    text = posted(platform, blurb)
    assert (
        "A ref link https://example.com/ref, a Collapsed https://example.com/c and a "
        "shortcut https://example.com/s." in text
    ), text
    assert "[r]" not in text and "]:" not in text, text
    assert "A ref link, a Collapsed and a shortcut." in posted(
        platform, blurb, links=LinkMode.ISSUE
    )


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("links", [LinkMode.ITEMS, LinkMode.ISSUE])
def test_an_autolink_is_kept_as_its_address_is_written_out(platform: str, links: LinkMode) -> None:
    blurb = "Or see <https://example.com/contact> (or https://example.com/bare) for more."
    text = posted(platform, blurb, links=links)
    assert "Or see https://example.com/contact (or https://example.com/bare) for more." in text


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_entities_are_posted_as_the_characters_they_stand_for(platform: str) -> None:
    text = posted(platform, "Fish &amp; chips &lt;tag&gt; &#42;not emphasis&#42; `&amp;`.")
    assert "Fish & chips <tag> *not emphasis* &amp;." in text, text


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_markdown_reads_as_commonmark_reads_it(platform: str) -> None:
    blurb = (
        "*single* _under_ ***both*** ~~strike~~ snake\\_case a\\*b `a*b` "
        "[**bold link**](https://example.com/bl) ![an image](https://example.com/i.png)"
    )
    text = posted(platform, blurb, links=LinkMode.ISSUE)
    # Emphasis keeps its single marks (how plain text marks it); strong emphasis goes.
    assert "*single* _under_ *both* strike snake_case a*b a*b bold link an image" in text, text


def test_a_discord_blurb_holds_its_reference_links_inline() -> None:
    blurb = "A [ref link][r] and `[r]` in code.\n\n[r]: https://example.com/ref"
    block = item_block(item("Title", blurb=blurb))
    assert block == "**Title**\nA [ref link](https://example.com/ref) and `[r]` in code.", block


def test_a_discord_blurb_shows_entities_as_their_characters() -> None:
    block = item_block(item("Title", blurb="Fish &amp; chips &lt;@1&gt; &#42;x&#42; `&amp;`"))
    assert block == "**Title**\nFish & chips \\<@1\\> \\*x\\* `&amp;`", block


# --- section names --------------------------------------------------------------------------


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_sections_markdown_name_is_posted_as_it_reads(platform: str) -> None:
    source = issue(7, {"**Bold** section with `code` &amp; \\*stars\\*": [item("An item")]})
    text = "\n".join(post.text for post in PLATFORMS[platform](source, LinkMode.ISSUE).posts)
    assert "Bold section with code & *stars*:\n" in text, text


def test_a_sections_thread_is_named_by_its_plain_text_and_titled_by_its_markdown() -> None:
    source = issue(7, {"**Bold** section with `code`": [item("An item")]})
    section = source.sections[0]
    assert thread_name(source, section) == "#7 · Bold section with code"
    thread = section_thread(source, section)
    assert thread.name == "#7 · Bold section with code"
    # An embed's title renders emphasis and code: the name as the editor wrote it.
    assert thread.posts[0].embeds[0].title == "**Bold** section with `code`"
    assert thread.slug == section.slug == "bold-section-with-code"
    # Without a thread to link to, the digest names the thread as it is named.
    assert "*\\#7 · Bold section with code*" in digest(source).embeds[0].fields[0].value


def test_an_escape_in_a_sections_name_stays_an_escape_in_its_threads_title() -> None:
    # Its plain text, `*stars*`, would be italics in the title, which renders Markdown.
    source = issue(7, {"\\*stars\\* &amp; more": [item("An item")]})
    thread = section_thread(source, source.sections[0])
    assert thread.posts[0].embeds[0].title == "\\*stars\\* & more"
    assert thread.name == "#7 · *stars* & more"


def test_a_name_that_reads_as_nothing_is_shown_as_written() -> None:
    source = issue(7, {"<br>": [item("An item")]}, title="<b></b>")
    assert thread_name(source, source.sections[0]) == "#7 · <br>"
    assert digest_post_name(source) == "#7 · <b></b>"


def test_a_list_of_section_names_keeps_whole_names_and_counts_the_rest() -> None:
    names = ["Industry", "Learning", "Mobile \\& Edge"]
    assert names_markdown([], 100) == ""
    assert names_markdown(names, 100) == "Industry, Learning, Mobile \\& Edge"
    assert names_markdown(names, 25) == "Industry and 2 more"
    assert names_markdown(names, 12) == "3 section(s)"


# Each platform ends a link before a last `.` or `!`, as the end of a sentence.
ENDING_IN_PUNCTUATION = [
    "https://en.wikipedia.org/wiki/Washington,_D.C.",
    "https://en.wikipedia.org/wiki/Yahoo!",
]
LINKED: dict[str, Callable[[Thread], list[str]]] = {
    "x": lambda made: [e["url"] for p in made.posts for e in extract_urls_with_indices(p.text)],
    "mastodon": lambda made: [p.text[s:e] for p in made.posts for s, e in url_spans(p.text)],
    "bluesky": lambda made: [f.uri for _, sent in bluesky.posts(made) for f in sent.facets],
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_an_items_link_ending_in_punctuation_is_linked_whole(platform: str) -> None:
    items = [item(f"Page {n}", url, blurb="") for n, url in enumerate(ENDING_IN_PUNCTUATION)]
    made = PLATFORMS[platform](issue(7, {"Places": items}), LinkMode.ITEMS)
    assert [unquote(url) for url in LINKED[platform](made)] == ENDING_IN_PUNCTUATION
