"""The Bluesky renderer: every post within 300 graphemes and 3000 bytes as sent, each URL shown
short with a link facet on exactly its bytes, and no facet but links."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Issue
from bot.render.bluesky import (
    MAX_BYTES,
    POST_MAX,
    LinkMode,
    RichText,
    Thread,
    posts,
    rich_text,
    short_url,
    thread,
    url_spans,
)
from bot.render.packing import graphemes
from tests.factories import issue, item
from tests.properties import examples
from tests.x.test_render import issues


def grapheme_boundaries(text: str) -> set[int]:
    """The UTF-8 byte offsets where a grapheme starts or the text ends."""
    offsets, at = {0}, 0
    for cluster in graphemes(text):
        at += len(cluster.encode())
        offsets.add(at)
    return offsets


def check_sent(sent: RichText) -> None:
    """What Bluesky requires of a post as sent, and what newsbot promises of its facets."""
    data = sent.text.encode()
    assert 0 < len(graphemes(sent.text)) <= POST_MAX and len(data) <= MAX_BYTES, sent.text
    boundaries = grapheme_boundaries(sent.text)
    end = 0
    for facet in sent.facets:
        assert end <= facet.byte_start < facet.byte_end <= len(data)
        assert {facet.byte_start, facet.byte_end} <= boundaries
        shown = data[facet.byte_start : facet.byte_end].decode()
        assert shown == short_url(facet.uri), (shown, facet.uri)
        assert facet.uri.startswith(("https://", "http://"))
        end = facet.byte_end
        record = facet.to_record()
        assert [f["$type"] for f in record["features"]] == [  # type: ignore[attr-defined]
            "app.bsky.richtext.facet#link"
        ]


def check_thread(result: Thread, max_posts: int) -> None:
    assert 2 <= len(result.posts) <= max(2, max_posts)
    for post, sent in posts(result):
        assert post.weight == len(graphemes(sent.text))
        check_sent(sent)
        # Every URL of the text is a facet, and no address is left outside one.
        assert [f.uri for f in sent.facets] == [post.text[s:e] for s, e in url_spans(post.text)]
        data, outside, at = sent.text.encode(), b"", 0
        for facet in sent.facets:
            outside += data[at : facet.byte_start] + b" "
            at = facet.byte_end
        assert b"://" not in outside + data[at:], sent.text


@examples(20)
@given(source=issues(), links=st.sampled_from(LinkMode), max_posts=st.sampled_from([2, 5, 8, 25]))
def test_generated_issues_keep_every_limit(source: Issue, links: LinkMode, max_posts: int) -> None:
    check_thread(thread(source, links=links, max_posts=max_posts), max_posts)


def test_a_url_is_shown_short_with_its_full_address_in_the_facet() -> None:
    long = "https://example.com/2026/12/04/a-very-long-article-name?ref=newsletter"
    sent = rich_text(f"Café ☕ — read {long} now")
    assert sent.text == "Café ☕ — read example.com/2026/12/04/a… now"
    (facet,) = sent.facets
    assert facet.uri == long
    assert (
        sent.text.encode()[facet.byte_start : facet.byte_end]
        == b"example.com/2026/12/04/a\xe2\x80\xa6"
    )
    # Short paths stay whole; the scheme and a lone slash go.
    assert short_url("https://Example.com/") == "example.com"
    assert short_url("http://example.com/short/path") == "example.com/short/path"


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("詳しくは https://example.com/jp。次の記事は", "https://example.com/jp"),
        ("「https://example.com/q」を参照。", "https://example.com/q"),
        ("次の文https://example.com/x、そして", "https://example.com/x"),
        ("see https://ja.wikipedia.org/wiki/日本 now", "https://ja.wikipedia.org/wiki/日本"),
        (
            "(https://en.wikipedia.org/wiki/Python_(language)).",
            "https://en.wikipedia.org/wiki/Python_(language)",
        ),
    ],
)
def test_a_link_ends_where_its_url_does_in_text_without_spaces(text: str, url: str) -> None:
    (facet,) = rich_text(text).facets
    assert facet.uri == url
    assert rich_text(text).text.endswith(text[text.index(url) + len(url) :])


def test_a_url_counts_as_its_short_form() -> None:
    link = "https://example.com/" + "p" * 400
    result = thread(issue(7, {"News": [item("One", link=link)]}), links=LinkMode.ITEMS)
    (sent,) = [s for _, s in posts(result) if s.facets and s.facets[0].uri == link]
    assert "example.com/" + "p" * 12 + "…" in sent.text
    assert max(p.weight for p in result.posts) <= POST_MAX


def test_handles_and_hashtags_in_issue_text_stay_plain_text() -> None:
    source = issue(
        9,
        {"News": [item("Ask @someone.bsky.social about #AI", blurb="Mail @jay #tag $TSLA")]},
    )
    result = thread(source)
    body = "\n".join(s.text for _, s in posts(result))
    # Written as in the issue (Bluesky makes mentions and tags only from facets) …
    assert "@someone.bsky.social about #AI" in body and "@jay #tag" in body
    # … and no post carries a facet at all: #9 has no links.
    assert all(not s.facets for _, s in posts(result))


def test_202_is_eight_posts_with_shortened_blurbs(issue_202: Issue) -> None:
    result = thread(issue_202)
    assert len(result.posts) == 8
    assert result.notes == ("blurbs shortened to 40 characters (15 items)",)
    check_thread(result, 8)


# Each meets Bluesky's 3000 bytes before its 300 graphemes: a letter with 20 combining marks
# (41 bytes), a subdivision flag made of tag characters (28 bytes), a family joined by ZWJs
# (25 bytes).
DENSE = {
    "combining marks": (
        "Z" + "\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359\u035a" * 2 + " "
    )
    * 200,
    "tag flags": "🏴󠁧󠁢󠁳󠁣󠁴󠁿" * 280,
    "zwj families": "👨‍👩‍👧‍👦 " * 250,
}


@pytest.mark.parametrize("name", sorted(DENSE))
def test_text_dense_in_bytes_is_packed_within_3000_bytes(name: str) -> None:
    source = issue(7, {"News": [item("Dense", blurb=DENSE[name].strip())]})
    result = thread(source, max_posts=20)
    check_thread(result, 20)
    assert not result.condensed
    body = "".join(s.text for _, s in posts(result)[1:])
    # All of it, in order (as NFC, which puts combining marks in their canonical order).
    expected = unicodedata.normalize("NFC", "News:•Dense—" + DENSE[name])
    assert "".join(body.replace("…", "").split()) == "".join(expected.split())
    # The figure shown against the 300 is the graphemes Bluesky counts.
    assert [p.weight for p in result.posts] == [len(graphemes(s.text)) for _, s in posts(result)]


def test_a_first_post_dense_in_bytes_keeps_3000_bytes() -> None:
    source = issue(7).model_copy(
        update={"subtitle": "👨‍👩‍👧‍👦" * 60, "intro": DENSE["combining marks"].strip()}
    )
    result = thread(source)
    check_thread(result, 8)
    assert result.posts[0].text.startswith("Test Weekly: Issue #7 🧵\n" + "👨‍👩‍👧‍👦" * 60)
