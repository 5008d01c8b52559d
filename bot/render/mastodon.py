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

import regex

from bot._vendor.twitter_text.extract_urls import is_valid_url
from bot._vendor.twitter_text.regexp.valid_domain import valid_domain
from bot._vendor.twitter_text.regexp.valid_port_number import valid_port_number
from bot._vendor.twitter_text.regexp.valid_tco_url import valid_tco_url
from bot._vendor.twitter_text.regexp.valid_url_balanced_parens import valid_url_balanced_parens
from bot._vendor.twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars
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
    """Where Mastodon sees URLs: only URLs with a scheme, as its server finds them (twitter-text's
    extractor on Mastodon's own URL pattern, `_URL`)."""
    return list(_url_spans(text))


# Mastodon's URL pattern is twitter-text's with its own path, path end, query and schemes
# (`config/initializers/twitter_regex.rb`): a path runs to white space or `<>()?` (parentheses
# only balanced) and ends in none of `()?!*"'「」<>;:=,.$%[]~&|@`, so `…/wiki/日本` is one URL
# and `…/id/abc==` a URL and two `=`; a query may also hold `^` and most characters past
# U+00A0.
_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_PARENS = rf"\((?:{_PATH_CHAR}+|{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*)\)"
_PATH_END = (
    rf"""(?:[^\p{{White_Space}}()?!*"'「」<>;:=,.$%\[\]~&|@]|{valid_url_balanced_parens.pattern})"""
)
_PATH = rf"(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END}|{_PATH_CHAR}+/)"
_WIDE = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    "\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    "\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd"
    "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
_QUERY = rf"\?[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@^{_WIDE}]*[a-z0-9_&=#/\-{_WIDE}]"
_URL = regex.compile(
    rf"({valid_url_preceding_chars.pattern})"
    rf"(((?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://)?"
    rf"({valid_domain.pattern})(?::{valid_port_number.pattern})?(/{_PATH}*)?({_QUERY})?)",
    regex.IGNORECASE,
)
_TCO_SLUG_MAX = 40


# Packing a thread asks again about the same words each time it tries a shorter form.
@functools.lru_cache(maxsize=65536)
def _url_spans(text: str) -> tuple[tuple[int, int], ...]:
    if ":" not in text:
        return ()
    spans = []
    for match in _URL.finditer(text):
        if not match[3]:
            continue  # no scheme: no link on Mastodon
        start, end = match.span(2)
        tco = valid_tco_url.match(match[2])
        if tco:
            if tco[1] and len(tco[1]) > _TCO_SLUG_MAX:
                continue
            end = start + len(tco[0])
        if is_valid_url(text[start:end], match[3], match[4]):
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
