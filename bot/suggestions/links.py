"""The links in what readers write: found, normalised, and why the others were not taken.

Pure; no platform library. A cog or the command line hands in a message's text and its
embeds' URLs; `scan` gives back the links worth suggesting and, for every other link, why it
was not taken, in words a reader understands. Each link taken is in its one normal form
(`bot.models.links.normalise`), so two spellings of one page are one suggestion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.models import Issue, Suggestion
from bot.models.links import LinkRejected, normalise, twins

MAX_LINKS_PER_MESSAGE = 10
"""A message with more links is a list, not a suggestion: the first ten are taken."""
MAX_SCANNED_TEXT = 20_000
"""Text past this is not scanned (Discord's content limit is 2000; embeds add up to 6000)."""

_CANDIDATE = re.compile(
    # scheme://… for any scheme, or the script-like schemes that need no slashes; not inside
    # a word, though after `_` (Markdown's italics: `_https://…_`). A `|` is part of a link,
    # as Discord links it (`?family=Roboto|Open+Sans`), but `||` ends one: a spoiler's fence.
    # So does `](`, where a Markdown link's text ends and its address begins: in
    # `[https://a.example](https://a.example)` the text is a link of its own.
    r"(?i)(?<![^\W_])(?<!@)(?:[a-z][a-z0-9+.\-]{0,30}://|(?:javascript|vbscript|data|file|mailto):)"
    r"(?:[^\s<>\"'`|\]\\\x00-\x1f\x7f]|\|(?!\|)|\](?!\())*"
)
_TRAILING = ".,;:!?'\"*_~»”’…|"


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

    def since(self, before: Scan) -> Scan:
        """What this scan of an edited message has that `before`, its scan before the edit,
        did not: the links and refusals new to it, and its dropped links if there are more.
        A link spelled another way than before (`twins`: a trailing slash, http for https) is
        the same page, not a new link."""
        seen = {twin for url in before.links for twin in twins(url)}
        return Scan(
            tuple(url for url in self.links if url not in seen),
            tuple(rejection for rejection in self.rejected if rejection not in before.rejected),
            self.dropped if self.dropped > before.dropped else 0,
        )

    def dumps(self) -> str:
        """The scan as text to keep (JSON), for `Scan.loads`."""
        rejected = [[rejection.shown, rejection.reason] for rejection in self.rejected]
        return json.dumps({"links": self.links, "rejected": rejected, "dropped": self.dropped})

    @classmethod
    def loads(cls, text: str) -> Scan:
        """A scan kept by `dumps`."""
        kept = json.loads(text)
        return cls(
            tuple(str(url) for url in kept["links"]),
            tuple(Rejection(str(shown), str(reason)) for shown, reason in kept["rejected"]),
            int(kept["dropped"]),
        )


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
    return [text[start:end] for start, end in link_spans(text)]


def link_spans(text: str) -> list[tuple[int, int]]:
    """Where each of `candidates` is in `text`: its (start, end), in order."""
    spans = []
    for match in _CANDIDATE.finditer(text[:MAX_SCANNED_TEXT]):
        if link := _trim(match.group(0)):
            spans.append((match.start(), match.start() + len(link)))
    return spans


def scan(texts: Iterable[str], urls: Iterable[str] = ()) -> Scan:
    """The links in a message's `texts` and its embeds' `urls`: those taken, and why not others.

    Duplicates (after normalisation, and other spellings of one page: `twins`) count once, as
    first written; at most `MAX_LINKS_PER_MESSAGE` are looked at.
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
            url = inside_discord(normalise(candidate))
        except LinkRejected as exc:
            rejected.append(Rejection(shown_as(candidate), str(exc)))
            continue
        if url not in seen:
            seen.update(twins(url))
            links.append(url)
    return Scan(tuple(links), tuple(rejected), dropped=len(dict.fromkeys(raw)) - looked)


_DISCORD_SITES = frozenset(
    f"{sub}{site}"
    for site in ("discord.com", "discordapp.com")
    for sub in ("", "www.", "ptb.", "canary.")
)
_DISCORD_INVITES = frozenset({"discord.gg", "www.discord.gg"})
_DISCORD_FILES = frozenset({"cdn.discordapp.com", "media.discordapp.net"})


def inside_discord(url: str) -> str:
    """`url`, a normalised link, unless it is one to a place inside Discord that a newsletter's
    readers could not open as a page: then raise `LinkRejected` saying why.

    An invite is an advert for a server, not a page to read; a message or channel link
    (`/channels/…`) opens only for that server's members; a file attached to a message is
    served by a signed link that expires within a day (Discord's developer documentation,
    Reference, "Signed Attachment CDN URLs"); an address of Discord's API (`/api/…`) is
    no page, and a webhook's holds its secret token. Discord's own public pages (its blog, its
    documentation) are taken like any other site.
    """
    parts = urlsplit(url)
    host, first = parts.hostname or "", parts.path.split("/")[1]
    if host in _DISCORD_INVITES or (host in _DISCORD_SITES and first == "invite"):
        raise LinkRejected("it is an invite to a Discord server, not a page to read")
    if host in _DISCORD_SITES and first == "channels":
        raise LinkRejected(
            "it opens a Discord message or channel, which only that server's members can see"
        )
    if host in _DISCORD_SITES and first == "api":
        # A webhook's address (`/api/webhooks/<id>/<token>`) holds the secret that posts
        # through it: never kept, shown on a card or published.
        raise LinkRejected("it is an address of Discord's API, not a page to read")
    if host in _DISCORD_FILES and first in ("attachments", "ephemeral-attachments"):
        raise LinkRejected("it is a file attached on Discord, and such links expire within a day")
    return url


def shown_as(candidate: str) -> str:
    """How a link may be named back to a reader: its scheme and host at most, never its path."""
    scheme, sep, rest = candidate.partition(":")
    if not sep or len(scheme) > 30:
        return "a link"
    if scheme.lower() not in ("http", "https"):
        return f"{_article(scheme.lower())} {scheme.lower()}: link"
    host = rest.lstrip("/").split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rpartition("@")[2][:60]
    return host.lower() or "a link"


def _article(scheme: str) -> str:
    """ "a" or "an" before `scheme`, by its sound: an about:, an ftp:, a javascript:, a tel:.

    A scheme without a vowel is spelled out, and f, h, l, m, n, r, s and x sound "eh…"."""
    if scheme[:1] in "aeiou":
        return "an"
    if not re.search(r"[aeiouy]", scheme) and scheme[:1] in "fhlmnrsx":
        return "an"
    return "a"


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
