"""Finding and normalising the links readers share: examples, hostile input and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import urls

from bot.models import Item
from bot.suggestions import (
    MAX_LINKS_PER_MESSAGE,
    MAX_URL_LENGTH,
    LinkRejected,
    candidates,
    clean_note,
    normalise,
    scan,
    shown_as,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("HTTP://Example.COM:80/a/b", "http://example.com/a/b"),
        ("https://example.com:443/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
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


def test_a_list_of_links_is_cut_at_the_limit() -> None:
    text = " ".join(f"https://example.com/{n}" for n in range(50))
    found = scan([text])
    assert len(found.links) == MAX_LINKS_PER_MESSAGE
    assert found.dropped == 50 - MAX_LINKS_PER_MESSAGE


def test_what_is_shown_back_never_carries_a_path_or_credentials() -> None:
    assert shown_as("https://user:pw@evil.example/@everyone") == "evil.example"
    assert shown_as("javascript:alert('@everyone')") == "a javascript: link"
    assert shown_as("nonsense") == "a link"


def test_notes_are_one_line_and_bounded() -> None:
    assert clean_note("  a\nb\x00c  ") == "a b c"
    assert clean_note("   ") is None
    long = clean_note("word " * 200)
    assert long is not None and len(long) <= 300


def test_a_normalised_link_is_a_valid_item_link() -> None:
    url = normalise("https://bücher.example/straße?q=ä b&utm_source=x")
    assert Item(title="t", link=url).link == url


# --- properties -----------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300) | st.lists(
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
            "[::1]",
            ":80",
            ":0",
            "@",
            "\x00",
        ]
    ),
    max_size=40,
).map("".join)


def check_normal(url: str) -> None:
    assert url.startswith(("http://", "https://"))
    assert len(url) <= MAX_URL_LENGTH
    assert "#" not in url and not any(ch.isspace() for ch in url)
    assert normalise(url) == url, "idempotent"


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


@given(urls())
def test_normalising_a_web_url_is_idempotent(url: str) -> None:
    try:
        normal = normalise(url)
    except LinkRejected:
        return
    check_normal(normal)
