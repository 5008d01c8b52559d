"""Reader suggestions: the links in what readers write, normalised, checked and deduplicated.

Pure apart from `export_draft`; no platform library. A cog or the command line hands in a
message's text and its embeds' URLs; `scan` gives back the links worth suggesting and, for
every other link, why it was not taken, in words a reader understands. `normalise` is
idempotent and only ever returns an absolute http(s) URL, so two spellings of one page are one
suggestion.

Normalisation is RFC 3986's (section 6: scheme and host case, percent-encoding, dot segments,
default ports, IDN hosts in punycode) done by `url-normalize`, then newsbot's own rules: no
fragment, no tracking parameters, no credentials, no private or local addresses.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import html
import ipaddress
import logging
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import yarl
from url_normalize import url_normalize

from bot.errors import NewsbotError
from bot.issuefiles import format_issue, parse_issue, write_issue
from bot.models import Issue, IssueSummary, Item, Section, slugify
from bot.render.text import defuse_mentions, escape_markdown, shorten

if TYPE_CHECKING:
    # aiohttp loads only to fetch a title: the archive and the command line need none of it.
    import aiohttp
    import aiohttp.abc

    from bot.archive import Archive

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048
"""As for an item's link (`bot.models.MAX_LINK_LENGTH`): a longer link could not be published."""
MAX_LINKS_PER_MESSAGE = 10
"""A message with more links is a list, not a suggestion: the first ten are taken."""
MAX_SCANNED_TEXT = 20_000
"""Text past this is not scanned (Discord's content limit is 2000; embeds add up to 6000)."""
NOTE_MAX = 300
"""A reader's note is kept to this many characters."""

TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs", "mtm_", "vero_", "oly_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "mkt_tok",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "_ga",
        "_gl",
        "spm",
        "wt.mc_id",
    }
)
"""Query parameters that say who shared a link, not which page it is."""

_CANDIDATE = re.compile(
    # scheme://… for any scheme, or the script-like schemes that need no slashes.
    r"(?i)(?<![\w@])(?:[a-z][a-z0-9+.\-]{0,30}://|(?:javascript|vbscript|data|file|mailto):)"
    r"[^\s<>\"'`|\\\x00-\x1f\x7f]*"
)
_TRAILING = ".,;:!?'\"*_~»”’…"
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")
_IPV4_LIKE = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class LinkRejected(NewsbotError):
    """A link newsbot will not take; the message says why, for the reader."""


@dataclass(frozen=True)
class Rejection:
    """A link that was not taken: how it began (safe to show) and why."""

    shown: str
    reason: str


@dataclass(frozen=True)
class Scan:
    """The links found in a message: those taken (normalised, in order) and those not."""

    links: tuple[str, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    dropped: int = 0
    """Links past `MAX_LINKS_PER_MESSAGE` that were not looked at."""


@dataclass(frozen=True)
class Supporter:
    """A reader who suggested a link, with their note."""

    user_id: int
    name: str
    note: str | None = None
    source: str = "command"
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class Suggestion:
    """A link readers suggested for the next issue, with everyone who suggested it."""

    id: int
    url: str
    status: str
    section: str | None = None
    """The slug of the section it was suggested for (or an editor chose), if any."""
    title: str | None = None
    issue_number: int | None = None
    """The issue it was published in, once it was."""
    supporters: tuple[Supporter, ...] = field(default_factory=tuple)

    @property
    def support(self) -> int:
        """How many readers suggested it."""
        return len(self.supporters)


STATUSES = ("pending", "accepted", "rejected", "published")


class Outcome(enum.StrEnum):
    """What suggesting one link did."""

    ADDED = "added"
    """A new suggestion."""
    SUPPORTED = "supported"
    """Another reader's +1 on a pending suggestion."""
    REPEATED = "repeated"
    """The same reader suggested the same link again: nothing changed."""
    ARCHIVED = "archived"
    """The link is already in a published issue."""
    CLOSED = "closed"
    """An editor already rejected it."""
    LIMITED = "limited"
    """The reader reached today's limit."""


@dataclass(frozen=True)
class ArchivedLink:
    """Where an archived item with that link was published."""

    issue_number: int
    section_name: str
    title: str
    link: str


@dataclass(frozen=True)
class Result:
    """What suggesting one link did, with what the reader should be told about it."""

    url: str
    outcome: Outcome
    suggestion: Suggestion | None = None
    archived: ArchivedLink | None = None


# --- finding links --------------------------------------------------------------------------


def _trim(candidate: str) -> str:
    """Drop the punctuation a sentence puts after a link, and an unbalanced `)`."""
    pairs = {")": "(", "]": "["}
    while candidate:
        last = candidate[-1]
        opener = pairs.get(last)
        unbalanced = opener is not None and candidate.count(opener) < candidate.count(last)
        if last not in _TRAILING and not unbalanced:
            break
        candidate = candidate[:-1]
    return candidate


def candidates(text: str) -> list[str]:
    """Everything in `text` that looks like a link (any scheme), trimmed, in order."""
    found = (_trim(match.group(0)) for match in _CANDIDATE.finditer(text[:MAX_SCANNED_TEXT]))
    return [link for link in found if link]


def scan(texts: Iterable[str], urls: Iterable[str] = ()) -> Scan:
    """The links in a message's `texts` and its embeds' `urls`: those taken, and why not others.

    Duplicates (after normalisation) count once; at most `MAX_LINKS_PER_MESSAGE` are looked at.
    """
    raw: list[str] = []
    for text in texts:
        raw.extend(candidates(text))
    raw.extend(u for u in urls if u)
    links: list[str] = []
    rejected: list[Rejection] = []
    seen: set[str] = set()
    looked = 0
    for candidate in dict.fromkeys(raw):
        if looked == MAX_LINKS_PER_MESSAGE:
            break
        looked += 1
        try:
            url = normalise(candidate)
        except LinkRejected as exc:
            rejected.append(Rejection(shown_as(candidate), str(exc)))
            continue
        if url not in seen:
            seen.add(url)
            links.append(url)
    return Scan(tuple(links), tuple(rejected), dropped=len(dict.fromkeys(raw)) - looked)


def shown_as(candidate: str) -> str:
    """How a link may be named back to a reader: its scheme and host at most, never its path."""
    scheme, sep, rest = candidate.partition(":")
    if not sep or len(scheme) > 30:
        return "a link"
    if scheme.lower() not in ("http", "https"):
        return f"a {scheme.lower()}: link"
    host = rest.lstrip("/").split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rpartition("@")[2][:60]
    return host.lower() or "a link"


# --- normalising ----------------------------------------------------------------------------


def normalise(url: str) -> str:
    """`url` in its one normal form; raise `LinkRejected` saying why if it cannot be taken.

    The result is an absolute http(s) URL of at most `MAX_URL_LENGTH` characters, with the
    scheme and host in lower case (an IDN host in punycode), no default port, no fragment, no
    tracking parameters, and never a private, loopback or link-local address.
    `normalise(normalise(url)) == normalise(url)`.
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH * 2:
        raise LinkRejected(f"it is too long (over {MAX_URL_LENGTH} characters)")
    scheme, colon, _ = url.partition(":")
    if not colon or scheme.lower() not in ("http", "https"):
        raise LinkRejected("only web links (http:// or https://) can be suggested")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise LinkRejected("it is not a valid web address") from None
    if parts.username is not None or parts.password is not None:
        raise LinkRejected("links with a user name or password in them are not taken")
    if not parts.hostname:
        raise LinkRejected("it has no host, as in https://example.com/page")
    try:
        normal = url_normalize(url)
    except (ValueError, UnicodeError):
        raise LinkRejected("its host name is not valid") from None
    if normal is None:
        raise LinkRejected("it is not a valid web address")
    try:
        parts = urlsplit(normal)
        port = parts.port
    except ValueError:
        raise LinkRejected("it is not a valid web address") from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise LinkRejected("it is not a valid web address")
    if port == 0:
        raise LinkRejected("it is not a valid web address")
    host = _check_host(host)
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port is not None else ""
    query = _without_tracking(parts.query)
    result = urlunsplit((parts.scheme, netloc, parts.path or "/", query, ""))
    if len(result) > MAX_URL_LENGTH:
        raise LinkRejected(f"it is too long (over {MAX_URL_LENGTH} characters)")
    if _host_as_connected(result) != host:
        # The HTTP library would read another host than the one checked: take neither.
        raise LinkRejected("it is not a valid web address")
    return result


def twins(url: str) -> list[str]:
    """A normalised URL and its other-scheme twin: the same page, for deduplication."""
    scheme, sep, rest = url.partition("://")
    other = {"http": "https", "https": "http"}.get(scheme)
    return [url, f"{other}{sep}{rest}"] if other and sep else [url]


def suggesters_by_section(
    issue: Issue, published: Sequence[Suggestion]
) -> dict[str, list[tuple[str, tuple[int, ...]]]]:
    """Per section slug of `issue`: each item readers suggested, with who suggested it."""
    by_url = {suggestion.url: suggestion for suggestion in published}
    found: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
    for section, item in issue.items:
        if item.link is None:
            continue
        try:
            suggestion = next(
                (by_url[twin] for twin in twins(normalise(item.link)) if twin in by_url), None
            )
        except LinkRejected:
            continue
        if suggestion is not None and suggestion.supporters:
            users = tuple(dict.fromkeys(s.user_id for s in suggestion.supporters))
            found.setdefault(section.slug, []).append((item.title, users))
    return found


def _without_tracking(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        key = unquote(pair.partition("=")[0]).lower()
        if key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES):
            continue
        kept.append(pair)
    return "&".join(kept)


def _check_host(host: str) -> str:
    """The host in its one written form; raise `LinkRejected` unless it names a public site.

    A site is a domain name of two labels or more (`example.com`, not `intranet`) or a public
    IP address. Names of this machine or a private network, addresses that are private,
    loopback, link-local, multicast, reserved or unspecified, and IPv6 addresses with an IPv4
    address inside (`[::ffff:1.2.3.4]`, `[64:ff9b::102:304]`, `[2002:102:304::]` …) are not.
    """
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
        raise LinkRejected("it points to a local address, not the web")
    address = ip_of(name)
    if address is not None:
        inside = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
        if not is_public(inside if inside is not None else address):
            raise LinkRejected("it points to a private or local network address, not the web")
        if inside is not None:
            raise LinkRejected("it is an IPv4 address written as IPv6, not a web site's address")
        return str(address)
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise LinkRejected("its host name is not valid")
    if len(labels) < 2:
        raise LinkRejected("its host is not a web site's name, as in example.com")
    if labels[-1].isdigit():
        raise LinkRejected("its host name is not valid")
    return name


def _host_as_connected(url: str) -> str | None:
    """The host an HTTP request for `url` would go to, as aiohttp reads it (IDNA applied)."""
    try:
        return yarl.URL(url).raw_host
    except (ValueError, TypeError):
        return None


def ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host name spells, as a browser reads it (`0x7f.1` is 127.0.0.1)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _IPV4_LIKE.match(host) and host[-1:].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


_IPV4_IN_IPV6 = (
    ipaddress.IPv6Network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64, well-known prefix
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated)
)
_NEVER_PUBLIC_IPV6 = (
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # NAT64 for local use
    ipaddress.IPv6Network("2002::/16"),  # 6to4
    ipaddress.IPv6Network("2001::/32"),  # Teredo
)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one (mapped, NAT64, translated, compatible, 6to4, Teredo)."""
    for network in _IPV4_IN_IPV6:
        if address in network:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return address.teredo[1] if address.teredo is not None else None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is on the public internet.

    Not private, loopback, link-local, multicast, reserved or unspecified; an IPv4-mapped or
    NAT64 address is public only if the IPv4 address inside is, and the other IPv6 forms with
    an IPv4 address inside (compatible, translated, 6to4, Teredo) never are.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or any(address in network for network in _NEVER_PUBLIC_IPV6):
            return False
        inside = embedded_ipv4(address)
        if inside is not None:
            return is_public(inside)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


# --- notes, names and limits ----------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def clean_note(note: str | None) -> str | None:
    """A reader's note as kept: one line, no control characters, at most `NOTE_MAX`."""
    if note is None:
        return None
    text = " ".join(_CONTROL.sub(" ", note).split())
    if len(text) > NOTE_MAX:
        text = text[: NOTE_MAX - 1].rstrip() + "…"
    return text or None


def day_start(now: dt.datetime) -> dt.datetime:
    """The start of the rolling day a reader's limit counts from: 24 hours before `now`."""
    return now - dt.timedelta(days=1)


def most_supported(suggestions: Sequence[Suggestion]) -> list[Suggestion]:
    """Most readers first, then oldest first (ids grow with time)."""
    return sorted(suggestions, key=lambda s: (-s.support, s.id))


# --- the draft issue ------------------------------------------------------------------------

DRAFTS_FOLDER = "drafts"
UNSORTED_SECTION = "Reader suggestions"
"""The section of accepted suggestions that no one put in a section."""
DRAFT_TITLE_MAX = 200
EDITOR_NOTE_MAX = 400


class DraftExists(NewsbotError):
    """A draft file is already there; it may hold an editor's work."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists; edit it, or overwrite it on purpose")


class NothingToExport(NewsbotError):
    """No suggestion is accepted yet."""

    def __init__(self) -> None:
        super().__init__("No suggestion is accepted yet: accept some first, then export.")


def draft_title(number: int, latest: IssueSummary | None) -> str:
    """The next issue's title, after the newest one's pattern (`… Issue #202` → `#203`)."""
    if latest is not None and f"#{latest.number}" in latest.title:
        return latest.title.replace(f"#{latest.number}", f"#{number}")
    return f"Issue #{number}"


def _item_title(suggestion: Suggestion) -> str:
    text = suggestion.title or suggestion.url.split("://", 1)[-1].rstrip("/")
    # `<` too: a page titled `<javascript:…>` would otherwise be a link in the draft.
    text = escape_markdown(" ".join(text.split())).replace("<", "\\<")
    return shorten(text, DRAFT_TITLE_MAX) or "Untitled"


def _editor_note(suggestion: Suggestion) -> str:
    parts = []
    for supporter in suggestion.supporters:
        part = f"{supporter.name}"
        if supporter.note:
            part += f": “{supporter.note}”"
        parts.append(part)
    text = f"suggested by {len(parts)} reader(s) — " + "; ".join(parts)
    # A note lives inside an HTML comment: no `--` may end it early.
    text = defuse_mentions(" ".join(_CONTROL.sub(" ", text).split())).replace("--", "–")
    return shorten(text, EDITOR_NOTE_MAX)


def draft_issue(
    number: int,
    title: str,
    accepted: Sequence[Suggestion],
    section_names: Mapping[str, str],
    section_order: Sequence[str] = (),
) -> Issue:
    """An issue file's content for accepted suggestions, grouped by section.

    Each item has the page's title (or its address), the link, no blurb (the editor writes
    it) and an editor note naming who suggested it and what they said.
    """
    if not accepted:
        raise NothingToExport()
    grouped: dict[str, list[Item]] = {}
    for suggestion in most_supported(accepted):
        slug = suggestion.section or ""
        grouped.setdefault(slug, []).append(
            Item(
                title=_item_title(suggestion),
                link=suggestion.url,
                editor_note=_editor_note(suggestion),
            )
        )
    order = {slug: n for n, slug in enumerate(section_order)}
    slugs = sorted(grouped, key=lambda s: (s == "", order.get(s, len(order)), s))
    sections = []
    for slug in slugs:
        name = section_names.get(slug) or (
            slug.replace("-", " ").title() if slug else UNSORTED_SECTION
        )
        items: list[Item] = []
        keys: set[str] = set()
        for candidate in grouped[slug]:
            if candidate.key not in keys:  # two spellings that Markdown writes the same
                keys.add(candidate.key)
                items.append(candidate)
        sections.append(Section(name=name, slug=slugify(name), items=tuple(items)))
    return Issue(number=number, title=title, sections=tuple(sections))


async def export_draft(
    archive: Archive, issues_dir: Path, *, number: int | None = None, overwrite: bool = False
) -> tuple[Path, Issue]:
    """Write the accepted suggestions as `issues/drafts/<number>.md`; return it and the issue.

    The number defaults to the one after the newest archived issue. The file reads back as
    the same issue (`newsbot check` accepts it); an existing draft is kept unless `overwrite`.
    """
    latest_issues = await archive.issues(limit=1)
    latest = latest_issues[0] if latest_issues else None
    number = number or ((latest.number + 1) if latest else 1)
    accepted = await archive.suggestions(("accepted",), limit=1000)
    names = dict(await archive.section_names(limit=1000))
    order: list[str] = []
    if latest is not None:
        order = [s.slug for s in (await archive.issue(latest.number, held=True)).sections]
    issue = draft_issue(number, draft_title(number, latest), accepted, names, order)
    path = issues_dir / DRAFTS_FOLDER / f"{number}.md"
    if path.exists() and not overwrite:
        raise DraftExists(path)
    if parse_issue(format_issue(issue), path) != issue:
        raise RuntimeError(f"the draft of #{number} would not read back the same")
    write_issue(issue, path)
    return path, issue


# --- page titles ----------------------------------------------------------------------------

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
            _check_host(target.raw_host)
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
    title = " ".join(_CONTROL.sub(" ", html.unescape(text)).split())
    return shorten(title, TITLE_MAX) or None
