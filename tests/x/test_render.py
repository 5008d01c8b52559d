"""The X renderer: every post within 280 weighted characters, no URL broken, nothing pings,
and nothing of the issue lost that the thread does not report."""

from __future__ import annotations

import re

import pytest
import regex
from hypothesis import example, given
from hypothesis import strategies as st

from bot._vendor.twitter_text import parse_tweet
from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot.models import Issue, Item, Section
from bot.render.x import RULES, LinkMode, XThread, thread
from bot.render.x_text import (
    POST_MAX,
    clean,
    neutralise,
    plain_text,
    url_spans,
    weighted_length,
)
from tests.factories import issue, item
from tests.properties import examples

# twitter-text's mention and cashtag rules, made wider (a superset of what X links): an `@` or
# `＠` not after a name character, before a name character; a `$` before a letter.
MENTION = re.compile(r"(?<![A-Za-z0-9_!#$%&*@＠])[@＠][A-Za-z0-9_]")
CASHTAG = re.compile(r"(?<![A-Za-z0-9_$])\$[A-Za-z]")
# twitter-text's `validHashtag`, made wider: a `#` or `＃` (not a keycap's), then letters, marks,
# digits or `_` holding a letter or a mark, whatever comes before.
HASHTAG = regex.compile(r"[#＃](?![\ufe0f\u20e3])[\p{L}\p{M}\p{Nd}_]*[\p{L}\p{M}]")


def pings(text: str) -> list[str]:
    """Mentions and cashtags X would find in `text` outside its URLs."""
    urls = [e["indices"] for e in extract_urls_with_indices(text)]
    found = []
    for pattern in (MENTION, CASHTAG, HASHTAG):
        for match in pattern.finditer(text):
            if not any(start <= match.start() < end for start, end in urls):
                found.append(match.group())
    return found


def squash(text: str) -> str:
    """Text without the cuts a thread may add: ellipses and whitespace."""
    return re.sub(r"[\s…]", "", text)


def check_thread(source: Issue, result: XThread, links: LinkMode, max_posts: int) -> None:
    """Every property a rendered thread must have."""
    assert 2 <= len(result.posts) <= max(2, max_posts)
    for post in result.posts:
        parsed = parse_tweet(post.text)
        assert parsed.weightedLength == post.weight <= POST_MAX, post.text
        assert parsed.valid, post.text
        assert not pings(post.text), post.text
    # No URL broken: every URL X finds in a post is whole, as the issue has it.
    # An address newsbot adds is posted as X links it whole (`link`: encoded where X would cut).
    source_urls = {RULES.as_link(source.link)} if source.link else set()
    for _, it in source.items:
        if it.link:
            source_urls.add(RULES.as_link(it.link))
        for text in (plain_text(it.title, keep_links=False), plain_text(it.blurb, keep_links=True)):
            source_urls |= {e["url"] for e in extract_urls_with_indices(text)}
    for text in (
        clean(source.title),
        *(plain_text(t, keep_links=False) for t in (source.subtitle or "", source.intro)),
    ):
        source_urls |= {e["url"] for e in extract_urls_with_indices(text)}
    for post in result.posts:
        for entity in extract_urls_with_indices(post.text):
            assert entity["url"] in source_urls, (entity["url"], post.text)
            # A domain written without its scheme is no link (X would link it).
            assert entity["url"].startswith(("https://", "http://")), (entity["url"], post.text)
    if source.link and links != LinkMode.NONE:
        assert RULES.as_link(source.link) in result.posts[0].text
    # Nothing lost that the thread does not report.
    carried = {key for post in result.posts for key in post.items}
    body = squash("".join(p.text for p in result.posts[1:]))
    for _, it in source.items:
        if it.key in result.omitted:
            assert it.key not in carried
            continue
        assert it.key in carried, it.title
        if it.key not in result.shortened:
            # A title is Markdown, posted as it reads.
            assert squash(plain_text(it.title, keep_links=False)) in body
            blurb = plain_text(it.blurb, keep_links=links == LinkMode.ITEMS)
            assert squash(blurb) in body
            if links == LinkMode.ITEMS and it.link:
                assert RULES.as_link(it.link) in body
    if result.omitted:
        assert "more in the issue" in result.posts[-1].text
        assert any("left out" in note for note in result.notes)
    if result.shortened:
        assert result.notes


# --- generated issues -----------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "deep",
        "learning",
        "漢字テキスト",
        "한국어",
        "👨‍👩‍👧‍👦",
        "👍🏽",
        "🇫🇷",
        "e\u0301",
        "Z\u0351\u0352\u0353",
        "@everyone",
        "@someone",
        "＠fullwidth",
        "$TSLA",
        "$75M",
        "email@example.com",
        "example.com",
        "ASP.NET",
        "README.md",
        "docs.python.org/3/",
        "#AI",
        "＃タグ",
        "#️⃣",
        "https://medium.com/@author/post",
        "https://example.com/" + "p" * 300,
        "[a link](https://example.org/x)",
        "**bold**",
        "A.I.",
        "—",
    ]
)
WORDS = st.lists(PIECES, min_size=1, max_size=12).map(" ".join)
LINE = WORDS.map(lambda text: text[:500].strip()).filter(bool)
BLURBS = st.one_of(
    st.just(""),
    WORDS,
    st.lists(PIECES, min_size=200, max_size=400).map(" ".join),
    st.just("漢" * 600),
    st.just("word " * 800),
)
LINKS = st.sampled_from(
    [
        None,
        "https://news.example/{n}",
        "https://example.com/{u}/{n}",
        "https://en.wikipedia.org/wiki/Yahoo{n}!",
        "https://en.wikipedia.org/wiki/Washington,_D.C.{n}.",
    ]
)


# Built once: a strategy built inside a composite is built and validated again at every draw.
TITLES = st.one_of(WORDS, st.just("長い題名" * 60), st.just("t" * 480))
ITEM_PARTS = st.tuples(TITLES, LINKS, BLURBS)


def item_numbered(number: int, parts: tuple[str, str | None, str]) -> Item:
    title, link, blurb = parts
    return Item(
        title=f"{number} {title}"[:500].strip(),
        link=link.format(n=number, u="u" * 300) if link else None,
        blurb=blurb,
    )


@st.composite
def issues(draw: st.DrawFn, many: int = 300) -> Issue:
    count = draw(st.one_of(st.integers(1, 12), st.just(many)))
    sections = draw(st.integers(1, min(count, 6)))
    all_items = [item_numbered(n, draw(ITEM_PARTS)) for n in range(count)]
    return Issue(
        number=draw(st.integers(1, 999_999)),
        title=draw(LINE),
        subtitle=draw(st.one_of(st.none(), LINE)),
        link=draw(st.one_of(st.none(), st.just("https://example.com/issues/1"))),
        intro=draw(st.one_of(st.just(""), WORDS, st.just("intro " * 700))),
        sections=tuple(
            Section.model_validate({"name": f"Section {s} @here", "items": all_items[s::sections]})
            for s in range(sections)
        ),
    )


@examples(20)
@given(source=issues(), links=st.sampled_from(LinkMode), max_posts=st.sampled_from([2, 5, 8, 25]))
def test_generated_issues_keep_every_limit(source: Issue, links: LinkMode, max_posts: int) -> None:
    check_thread(source, thread(source, links=links, max_posts=max_posts), links, max_posts)


@examples(10)
@given(source=issues(many=30), links=st.sampled_from(LinkMode))
def test_a_long_enough_thread_carries_everything(source: Issue, links: LinkMode) -> None:
    result = thread(source, links=links, max_posts=10_000)
    check_thread(source, result, links, 10_000)
    assert not result.omitted
    assert all(
        it.key not in result.shortened
        or weighted_length(plain_text(it.title, keep_links=False)) > 120
        for _, it in source.items
    )


@given(text=WORDS)
@example(text="@everyone @someone ＠x $TSLA $tsla.b RT:@x x@y medium.com/@a/b")
@example(text="#AI #100DaysOfCode ＃タグ #café e#x")
def test_neutralised_text_never_pings(text: str) -> None:
    assert not pings(neutralise(text))


@pytest.mark.parametrize(
    "text",
    ["Write to José@example.com", "@alice.example.com", "ask @bob.dev", "#AI.dev", "$TSLA.com"],
)
def test_a_broken_mention_or_tag_leaves_no_domain_to_link(text: str) -> None:
    # X reads `@example` in `José@example.com` as a mention (`é` is no name character): broken
    # after its `@`, it would leave `example.com` for X to link.
    cleaned = neutralise(text)
    assert not pings(cleaned) and url_spans(cleaned) == [], cleaned
    assert cleaned.replace("\u200b", "") == text


def test_a_keycap_and_a_number_sign_are_left_whole() -> None:
    # `#️⃣` is one emoji (a zero-width space would split it) and no hashtag; nor is `#1` or `C#`.
    text = "Press #️⃣, then #1 in C# or F#"
    assert neutralise(text) == text


def test_a_domain_written_without_its_scheme_reads_the_same_and_is_no_link() -> None:
    # X links `example.com`, `ASP.NET` and `README.md` written in text: each would be a link
    # nobody wrote, counted 23 and billed as a link post.
    source = issue(
        7,
        {
            "Code": [
                item(
                    "ASP.NET Core reads README.md",
                    "https://example.com/asp",
                    blurb="See docs.python.org/3/, example.com or https://example.org/x.",
                )
            ]
        },
    )
    result = thread(source)
    check_thread(source, result, LinkMode.ISSUE, 8)
    body = result.posts[1]
    assert body.text.replace("\u200b", "") == (
        "Code:\n• ASP.NET Core reads README.md — See docs.python.org/3/, example.com or "
        "https://example.org/x."
    )
    urls = [e["url"] for e in extract_urls_with_indices(body.text)]
    assert urls == ["https://example.org/x"]
    assert body.weight == parse_tweet(body.text).weightedLength


def test_without_its_scheme_no_domain_costs_a_link_post() -> None:
    source = issue(7, {"Tools": [item("Why ASP.NET and Node.js", blurb="From github.com/a/b.")]})
    result = thread(source)
    assert [p.has_url for p in result.posts] == [False, False]
    assert result.cost(0.015, 0.20) == pytest.approx(0.03)


def test_an_email_address_is_left_whole_and_no_link() -> None:
    # Broken after its `@`, the address's domain would be a link X counts and bills as one.
    text = "Write to editor@example.org, or @editor"
    assert neutralise(text) == "Write to editor@example.org, or @\u200beditor"
    assert url_spans(neutralise(text)) == []


# --- examples -------------------------------------------------------------------------------


def test_202_fits_eight_posts_cheaply(issue_202: Issue) -> None:
    result = thread(issue_202)
    check_thread(issue_202, result, LinkMode.ISSUE, 8)
    assert len(result.posts) <= 8
    assert result.cost(0.015, 0.20) <= 0.25
    assert result.fill >= 0.80
    assert result.posts[0].text.startswith("Deep Learning Weekly: Issue #202")


def test_a_long_blurb_is_split_between_words_with_ellipses() -> None:
    source = issue(7, {"News": [item("Long one", blurb="alpha beta gamma " * 250)]})
    result = thread(source, max_posts=100)
    check_thread(source, result, LinkMode.ISSUE, 100)
    body = result.posts[1:]
    assert len(body) > 5
    assert all(p.text.endswith("…") for p in body[:-1])
    assert all(p.text.startswith("…") for p in body[1:])
    assert not any(
        w.startswith("alph") and w not in ("alpha", "…alpha") for p in body for w in p.text.split()
    )


def test_cjk_counts_double() -> None:
    # 200 CJK characters weigh 400: two posts, though `len()` would say one.
    source = issue(8, {"News": [item("漢" * 200, blurb="")]})
    result = thread(source, max_posts=10)
    assert len(result.posts) == 3
    check_thread(source, result, LinkMode.ISSUE, 10)


def test_links_items_puts_each_link_after_its_item() -> None:
    source = issue(9, {"News": [item(f"Story {n}", f"https://n.example/{n}") for n in range(3)]})
    result = thread(source, links=LinkMode.ITEMS)
    text = "\n".join(p.text for p in result.posts)
    for n in range(3):
        assert f"Story {n} — A blurb. https://n.example/{n}" in text


def test_condensing_says_what_it_did() -> None:
    many = {
        f"Section {s}": [
            item(f"Story {s}-{n}" + " word" * 20, blurb="blurb " * 30) for n in range(20)
        ]
        for s in range(5)
    }
    source = issue(10, many)
    result = thread(source, max_posts=8)
    check_thread(source, result, LinkMode.ISSUE, 8)
    assert len(result.posts) <= 8
    assert result.omitted
    assert "titles only: blurbs left out" in result.notes
    # Every section keeps some of its items.
    posted = "".join(p.text for p in result.posts)
    assert all(f"Section {s}:" in posted for s in range(5))


@pytest.mark.parametrize("links", list(LinkMode))
def test_the_same_issue_gives_the_same_thread(issue_202: Issue, links: LinkMode) -> None:
    assert thread(issue_202, links=links) == thread(issue_202, links=links)
