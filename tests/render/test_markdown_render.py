"""Issue text is Markdown: titles shown as they read, never escaped twice; search snippets cut
from the text a reader reads, never from its syntax."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START, Item, SearchHit
from bot.render import snippet
from bot.render.discord import hit_block, issue_embed, section_pages, snippet_markdown
from bot.render.markdown import cut_markdown, plain_text
from bot.render.publish import digest, item_block, section_thread
from bot.text import one_line
from tests.factories import issue, item

S, E = HIGHLIGHT_START, HIGHLIGHT_END
KWARGS = r"Using \*\*kwargs in Python \[v2\]"
"""A title as the editor wrote it: it reads `Using **kwargs in Python [v2]`."""
LINK = "[a link placed right at the cut point of the blurb](https://example.com/blurb-link)"
COMPLETE_LINK = re.compile(r"\[[^\[\]]*\]\([^()\s]*\)")
LINK_AT_THE_CUT = "word " * 60 + LINK + " and then more text after it."


def hit(snippet: str, *, title: str = "T", blurb: str = "", link: str | None = None) -> SearchHit:
    """A hit whose archive snippet is `snippet`, cut from the item's Markdown."""
    return SearchHit(
        item_id=1,
        item=Item(title=title, link=link, blurb=blurb),
        issue_number=203,
        issue_title="T",
        issue_date=None,
        section_name="Industry",
        section_slug="industry",
        score=-1.0,
        snippet=snippet,
    )


def test_a_snippet_of_a_blurb_reads_as_text_with_the_matches_in_bold() -> None:
    blurb = "A blurb with @everyone and <@123> and **bold**."
    found = hit(f"A {S}blurb{E} with @everyone and <@123> and **{S}bold{E}**.", blurb=blurb)
    assert snippet_markdown(found) == (
        "A **blurb** with @\u200beveryone and \\<\u200b@123\\> and **bold**."
    )


def test_a_snippet_cut_inside_a_link_shows_the_links_text_whole() -> None:
    # The archive cut its 16 words inside the link's URL.
    cut = (
        f"…word word [a link placed right at the {S}cut{E} {S}point{E} of the blurb]"
        "(https://example.com/blurb…"
    )
    shown = snippet_markdown(hit(cut, blurb=LINK_AT_THE_CUT))
    assert "a link placed right at the **cut** **point** of the blurb and then more" in shown
    assert not any(syntax in shown for syntax in ("[", "](", "https", "\\"))
    assert shown.startswith("…word word")


def test_a_titles_snippet_and_heading_show_its_escapes_once() -> None:
    found = hit(
        f"Using \\*\\*{S}kwargs{E} in Python \\[v2\\]",
        title=KWARGS,
        link="https://example.com/kwargs",
    )
    assert snippet_markdown(found) == r"Using \*\***kwargs** in Python \[v2\]"
    assert hit_block(found).startswith(f"**[{KWARGS}](https://example.com/kwargs)** — #203")


def test_a_match_in_the_title_shows_the_blurb_not_the_title_again() -> None:
    # The archive's snippet of a short title is the whole title: shown under it, it repeated it.
    title = "Introduction to Embedded Machine Learning"
    blurb = "This course teaches how to run *deep* learning on low-power devices. " * 4
    found = hit(
        f"Introduction to Embedded Machine {S}Learning{E}",
        title=title,
        blurb=blurb.strip(),
        link="https://example.com/course",
    )
    heading, shown = hit_block(found).split("\n")
    assert title in heading
    assert shown.startswith("This course teaches how to run deep **learning** on low\\-power")
    assert shown.endswith("…") and title not in shown


def test_under_a_matched_title_a_blurb_with_syntax_reads_as_text() -> None:
    blurb = "A [course](https://example.com/c) on *deep* learning, and _deep learning_ again."
    found = hit(f"{S}Deep{E} {S}Learning{E} course", title="Deep Learning course", blurb=blurb)
    assert (
        snippet_markdown(found)
        == "A course on **deep** **learning**, and **deep** **learning** again."
    )
    phrase = hit(f"{S}Deep Learning{E} course", title="Deep Learning course", blurb=blurb)
    assert snippet_markdown(phrase) == "A course on **deep learning**, and **deep learning** again."


_letters = "abiAB_1 -.\néİſµσς学東京都"


@given(st.data())
def test_the_words_under_a_title_are_found_as_the_pattern_finds_them(data: st.DataObject) -> None:
    marked = data.draw(st.lists(st.text(alphabet=_letters, min_size=1, max_size=6), max_size=3))
    # The text is made of the marked words, glued to letters or set apart, as blurbs hold them.
    pieces = st.one_of(st.sampled_from(marked or ["a"]), st.text(alphabet=_letters, max_size=3))
    text = "".join(data.draw(st.lists(pieces, max_size=12)))
    parts = [(run, True) for run in marked]
    for end in (len(text), len(text) // 2):
        assert snippet._words_in(parts, text, end) == snippet._matches(parts, text, end)


@pytest.mark.parametrize(
    ("marked", "text"),
    [
        (["İstanbul"], "istanbul"),
        (["sun"], "ſun"),
        (["東京", "東京都"], "東京都に"),
        (["a"], "ba a"),
    ],
)
def test_the_words_under_a_title_agree_with_the_pattern_in_any_script(
    marked: list[str], text: str
) -> None:
    parts = [(run, True) for run in marked]
    assert snippet._words_in(parts, text, len(text)) == snippet._matches(parts, text, len(text))


def test_published_titles_keep_the_markdown_the_editor_wrote() -> None:
    sample = issue(
        203,
        {
            "Industry": [
                item(KWARGS, "https://example.com/kwargs", "Blurb."),
                item("Hi @everyone <@&5> [x](https://evil.example)", None, "Blurb."),
            ]
        },
    )
    thread = section_thread(sample, sample.sections[0])
    posted = thread.posts[0].embeds[0].description
    assert posted.startswith(f"**[{KWARGS}](https://example.com/kwargs)**\nBlurb.")
    # Mentions stay defused and a link in a title stays text.
    assert "**Hi @\u200beveryone <\u200b@&5> \\[x\\]\\(https://evil.example\\)**" in posted
    (field,) = digest(sample).embeds[0].fields
    assert f"[{KWARGS}](https://example.com/kwargs)" in field.value


def test_strong_emphasis_in_a_bold_title_does_not_close_the_bold() -> None:
    found = hit(f"{S}Breaking{E}: news", title="**Breaking**: news", link="https://a.example")
    assert hit_block(found).startswith("**[Breaking: news](https://a.example)** — ")


# --- plain text, against a CommonMark parser ------------------------------------------------

_COMMONMARK = MarkdownIt("commonmark")
WORDS = st.text(string.ascii_letters + "é中", min_size=1, max_size=8)
PUNCTUATION = st.sampled_from(list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"))
INLINE = st.one_of(
    WORDS,
    WORDS.map(lambda w: f"**{w}**"),
    WORDS.map(lambda w: f"*{w}*"),
    WORDS.map(lambda w: f"_{w}_"),
    WORDS.map(lambda w: f"__{w}__"),
    st.tuples(WORDS, WORDS).map(lambda t: f"[{t[0]} **{t[1]}**](https://e.example/{t[1]})"),
    WORDS.map(lambda w: f"![{w}](https://e.example/{w}.png)"),
    WORDS.map(lambda w: f"`{w}*_[x]`"),
    PUNCTUATION.map(lambda p: f"\\{p}"),
    st.sampled_from(["&amp;", "&lt;@1&gt;", "&#42;", "<https://e.example/a_b_c>", "@everyone"]),
)
PARAGRAPH = st.lists(INLINE, min_size=1, max_size=12).map(" ".join)
MARKDOWN = st.lists(PARAGRAPH, min_size=1, max_size=3).map("\n\n".join)


def _text(tokens: list[Token]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        if token.children is not None:
            out += _text(token.children)
        elif token.type in ("text", "code_inline"):
            out.append(token.content)
        elif token.type in ("softbreak", "hardbreak", "paragraph_close"):
            out.append(" ")
    return out


@given(MARKDOWN)
def test_plain_text_is_what_a_commonmark_parser_reads(markdown: str) -> None:
    assert plain_text(markdown) == one_line("".join(_text(_COMMONMARK.parse(markdown))))


# --- Markdown cut short ---------------------------------------------------------------------


def test_a_section_cuts_a_blurb_before_a_link_not_inside_it() -> None:
    sample = issue(203, {"Industry": [item(KWARGS, "https://example.com/kwargs", LINK_AT_THE_CUT)]})
    (embed,) = section_pages(sample, sample.sections[0])
    blurb = embed.description.split("\n")[1]
    assert blurb == ("word " * 60).strip() + "…"


def test_a_cut_keeps_links_code_and_emphasis_whole() -> None:
    for markdown in (
        "see " + LINK + " now",
        "see `a long code span` now",
        "see **strong words here** now",
        "see <https://example.com/a-long-autolink> now",
    ):
        assert cut_markdown(markdown, 20) == "see…", markdown
    assert cut_markdown("see " + LINK, 200) == "see " + LINK
    assert cut_markdown(r"a \[not a link\] here and more", 22) == r"a \[not a link\] here…"


def test_intros_and_abstracts_are_cut_outside_their_links() -> None:
    links = " ".join(
        f"See [the long linked article number {n} about things](https://example.com/intro/{n})."
        for n in range(60)
    )
    sample = issue(203, {"Industry": [item("T", "https://e.example/t", "B.", abstract=links)]})
    sample = sample.model_copy(update={"intro": links, "link": "https://example.com/issues/203"})
    cut = [
        issue_embed(sample).description,
        digest(sample).embeds[0].description,
        item_block(sample.sections[0].items[0]),
    ]
    for text in cut:
        assert "…" in text
        assert not re.search(r"\[|\]|\(http", COMPLETE_LINK.sub("", text)), text


def test_a_subtitle_in_italics_reads_as_its_markdown_does() -> None:
    sample = issue(203, {"Industry": [item("T")]}).model_copy(
        update={"subtitle": "Transformers *and* more, @here"}
    )
    italic = "*Transformers and more, @\u200bhere*"
    assert issue_embed(sample).description == italic
    assert digest(sample).embeds[0].description == italic
