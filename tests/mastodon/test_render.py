"""The Mastodon renderer: every status within the instance's limit as the server counts it, no
URL broken, nothing from the issue mentioning an account or making a hashtag."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.models import Issue
from bot.render import mastodon
from bot.render.social import LinkMode, Thread
from bot.sandbox.mastodon import hashtags, mentions, status_length
from tests.factories import issue, item
from tests.properties import examples
from tests.x.test_render import PIECES, issues

TAGGY = st.sampled_from(
    [
        "#Python",
        "#python3",
        "＃全角タグ",
        "#202",
        "(#tag)",
        "x#notag",
        "@alice",
        "@alice@mastodon.social",
        "@bob.smith@example.org",
        "＠wide",
        "email@example.com",
        "https://example.com/#anchor",
        "https://example.com/@author/post",
        "Q&A:#1st",
        "#tag·name",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, TAGGY), min_size=1, max_size=14).map(" ".join)


@given(text=TEXTS, per_url=st.sampled_from([23, 10, 40]))
@example(text="@alice@mastodon.social https://example.com/" + "p" * 300, per_url=23)
@example(text="👨‍👩‍👧‍👦 e\u0301 🇫🇷🇩🇪", per_url=23)
def test_lengths_are_the_servers(text: str, per_url: int) -> None:
    assert mastodon.status_length(text, per_url) == status_length(text, per_url)


def test_each_url_counts_as_the_instance_reserves_and_a_remote_mention_as_local() -> None:
    url = "https://example.com/" + "a" * 100
    assert mastodon.status_length(f"see {url}", 23) == 4 + 23
    assert mastodon.status_length(f"see {url}", 40) == 4 + 40
    assert mastodon.status_length("@alice@mastodon.social hi") == len("@alice hi")
    assert mastodon.status_length("👨‍👩‍👧‍👦é") == 2
    # Without a scheme it is text to Mastodon, counted letter by letter.
    assert mastodon.status_length("example.com/abc") == 15
    # Mastodon ends a path before a `=` (twitter-text would not), never a query.
    assert mastodon.status_length("see https://example.com/id/abc==") == 4 + 23 + 2
    assert mastodon.status_length("see https://example.com/?id=abc==") == 4 + 23


# Mastodon's own URL pattern (config/initializers/twitter_regex.rb), not twitter-text's: a path
# runs to white space or `<>()?` and ends in none of `()?!*"'「」<>;:=,.$%[]~&|@`; a query may
# hold `^` and characters past U+00A0; gemini:// and a few other schemes are links too.
MASTODON_URLS = [
    ("see https://ja.wikipedia.org/wiki/日本 now", 4 + 23 + 4),
    ("https://example.com/jp。次の記事は", 23),
    ("https://example.com/a=?q=1", 23 + len("=?q=1")),
    ("https://example.com/?q=日本&r=1", 23),
    ('https://example.com/path"quoted" x', 23 + len('" x')),
    ("https://example.com/a^b?q=^x", 23),
    ("gemini://example.org/a b", 23 + 2),
    ("a https://t.co/abcdef/xyz b", 2 + 23 + len("/xyz b")),
]


@pytest.mark.parametrize(("text", "length"), MASTODON_URLS)
def test_urls_count_as_mastodons_own_pattern_finds_them(text: str, length: int) -> None:
    assert status_length(text) == length
    assert mastodon.status_length(text) == length


@given(text=TEXTS)
@example(text="#Python and ＃全角 and @alice@mastodon.social and @bob (#x) Q&A:#y")
def test_cleaned_text_mentions_and_tags_nobody(text: str) -> None:
    cleaned = mastodon.clean(text)
    assert mentions(cleaned) == [] and hashtags(cleaned) == [], cleaned


def test_an_email_address_is_left_whole() -> None:
    assert mastodon.clean("Write to editor@example.org") == "Write to editor@example.org"


def test_without_cleaning_the_server_would_mention_and_tag() -> None:
    text = "Thanks @alice@mastodon.social for #Python tips"
    assert mentions(text) == ["alice@mastodon.social"] and hashtags(text) == ["Python"]
    assert mentions(mastodon.clean(text)) == [] and hashtags(mastodon.clean(text)) == []
    # URLs stay whole: a `#` or `@` inside one is the link's.
    link = "https://example.com/@author/post#part"
    assert link in mastodon.clean(f"read {link}")


def check(source: Issue, result: Thread, limit: int, per_url: int) -> None:
    assert result.limit == limit
    for post in result.posts:
        assert post.weight == status_length(post.text, per_url) <= limit, post.text
        assert mentions(post.text) == [] and hashtags(post.text) == [], post.text


@examples(15)
@given(
    source=issues(),
    links=st.sampled_from(LinkMode),
    max_posts=st.sampled_from([2, 5, 8]),
    figures=st.sampled_from([(500, 23), (200, 23), (1000, 40)]),
)
def test_generated_issues_keep_the_instances_limit(
    source: Issue, links: LinkMode, max_posts: int, figures: tuple[int, int]
) -> None:
    limit, per_url = figures
    result = mastodon.thread(
        source, max_characters=limit, per_url=per_url, links=links, max_posts=max_posts
    )
    assert 2 <= len(result.posts) <= max_posts
    check(source, result, limit, per_url)


def test_202_fits_eight_statuses_of_500(issue_202: Issue) -> None:
    result = mastodon.thread(issue_202)
    check(issue_202, result, 500, 23)
    assert len(result.posts) <= 8
    assert f"#{issue_202.number}" in result.posts[0].text  # a number is no hashtag


@pytest.mark.parametrize("limit", [500, 300])
def test_a_smaller_instance_limit_gives_more_or_fuller_posts(issue_202: Issue, limit: int) -> None:
    roomy = mastodon.thread(issue_202, max_characters=5000, max_posts=100)
    tight = mastodon.thread(issue_202, max_characters=limit, max_posts=100)
    assert len(tight.posts) >= len(roomy.posts)
    assert max(p.weight for p in tight.posts) <= limit


def test_an_issue_full_of_tags_and_mentions_posts_none() -> None:
    source = issue(
        7,
        {
            "#Tags": [
                item("#Launch by @ceo@corp.example", blurb="Ping @everyone, #breaking #news"),
                item("＃全角 and ＠wide", blurb="see https://example.com/@ceo#top"),
            ]
        },
        title="#Weekly by @editor@news.example",
    )
    result = mastodon.thread(source)
    check(source, result, 500, 23)
    assert "https://example.com/@ceo#top" in "\n".join(p.text for p in result.posts)
