"""Fetching a suggested page's title from a local server: bounded, and never private."""

from __future__ import annotations

import asyncio
import datetime
import html
import re
import socket
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from markdown_it import MarkdownIt

from bot.issuefiles import format_issue, parse_issue
from bot.models import Suggestion, SuggestionStatus, Supporter
from bot.store import Archive
from bot.suggestions import draft_issue, fetch_title, titles
from bot.suggestions.pages import page_title
from bot.suggestions.titles import TitleFetcher
from tests.conftest import eventually

TRICKY_PAGE = """<!doctype html><html><head>
<!-- the old title, kept for reference: <title>Draft</title> -->
<script>document.title = "<title>" + "Not this" + "</title>";</script>
<title data-note="a>b" lang="en">Caf&eacute; &amp; Co &lt;3</title>
</head><body><title>Nor this</title></body></html>"""
"""A page whose own title comes after a commented-out one, one in a script, and an attribute
holding a `>`."""


class Site:
    """A local web server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        self.base = ""
        self.port = 0
        self.paths: list[str] = []
        self.hosts: list[str] = []
        self.sent = 0
        self.done = asyncio.Event()
        self.open = 0
        """Requests being answered now."""
        self.most_open = 0


async def serve(state: Site) -> AsyncIterator[Site]:
    async def page(request: web.Request) -> web.StreamResponse:
        state.paths.append(request.path)
        state.hosts.append(request.headers.get("Host", ""))
        name = request.match_info["name"]
        if name == "redirect":
            # Sent as it is: aiohttp's HTTPFound would normalise the address first.
            return web.Response(status=302, headers={"Location": request.query["to"]})
        if name == "page":
            return web.Response(
                text="<html><head><title> A &amp; B\n page </title></head></html>",
                content_type="text/html",
            )
        if name == "private":
            raise web.HTTPFound("http://10.0.0.1/admin")
        if name == "metadata":
            raise web.HTTPFound("http://169.254.169.254/latest")
        if name == "local-name":
            raise web.HTTPFound(f"http://localhost:{request.url.port}/page")
        if name == "loop":
            raise web.HTTPFound("/loop")
        if name == "huge":
            response = web.StreamResponse(headers={"Content-Type": "text/html"})
            await response.prepare(request)
            await response.write(b"<html><head>")
            chunk = b"x" * 65536
            try:
                for _ in range(50 * 16):  # 50 MB, never a title
                    await response.write(chunk)
                    state.sent += len(chunk)
            except (ConnectionResetError, ConnectionError):
                pass
            return response
        if name == "slow":
            await asyncio.wait_for(state.done.wait(), 30)
        if name.startswith("held"):  # answered once the test lets it: counts those open
            state.open += 1
            state.most_open = max(state.most_open, state.open)
            try:
                await asyncio.wait_for(state.done.wait(), 30)
            finally:
                state.open -= 1
            return web.Response(text=f"<title>{name}</title>", content_type="text/html")
        if name == "tricky":
            return web.Response(text=TRICKY_PAGE, content_type="text/html")
        if name == "pdf":
            return web.Response(body=b"%PDF", content_type="application/pdf")
        if name == "unreadable":  # markup Python's HTML parser stops at with an AssertionError
            return web.Response(text="<head><![\u2039![x<title>T</title>", content_type="text/html")
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/{name}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    state.port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{state.port}"
    try:
        yield state
    finally:
        state.done.set()
        await runner.cleanup()


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    """The one local server a test allows title fetching from."""
    async for state in serve(Site()):
        yield state


@pytest.fixture
async def target() -> AsyncIterator[Site]:
    """Another local server, standing for anything private: it must never be reached."""
    async for state in serve(Site()):
        yield state


async def test_a_pages_title_is_read(site: Site) -> None:
    assert await fetch_title(f"{site.base}/page", local_origin=site.base) == "A & B page"
    assert await fetch_title(f"{site.base}/page", allow_private=True) == "A & B page"
    assert await fetch_title(f"{site.base}/pdf", local_origin=site.base) is None
    assert await fetch_title(f"{site.base}/missing", local_origin=site.base) is None


async def test_loopback_is_refused_unless_allowed(site: Site) -> None:
    assert await fetch_title(f"{site.base}/page") is None
    assert site.paths == [], "no request was made"


@pytest.mark.parametrize("name", ["private", "metadata", "local-name", "loop"])
async def test_redirects_to_private_addresses_are_refused(site: Site, name: str) -> None:
    started = time.monotonic()
    assert await fetch_title(f"{site.base}/{name}", local_origin=site.base, time_limit=2) is None
    assert time.monotonic() - started < 2
    assert set(site.paths) == {f"/{name}"}, "nothing else was requested"


HOSTILE = [
    "http://①②⑦.0.0.1:{port}/page",
    "http://１２７.０.０.１:{port}/page",
    "http://127。0。0。1:{port}/page",
    "//①②⑦.0.0.1:{port}/page",
    "http://[::ffff:127.0.0.1]:{port}/page",
    "http://[::ffff:7f00:1]:{port}/page",
    "http://[::127.0.0.1]:{port}/page",
    "http://[64:ff9b::7f00:1]:{port}/page",
    "http://[::ffff:0:127.0.0.1]:{port}/page",
    "http://[2002:7f00:1::]:{port}/page",
    "http://127.1:{port}/page",
    "http://2130706433:{port}/page",
    "http://0x7f000001:{port}/page",
    "http://LOCALHOST.:{port}/page",
    "http://127.0.0.1:{port}/page",
]


@pytest.mark.parametrize("location", HOSTILE)
async def test_a_redirect_to_a_loopback_address_however_written_is_refused(
    site: Site, target: Site, location: str
) -> None:
    to = location.format(port=target.port)
    url = f"{site.base}/redirect?to={to}"
    assert await fetch_title(url, local_origin=site.base, time_limit=3) is None
    assert site.paths == ["/redirect"], "the allowed local server was asked once"
    assert target.paths == [], f"nothing was fetched from {to}"


class Loopback(AbstractResolver):
    """A name server that answers 127.0.0.1 for every name, as a rebinding attack would."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        pass


async def test_a_public_name_that_resolves_to_loopback_is_never_connected_to(
    site: Site, target: Site
) -> None:
    resolver = Loopback()
    assert await fetch_title(f"http://news.example:{target.port}/page", resolver=resolver) is None
    to = f"http://news.example:{target.port}/page"
    redirect = f"{site.base}/redirect?to={to}"
    assert await fetch_title(redirect, local_origin=site.base, resolver=resolver) is None
    assert target.paths == [], "the address connected to is checked, not only the name"
    # The allowance is for the local origin as written, not for any name that leads to it.
    named = f"http://news.example:{site.port}/page"
    assert await fetch_title(named, local_origin=site.base, resolver=resolver) is None
    assert site.paths == ["/redirect"]
    assert await fetch_title(named, allow_private=True, resolver=resolver) == "A & B page"


async def test_the_allowance_is_one_origin(site: Site, target: Site) -> None:
    assert await fetch_title(f"{target.base}/page", local_origin=site.base) is None
    assert await fetch_title(f"http://localhost:{site.port}/page", local_origin=site.base) is None
    assert target.paths == [] and site.paths == []


async def test_a_huge_body_is_capped_and_a_slow_server_times_out(site: Site) -> None:
    started = time.monotonic()
    huge = await fetch_title(f"{site.base}/huge", local_origin=site.base, max_bytes=256 * 1024)
    assert huge is None
    assert site.sent < 5 * 1024 * 1024, "stopped reading long before 50 MB"
    assert await fetch_title(f"{site.base}/slow", local_origin=site.base, time_limit=0.3) is None
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "title", ["<javascript:alert(1)>", "<file:///etc/passwd>", "<editor@example.com>", "<b>x</b>"]
)
def test_a_page_title_that_looks_like_a_link_stays_text_in_the_draft(title: str) -> None:
    accepted = Suggestion(
        id=1, url="https://example.com/", status=SuggestionStatus.ACCEPTED, title=title
    )
    draft = draft_issue(3, "Issue #3", [accepted], {})
    text = format_issue(draft)
    assert parse_issue(text, "3.md") == draft, "newsbot check accepts the draft"
    (rendered,) = re.findall(
        r"<p>(.*)</p>", MarkdownIt("commonmark").render(draft.items[0][1].title)
    )
    assert "<a " not in rendered and html.unescape(rendered) == title


def test_a_draft_keeps_the_slug_of_a_section_renamed_in_place() -> None:
    accepted = Suggestion(
        id=1, url="https://example.com/", status=SuggestionStatus.ACCEPTED, section="learning"
    )
    draft = draft_issue(3, "Issue #3", [accepted], {"learning": "Courses"})
    assert [(s.name, s.slug) for s in draft.sections] == [("Courses", "learning")]
    assert "## Courses {#learning}\n" in format_issue(draft)


async def test_a_page_the_html_parser_cannot_read_has_no_title_and_raises_nothing(
    site: Site,
) -> None:
    assert await fetch_title(f"{site.base}/unreadable", local_origin=site.base) is None
    assert page_title("<title>Kept</title><![\u2039![x".encode()) == "Kept"


async def test_the_title_is_the_pages_own_not_one_in_a_comment_or_a_script(site: Site) -> None:
    assert await fetch_title(f"{site.base}/tricky", local_origin=site.base) == "Café & Co <3"


@pytest.mark.parametrize(
    ("head", "title"),
    [
        (b"<head><!-- <title>Old</title> --><title>New</title>", "New"),
        (b"<head><style>/* <title>No</title> */</style><title>Yes</title>", "Yes"),
        (b'<head><title data-x="1>2">Real</title>', "Real"),
        (b"<head><titlebar>Not it</titlebar><title>It</title>", "It"),
        (b"<HEAD><TITLE>Upper &#x263A;</TITLE>", "Upper \u263a"),
        (b"<head><title>Escaped &amp;lt;b&amp;gt; stays</title>", "Escaped &lt;b&gt; stays"),
        (b"<head><title>a <b>bold</b> claim</title>", "a <b>bold</b> claim"),
        (b"<head><title>Never ends", None),
        (b"<head></head><body><title>In the body</title>", None),
        (b"<head><title>  </title>", None),
        (b"<head><title>&#8203;</title>", None),
        (b"<head><title>\xe2\xa0\x80 &shy; &#x3164;</title>", None),
        (b"<head><title>" + b"&#8203;" * 400 + b"</title>", None),
        (b"<head><meta charset=iso-8859-1><title>Caf\xe9</title>", "Caf\u00e9"),
        (b"<head><meta charset=base64><title>Plain</title>", "Plain"),
    ],
)
def test_a_title_is_read_as_a_browser_reads_it(head: bytes, title: str | None) -> None:
    assert page_title(head) == title


@pytest.mark.parametrize("title", ["\u200b", "\u2800", "\u3164", "\u00ad", "\u200b \u2060" * 150])
def test_a_title_that_shows_nothing_gives_way_to_the_address(title: str) -> None:
    """Such a title may be stored from before titles that show nothing were turned away."""
    accepted = Suggestion(
        id=1, url="https://example.com/a_b/", status=SuggestionStatus.ACCEPTED, title=title
    )
    draft = draft_issue(3, "Issue #3", [accepted], {})
    assert draft.items[0][1].title == "example.com/a\\_b"
    assert parse_issue(format_issue(draft), "3.md") == draft, "newsbot check accepts the draft"


async def test_titles_are_fetched_a_few_at_once_and_a_bounded_few_wait(
    site: Site, linked_archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(titles, "TITLES_AT_ONCE", 2)
    monkeypatch.setattr(titles, "TITLES_WAITING_MAX", 3)
    fetcher = TitleFetcher(linked_archive.suggestions, allow_private=True)
    reader = Supporter(1, "Ada")
    at = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
    urls = [f"{site.base}/held{n}" for n in range(8)]
    ids = [(await linked_archive.suggestions.add(url, reader, at=at)).id for url in urls]
    try:
        for suggestion_id, url in zip(ids[:2], urls[:2], strict=True):
            fetcher.add(suggestion_id, url)
        await eventually(lambda: site.open == 2, within=5)
        for suggestion_id, url in zip(ids[2:], urls[2:], strict=True):
            fetcher.add(suggestion_id, url)  # two being fetched: three wait, three go without
        site.done.set()
        await fetcher.settled()
    finally:
        fetcher.close()
    assert site.most_open == 2, "two pages fetched at once, never more"
    assert site.paths == [f"/held{n}" for n in range(5)], "in the order they came"
    found = [await linked_archive.suggestions.get(suggestion_id) for suggestion_id in ids]
    assert [s.title if s else "?" for s in found] == [f"held{n}" for n in range(5)] + [None] * 3
