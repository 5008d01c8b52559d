"""The feed importer: each platform's HTML, numbering, raw entries, hostile HTML, random HTML."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.importers import (
    FeedDocument,
    FeedImport,
    SourceError,
    feed_issues,
    read_feed_file,
    scan_folder,
)
from bot.importers._feed_entries import FeedEntry
from bot.importers._markdown import clean_line, collapse_spaces
from bot.importers.feed import entry_issue, explicit_number
from bot.issuefiles import write_issue
from bot.models import Issue
from tests.factories import issue as make_issue
from tests.importers.conftest import DATA
from tests.importers.safety import assert_round_trip, assert_safe, markdown_links
from tests.properties import examples


def imported(name: str, folder: Path | None = None, **options: object) -> FeedImport:
    empty = Path("/nonexistent-newsbot-folder")
    return feed_issues(read_feed_file(DATA / name), scan_folder(folder or empty), **options)  # type: ignore[arg-type]


def by_number(result: FeedImport) -> dict[int, Issue]:
    return {done.issue.number: done.issue for done in result.imported}


def outline(issue: Issue) -> list[tuple[str, list[tuple[str, str | None]]]]:
    return [(s.name, [(i.title, i.link) for i in s.items]) for s in issue.sections]


def notices(result: FeedImport) -> list[str]:
    found = [str(n) for n in result.notices]
    for done in result.imported:
        found += [str(n) for n in done.notices]
    return found


def test_substack_entries_become_numbered_issues_in_publication_order() -> None:
    result = imported("substack.xml")
    assert [done.issue.number for done in result.imported] == [41, 42]
    issue = by_number(result)[42]
    assert issue.title == "Issue #42: Jelly hands and cheap lidar"
    assert issue.subtitle == "Soft grippers, a $90 lidar, and a simulator that runs in your browser"
    assert issue.date == dt.date(2025, 3, 11)
    assert issue.link == "https://grippergazette.substack.example/p/jelly-hands-and-cheap-lidar"
    assert outline(issue) == [
        (
            "Research",
            [
                ("A hand made of gelatin", "https://softlab.example.edu/papers/gelatin-hand"),
                (
                    "Learning to fold towels from 40 demonstrations",
                    "https://arxiv.example.org/abs/2503.01234",
                ),
            ],
        ),
        (
            "Tools",
            [
                ("The $90 lidar", "https://lidarco.example.com/blog/l90"),
                ("SimBox runs in a browser tab", "https://simbox.example.dev/"),
            ],
        ),
        ("Jobs", [("Robotics intern at Fieldbot", "https://jobs.example.com/robotics-intern")]),
    ]
    research = issue.sections[0].items
    assert "can be *eaten* afterwards" in research[0].blurb
    assert research[1].blurb.endswith(
        "with a [public dataset](https://github.example.com/fold/towels)."
    )
    assert issue.intro.startswith("Hi friends,\n\nThis week a lab")
    assert issue.intro.endswith("*Grab a coffee.*")
    # The closing line is not the last item's text.
    jobs = issue.sections[-1].items[-1]
    assert jobs.blurb == "Summer internship, remote-friendly, ROS 2 experience wanted."
    assert notices(result) == [
        f"{DATA / 'substack.xml'} [Issue #42: Jelly hands and cheap lidar]: the sign-off after "
        "the last item ('See you next Tuesday!') is not part of it: left out"
    ]
    for done in result.imported:
        assert_round_trip(done.issue)
        assert_safe(done.issue)


def test_ghost_atom_entries_number_from_the_link_then_after_the_highest() -> None:
    result = imported("ghost.atom")
    issues = by_number(result)
    assert sorted(issues) == [7, 8]
    assert issues[7].title == "Field Notes 7: Inlining heuristics"
    assert issues[7].date == dt.date(2025, 2, 13)
    assert issues[8].title == "A special edition: the register allocator interviews"
    assert outline(issues[7]) == [
        (
            "Articles",
            [
                ("Inlining budgets, explained", "https://blog.example.org/inlining-budgets"),
                ("SSA in 20 minutes", "https://ssa.example.net/in-20-minutes"),
            ],
        ),
        ("Tools", [("quicklink: a linker in a weekend", "https://linker.example.dev/")]),
    ]
    card = issues[7].sections[1].items[0]
    # The bookmark card's link wraps title and description: the description is plain text.
    assert card.blurb.startswith("A small ELF linker written to be read.")
    assert "**phi nodes**" in issues[7].sections[0].items[1].blurb
    # A relative link is resolved against the entry's address.
    assert outline(issues[8])[0][1][1] == (
        "In defence of colouring",
        "https://fieldnotes.ghost.example/interviews/colouring/",
    )


def test_buttondown_list_items_and_link_paragraphs_are_items() -> None:
    (done,) = imported("buttondown.xml").imported
    issue = done.issue
    assert issue.number == 12
    assert issue.subtitle is None  # the description is the content, not a summary
    assert outline(issue) == [
        (
            "Reading",
            [
                ("Why fsync is not enough", "https://wal.example.com/why-fsync"),
                ("Group commit, drawn", "https://db.example.org/group-commit"),
            ],
        ),
        (
            "Code",
            [
                ("A B-tree in 500 lines", "https://git.example.com/btree-in-500"),
                ("walcheck", "https://git.example.com/walcheck"),
            ],
        ),
    ]
    reading = issue.sections[0].items
    assert reading[0].blurb.startswith("a tour of the ways a write can vanish")
    assert reading[1].blurb == "diagrams of batching log writes."


def test_beehiiv_sections_bold_lines_and_tracking_links(tmp_path: Path) -> None:
    write_issue(make_issue(5), tmp_path / "5.md")
    (done,) = imported("beehiiv.xml", tmp_path).imported
    issue = done.issue
    assert issue.number == 6  # no number in title or link: the next after the folder's 5
    assert [section.name for section in issue.sections] == ["Radar", "Chemistry", "Quick hits"]
    radar = issue.sections[0].items[0]
    assert radar.title == "60 GHz radar on a postage stamp"
    assert radar.link == (
        "https://radar.example.com/60ghz?utm_source=sensordigest.beehiiv.example"
        "&utm_medium=newsletter&utm_campaign=tiny-radars"
    )
    assert [item.title for item in issue.sections[2].items] == [
        "Why your IMU drifts",
        "A soil probe for $4",
    ]
    assert issue.sections[2].items[0].blurb == "temperature, mostly."


SIGNED = (
    "<h2>News</h2><p><a href='https://a.example/model'>A new model</a> — released today.</p>"
    "<p>It is small.</p>{}"
)


@pytest.mark.parametrize(
    "sign_off",
    [
        "<p>Happy reading!</p><p>Until next time,</p><p>Jane</p>",
        "<p>Happy reading!<br>Until next time,<br>Jane</p>",
        "<p>Cheers,</p><p><em>Jane &amp; Tom</em></p><p>The ML Digest team</p>",
    ],
)
def test_a_sign_off_after_the_last_item_is_not_its_text(sign_off: str) -> None:
    entry = FeedEntry(0, "Digest 3", None, None, SIGNED.format(sign_off), None, None)
    done = entry_issue(entry, 3, "f")
    (section,) = done.issue.sections
    assert [(item.title, item.blurb) for item in section.items] == [
        ("A new model", "released today.\n\nIt is small.")
    ]
    assert any("the sign-off after the last item" in n.message for n in done.notices)


@pytest.mark.parametrize(
    "closing",
    [
        "<p>See you at <a href='https://meetup.example/'>the meetup</a>!</p>",
        "<p>Best practices for small models</p>",
        "<p>Thanks to our sponsor, who pays for the hosting.</p>",
    ],
)
def test_a_closing_paragraph_that_is_not_a_sign_off_stays(closing: str) -> None:
    entry = FeedEntry(0, "Digest 3", None, None, SIGNED.format(closing), None, None)
    done = entry_issue(entry, 3, "f")
    assert len(done.issue.sections[0].items[0].blurb.split("\n\n")) == 3
    assert not any("sign-off" in n.message for n in done.notices)


def test_an_entry_without_structure_is_imported_raw_and_reported() -> None:
    result = imported("plain.xml")
    issues = by_number(result)
    letters = {issue.title: issue for issue in issues.values()}
    linked = letters["Letter 3: planes and patience"]
    assert outline(linked) == [
        (
            "Links",
            [
                (
                    "this old article on winding sticks",
                    "https://handtools.example.com/winding-sticks",
                ),
                ("a small forge in Sheffield", "https://irons.example.net/"),
            ],
        )
    ]
    assert linked.intro.startswith("I spent the week flattening one oak board.")
    assert linked.sections[0].items[1].blurb.endswith("\n\nNext week: drawers.")
    assert all(item.editor_note and "raw item" in item.editor_note for _, item in linked.items)
    whole = letters["Letter 2: on sharpening"]
    assert outline(whole) == [
        (
            "Items",
            [
                (
                    "Letter 2: on sharpening",
                    "https://workshop-letters.example.org/letters/on-sharpening",
                )
            ],
        )
    ]
    assert whole.sections[0].items[0].blurb.startswith("**Stones**\n\nEvery woodworker")
    reported = notices(result)
    assert any("no headings and no linked titles" in n and "'Links'" in n for n in reported)
    assert any("no linked titles, no links): imported whole" in n for n in reported)


def test_hostile_html_leaves_no_live_link_script_or_ping() -> None:
    result = imported("hostile.xml")
    (done,) = result.imported
    issue = done.issue
    assert_safe(issue)
    assert_round_trip(issue)
    assert issue.title == "Issue #9: @\u200beveryone look at this"
    news = issue.sections[0]
    assert news.name == "News"
    prizes, story, brackets = news.items
    assert (prizes.title, prizes.link) == ("Free prizes", None)
    assert (
        prizes.editor_note
        == "the source's link for this item was not a valid http(s) link and was dropped"
    )
    assert prizes.blurb == "Click here or there or everywhere."
    assert story.link == "https://real.example.org/story"
    assert markdown_links(story.blurb) == ["https://real.example.org/source"]
    assert brackets.title == r"Title with \[brackets\] and \*stars\*"
    text = "\n".join([issue.intro, *(item.blurb for _, item in issue.items)])
    for gone in ("fetch(", "document.cookie", "evil.example", "base64", "passwd"):
        assert gone not in text
    assert r"\<script>alert(5)\</script>" in story.blurb  # shown as text, never as HTML
    reported = notices(result)
    assert sum("dropped a link that is not http(s)" in n for n in reported) == 6
    assert any("removed 1 <script> element(s)" in n for n in reported)
    assert any("removed 1 <iframe> element(s)" in n for n in reported)
    assert any("defused 8 bit(s) of text that would ping in Discord" in n for n in reported)


@pytest.mark.parametrize("name", ["broken.xml", "not-a-feed.html"])
def test_a_broken_feed_fails_clearly(name: str) -> None:
    with pytest.raises(SourceError) as caught:
        imported(name)
    assert caught.value.where == str(DATA / name)
    assert "not a valid RSS or Atom feed" in str(caught.value) or "not an RSS or Atom feed" in str(
        caught.value
    )


def test_an_empty_feed_file_fails_as_a_blank_one_does(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.xml"
    blank.write_bytes(b" \n\t\n")
    for feed in (empty, blank):
        with pytest.raises(SourceError) as caught:
            feed_issues(read_feed_file(feed), scan_folder(tmp_path / "out"))
        assert caught.value.where == str(feed)
        assert str(caught.value).startswith(f"{feed}: not a valid RSS or Atom feed: ")
    with pytest.raises(SourceError) as caught:
        feed_issues(read_feed_file(empty), scan_folder(tmp_path / "out"))
    assert str(caught.value) == f"{empty}: not a valid RSS or Atom feed: it is empty (0 bytes)"


def test_a_reimport_finds_issues_by_link(tmp_path: Path) -> None:
    first = imported("ghost.atom")
    for done in first.imported:
        write_issue(done.issue, tmp_path / f"{done.issue.number}.md")
    write_issue(make_issue(30), tmp_path / "30.md")
    again = by_number(imported("ghost.atom", tmp_path))
    # The special edition has no number of its own: its link finds file 8, not 31.
    assert sorted(again) == [7, 8]


def test_since_and_limit_choose_entries() -> None:
    assert [
        d.issue.number for d in imported("substack.xml", since=dt.date(2025, 3, 5)).imported
    ] == [42]
    assert [d.issue.number for d in imported("substack.xml", limit=1).imported] == [42]


@pytest.mark.parametrize(
    ("title", "link", "number"),
    [
        ("Issue #123: x", None, 123),
        ("Issue 77 — y", None, 77),
        ("No. 12 — z", None, 12),
        ("Weekly #5", None, 5),
        ("Plain title", "https://n.example/issue-31/", 31),
        ("Plain title", "https://n.example/p/44", 44),
        ("Plain title", "https://n.example/2024/05/12/slug/", None),
        ("Plain title", "https://n.example/p/some-post", None),
        ("Issue #0", None, None),
    ],
)
def test_explicit_numbers(title: str, link: str | None, number: int | None) -> None:
    entry = FeedEntry(0, title, link, None, "", None, None)
    assert explicit_number(entry) == number


def test_channel_mentions_in_a_feed_are_defused_even_across_emphasis(tmp_path: Path) -> None:
    feed = tmp_path / "channels.xml"
    body = (
        "&lt;h2&gt;News &amp;lt;#11&amp;gt;&lt;/h2&gt;"
        "&lt;p&gt;&lt;a href='https://t.example/1'&gt;Join &amp;lt;#22&amp;gt;&lt;/a&gt; in "
        "&amp;lt;#3&lt;em&gt;3&lt;/em&gt;&amp;gt;, not @Everyone.&lt;/p&gt;"
    )
    feed.write_text(
        '<rss version="2.0"><channel><title>T</title><item><title>Issue #5 &lt;#44&gt;</title>'
        f"<description>{body}</description></item></channel></rss>"
    )
    result = feed_issues(read_feed_file(feed), scan_folder(tmp_path))
    (done,) = result.imported
    assert_safe(done.issue)
    assert_round_trip(done.issue)
    (section,) = done.issue.sections
    (item,) = section.items
    assert done.issue.title == "Issue #5 <\u200b#44>"
    assert section.name == "News \\<\u200b#11>"
    assert item.title == "Join \\<\u200b#22>"
    # Discord pings @everyone in lower case only: other text is left as the source wrote it.
    assert item.blurb == "in \\<\u200b#3*3*>, not @Everyone."


def test_two_entries_claiming_one_number_are_both_kept(tmp_path: Path) -> None:
    feed = tmp_path / "twice.xml"
    items = "".join(
        f"<item><title>Issue #3: take {n}</title><link>https://t.example/p/{n}</link>"
        f"<pubDate>Mon, 0{n} Feb 2025 10:00:00 +0000</pubDate>"
        f"<description>&lt;p&gt;&lt;a href='https://t.example/{n}'&gt;Item {n}&lt;/a&gt;"
        "&lt;/p&gt;</description></item>"
        for n in (1, 2)
    )
    feed.write_text(f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>')
    result = feed_issues(read_feed_file(feed), scan_folder(tmp_path))
    assert [(d.issue.number, d.issue.title) for d in result.imported] == [
        (3, "Issue #3: take 1"),
        (4, "Issue #3: take 2"),
    ]
    assert (
        f"{feed} [Issue #3: take 2]: #3 is taken by entry 1 (link https://t.example/p/1): "
        "entry 2 (link https://t.example/p/2) is #4"
    ) in notices(result)


TEXTS = st.one_of(
    st.text(max_size=25),
    st.sampled_from(
        [
            "@everyone",
            "@here",
            "<@&123>",
            "<@!42>",
            "<@7>",
            "@",
            "every",
            "one",
            "here",
            "&#64;everyone",
            "&lt;@&amp;1&gt;",
            "&lt;#123&gt;",
            "<#9>",
            "# h",
            "- x",
            "1. y",
            "> q",
            "---",
            "===",
            "[a](javascript:alert(1))",
            "<!-- c -->",
            "-->",
            "*",
            "**",
            "_",
            "`",
            "\\",
            "&amp;",
            "](",
            "<script>alert(1)</script>",
            "<p>",
            "</a>",
            "<a href='javascript:x'>",
            "<b>",
            "<img src=x onerror=alert(1)>",
            "<a href=https://ok.example/raw>raw</a>",
            "&#106;",
        ]
    ),
)
HREFS = st.sampled_from(
    [
        "https://ok.example/a",
        "http://ok.example/b?x=1&y=(2)",
        "/relative/path",
        "//proto.example/rel",
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
        "vbscript:x",
        "mailto:a@b.example",
        "",
        "#frag",
        "https://ok.example/@everyone",
        "https://ok.example/a b",
        "https://[::1",
        "http://",
    ]
)
TAGS = st.sampled_from(
    [
        "p",
        "h1",
        "h2",
        "h3",
        "h5",
        "strong",
        "b",
        "em",
        "i",
        "span",
        "div",
        "ul",
        "li",
        "script",
        "style",
        "iframe",
        "figure",
        "blockquote",
        "table",
        "td",
        "code",
        "pre",
    ]
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    tags = st.builds(
        lambda tag, kids: f"<{tag}>{''.join(kids)}</{tag}>", TAGS, st.lists(children, max_size=4)
    )
    anchors = st.builds(
        lambda href, kids: f'<a href="{html.escape(href)}">{"".join(kids)}</a>',
        HREFS,
        st.lists(children, max_size=3),
    )
    return st.one_of(tags, anchors)


INLINE = st.recursive(st.one_of(TEXTS.map(html.escape), TEXTS), _element, max_leaves=12)
ANCHOR = st.builds(lambda href, text: f'<a href="{html.escape(href)}">{text}</a>', HREFS, INLINE)
# Blocks shaped like newsletters' (sections, linked titles, blurbs), mixed with random markup.
BLOCKS = st.one_of(
    st.builds("<h2>{}</h2>".format, INLINE),
    st.builds("<h3>{}</h3>".format, ANCHOR),
    st.builds("<p><strong>{}</strong></p>".format, INLINE),
    st.builds("<p><strong>{}</strong></p>".format, ANCHOR),
    st.builds("<p>{} {}</p>".format, ANCHOR, INLINE),
    st.builds("<ul><li>{} — {}</li></ul>".format, ANCHOR, INLINE),
    st.builds("<p>{}</p>".format, INLINE),
    INLINE,
)
HTML = st.lists(BLOCKS, max_size=12).map("".join)


@examples(300)
@given(HTML, TEXTS, st.sampled_from([None, "https://base.example/issues/4"]))
def test_random_html_never_gives_a_live_bad_link_or_a_ping(
    content: str, title: str, link: str | None
) -> None:
    clean_title = clean_line(collapse_spaces(title))[0]
    entry = FeedEntry(0, clean_title, link, None, content, None, "https://feed.example/")
    done = entry_issue(entry, 4, "random-feed")
    assert_safe(done.issue)
    assert_round_trip(done.issue)


@pytest.mark.parametrize(
    "content",
    [
        "<b>deep " * 5000,
        "<div>" * 5000 + "<p><a href='https://deep.example/'>Deep title</a> text</p>",
        "<a href='https://a.example/'>x" * 3000,
        "<svg>" * 5000 + "hidden text",
    ],
)
def test_absurdly_deep_html_imports_without_crashing(content: str) -> None:
    entry = FeedEntry(0, "Deep", None, None, content, None, "https://feed.example/")
    done = entry_issue(entry, 1, "deep-feed")
    assert_safe(done.issue)
    assert_round_trip(done.issue)


def test_an_unclosed_embed_that_swallows_text_is_reported() -> None:
    html_text = "<p><a href='https://ok.example/'>Kept</a></p><svg><text>Swallowed words"
    entry = FeedEntry(0, "T", None, None, html_text, None, None)
    assert "removed 1 <svg> element(s)" in [n.message for n in entry_issue(entry, 1, "f").notices]


LINK_FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Links Weekly</title><link>https://links.example/</link>
<item><title>Issue #5</title><link>{link}</link>
<description><![CDATA[<h2>News</h2>
<h3><a href="https://links.example/a">A story</a></h3><p>Its text.</p>
<h3><a href="{item_link}">Another story</a></h3><p>More text.</p>]]></description>
</item></channel></rss>"""


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("https://links.example/" + "p" * 2100, "is not valid (a link is at most 2048 characters)"),
        ("https://links.example:99999/p", "is not valid (not a valid URL: Port out of range"),
        ("https://[::1/p", "is not valid (Invalid IPv6 URL)"),
        ("javascript:alert(1)", "is not http(s)"),
        ("mailto:editor@links.example", "is not http(s)"),
    ],
)
def test_a_link_dropped_from_a_feed_is_told_with_why(link: str, reason: str) -> None:
    """A web link that is too long or malformed is dropped as a `javascript:` one is, but
    the editor is told what is wrong with it, not that it is not http(s)."""
    document = FeedDocument("links.xml", LINK_FEED.format(link=link, item_link=link).encode())
    result = feed_issues(document, scan_folder(Path("/nonexistent-newsbot-folder")))
    (done,) = result.imported
    assert done.issue.link is None
    story = done.issue.sections[0].items[1]
    assert (story.title, story.link) == ("Another story", None)
    assert story.editor_note == (
        "the source's link for this item was not a valid http(s) link and was dropped"
    )
    told = notices(result)
    shown = repr(link[:80])
    assert f"links.xml [Issue #5]: the entry's link {reason}" in "\n".join(told), told
    assert any(n.startswith("links.xml [Issue #5]: dropped a link that " + reason) for n in told)
    assert all(n.endswith(shown) for n in told if "link that" in n or "entry's link" in n)
