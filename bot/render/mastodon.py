"""What newsbot posts on Mastodon: an issue as a thread of statuses, each within the instance's
`max_characters` as the server counts it.

The thread itself is `social.thread`; Mastodon's part is its rules, read from the instance
(`GET /api/v2/instance`: `configuration.statuses.max_characters`, default 500, and
`characters_reserved_per_url`, 23). The count is the server's (Mastodon's
`StatusLengthValidator`): grapheme clusters, after each URL with a scheme is replaced by
`characters_reserved_per_url` characters and each `@user@host` by `@user`. Text from the issue
never mentions or tags anyone: `@name` and `#word` are broken with a zero-width space.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot.models import Issue
from bot.render.packing import graphemes
from bot.render.social import DEFAULT_MAX_POSTS, LinkMode, PostRules, Thread
from bot.render.social import thread as social_thread
from bot.text import ZERO_WIDTH_SPACE

__all__ = ["CHARACTERS_RESERVED_PER_URL", "MAX_CHARACTERS", "rules", "thread"]

MAX_CHARACTERS = 500
"""Mastodon's default `max_characters`."""
CHARACTERS_RESERVED_PER_URL = 23
"""Mastodon's default `characters_reserved_per_url`."""

_REMOTE_MENTION = re.compile(r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@\w+(?:[.-]+\w+)*", re.I)
"""A mention of an account on another server, as Mastodon finds it (`Account::MENTION_RE`)."""
_TAG_OR_MENTION = re.compile(r"(?<![=/\w])([@＠])(?=\w)|([#＃])(?=[\w\u00b7\u30fb\u200c]*[^\W\d_])")
"""Wider than Mastodon's own rules on purpose: any `@` before a word character but one inside
a word (an e-mail address: no mention, as `Account::MENTION_RE` reads it, and left whole),
any `#` before a name holding a letter, wherever it stands (Mastodon ≥ 4.3 also reads the
fullwidth `＃`)."""


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where Mastodon sees URLs: twitter-text's extractor, only URLs with a scheme, whose
    path never ends in one of `_NOT_PATH_END` (`…/id/abc==` is a URL and two `=`)."""
    return list(_url_spans(text))


_NOT_PATH_END = frozenset("!*\"'「」<>;:=,.$%[]~&|@")
"""Mastodon's `valid_url_path_ending_chars` (its `twitter_regex.rb`) leaves these out; of
them twitter-text lets a path end only in `=`."""


# Packing a thread asks again about the same words each time it tries a shorter form.
@functools.lru_cache(maxsize=65536)
def _url_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans = []
    for entity in extract_urls_with_indices(text, extract_urls_without_protocol=False):
        start, end = int(entity["indices"][0]), int(entity["indices"][1])
        if "?" not in text[start:end]:
            while text[end - 1] in _NOT_PATH_END:
                end -= 1
        spans.append((start, end))
    return tuple(spans)


@functools.lru_cache(maxsize=65536)
def status_length(text: str, per_url: int = CHARACTERS_RESERVED_PER_URL) -> int:
    """Mastodon's length of a status's text: grapheme clusters, each URL `per_url`, and each
    `@user@host` counted as `@user`."""
    spans = url_spans(text)
    total = 0
    at = 0
    for start, end in [*spans, (len(text), len(text))]:
        between = _REMOTE_MENTION.sub(lambda m: "@" + m.group(1), text[at:start])
        total += len(graphemes(between))
        if end > start:
            total += per_url
        at = end
    return total


def clean(text: str) -> str:
    """NFC, with every `@name`, `#tag` (and their fullwidth forms) broken by a zero-width
    space outside URLs, so nothing from the issue mentions an account or makes a hashtag."""
    text = unicodedata.normalize("NFC", text)
    parts: list[str] = []
    at = 0
    for start, end in url_spans(text):
        parts += [_defuse(text[at:start]), text[start:end]]
        at = end
    parts.append(_defuse(text[at:]))
    return "".join(parts)


def _defuse(text: str) -> str:
    return _TAG_OR_MENTION.sub(lambda m: (m.group(1) or m.group(2)) + ZERO_WIDTH_SPACE, text)


@functools.cache
def rules(
    max_characters: int = MAX_CHARACTERS, per_url: int = CHARACTERS_RESERVED_PER_URL
) -> PostRules:
    """Mastodon's rules for an instance with these figures (its `/api/v2/instance`)."""

    def length(text: str) -> int:
        return status_length(text, per_url)

    def fits(text: str) -> bool:
        return bool(text.strip()) and length(text) <= max_characters

    return PostRules(
        platform="Mastodon",
        limit=max_characters,
        length=length,
        url_spans=url_spans,
        clean=clean,
        fits=fits,
    )


def thread(
    issue: Issue,
    *,
    max_characters: int = MAX_CHARACTERS,
    per_url: int = CHARACTERS_RESERVED_PER_URL,
    links: LinkMode = LinkMode.ITEMS,
    max_posts: int = DEFAULT_MAX_POSTS,
) -> Thread:
    """The issue as a thread on an instance with these figures, of at most `max_posts`
    statuses, condensed if it must be (see `social.thread`)."""
    return social_thread(issue, rules(max_characters, per_url), links=links, max_posts=max_posts)
