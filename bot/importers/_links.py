"""Links in an imported newsletter: resolved to absolute, checked http(s) addresses, or told
why not.

A mail template's placeholder where an address goes (Mailchimp's `*|UNSUB|*`, a `{{
unsubscribe_url }}`, a `%%view_email_url%%`) is filled in for each subscriber when the email
is sent; the feed's copy holds it as written. Resolved against the entry's address it would
look like a link, to a page that does not exist.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from markdown_it.common.utils import unescapeAll
from pydantic import TypeAdapter, ValidationError

from bot.models import Link, link_problem

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_LINK = TypeAdapter(Link)
_ENTITY_AMPERSAND = re.compile(r"&(?=#?[A-Za-z0-9]{1,31};)")
_PLACEHOLDER = re.compile(r"\*\|[^|]*\|\*|\{\{.*?\}\}|\{%.*?%\}|%%[^%\s]+%%|\[[A-Z_]{3,}\]")


def resolve_link(href: str, base: str | None) -> str | None:
    """The absolute, normalised http(s) URL an `href` points to, or None if it has none."""
    href = href.strip()
    if _SCHEME.match(href) and not href.lower().startswith(("http:", "https:")):
        return None
    if _PLACEHOLDER.search(href):
        return None
    try:
        url = urljoin(base, href) if base else href
        link = _LINK.validate_python(re.sub(r"\s", "%20", url))
    except (ValueError, ValidationError):
        # urljoin raises ValueError on a malformed address, such as an unclosed IPv6 `[`.
        return None
    # Markdown decodes `&…;` in a link's address, so the file would read back another link.
    link = _ENTITY_AMPERSAND.sub("%26", link)
    return link if unescapeAll(link) == link else None


def link_refusal(href: str, base: str | None) -> str:
    """Why `resolve_link` makes no link of `href`, as the end of a sentence about it: "is not
    http(s)", or what is wrong with a web link ("is not valid (a link needs a host …)")."""
    href = href.strip()
    found = _SCHEME.match(href)
    scheme = found.group(1).lower() if found else ""
    if scheme and scheme not in ("http", "https"):
        return "is not http(s)"
    if _PLACEHOLDER.search(href):
        return "is a mail template's placeholder, filled in only in the email sent"
    if not scheme and not base:
        return "is relative, and the feed gives no address to resolve it against"
    try:
        url = urljoin(base, href) if base else href
    except ValueError as exc:
        return f"is not valid ({exc})"
    problem = link_problem(re.sub(r"\s", "%20", url))
    if problem is None:
        # resolve_link's last check: Markdown decodes escapes and entities in an address.
        problem = "an issue file would read it back as another address"
    return f"is not valid ({problem})"
