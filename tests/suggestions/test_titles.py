"""Fetching a suggested page's title from a local server: bounded, and never private."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from markdown_it import MarkdownIt

from bot.issuefiles import format_issue, parse_issue
from bot.suggestions import Suggestion, draft_issue, fetch_title

LOCAL = frozenset({"127.0.0.1"})


class Site:
    def __init__(self, base: str) -> None:
        self.base = base
        self.paths: list[str] = []
        self.sent = 0
        self.done = asyncio.Event()


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site("")

    async def page(request: web.Request) -> web.StreamResponse:
        state.paths.append(request.path)
        name = request.match_info["name"]
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
        if name == "pdf":
            return web.Response(body=b"%PDF", content_type="application/pdf")
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/{name}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        state.done.set()
        await runner.cleanup()


async def test_a_pages_title_is_read(site: Site) -> None:
    assert await fetch_title(f"{site.base}/page", exempt=LOCAL) == "A & B page"
    assert await fetch_title(f"{site.base}/page", allow_private=True) == "A & B page"
    assert await fetch_title(f"{site.base}/pdf", exempt=LOCAL) is None
    assert await fetch_title(f"{site.base}/missing", exempt=LOCAL) is None


async def test_loopback_is_refused_unless_allowed(site: Site) -> None:
    assert await fetch_title(f"{site.base}/page") is None
    assert site.paths == [], "no request was made"


@pytest.mark.parametrize("name", ["private", "metadata", "local-name", "loop"])
async def test_redirects_to_private_addresses_are_refused(site: Site, name: str) -> None:
    started = time.monotonic()
    assert await fetch_title(f"{site.base}/{name}", exempt=LOCAL, time_limit=2) is None
    assert time.monotonic() - started < 2
    assert set(site.paths) == {f"/{name}"}, "nothing else was requested"


async def test_a_huge_body_is_capped_and_a_slow_server_times_out(site: Site) -> None:
    started = time.monotonic()
    assert await fetch_title(f"{site.base}/huge", exempt=LOCAL, max_bytes=256 * 1024) is None
    assert site.sent < 5 * 1024 * 1024, "stopped reading long before 50 MB"
    assert await fetch_title(f"{site.base}/slow", exempt=LOCAL, time_limit=0.3) is None
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "title", ["<javascript:alert(1)>", "<file:///etc/passwd>", "<editor@example.com>", "<b>x</b>"]
)
def test_a_page_title_that_looks_like_a_link_stays_text_in_the_draft(title: str) -> None:
    accepted = Suggestion(id=1, url="https://example.com/", status="accepted", title=title)
    draft = draft_issue(3, "Issue #3", [accepted], {})
    text = format_issue(draft)
    assert parse_issue(text, "3.md") == draft, "newsbot check accepts the draft"
    (rendered,) = re.findall(
        r"<p>(.*)</p>", MarkdownIt("commonmark").render(draft.items[0][1].title)
    )
    assert "<a " not in rendered and html.unescape(rendered) == title
