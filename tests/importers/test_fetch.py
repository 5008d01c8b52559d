"""Fetching feeds over HTTP from a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from aiohttp import web

from bot.importers import FetchError, Validators, fetch_feed
from bot.importers._fetch import CACHE_FILE, COPIES, KeptFeed, remember, remembered
from bot.importers.feed import download_feed
from tests.importers.conftest import DATA, FeedServer, Handler

FEED = (DATA / "substack.xml").read_bytes()
ETAG = '"v1"'
MODIFIED = "Tue, 11 Mar 2025 15:04:11 GMT"


async def feed(request: web.Request) -> web.StreamResponse:
    if request.headers.get("If-None-Match") == ETAG:
        return web.Response(status=304, headers={"ETag": ETAG})
    return web.Response(
        body=FEED,
        content_type="application/rss+xml",
        headers={"ETag": ETAG, "Last-Modified": MODIFIED},
    )


def redirect(to: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(to)

    return handler


async def test_a_conditional_get_answers_304_the_second_time(feed_server: FeedServer) -> None:
    feed_server.routes["/feed.xml"] = feed
    url = feed_server.url("/feed.xml")
    first = await fetch_feed(url)
    assert first.body == FEED
    assert first.validators == Validators(ETAG, MODIFIED)
    second = await fetch_feed(url, validators=first.validators)
    assert second.unchanged and second.body is None
    sent = feed_server.headers_of("/feed.xml")
    assert "If-None-Match" not in sent[0]
    assert sent[1]["If-None-Match"] == ETAG
    assert sent[1]["If-Modified-Since"] == MODIFIED


async def test_validators_and_a_copy_are_kept_per_feed_in_the_output_folder(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.routes["/feed.xml"] = feed
    url = feed_server.url("/feed.xml")
    document = await download_feed(url, tmp_path)
    assert document.validators == Validators(ETAG, MODIFIED) and not document.unchanged
    remember(tmp_path, url, document.validators, document.data)
    copy = hashlib.sha256(FEED).hexdigest()
    stored = json.loads((tmp_path / CACHE_FILE).read_text(encoding="utf-8"))
    assert stored == {"feeds": {url: {"etag": ETAG, "last_modified": MODIFIED, "copy": copy}}}
    assert (tmp_path / COPIES / copy).read_bytes() == FEED
    assert remembered(tmp_path, url) == KeptFeed(Validators(ETAG, MODIFIED), FEED)
    assert remembered(tmp_path, "https://other.example/feed") is None
    again = await download_feed(url, tmp_path)
    assert again.unchanged and again.data == FEED
    assert feed_server.headers_of("/feed.xml")[1]["If-None-Match"] == ETAG
    assert not (await download_feed(url, tmp_path, conditional=False)).unchanged
    # Atomic writes leave no temporary files behind.
    assert sorted(path.name for path in os.scandir(tmp_path)) == [COPIES, CACHE_FILE]
    assert [path.name for path in os.scandir(tmp_path / COPIES)] == [copy]


async def test_without_its_copy_a_feed_is_fetched_unconditionally(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.routes["/feed.xml"] = feed
    url = feed_server.url("/feed.xml")
    remember(tmp_path, url, Validators(ETAG, MODIFIED), FEED)
    copy = tmp_path / COPIES / hashlib.sha256(FEED).hexdigest()
    copy.write_bytes(FEED[:100])
    assert remembered(tmp_path, url) is None
    copy.unlink()
    document = await download_feed(url, tmp_path)
    assert not document.unchanged and document.data == FEED
    assert "If-None-Match" not in feed_server.headers_of("/feed.xml")[0]


def test_a_newer_copy_replaces_the_old_one_and_no_validators_keep_nothing(
    tmp_path: Path,
) -> None:
    url = "https://x.example/feed"
    remember(tmp_path, url, Validators(ETAG), b"<rss>1</rss>")
    remember(tmp_path, url, Validators('"v2"'), b"<rss>2</rss>")
    assert [p.read_bytes() for p in (tmp_path / COPIES).iterdir()] == [b"<rss>2</rss>"]
    remember(tmp_path, url, Validators(), b"<rss>3</rss>")
    assert remembered(tmp_path, url) is None
    assert list((tmp_path / COPIES).iterdir()) == []


def test_an_unreadable_cache_means_an_unconditional_fetch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / CACHE_FILE).write_text("{not json", encoding="utf-8")
    assert remembered(tmp_path, "https://x.example/feed") is None
    assert "unreadable" in caplog.text


async def test_a_huge_body_is_refused_without_reading_it_all(feed_server: FeedServer) -> None:
    total = 200 * 1024 * 1024

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<!-- padding -->" * 4096
        while feed_server.streamed < total:
            await response.write(chunk)
            feed_server.streamed += len(chunk)
        return response

    feed_server.routes["/huge.xml"] = huge
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than the 262,144 byte limit; stopped reading"):
        await fetch_feed(feed_server.url("/huge.xml"), max_bytes=256 * 1024)
    await asyncio.sleep(0.1)
    assert feed_server.streamed < total / 4
    assert time.monotonic() - started < 5


async def test_a_declared_huge_length_is_refused_before_reading(feed_server: FeedServer) -> None:
    async def declared(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(50_000_000)})
        await response.prepare(request)
        await response.write(b"<rss>")
        await asyncio.sleep(30)
        return response

    feed_server.routes["/declared.xml"] = declared
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"\(Content-Length 50,000,000\)"):
        await fetch_feed(feed_server.url("/declared.xml"), max_bytes=1_000_000)
    assert time.monotonic() - started < 5


async def test_a_server_that_never_answers_times_out_clearly(feed_server: FeedServer) -> None:
    async def silent(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(30)
        return web.Response()

    feed_server.routes["/silent.xml"] = silent
    url = feed_server.url("/silent.xml")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        await fetch_feed(url, time_limit=0.5)
    assert str(caught.value) == f"{url}: no complete answer within 0.5 s"
    assert time.monotonic() - started < 2


async def test_a_redirect_loop_is_named(feed_server: FeedServer) -> None:
    feed_server.routes["/a"] = redirect("/b")
    feed_server.routes["/b"] = redirect("/a")
    a, b = feed_server.url("/a"), feed_server.url("/b")
    with pytest.raises(FetchError) as caught:
        await fetch_feed(a)
    assert str(caught.value) == f"{a}: redirect loop: {a} → {b} → {a}"


async def test_five_redirects_are_followed_and_a_sixth_is_refused(feed_server: FeedServer) -> None:
    for hop in range(6):
        feed_server.routes[f"/hop/{hop}"] = redirect(f"/hop/{hop + 1}")
    feed_server.routes["/hop/6"] = feed
    fetched = await fetch_feed(feed_server.url("/hop/1"))
    assert fetched.body == FEED and fetched.url == feed_server.url("/hop/6")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        await fetch_feed(feed_server.url("/hop/0"))


@pytest.mark.parametrize(
    ("route", "handler", "message"),
    [
        ("/gone.xml", None, "HTTP 404 Not Found"),
        (
            "/to-file",
            redirect("file:///etc/passwd"),
            "redirects to 'file:///etc/passwd', which is not http(s)",
        ),
    ],
)
async def test_http_failures_name_the_url(
    feed_server: FeedServer, route: str, handler: Handler | None, message: str
) -> None:
    if handler is not None:
        feed_server.routes[route] = handler
    with pytest.raises(FetchError) as caught:
        await fetch_feed(feed_server.url(route))
    assert str(caught.value).startswith(feed_server.url(route))
    assert message in str(caught.value)


async def test_nothing_listening_is_a_clear_error() -> None:
    with pytest.raises(FetchError, match=r"^http://127\.0\.0\.1:9/feed: cannot fetch: "):
        await fetch_feed("http://127.0.0.1:9/feed", time_limit=5)
