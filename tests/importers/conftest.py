"""Fixtures for the importer tests: the sample, the feed files, a CLI and a local feed server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from aiohttp import web
from typer.testing import CliRunner, Result

from bot import cli

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "samples" / "deep-learning-weekly-202.txt"
"""The plain-text sample, where the README points users at it."""
ISSUE_202 = ROOT / "issues" / "202.md"


def newsbot_app() -> typer.Typer:
    """The `newsbot` command line, with its import commands."""
    return cli.app


Run = Callable[..., Result]


@pytest.fixture
def newsbot(tmp_path: Path) -> Run:
    """Run `newsbot --db tmp/archive.db ARGS…` and return typer's result."""
    app = newsbot_app()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--db", str(tmp_path / "archive.db"), *args])

    return run


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FeedServer:
    """An aiohttp server on 127.0.0.1 in its own thread, so sync CLI tests can fetch from it."""

    routes: dict[str, Handler]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    streamed: int = 0
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def headers_of(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == path]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started `FeedServer`; tests add routes to `server.routes` before fetching."""
    server = FeedServer({})
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def dispatch(request: web.Request) -> web.StreamResponse:
        server.requests.append((request.path, dict(request.headers)))
        handler = server.routes.get(request.path)
        if handler is None:
            raise web.HTTPNotFound()
        return await handler(request)

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", dispatch)
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    server.port = int(runner.addresses[0][1])
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
