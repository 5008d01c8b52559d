"""Page titles for suggested links: fetched with bounds, and never from a private address."""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import yarl

from bot.models.links import LinkRejected, check_host, is_public
from bot.text import has_visible_text, one_line, shorten

if TYPE_CHECKING:
    # aiohttp loads only to fetch a title: the archive and the command line need none of it.
    import aiohttp
    import aiohttp.abc

log = logging.getLogger(__name__)

TITLE_TIMEOUT = 5.0
TITLE_MAX_BYTES = 512 * 1024
"""A page's <title> is in its head: the rest of a large page is never read."""
TITLE_MAX_REDIRECTS = 5
TITLE_MAX = 300
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHARSET = re.compile(r"charset=([\w-]+)", re.IGNORECASE)
_CHARSET_SCAN = 2048
"""The bytes at the start of a page searched for a declared charset."""


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
        import aiohttp

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
    import aiohttp

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
    import aiohttp

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
            return await _read_title(response, max_bytes)
    log.info("no title for %s: more than %d redirects", url, max_redirects)
    return None


class _TitleParser(HTMLParser):
    """Finds a page's title as a browser does: the first `<title>` element, not one in a
    comment, a script or a style, its text with character references decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] | None = None
        """The title's text so far, once its start tag was read."""
        self.ended = False
        """The title's end tag was read."""
        self.in_body = False
        """The head is over without a title: nothing after it is read."""

    @property
    def done(self) -> bool:
        """Whether reading on cannot change the title."""
        return self.ended or self.in_body

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self.parts is not None:
            # A title holds text only: a browser shows markup inside it as written.
            self.parts.append(self.get_starttag_text() or "")
        elif tag == "title":
            self.parts = []
        elif tag == "body":
            self.in_body = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.done or self.parts is None:
            return
        if tag == "title":
            self.ended = True
        else:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.parts is not None and not self.done:
            self.parts.append(data)


class _TitleReader:
    """Reads a page's head as it arrives, decoded in its charset, until its title has ended."""

    def __init__(self, charset: str | None) -> None:
        self._charset = charset
        self._waiting = bytearray()  # the first bytes, until the charset declared in them is known
        self._decoder: codecs.IncrementalDecoder | None = None
        self._parser = _TitleParser()
        self._unreadable = False

    @property
    def done(self) -> bool:
        """Whether the rest of the page cannot change the title."""
        return self._parser.done or self._unreadable

    def feed(self, data: bytes) -> None:
        """Read the next bytes of the page."""
        if self._decoder is not None:
            self._parse(self._decoder.decode(data))
            return
        self._waiting.extend(data)
        if len(self._waiting) >= _CHARSET_SCAN:
            self._start()

    def _start(self) -> None:
        head = bytes(self._waiting)
        self._waiting.clear()
        self._decoder = codecs.getincrementaldecoder(_charset(self._charset, head))("replace")
        self._parse(self._decoder.decode(head))

    def _parse(self, text: str) -> None:
        """Parse `text`, the page's next; at markup Python's parser cannot read (`<![‹`, which
        stops it with an AssertionError), the page is read no further: a title already ended
        is kept, one not yet ended is none."""
        if self._unreadable:
            return
        try:
            self._parser.feed(text)
        except AssertionError:
            self._unreadable = True

    def title(self) -> str | None:
        """The page's title as kept (one line, at most `TITLE_MAX`), or None if it has none:
        a title that shows nothing (zero-width spaces, blank fillers …) is none."""
        if self._decoder is None:
            self._start()
        assert self._decoder is not None
        self._parse(self._decoder.decode(b"", final=True))
        if not self._parser.ended or self._parser.parts is None:
            return None
        title = one_line("".join(self._parser.parts))
        return shorten(title, TITLE_MAX) if has_visible_text(title) else None


def _charset(declared: str | None, head: bytes) -> str:
    """The page's charset: the response's, else one its head declares, else UTF-8."""
    if declared is None:
        found = _CHARSET.search(head[:_CHARSET_SCAN].decode("ascii", "replace"))
        declared = found.group(1) if found else "utf-8"
    try:
        b"x".decode(declared, "replace")  # raises for an unknown name and a non-text codec
    except LookupError:
        return "utf-8"
    return declared


def page_title(head: bytes, charset: str | None = None) -> str | None:
    """The title of the page that begins with `head` (`charset` is the response's, if it said)."""
    reader = _TitleReader(charset)
    reader.feed(head)
    return reader.title()


async def _read_title(response: aiohttp.ClientResponse, max_bytes: int) -> str | None:
    """The page's title from at most `max_bytes` of its body; stops once the title has ended."""
    reader = _TitleReader(response.charset)
    read = 0
    async for chunk in response.content.iter_chunked(16 * 1024):
        reader.feed(chunk[: max_bytes - read])
        read += len(chunk)
        if read >= max_bytes or reader.done:
            response.close()
            break
    return reader.title()
