"""Finding and normalising the links readers share: examples, hostile input and properties."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import pytest
import yarl
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import urls

from bot.models import Item
from bot.suggestions import (
    MAX_LINKS_PER_MESSAGE,
    MAX_URL_LENGTH,
    LinkRejected,
    Scan,
    candidates,
    clean_note,
    normalise,
    scan,
    shown_as,
    twins,
)
from bot.text import MENTION
from cogs.suggestions._replies import note_of


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("HTTP://Example.COM:80/a/b", "http://example.com/a/b"),
        ("https://example.com:443/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("https://Example.com?", "https://example.com/"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/page#section-2", "https://example.com/page"),
        (
            "https://example.com/a?utm_source=x&id=3&fbclid=zz&ref=hn&UTM_Medium=m&gclid=1",
            "https://example.com/a?id=3",
        ),
        (
            "https://example.com/a?reference=keep&refs=2",
            "https://example.com/a?reference=keep&refs=2",
        ),
        ("https://example.com/?utm_campaign=x", "https://example.com/"),
        ("https://example.com/%7euser/./x/../y", "https://example.com/~user/y"),
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("https://XN--BCHER-KVA.example/", "https://xn--bcher-kva.example/"),
        ("https://example.com./x", "https://example.com/x"),
        ("https://8.8.8.8/dns", "https://8.8.8.8/dns"),
        ("https://0x08.8.8.8/", "https://8.8.8.8/"),
        ("https://134744072/", "https://8.8.8.8/"),
        ("https://[2001:4860:4860:0:0::8888]:8443/", "https://[2001:4860:4860::8888]:8443/"),
        ("https://a_b.example.com/", "https://a_b.example.com/"),
    ],
)
def test_links_are_normalised(raw: str, normal: str) -> None:
    assert normalise(raw) == normal
    assert normalise(normal) == normal


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("javascript:alert(1)", "only web links"),
        ("file:///etc/passwd", "only web links"),
        ("ftp://example.com/x", "only web links"),
        ("data:text/html,<b>x</b>", "only web links"),
        ("http://127.0.0.1:8080/admin", "private or local"),
        ("http://10.1.2.3/", "private or local"),
        ("http://192.168.0.1/", "private or local"),
        ("http://172.16.5.4/", "private or local"),
        ("http://169.254.169.254/latest/meta-data", "private or local"),
        ("http://[::1]/", "private or local"),
        ("http://[fe80::1]/", "private or local"),
        ("http://[::ffff:127.0.0.1]/", "private or local"),
        ("http://0x7f.1/", "private or local"),
        ("http://2130706433/", "private or local"),
        ("http://0.0.0.0/", "private or local"),
        ("http://localhost:8000/", "local address"),
        ("http://printer.local/", "local address"),
        ("https://user:secret@example.com/", "user name or password"),
        ("https://example.com:99999/", "not a valid web address"),
        ("https:///path", "no host"),
        ("https://" + "a" * 70 + ".com/", "host name is not valid"),
        ("http://exa mple.com/", "host name is not valid"),
        ("http://exa%20mple.com/", "host name is not valid"),
        ("http://127%2e0.0.1/", "host name is not valid"),
        ("http://-a.example/", "host name is not valid"),
        ("http://example.123/", "host name is not valid"),
        ("http://1.2.3.999/", "host name is not valid"),
        ("http://exa/", "not a web site's name"),
        ("http://exa./", "not a web site's name"),
        ("http://intranet:8080/wiki", "not a web site's name"),
        ("http://①②⑦.0.0.1/", "private or local"),
        ("http://１２７.０.０.１/", "private or local"),
        ("http://127。0。0。1/", "private or local"),
        ("http://[::127.0.0.1]/", "private or local"),
        ("http://[64:ff9b::7f00:1]/", "private or local"),
        ("http://[2002:7f00:1::]/", "private or local"),
        ("http://[::ffff:0:127.0.0.1]/", "private or local"),
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "private or local"),  # Teredo
        ("http://[64:ff9b:1::7f00:1]/", "private or local"),
        ("http://[::ffff:8.8.8.8]/", "IPv4 address written as IPv6"),
        ("http://[64:ff9b::808:808]/", "IPv4 address written as IPv6"),
        ("http://[2002:808:808::]/", "IPv4 address written as IPv6"),
        ("http://[::8.8.8.8]/", "IPv4 address written as IPv6"),
        ("http://[::ffff:0:8.8.8.8]/", "IPv4 address written as IPv6"),
        ("http://[ff02::1]/", "private or local"),
        ("http://224.0.0.1/", "private or local"),
        ("http://240.0.0.1/", "private or local"),
        ("http://100.64.0.1/", "private or local"),
        ("http://[2001:db8::1]/", "private or local"),
        ("http://[2001:4860::1%25eth0]/", "private or local"),
        ("http://[::]/", "private or local"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "too long"),
    ],
)
def test_links_that_are_not_taken_say_why(raw: str, reason: str) -> None:
    with pytest.raises(LinkRejected, match=reason):
        normalise(raw)


def test_links_are_found_in_prose_and_markdown() -> None:
    text = (
        "Read https://a.example/x, and <https://b.example/y>. Also [this](https://c.example/z) "
        "and (https://en.wikipedia.org/wiki/Foo_(bar)) — or https://d.example/q?x=1!"
    )
    assert candidates(text) == [
        "https://a.example/x",
        "https://b.example/y",
        "https://c.example/z",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "https://d.example/q?x=1",
    ]
    # In Markdown's italics and bold by underscores; never inside a word or an address.
    emphasis = "_https://e.example/i_ and __https://f.example/b__, a@https://g.example"
    assert candidates(emphasis) == ["https://e.example/i", "https://f.example/b"]


def test_a_scan_keeps_web_links_once_and_says_why_for_the_rest() -> None:
    found = scan(
        ["https://Example.com/a?utm_source=tw and https://example.com/a javascript:alert(1)"],
        ["https://example.com/a#top", "http://192.168.1.1/router"],
    )
    assert found.links == ("https://example.com/a",)
    assert [(r.shown, r.reason.split(" (")[0]) for r in found.rejected] == [
        ("a javascript: link", "only web links"),
        ("192.168.1.1", "it points to a private or local network address, not the web"),
    ]


@pytest.mark.parametrize(
    ("url", "same"),
    [
        (
            "https://example.net/agents",
            {
                "http://example.net/agents",
                "https://example.net/agents/",
                "http://example.net/agents/",
            },
        ),
        (
            "http://example.net/a/b/",
            {"https://example.net/a/b/", "http://example.net/a/b", "https://example.net/a/b"},
        ),
        ("https://example.net/", {"http://example.net/"}),
        ("https://example.net/agents/?page=2", {"http://example.net/agents/?page=2"}),
        (
            "https://[2001:db8::1]:8443/x",
            {
                "http://[2001:db8::1]:8443/x",
                "https://[2001:db8::1]:8443/x/",
                "http://[2001:db8::1]:8443/x/",
            },
        ),
    ],
)
def test_a_page_is_one_link_with_or_without_its_trailing_slash(url: str, same: set[str]) -> None:
    """The root has one normal spelling already; with a query, the slash may be another page."""
    found = twins(url)
    assert found[0] == url and set(found[1:]) == same


def test_a_scan_takes_one_page_once_and_an_edit_respelling_it_adds_nothing() -> None:
    found = scan(["https://example.net/agents/ and again https://example.net/agents"])
    assert found.links == ("https://example.net/agents/",), "as first written"
    assert scan(["http://example.net/agents/ https://example.net/agents/"]).links == (
        "http://example.net/agents/",
    )
    respelled = scan(["fixed: https://example.net/agents and https://example.net/agents/more"])
    assert respelled.since(found).links == ("https://example.net/agents/more",)
    with_query = scan(["https://example.net/agents?page=2"])
    assert with_query.since(found).links == ("https://example.net/agents?page=2",)


def test_a_list_of_links_is_cut_at_the_limit() -> None:
    text = " ".join(f"https://example.com/{n}" for n in range(50))
    found = scan([text])
    assert len(found.links) == MAX_LINKS_PER_MESSAGE
    assert found.dropped == 50 - MAX_LINKS_PER_MESSAGE


def test_a_scan_kept_reads_back_the_same_and_tells_what_an_edit_added() -> None:
    text = " ".join(f"https://example.com/{n}" for n in range(12))
    before = scan([f"javascript:alert(1) {text}"])
    assert Scan.loads(before.dumps()) == before
    assert Scan.loads(Scan().dumps()) == Scan()
    after = scan([f"javascript:alert(2) ftp://files.example/a https://example.com/new {text}"])
    added = after.since(Scan.loads(before.dumps()))
    assert added.links == ("https://example.com/new",)
    assert [r.shown for r in added.rejected] == ["an ftp: link"]
    assert added.dropped == after.dropped > before.dropped, "more dropped: said again"
    assert after.since(after) == Scan(), "the same again: nothing new"


def test_what_is_shown_back_never_carries_a_path_or_credentials() -> None:
    assert shown_as("https://user:pw@evil.example/@everyone") == "evil.example"
    assert shown_as("javascript:alert('@everyone')") == "a javascript: link"
    assert shown_as("nonsense") == "a link"


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        ("ftp://files.example/a", "an ftp: link"),
        ("ssh://host", "an ssh: link"),
        ("about:blank", "an about: link"),
        ("irc://irc.example/news", "an irc: link"),
        ("file:///etc/passwd", "a file: link"),
        ("tel:+123", "a tel: link"),
        ("ws://socket.example", "a ws: link"),
    ],
)
def test_a_link_that_is_not_web_is_named_with_the_article_it_takes(link: str, shown: str) -> None:
    assert shown_as(link) == shown


def test_notes_are_one_line_and_bounded() -> None:
    # A line break parts words; any other control character is dropped (bot.text's one rule).
    assert clean_note("  a\nb\x00c\x85d  ") == "a bc d"
    assert clean_note("   ") is None
    long = clean_note("word " * 200)
    assert long is not None and len(long) <= 300


@pytest.mark.parametrize(
    ("reply", "note"),
    [
        (
            "two: https://a.example/x and https://b.example/y?utm_source=tw and <https://c.example>",
            "two: and and",
        ),
        ("code ```https://a.example/in``` and `https://b.example/in`", "code and"),
        ("a block ```py\nhttps://a.example/in\n``` done", "a block done"),
        ("spoiler ||https://a.example/hidden||", "spoiler"),
        ("markdown [text](https://a.example/md) end", "markdown text end"),
        ("see [this one](<https://a.example/md>)!", "see this one!"),
        ("**<https://a.example/x>** ~~https://b.example~~ (https://c.example) wow", "wow"),
        ("https://a.example https://a.example/longer", None),
        (
            "snake_case, __init__, ¯\\_(ツ)_/¯, **bold** and `code` stay https://a.example",
            "snake_case, __init__, ¯\\_(ツ)_/¯, **bold** and `code` stay",
        ),
    ],
)
def test_a_replys_note_is_the_readers_words_without_the_links_wrapping(
    reply: str, note: str | None
) -> None:
    assert note_of(reply) == note


@given(
    st.lists(
        st.sampled_from(["@", "every", "one", "here", "<", ">", "@&", "12", "[", "](", ")", " "])
        | st.sampled_from(["https://a.example", "||", "`", "**", "<https://b.example>"]),
        max_size=12,
    ).map("".join)
)
def test_taking_the_links_out_of_a_note_never_makes_a_mention(reply: str) -> None:
    for mention in MENTION.finditer(note_of(reply) or ""):
        assert mention[0] in reply


def test_a_masked_links_text_never_completes_a_mention() -> None:
    reply = (
        "@every[one](https://a.example) <@[12](https://b.example)> but <@34> [x](https://c.example)"
    )
    assert note_of(reply) == "@\u200beveryone <\u200b@12> but <@34> x", "the reader's own is kept"


def test_a_normalised_link_is_a_valid_item_link() -> None:
    url = normalise("https://bücher.example/straße?q=ä b&utm_source=x")
    assert Item(title="t", link=url).link == url


# --- properties -----------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300) | st.lists(
    st.sampled_from(
        [
            "https://",
            "http://",
            "javascript:",
            "file://",
            "@everyone",
            "<@&1>",
            ":",
            "/",
            "?",
            "#",
            "&",
            "utm_source=",
            "=",
            "(",
            ")",
            "[",
            "]",
            "%",
            "%2",
            "xn--",
            ".",
            "ü",
            "\n",
            " ",
            "example.com",
            "127.0.0.1",
            "①②⑦",
            "１２７",
            "。",
            "exa mple",
            "[64:ff9b::7f00:1]",
            "[::ffff:0:",
            "[::1]",
            ":80",
            ":0",
            "@",
            "\x00",
        ]
    ),
    max_size=40,
).map("".join)


LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
IPV4_INSIDE = [
    ipaddress.IPv6Network(n)
    for n in ("::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
]


def check_site(url: str) -> None:
    """The host is a public site, read the same by urllib and by the HTTP client."""
    host = urlsplit(url).hostname or ""
    assert yarl.URL(url).raw_host == host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        assert len(labels) >= 2 and not labels[-1].isdigit(), host
        assert all(LABEL.fullmatch(label) for label in labels), host
        return
    assert str(address) == host
    assert address.is_global and not (address.is_multicast or address.is_reserved), host
    if isinstance(address, ipaddress.IPv6Address):
        assert address.sixtofour is None and address.teredo is None, host
        assert not any(address in network for network in IPV4_INSIDE), host


def check_normal(url: str) -> None:
    assert url.startswith(("http://", "https://"))
    assert len(url) <= MAX_URL_LENGTH
    assert "#" not in url and not any(ch.isspace() for ch in url)
    assert normalise(url) == url, "idempotent"
    check_site(url)


@given(TEXT)
def test_scanning_any_text_never_raises_and_keeps_only_web_links(text: str) -> None:
    found = scan([text])
    for url in found.links:
        check_normal(url)
    for rejection in found.rejected:
        assert "/" not in rejection.shown.removeprefix("a ")


@given(TEXT)
def test_normalising_any_text_either_rejects_it_or_is_idempotent(text: str) -> None:
    try:
        url = normalise(text)
    except LinkRejected:
        return
    check_normal(url)


HOSTS = st.lists(
    st.sampled_from(
        [
            *(
                "exa",
                "mple",
                "com",
                "xn--",
                "ü",
                "-",
                "_",
                ".",
                "．",
                "。",
                " ",
                "\t",
                "%2e",
                "%20",
            ),
            *("0", "1", "8", "127", "255", "0x7f", "①②⑦", "１２７", "[", "]", ":", "::", "%25"),
            *("ffff", "64:ff9b", "2002", "2001", "7f00", "808", "fe80", "eth0", "localhost"),
        ]
    ),
    max_size=12,
).map("".join)


@given(HOSTS, st.sampled_from(["", ":80", ":8080", ":0"]))
def test_a_link_is_taken_only_if_its_host_is_a_public_site(host: str, port: str) -> None:
    try:
        url = normalise(f"http://{host}{port}/page")
    except LinkRejected:
        return
    check_normal(url)


@given(urls())
def test_normalising_a_web_url_is_idempotent(url: str) -> None:
    try:
        normal = normalise(url)
    except LinkRejected:
        return
    check_normal(normal)


@given(urls(), st.booleans())
def test_every_spelling_of_a_page_is_normal_and_has_the_same_twins(url: str, slash: bool) -> None:
    try:
        normal = normalise(url.split("?")[0].split("#")[0] + ("/" if slash else ""))
    except LinkRejected:
        return
    if len(normal) == MAX_URL_LENGTH:
        return  # one more slash would be too long to suggest: not a spelling of its page
    same = set(twins(normal))
    # A path's square brackets are written as they are or encoded: each way is a spelling.
    path = normal.split("://", 1)[1].partition("/")[2].split("?")[0]
    plain, encoded = bool(re.search(r"[\[\]]", path)), bool(re.search("%5[BD]", path))
    assert normal in same and len(same) in ((4, 6, 8) if plain or encoded else (2, 4))
    for twin in same:
        assert normalise(twin) == twin, "each spelling is one a reader's link can normalise to"
        if plain and encoded:  # written both ways at once: it finds each of the two
            assert set(twins(twin)) <= same
        else:
            assert set(twins(twin)) == same, "one page, whichever spelling is looked up"
