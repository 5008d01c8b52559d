"""Reader embeds: never over a Discord limit, never a live mention, nothing silently lost."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START, Issue, Item, SearchHit, SearchPage, Section
from bot.render.discord import (
    Embed,
    EmbedField,
    fit_lines,
    issue_embed,
    related_embed,
    search_embed,
    section_pages,
    snippet_markdown,
    x_thread_embed,
)
from bot.render.markdown import title_markdown
from bot.render.text import escape_markdown, literal
from bot.render.x import LinkMode
from bot.render.x import thread as x_thread
from bot.text import defuse_mentions, find_control, shorten
from tests.factories import issue as issue_of
from tests.factories import item
from tests.properties import examples

HOSTILE = st.sampled_from(
    [
        "@everyone",
        "@here",
        "<@123456789012345678>",
        "<@&987654321098765432>",
        "**bold**",
        "[x](https://evil.example)",
        "`code`",
        "中文字符",
        "😀👍🏽",
        "e\u0301",
        "# heading",
        "> quote",
    ]
)
WORD = st.one_of(st.text(string.ascii_letters, min_size=1, max_size=12), HOSTILE)
LINE = st.lists(WORD, min_size=1, max_size=12).map(" ".join)
# Long texts are a few words repeated: as hard on the limits, far cheaper to generate.
LONG = st.one_of(
    st.lists(WORD, max_size=20).map(" ".join),
    st.builds(
        lambda words, n: (" ".join(words) + " ") * n,
        st.lists(WORD, min_size=1, max_size=5),
        st.integers(1, 400),
    ).map(str.strip),
)
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


# Built once: a strategy built inside `issues` is built and validated again at every draw.
LINK_PADS = st.integers(0, 300)
HAS_LINK = st.one_of(st.none(), st.just(True))
ABSTRACTS = st.one_of(st.none(), LONG.map(lambda t: t[:4000]))
SUBTITLES = st.one_of(st.none(), LINE.map(lambda t: t[:500]))


@st.composite
def issues(draw: st.DrawFn) -> Issue:
    sections = []
    for s in range(draw(st.integers(1, 25))):
        items = []
        for i in range(draw(st.integers(1, 12))):
            # Numbered first: an item without a link is told apart by its title's first words.
            title = f"{s}.{i} {draw(LINE)[:490]}"
            pad = draw(LINK_PADS)
            link = f"https://example.com/{s}/{i}" + "x" * pad if draw(HAS_LINK) else None
            items.append(
                Item(title=title, link=link, blurb=draw(LONG)[:4000], abstract=draw(ABSTRACTS))
            )
        sections.append(Section(name=f"{draw(LINE)[:60]} {s}", slug=f"s{s}", items=tuple(items)))
    return Issue(
        number=draw(st.integers(1, 999_999)),
        title=draw(LINE)[:500],
        subtitle=draw(SUBTITLES),
        intro=draw(LONG)[:20_000],
        sections=tuple(sections),
    )


def assert_valid(embed: Embed) -> None:
    assert embed.problems() == [], embed.problems()
    assert not LIVE_MENTION.search(str(embed.to_dict()))


@examples(40)
@given(issues())
def test_issue_and_section_embeds_keep_every_limit(issue: Issue) -> None:
    assert_valid(issue_embed(issue))
    for section in issue.sections:
        pages = section_pages(issue, section)
        for page in pages:
            assert_valid(page)
        shown = [
            item.title
            for item in section.items
            for page in pages
            if any(
                f"{title_markdown(item.title, in_bold=True)}{end}" in page.description
                for end in ("**", "](")
            )
        ]
        assert len(shown) >= len(section.items), "every item is on a page: none left out"
        if len(pages) > 1:
            count = len(section.items)
            footers = [page.footer.split(" · ")[0] for page in pages]
            assert footers[0].startswith("Items 1–") and footers[-1].endswith(
                f"–{count} of {count}"
            )


def test_a_long_section_is_shown_whole_on_pages_in_order() -> None:
    items = [item(f"Lantern {n}", f"https://long.example/{n}", "word " * 60) for n in range(40)]
    sample = issue_of(209, {"Industry": items})
    pages = section_pages(sample, sample.sections[0])
    assert len(pages) > 1
    shown = [re.findall(r"\*\*\[Lantern (\d+)\]", page.description) for page in pages]
    assert [int(n) for page in shown for n in page] == list(range(40)), "each once, in order"
    first = 1
    for page, numbers in zip(pages, shown, strict=True):
        assert_valid(page)
        last = first + len(numbers) - 1
        assert page.footer == f"Items {first}–{last} of 40 · {sample.title}"
        first = last + 1


SNIPPET_WORDS = st.lists(st.tuples(WORD, st.booleans()), min_size=1, max_size=60)
"""A snippet's words, each marked as a match or not."""
HIT_LINKS = st.one_of(st.none(), st.just("https://e.org/a"))


@st.composite
def hits(draw: st.DrawFn) -> SearchHit:
    snippet = " ".join(
        f"{HIGHLIGHT_START}{w}{HIGHLIGHT_END}" if m else w for w, m in draw(SNIPPET_WORDS)
    )
    return SearchHit(
        item_id=1,
        item=Item(title=draw(LINE)[:500], link=draw(HIT_LINKS)),
        issue_number=draw(st.integers(1, 999)),
        issue_title="T",
        issue_date=None,
        section_name=draw(LINE)[:100],
        section_slug="s",
        score=-1.0,
        snippet=snippet,
    )


@given(st.lists(hits(), min_size=1, max_size=10), LINE, st.integers(0, 50), st.booleans())
def test_search_embeds_keep_every_limit(
    found: list[SearchHit], query: str, offset: int, more: bool
) -> None:
    page = SearchPage(hits=tuple(found), offset=offset, has_more=more)
    embed = search_embed(query, page, page_size=10)
    assert_valid(embed)
    for hit in found:
        text = snippet_markdown(hit)
        assert len(text) <= 301
        assert not LIVE_MENTION.search(text)


def test_snippets_bold_the_matches_and_show_the_rest_as_it_reads() -> None:
    hit = SearchHit(
        item_id=1,
        item=Item(title="T"),
        issue_number=1,
        issue_title="T",
        issue_date=None,
        section_name="S",
        section_slug="s",
        score=0.0,
        snippet=f"use {HIGHLIGHT_START}torch{HIGHLIGHT_END} *now* <3 @everyone",
    )
    assert snippet_markdown(hit) == "use **torch** now \\<3 @\u200beveryone"


def test_fit_lines_counts_what_it_leaves_out() -> None:
    lines = [f"line {n}" for n in range(100)]
    text = fit_lines(lines, 60)
    assert len(text) <= 60
    kept = text.count("line ")
    assert text.endswith(f"…and {100 - kept} more")
    assert fit_lines(["a", "b"], 10) == "a\nb"


def test_fit_lines_shortens_a_first_line_too_long_to_fit_whole() -> None:
    long = "✅ Thanks! " + "word " * 500
    assert fit_lines([long], 2000) == shorten(long, 2000)
    text = fit_lines([long, "second"], 2000)
    assert text.startswith("✅ Thanks! word") and text.endswith("…\n…and 1 more")
    assert len(text) <= 2000
    assert fit_lines([long, "second"], 12) == "…and 2 more"


def test_shorten_never_cuts_inside_a_word() -> None:
    assert shorten("knowledge distillation works", 20) == "knowledge…"
    assert shorten("short", 20) == "short"
    assert len(shorten("x" * 50, 10)) == 10


@given(st.text(alphabet="*_`\\<>@#&!0123 \n\x07\u2028everyonhx"), st.integers(0, 120))
def test_literal_text_fits_its_limit_with_escapes_counted(text: str, limit: int) -> None:
    shown = literal(text, limit)
    assert len(shown) <= limit
    assert find_control(shown) is None
    assert not re.search(r"@everyone|@here|<(@[!&]?|#)[0-9]+\\?>", shown), shown


def test_literal_text_is_cut_after_escaping_not_before() -> None:
    # Cut before escaping, 80 stars became 160 characters; and a cut never strands a backslash.
    assert literal("*" * 300, 80) == "\\*" * 39 + "…"
    assert literal("see <#45> now\x07", 100) == "see \\<\u200b\\#45\\> now"


def test_defuse_and_escape() -> None:
    assert defuse_mentions("hi @everyone and <@&42>") == "hi @\u200beveryone and <\u200b@&42>"
    assert escape_markdown("**a** [b](c)") == "\\*\\*a\\*\\* \\[b\\]\\(c\\)"
    # A timestamp, a command mention and a suppressed link are markup in Discord: all literal.
    assert escape_markdown("<t:0:R> </search:1> <https://a.example>") == (
        "\\<t:0:R\\> \\</search:1\\> \\<https://a.example\\>"
    )


def test_embed_problems_name_the_limit() -> None:
    embed = Embed(title="x" * 300, fields=(EmbedField("n", "v" * 2000),))
    assert embed.problems() == [
        "title is 300 characters, over Discord's 256",
        "field 0 value is 2000 characters, over Discord's 1024",
    ]


# Rendering an X thread condenses by trying shorter forms; each example costs ~0.5 s.
@examples(10)
@given(issues(), st.sampled_from([2, 8, 25]), st.sampled_from(list(LinkMode)))
def test_the_x_thread_preview_keeps_every_limit(
    issue: Issue, max_posts: int, links: LinkMode
) -> None:
    on_x = x_thread(issue, links=links, max_posts=max_posts)
    embed = x_thread_embed(on_x, cost=on_x.cost(0.015, 0.2))
    assert_valid(embed)
    assert len(embed.fields) == min(len(on_x.posts), 25)


def test_an_issue_with_more_sections_than_fields_counts_the_rest() -> None:
    many = Issue(
        number=9,
        title="Nine",
        sections=tuple(
            Section(name=f"Part {n}", slug=f"part-{n}", items=(Item(title=f"Item {n}"),))
            for n in range(30)
        ),
    )
    embed = issue_embed(many)
    assert_valid(embed)
    assert len(embed.fields) == 25
    assert [f.name for f in embed.fields[:24]] == [f"Part {n}" for n in range(24)]
    assert embed.fields[24].name == "…and 6 more sections"
    assert embed.fields[24].value == "Part 24 · Part 25 · Part 26 · Part 27 · Part 28 · Part 29"


def test_the_search_title_shows_the_readers_words_literally() -> None:
    page = SearchPage(hits=(), offset=0, has_more=False)
    embed = search_embed("**learning** @here", page, page_size=5)
    assert embed.title == "Search: \\*\\*learning\\*\\* @\u200bhere"


def test_related_links_show_every_item_however_long_its_link() -> None:
    found = [
        SearchHit(
            item_id=n,
            item=Item(title=f"Lantern {n}", link=f"https://long.example/{n}/{'a' * 1500}"),
            issue_number=204,
            issue_title="T",
            issue_date=None,
            section_name="Industry",
            section_slug="industry",
            score=-1.0,
            snippet="A lantern.",
        )
        for n in range(5)
    ]
    embed = related_embed(found)
    assert_valid(embed)
    assert all(f"Lantern {n}" in embed.description for n in range(5))
    assert "more" not in embed.description and "https://long.example/" in embed.description
