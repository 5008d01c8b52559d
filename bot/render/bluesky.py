"""What newsbot posts on Bluesky: an issue as a thread of posts of at most 300 graphemes, each
URL shown shortened like the app shows it, with the full URL in a link facet.

The thread is `social.thread` (shared with every platform that posts threads); Bluesky's part is
its rules. A post's text is counted as it will be shown: graphemes (Unicode's extended grapheme
clusters, what `app.bsky.feed.post`'s `maxGraphemes: 300` counts), each URL as its short form.
After rendering, `rich_text` turns a post into the text sent and its link facets, each covering
exactly the bytes of a URL's short form in the UTF-8 text (`app.bsky.richtext.facet#byteSlice`).

Nothing in issue text mentions or tags anyone: Bluesky makes a mention or a hashtag only from a
facet, and newsbot sends link facets alone, so a literal `@name.bsky.social` or `#tag` stays
plain text and is left as written.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from bot.models import Issue
from bot.render.packing import graphemes
from bot.render.social import DEFAULT_MAX_POSTS, LinkMode, Post, PostRules, Thread
from bot.render.social import thread as social_thread
from bot.text import ELLIPSIS, without_controls

__all__ = [
    "MAX_BYTES",
    "POST_MAX",
    "RULES",
    "LinkFacet",
    "LinkMode",
    "RichText",
    "Thread",
    "as_shown",
    "rich_text",
    "short_url",
    "thread",
]

POST_MAX = 300
"""`app.bsky.feed.post` text: `maxGraphemes: 300`."""
MAX_BYTES = 3000
"""`app.bsky.feed.post` text: `maxLength: 3000` (a lexicon string's length is its UTF-8 bytes)."""
SHORT_PATH = 15
"""The app shows a URL's path whole up to 15 characters, else its first 13 and an ellipsis
(social-app, `toShortUrl` in `src/lib/strings/url-helpers.ts`)."""
SHORT_PATH_KEPT = 13

_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"…"


@dataclass(frozen=True)
class LinkFacet:
    """A link facet: the bytes `[byte_start, byte_end)` of the UTF-8 text lead to `uri`."""

    byte_start: int
    byte_end: int
    uri: str

    def to_record(self) -> dict[str, object]:
        """The facet as `app.bsky.richtext.facet` has it in a post record."""
        return {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": self.uri}],
        }


@dataclass(frozen=True)
class RichText:
    """A post as sent: the text shown, and one link facet per URL in it."""

    text: str
    facets: tuple[LinkFacet, ...] = ()


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds an `http(s)://` URL (trailing punctuation and an unbalanced `)` are
    not part of it, as the app detects links; nor is punctuation outside ASCII, such as the
    `。` or `」` that end a URL in text written without spaces)."""
    spans: list[tuple[int, int]] = []
    for match in _URL.finditer(text):
        start, end = match.span()
        end = next((at for at in range(start, end) if _ends_url(text[at])), end)
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        url = text[start:end]
        if url.endswith(")") and url.count("(") < url.count(")"):
            end -= 1
        if urlsplit(text[start:end]).netloc:
            spans.append((start, end))
    return spans


def _ends_url(char: str) -> bool:
    """Punctuation or a space outside ASCII: no link goes on past it (`。`, `、`, `」`, `）`)."""
    return not char.isascii() and unicodedata.category(char)[0] in "PZ"


@functools.lru_cache(maxsize=4096)
def short_url(url: str) -> str:
    """The URL as the app shows it: host and path, without the scheme; a path longer than 15
    characters cut to its first 13 and `…`."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2].lower()
    path = "" if parts.path in ("", "/") else parts.path
    if parts.query:
        path += "?" + parts.query
    if parts.fragment:
        path += "#" + parts.fragment
    if len(path) > SHORT_PATH:
        path = path[:SHORT_PATH_KEPT] + ELLIPSIS
    return host + path


def rich_text(text: str) -> RichText:
    """A post's text as sent to Bluesky: each URL replaced by its short form, and a link facet
    on exactly that form's bytes leading to the full URL."""
    shown: list[str] = []
    facets: list[LinkFacet] = []
    at = 0
    size = 0
    for start, end in url_spans(text):
        before = text[at:start]
        shown.append(before)
        size += len(before.encode())
        short = short_url(text[start:end])
        length = len(short.encode())
        facets.append(LinkFacet(size, size + length, text[start:end]))
        shown.append(short)
        size += length
        at = end
    shown.append(text[at:])
    return RichText("".join(shown), tuple(facets))


@functools.lru_cache(maxsize=65536)
def length(text: str) -> int:
    """Bluesky's count of a post: the graphemes of the text as shown (URLs shortened)."""
    return len(graphemes(rich_text(text).text))


BYTES_PER_GRAPHEME = MAX_BYTES // POST_MAX
"""A post full in bytes holds 10 bytes for each of the 300 graphemes it may have."""


@functools.lru_cache(maxsize=65536)
def share(text: str) -> int:
    """What a text takes of a post's 300: its graphemes as shown, or a tenth of its UTF-8 bytes
    if more (text dense in bytes meets the 3000 bytes first: a letter under many combining
    marks, emoji joined by ZWJs, a flag spelled in tag characters). At most 300 exactly when
    both limits are kept."""
    shown = rich_text(text).text
    return max(len(graphemes(shown)), -(-len(shown.encode()) // BYTES_PER_GRAPHEME))


def fits(text: str) -> bool:
    """Whether Bluesky accepts the post: 1…300 graphemes and at most 3000 bytes as shown."""
    shown = rich_text(text).text
    return 0 < len(graphemes(shown)) <= POST_MAX and len(shown.encode()) <= MAX_BYTES


def clean(text: str) -> str:
    """Issue text as posted: NFC, no control characters. Mentions and tags need no defusing:
    only facets make them, and newsbot sends none."""
    return unicodedata.normalize("NFC", without_controls(text))


RULES = PostRules(
    platform="Bluesky",
    limit=POST_MAX,
    length=length,
    url_spans=url_spans,
    clean=clean,
    fits=fits,
    share=share,
)
"""Bluesky's rules: 300 graphemes and 3000 bytes, each URL counted as its short form."""


def thread(
    issue: Issue, *, links: LinkMode = LinkMode.ISSUE, max_posts: int = DEFAULT_MAX_POSTS
) -> Thread:
    """The issue as a thread on Bluesky of at most `max_posts` posts, condensed if it must be
    (see `social.thread`)."""
    return social_thread(issue, RULES, links=links, max_posts=max_posts)


def as_shown(rendered: Thread) -> Thread:
    """The thread with each post's text as the app shows it (URLs short): for previews."""
    shown = tuple(replace(post, text=rich_text(post.text).text) for post in rendered.posts)
    return replace(rendered, posts=shown)


def posts(rendered: Thread) -> list[tuple[Post, RichText]]:
    """Each post of a rendered thread with what is sent for it."""
    return [(post, rich_text(post.text)) for post in rendered.posts]
