"""A link's one normal form: two spellings of one page are one link, and only public web
pages have one.

Normalisation is RFC 3986's (section 6: scheme and host case, percent-encoding, dot segments,
default ports, IDN hosts in punycode) done by `url-normalize`, then newsbot's own rules: no
fragment, no tracking parameters, no credentials, no private or local addresses. Spellings
that normalising keeps apart but readers mean as one page (http and https, a path with or
without its trailing slash) are each other's `twins`, matched wherever links are compared.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import unquote, urlsplit, urlunsplit

from bot.errors import NewsbotError

MAX_URL_LENGTH = 2048
"""As for an item's link (`MAX_LINK_LENGTH`): a longer link could not be published."""

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

_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")
_IPV4_LIKE = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class LinkRejected(NewsbotError):
    """A link newsbot will not take; the message says why, for the reader."""


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
    # Here, not at the top: the archive imports this module for `twins`, a search included.
    from url_normalize import url_normalize

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
    host = check_host(host)
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port is not None else ""
    query = _without_tracking(parts.query)
    result = urlunsplit((parts.scheme, netloc, parts.path or "/", query, ""))
    if len(result) > MAX_URL_LENGTH:
        raise LinkRejected(f"it is too long (over {MAX_URL_LENGTH} characters)")
    if host_as_connected(result) != host:
        # The HTTP library would read another host than the one checked: take neither.
        raise LinkRejected("it is not a valid web address")
    return result


def twins(url: str) -> list[str]:
    """A normalised URL and the other spellings of its page, for deduplication: `url` first,
    then its other-scheme twin, then (for a path other than the root, with no query) the one
    with its trailing slash added or taken off, in either scheme; and for a path or query with
    square brackets, the same for each other way of writing them (`_bracket_spellings`).

    `https://example.net/agents/` and `https://example.net/agents` are one page to readers
    and editors, though normalising keeps each as written: links already stored stay as they
    are, and each spelling finds the other through its twins. Each spelling of a page has the
    same twins, so one page is one suggestion whichever spelling came first.
    """
    scheme, sep, rest = url.partition("://")
    other = {"http": "https", "https": "http"}.get(scheme)
    if not other or not sep:
        return [url]
    spellings = []
    for written in _bracket_spellings(rest):
        spellings.append(written)
        _, slash, path = written.partition("/")
        if slash and path.strip("/") and "?" not in written and not path.endswith("//"):
            spellings.append(written[:-1] if path.endswith("/") else f"{written}/")
    return [
        f"{name}{sep}{spelling}"
        for spelling in dict.fromkeys(spellings)
        for name in (scheme, other)
    ]


_ENCODED_BRACKET = re.compile("%5[BD]", re.IGNORECASE)


def _bracket_spellings(rest: str) -> list[str]:
    """`rest` (a normalised URL after `scheme://`) and, when its path has square brackets,
    the other way of writing them: all as they are (`[`) or all percent-encoded (`%5B`).

    Normalising keeps a path's brackets as written (a query's are always plain), while an
    issue file's links are stored as markdown-it writes them, encoded: a reader's
    `…/wiki/A_[b]` would otherwise never be found in the issue that carries it."""
    host, slash, tail = rest.partition("/")  # an IPv6 host's brackets stay as they are
    path, mark, query = tail.partition("?")
    if not slash or not ("[" in path or "]" in path or _ENCODED_BRACKET.search(path)):
        return [rest]
    plain = _ENCODED_BRACKET.sub(lambda m: "[" if m[0][-1] in "Bb" else "]", path)
    encoded = plain.replace("[", "%5B").replace("]", "%5D")
    return list(dict.fromkeys([rest, *(f"{host}/{p}{mark}{query}" for p in (plain, encoded))]))


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


def check_host(host: str) -> str:
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


def host_as_connected(url: str) -> str | None:
    """The host an HTTP request for `url` would go to, as aiohttp reads it (IDNA applied)."""
    import yarl

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
