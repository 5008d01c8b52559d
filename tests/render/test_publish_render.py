"""What gets published: never over a Discord limit, never a ping, nothing lost, few messages."""

from __future__ import annotations

import itertools
import re
import string

from hypothesis import given
from hypothesis import strategies as st

from bot.models import Issue, Item, Section
from bot.render.discord import EMBED_DESCRIPTION_MAX
from bot.render.markdown import title_markdown
from bot.render.publish import (
    ABSTRACT_MAX,
    Post,
    digest,
    digest_post_name,
    item_block,
    pack,
    section_thread,
    section_threads,
    split_text,
    thread_name,
    unescape,
)
from bot.sandbox.discord._errors import FormErrors
from bot.sandbox.discord._limits import check_message, check_thread
from tests.factories import issue, item
from tests.properties import examples

HOSTILE = st.sampled_from(
    [
        "@everyone",
        "@here",
        "<@123456789012345678>",
        "<@&987654321098765432>",
        "<#987654321098765432>",
        "**bold**",
        "__under__",
        "[x](https://evil.example)",
        "`code`",
        "中文字符测试",
        "日本語のテキスト",
        "😀👍🏽👨‍👩‍👧",
        "e\u0301",
        "# heading",
        "> quote",
        "https://example.com/a_(b)",
    ]
)
WORD = st.one_of(st.text(string.ascii_letters, min_size=1, max_size=12), HOSTILE)
LINE = st.lists(WORD, min_size=1, max_size=30).map(" ".join)
TITLE = st.one_of(LINE, st.just("@everyone " * 48)).map(lambda t: t[:480].strip())
LONG = st.one_of(
    st.lists(WORD, max_size=20).map(" ".join),
    st.builds(
        lambda words, n: (" ".join(words) + " ") * n,
        st.lists(WORD, min_size=1, max_size=5),
        st.integers(1, 600),
    ).map(str.strip),
)
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")
ANY_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)\d+>")
"""A ping, or anything that reads as one: a user, role or channel mention, @everyone, @here."""
# Blurbs are drawn from a few texts (up to 4000 characters): as hard on the limits, and cheap
# enough to generate 300 items.
BLURBS = st.sampled_from(
    [
        "",
        "A short blurb about @everyone and <@&987654321098765432>.",
        ("Long 中文字符测试 text with [a link](https://example.com/a) and 😀👍🏽 " * 60)[:4000],
        "word " * 799 + "end",
        "x" * 4000,
        "para one.\n\n" * 300,
        "**bold** __under__ `code` > quote\n# heading " * 80,
    ]
)


@st.composite
def issues(draw: st.DrawFn) -> Issue:
    """Issues from one item to 300, with 4000-character blurbs and hostile titles."""
    total = draw(st.sampled_from([1, 5, 40, 300]))
    section_count = draw(st.integers(1, min(total, 30)))
    sizes = [total // section_count] * section_count
    sizes[0] += total - sum(sizes)
    sections = []
    serial = 0
    for s, size in enumerate(sizes):
        items = []
        for _ in range(size):
            serial += 1
            items.append(
                Item(
                    title=f"n{serial} {draw(TITLE)}",
                    link=draw(
                        st.one_of(
                            st.none(),
                            st.just(
                                f"https://example.com/{serial}/" + "x" * draw(st.integers(0, 900))
                            ),
                        )
                    ),
                    blurb=draw(BLURBS),
                    abstract=draw(st.one_of(st.none(), BLURBS)),
                )
            )
        name = f"{draw(LINE)[:90].strip()} {s}"
        sections.append(Section(name=name, slug=f"s{s}", items=tuple(items)))
    return Issue(
        number=draw(st.integers(1, 999_999)),
        title=draw(LINE)[:500].strip(),
        subtitle=draw(st.one_of(st.none(), LINE.map(lambda t: t[:500].strip()))),
        link=draw(st.one_of(st.none(), st.just("https://example.com/issue"))),
        intro=draw(LONG)[:20_000],
        sections=tuple(sections),
    )


def emulator_problems(post: Post) -> list[str]:
    """What the Discord emulator would answer 400 for, with its own checks."""
    errors = FormErrors()
    check_message({**post.to_dict(), "nonce": "x" * 25}, errors)
    return [] if not errors else [str(errors.__dict__)]


def assert_sendable(post: Post, *, role: int | None = None) -> None:
    assert post.problems() == []
    assert emulator_problems(post) == []
    allowed = post.allowed_mentions()
    assert allowed["parse"] == []
    assert allowed.get("roles", []) == ([str(role)] if role else [])
    text = post.text()
    live = LIVE_MENTION.findall(post.content) + LIVE_MENTION.findall(text.replace(post.content, ""))
    expected = 1 if role else 0
    assert len(LIVE_MENTION.findall(text)) == expected, live


def squash(text: str) -> str:
    return "".join(unescape(text).split())


@examples(40, deadline=None)
@given(issues(), st.one_of(st.none(), st.integers(10**17, 10**19)))
def test_published_messages_keep_every_limit_and_lose_nothing(
    generated: Issue, role: int | None
) -> None:
    threads = section_threads(generated)
    ids = {t.slug: 10**19 + n for n, t in enumerate(threads)}
    announcement = digest(generated, threads=ids, role_id=role)
    assert_sendable(announcement, role=role)
    assert digest(generated, threads=ids, role_id=role) == announcement, "deterministic"
    posted = squash("\n".join(p.text() for t in threads for p in t.posts))
    for thread in threads:
        errors = FormErrors()
        check_thread({"name": thread.name}, errors)
        assert not errors and 1 <= len(thread.name) <= 100
        assert thread.posts
        for post in thread.posts:
            assert_sendable(post)
    for section in generated.sections:
        for entry in section.items:
            shown = title_markdown(entry.title, in_bold=True)
            assert squash(shown) in posted, "every title is in its thread, as it reads"
            assert squash(entry.blurb) in posted, "every blurb is posted whole"


@examples(25, deadline=None)
@given(st.lists(LONG.map(lambda t: t[:4000]), min_size=1, max_size=30))
def test_blocks_are_split_only_where_a_limit_forces_it(blocks: list[str]) -> None:
    blocks = [b for b in blocks if b.strip()] or ["x"]
    posts = pack(blocks)
    descriptions = [e.description for p in posts for e in p.embeds]
    # Each block that fits in an embed is in one embed, whole.
    for block in blocks:
        if len(block.strip()) <= EMBED_DESCRIPTION_MAX:
            assert any(block.strip() in d for d in descriptions)
    # No two consecutive messages could have been one.
    for first, second in itertools.pairwise(posts):
        merged = first.embed_total() + second.embed_total()
        assert merged > 6000 or len(first.embeds) + len(second.embeds) > 10


def test_split_text_never_cuts_a_word_or_a_link() -> None:
    link = "[a title](https://example.com/" + "p" * 100 + ")"
    text = ("word " * 30 + link + " ") * 40
    pieces = split_text(text, 500)
    assert all(len(p) <= 500 for p in pieces)
    for piece in pieces:
        assert piece.count("[a title](") == piece.count("p" * 100 + ")")
        assert not piece.startswith("ord") and not piece.endswith("wor")
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_202_fits_one_message_per_section(issue_202: Issue) -> None:
    threads = section_threads(issue_202)
    assert [t.name for t in threads] == [
        "#202 · Industry",
        "#202 · Mobile & Edge",
        "#202 · Learning",
        "#202 · Libraries & Code",
        "#202 · Papers & Publications",
    ]
    assert all(len(t.posts) == 1 for t in threads)
    announcement = digest(issue_202, threads={t.slug: 1234 + n for n, t in enumerate(threads)})
    (embed,) = announcement.embeds
    assert embed.title == "#202 · Deep Learning Weekly: Issue #202"
    assert [f.name for f in embed.fields] == [t.section_name for t in threads]
    assert embed.fields[0].value.startswith("<#1234>\nUnveiling our new Quantum AI campus · ")
    assert announcement.content == "" and announcement.components() == []


def test_the_digest_pings_only_its_role_and_offers_the_button() -> None:
    sample = issue(7, {"News": [item("Hi @everyone <@&5>", "https://a.example/x")]})
    post = digest(sample, role_id=42)
    assert post.content.startswith("<@&42> New issue: **#7**")
    assert post.allowed_mentions() == {"parse": [], "roles": ["42"]}
    (row,) = post.components()
    assert row["components"][0]["custom_id"] == "newsbot:notify:42"
    value = post.embeds[0].fields[0].value
    assert "[Hi @\u200beveryone <\u200b@&5>](https://a.example/x)" in value
    assert not LIVE_MENTION.search(value)


def test_a_long_abstract_is_shortened_with_a_link() -> None:
    long = "word " * 400
    with_link = item_block(item("T", "https://a.example/(x)", "Blurb.", abstract=long))
    assert with_link.endswith("… [Read more](https://a.example/%28x%29)")
    assert len(with_link) < ABSTRACT_MAX + 100
    without = item_block(item("T", None, "Blurb.", abstract=long))
    assert without.endswith("…") and "Read more" not in without
    short = item_block(item("T", None, "Blurb.", abstract="Short.\n\nTwo."))
    assert short == "**T**\nBlurb.\n> Short.\n>\n> Two."


def test_thread_names_are_capped() -> None:
    sample = issue(202, {"A" * 200: [item("x")]})
    assert len(thread_name(sample, sample.sections[0])) == 100
    assert section_thread(sample, sample.sections[0]).name.endswith("…")


@given(LINE, LINE, st.integers(1, 999_999))
def test_thread_and_forum_post_names_never_read_as_a_mention(
    section_name: str, title: str, number: int
) -> None:
    sample = issue(number, {section_name.strip() or "s": [item("x")]}, title=title.strip() or "t")
    section = sample.sections[0]
    thread = section_thread(sample, section)
    names = [thread_name(sample, section), thread.name, digest_post_name(sample)]
    for name in names:
        assert not ANY_MENTION.search(name), name
        errors = FormErrors()
        check_thread({"name": name}, errors)
        assert not errors
    titles = [e.title for p in thread.posts for e in p.embeds if e.title]
    titles += [e.title for e in digest(sample).embeds if e.title]
    titles += [f.name for e in digest(sample).embeds for f in e.fields]
    assert titles and not [t for t in titles if ANY_MENTION.search(t)]


def test_a_section_full_of_mentions_is_named_harmlessly() -> None:
    sample = issue(9, {"@everyone <@1> <@!2> <@&3> <#4> @here": [item("x")]})
    assert thread_name(sample, sample.sections[0]) == (
        "#9 · @\u200beveryone <\u200b@1> <\u200b@!2> <\u200b@&3> <\u200b#4> @\u200bhere"
    )
