"""Page titles for suggested links: fetched with bounds, and never from a private address."""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
import aiohttp.abc
import yarl

from bot.models.links import LinkRejected, check_host, is_public
from bot.render.text import shorten
from bot.suggestions.notes import CONTROL

log = logging.getLogger(__name__)

TITLE_TIMEOUT = 5.0
TITLE_MAX_BYTES = 512 * 1024
"""A page's <title> is in its head: the rest of a large page is never read."""
TITLE_MAX_REDIRECTS = 5
TITLE_MAX = 300
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHARSET = re.compile(r"charset=([\w-]+)", re.IGNORECASE)


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class _Reach:
    """Where a title fetch may go: public sites; also, for tests, everywhere or one origin."""

    allow_private: bool
    local_origin: yarl.URL | None

    def target(self, url: str | yarl.URL, base: yarl.URL | None = None) -> yarl.URL | None:
        """The URL a request for `url` (relative to `base`) goes to, if it may; else None.

        The host checked is the one aiohttp connects to: yarl's, after IDNA, in which
        `①②⑦.0.0.1`, `１２７.０.０.１` and `127。0。0。1` are all 127.0.0.1.
        """
        try:
            target = yarl.URL(url)
            target = base.join(target) if base is not None else target
        except (ValueError, TypeError):
            return None
        if target.scheme not in ("http", "https") or not target.raw_host:
            return None
        if target.user is not None or target.password is not None:
            return None
        if self.allow_private or self._is_local_origin(target):
            return target
        try:
            check_host(target.raw_host)
        except LinkRejected:
            return None
        return target

    def _is_local_origin(self, target: yarl.URL) -> bool:
        origin = self.local_origin
        return origin is not None and (target.scheme, target.raw_host, target.port) == (
            origin.scheme,
            origin.raw_host,
            origin.port,
        )

    def connector(
        self, target: yarl.URL, resolver: aiohttp.abc.AbstractResolver | None
    ) -> aiohttp.TCPConnector:
        """A connector for one request to `target` that checks each address it connects to.

        Whatever a name resolves to (even differently from one lookup to the next), only a
        public address is connected to — or the local origin's own, for a request to it.
        """
        local_peer: tuple[_Address, int] | None = None
        if self.local_origin is not None and self._is_local_origin(target):
            local_peer = (ipaddress.ip_address(self.local_origin.raw_host or ""), target.port or 0)

        def open_socket(addr_info: tuple[Any, ...]) -> socket.socket:
            family, kind, proto, _, peer = addr_info
            address = ipaddress.ip_address(peer[0])
            if not (self.allow_private or is_public(address) or (address, peer[1]) == local_peer):
                raise OSError(f"not connecting to {address}: not a public address")
            return socket.socket(family, kind, proto)

        return aiohttp.TCPConnector(limit=1, resolver=resolver, socket_factory=open_socket)


async def fetch_title(
    url: str,
    *,
    allow_private: bool = False,
    time_limit: float = TITLE_TIMEOUT,
    max_bytes: int = TITLE_MAX_BYTES,
    max_redirects: int = TITLE_MAX_REDIRECTS,
    local_origin: str | None = None,
    resolver: aiohttp.abc.AbstractResolver | None = None,
) -> str | None:
    """The <title> of the HTML page at `url`, or None if there is none or it cannot be had.

    Bounded: `time_limit` seconds in all, the first `max_bytes` of the body, `max_redirects`
    redirects. Never a private, loopback, link-local, multicast, reserved or unspecified
    address (IPv4 inside IPv6 included), checked on every hop both in the URL, as the HTTP
    client reads it, and in the address each connection is made to — unless `allow_private`
    (for tests), or the request is to `local_origin` (tests: the one `http://127.0.0.1:PORT`
    of a local server, and nothing else). `resolver` looks up host names (the system's by
    default). Never raises for a network problem.
    """
    reach = _Reach(allow_private, yarl.URL(local_origin) if local_origin else None)
    try:
        async with asyncio.timeout(time_limit):
            return await _fetch_title(url, reach, max_bytes, max_redirects, resolver)
    except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
        log.info("no title for %s: %s", url, exc or type(exc).__name__)
        return None


async def _fetch_title(
    url: str,
    reach: _Reach,
    max_bytes: int,
    max_redirects: int,
    resolver: aiohttp.abc.AbstractResolver | None,
) -> str | None:
    headers = {"User-Agent": "newsbot (reader suggestions)", "Accept": "text/html"}
    target = reach.target(url)
    for _ in range(max_redirects + 1):
        if target is None:
            log.info("not fetching a title for %s: not a public web address", url)
            return None
        connector = reach.connector(target, resolver)
        async with (
            aiohttp.ClientSession(connector=connector, headers=headers) as session,
            session.get(target, allow_redirects=False) as response,
        ):
            if response.status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    return None
                target = reach.target(location, base=target)
                continue
            if response.status != 200 or "html" not in response.content_type:
                return None
            head = await _read_head(response, max_bytes)
            return _title_in(head, response.charset)
    log.info("no title for %s: more than %d redirects", url, max_redirects)
    return None


async def _read_head(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """At most `max_bytes` of the body; stops early once the title has ended."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(16 * 1024):
        body.extend(chunk)
        if len(body) >= max_bytes or b"</title" in body.lower():
            response.close()
            break
    return bytes(body[:max_bytes])


def _title_in(head: bytes, charset: str | None) -> str | None:
    match = _TITLE.search(head)
    if match is None:
        return None
    if charset is None:
        declared = _CHARSET.search(head[:2048].decode("ascii", "replace"))
        charset = declared.group(1) if declared else "utf-8"
    try:
        text = match.group(1).decode(charset, "replace")
    except LookupError:
        text = match.group(1).decode("utf-8", "replace")
    title = " ".join(CONTROL.sub(" ", html.unescape(text)).split())
    return shorten(title, TITLE_MAX) or None
