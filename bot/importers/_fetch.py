"""Fetching a feed over HTTP(S): bounded in time, size and redirects, and conditional.

The ETag and Last-Modified of each feed are remembered in `.feeds.json` in the output folder,
with a copy of the feed as fetched in `.feeds/`, so the next fetch asks "only if changed" and
an unchanged feed costs one 304, after which the copy is imported.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import aiohttp

from bot.errors import FetchError
from bot.importers._files import write_atomically

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
CACHE_FILE = ".feeds.json"
COPIES = ".feeds"
USER_AGENT = "newsbot feed importer"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_COPY_NAME = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Validators:
    """What a server said identifies a feed's current version: its ETag and Last-Modified."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The headers of a conditional GET: ask for the feed only if it changed."""
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Fetched:
    """A fetched feed: its final URL, its body (None when unchanged: 304) and validators."""

    url: str
    body: bytes | None
    validators: Validators

    @property
    def unchanged(self) -> bool:
        """Whether the server answered 304 Not Modified."""
        return self.body is None


def is_url(source: str) -> bool:
    """Whether a feed source is an http(s) URL rather than a file."""
    return source.lower().startswith(("http://", "https://"))


async def fetch_feed(
    url: str,
    *,
    validators: Validators | None = None,
    time_limit: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
) -> Fetched:
    """GET a feed within `time_limit` seconds and `max_bytes`; raise `FetchError` naming the URL."""
    try:
        async with asyncio.timeout(time_limit):
            return await _fetch(url, validators or Validators(), max_bytes, max_redirects)
    except TimeoutError:
        raise FetchError(url, f"no complete answer within {time_limit:g} s") from None
    except aiohttp.ClientError as exc:
        raise FetchError(url, f"cannot fetch: {exc or type(exc).__name__}") from None


async def _fetch(url: str, validators: Validators, max_bytes: int, max_redirects: int) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, **validators.headers()}
    chain = [url]
    async with aiohttp.ClientSession(headers=headers) as session:
        current = url
        while True:
            async with session.get(current, allow_redirects=False) as response:
                if response.status in _REDIRECTS:
                    current = _next_hop(chain, response, max_redirects)
                    continue
                if response.status == 304:
                    return Fetched(current, None, _validators(response, validators))
                if not 200 <= response.status < 300:
                    raise FetchError(current, f"HTTP {response.status} {response.reason or ''}")
                body = await _read_capped(response, current, max_bytes)
                return Fetched(current, body, _validators(response, Validators()))


def _next_hop(chain: list[str], response: aiohttp.ClientResponse, max_redirects: int) -> str:
    location = response.headers.get("Location")
    current = chain[-1]
    if not location:
        raise FetchError(current, f"HTTP {response.status} redirect without a Location")
    try:
        target = urljoin(current, location)
    except ValueError:
        raise FetchError(current, f"redirects to a malformed address: {location!r}") from None
    if not is_url(target):
        raise FetchError(current, f"redirects to {target!r}, which is not http(s)")
    if target in chain:
        loop = " → ".join([*chain[chain.index(target) :], target])
        raise FetchError(chain[0], f"redirect loop: {loop}")
    if len(chain) > max_redirects:
        raise FetchError(chain[0], f"more than {max_redirects} redirects (last to {target})")
    chain.append(target)
    return target


async def _read_capped(response: aiohttp.ClientResponse, url: str, max_bytes: int) -> bytes:
    """The body, read in chunks; stop and fail as soon as it grows past `max_bytes`."""
    limit = f"the feed is larger than the {max_bytes:,} byte limit"
    if response.content_length is not None and response.content_length > max_bytes:
        response.close()
        raise FetchError(url, f"{limit} (Content-Length {response.content_length:,})")
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body.extend(chunk)
        if len(body) > max_bytes:
            response.close()
            raise FetchError(url, f"{limit}; stopped reading")
    return bytes(body)


def _validators(response: aiohttp.ClientResponse, fallback: Validators) -> Validators:
    return Validators(
        response.headers.get("ETag") or fallback.etag,
        response.headers.get("Last-Modified") or fallback.last_modified,
    )


# --- remembering validators and the feed ---------------------------------------------------


@dataclass(frozen=True)
class KeptFeed:
    """A feed as the last import to a folder fetched it, and the validators it came with."""

    validators: Validators
    body: bytes


def _read_cache(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / CACHE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s is unreadable (%s); fetching feeds unconditionally", path, exc)
        return {}
    feeds = data.get("feeds") if isinstance(data, dict) else None
    return feeds if isinstance(feeds, dict) else {}


def _text(entry: dict[str, str], key: str) -> str | None:
    value = entry.get(key)
    return value if isinstance(value, str) and value else None


def remembered(folder: Path, url: str) -> KeptFeed | None:
    """The feed at `url` as last fetched into `folder`, if its copy and validators are there."""
    entry = _read_cache(folder).get(url)
    if not isinstance(entry, dict):
        return None
    validators = Validators(_text(entry, "etag"), _text(entry, "last_modified"))
    name = _text(entry, "copy")
    if not validators.headers() or name is None or not _COPY_NAME.match(name):
        return None
    try:
        body = (folder / COPIES / name).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(body).hexdigest() != name:
        log.warning("%s is damaged; fetching %s unconditionally", folder / COPIES / name, url)
        return None
    return KeptFeed(validators, body)


def remember(folder: Path, url: str, validators: Validators, body: bytes) -> None:
    """Keep the feed at `url` and its validators, for the next import to `folder` to ask with.

    A feed without validators cannot be asked for conditionally, so nothing is kept for it.
    """
    feeds = _read_cache(folder)
    if validators.headers():
        name = hashlib.sha256(body).hexdigest()
        copy = folder / COPIES / name
        if not copy.is_file() or copy.read_bytes() != body:
            write_atomically(copy, body)
        entry = {"etag": validators.etag, "last_modified": validators.last_modified, "copy": name}
        feeds[url] = {key: value for key, value in entry.items() if value}
    elif feeds.pop(url, None) is None:
        return
    text = json.dumps({"feeds": feeds}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    path = folder / CACHE_FILE
    if not (path.exists() and path.read_bytes() == text.encode("utf-8")):
        write_atomically(path, text.encode("utf-8"))
    _forget_unused_copies(folder, feeds)


def _forget_unused_copies(folder: Path, feeds: dict[str, dict[str, str]]) -> None:
    used = {entry.get("copy") for entry in feeds.values() if isinstance(entry, dict)}
    copies = folder / COPIES
    if not copies.is_dir():
        return
    for path in copies.iterdir():
        if _COPY_NAME.match(path.name) and path.name not in used:
            path.unlink(missing_ok=True)
