"""X's text rules: lengths as X counts them, and issue text made fit to post on X.

Lengths are X's own, counted by twitter-text (`parse_tweet(...).weightedLength`: most Latin 1,
CJK 2, an emoji 2, any URL 23, after NFC) — never `len()`. Text from the issue never pings or
tags anyone on X: `@name`, `$TSLA` and `#tag` are broken with a zero-width space (the fullwidth
`＠` would not do: X reads it as a mention too). Nor does it make a link the editor did not
write: X links a domain without its scheme (`example.com`, `ASP.NET`, `github.com/a/b`), so
each dot of such a domain is followed by a zero-width space; an address written with its
`https://` stays a link.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import regex

from bot._vendor.twitter_text import parse_tweet
from bot._vendor.twitter_text.config import config
from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot._vendor.twitter_text.regexp.emoji import emoji_chars
from bot.render.commonmark import plain_line
from bot.text import ZERO_WIDTH_SPACE

POST_MAX = 280
"""X's limit, in weighted characters."""
URL_WEIGHT = 23

_MENTION_OR_CASHTAG = re.compile(
    r"(?:(?<![A-Za-z0-9_!#$%&*@＠])|(?<=[rR][tT])|(?<=[rR][tT]:))([@＠])(?=[A-Za-z0-9_])"
    r"|(\$)(?=[A-Za-z])"
)
"""An `@` X may read as a mention (twitter-text's `validMentionPrecedingChars`: not after a
letter, digit or `_!#$%&*@`, unless after `RT`), or a `$` before a letter. An `@` inside a
word, as in an e-mail address, is no mention: broken, it would make the domain after it a
link that X counts and bills as one."""
_HASHTAG = regex.compile(
    r"([#＃])(?![\ufe0f\u20e3])(?=[\p{L}\p{M}\p{Nd}_\u200c\u200d\ua67e\u05be\u05f3\u05f4"
    r"\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7]*[\p{L}\p{M}])"
)
"""A `#` or `＃` X may read as a hashtag (twitter-text's `validHashtag`: a name of letters, marks,
digits and its few joining characters, holding a letter or a mark; not a keycap `#️⃣`). Wider
than X's rule on purpose: whatever comes before it."""
_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_HOST_END = re.compile(r"[/:?#]")
_INVALID = re.compile("[\ufffe\ufeff\uffff\u202a-\u202e]")


# --- measuring ------------------------------------------------------------------------------


_WEIGHTS: dict[str, Any] = config["defaults"]
_LIGHT = "".join(rf"\U{r['start']:08x}-\U{r['end']:08x}" for r in _WEIGHTS["ranges"])
_HEAVY = re.compile(f"[^{_LIGHT}]")
"""A character that weighs 2 (outside twitter-text's ranges that weigh 1)."""


@functools.lru_cache(maxsize=65536)
def weighted_length(text: str) -> int:
    """X's length of `text`: twitter-text's weighted length (a URL counts 23)."""
    if (
        "\r" in text
        or not emoji_chars.isdisjoint(text)
        or not unicodedata.is_normalized("NFC", text)
    ):
        return int(parse_tweet(text).weightedLength)
    # Text with no emoji, no line ending to convert and nothing to normalise: parse_tweet's
    # count, without weighing each character in Python.
    urls = {entity["indices"][0]: len(entity["url"]) for entity in extract_urls_with_indices(text)}
    length = at = 0
    for start in sorted(urls):
        if start >= at:
            length += _plain_length(text[at:start]) + URL_WEIGHT
            at = start + urls[start]
    return length + _plain_length(text[at:])


def _plain_length(text: str) -> int:
    return len(text) + sum(1 for _ in _HEAVY.finditer(text))


def fits(text: str) -> bool:
    """Whether X accepts `text` as one post: 1…280 weighted characters, no invalid ones."""
    return bool(parse_tweet(text).valid)


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where twitter-text finds URLs in `text` (also those without `https://`)."""
    return list(_url_spans(text))


# Packing a thread asks again about the same words each time it tries a shorter form.
@functools.lru_cache(maxsize=65536)
def _url_spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(
        (int(entity["indices"][0]), int(entity["indices"][1]))
        for entity in extract_urls_with_indices(text)
    )


# --- cleaning issue text --------------------------------------------------------------------


def neutralise(text: str) -> str:
    """`text` with every `@name`, `$TAG` and `#tag` broken by a zero-width space, no domain
    linked without its scheme, URLs with theirs left whole.

    Wider than X's own rules on purpose (any `@`/`＠` X may read as a mention, any `$` before
    a letter, any `#` before a name), so nothing written in an issue can mention an account,
    make a cashtag or a hashtag, or a link the editor did not write out (a post with a link
    also costs about 13 times more).
    """
    text = unlink_bare_domains(text)
    parts: list[str] = []
    at = 0
    for start, end in url_spans(text):
        parts += [_break_tags(text[at:start]), text[start:end]]
        at = end
    parts.append(_break_tags(text[at:]))
    # Broken, `@alice.example.com`, `José@example.com` or `#AI.dev` would leave X a domain
    # after the invisible space, and X would link it.
    return unlink_bare_domains("".join(parts))


def _break_tags(text: str) -> str:
    text = _MENTION_OR_CASHTAG.sub(lambda m: (m.group(1) or m.group(2)) + ZERO_WIDTH_SPACE, text)
    return _HASHTAG.sub(lambda m: m.group(1) + ZERO_WIDTH_SPACE, text)


def unlink_bare_domains(text: str) -> str:
    """`text` with a zero-width space after each dot of every domain X would link without a
    scheme (twitter-text links `example.com`, `ASP.NET`, `docs.python.org/3/`; a country's
    domain only with a path, `model.py/x`): it reads the same and links nothing."""
    for _ in range(4):
        bare = [(s, e) for s, e in url_spans(text) if not _SCHEME.match(text, s)]
        if not bare:
            break
        parts: list[str] = []
        at = 0
        for start, end in bare:
            host_end = _HOST_END.search(text, start, end)
            cut = host_end.start() if host_end else end
            parts += [text[at:start], text[start:cut].replace(".", "." + ZERO_WIDTH_SPACE)]
            at = cut
        parts.append(text[at:])
        text = "".join(parts)
    return text


def plain_text(markdown: str, *, keep_links: bool) -> str:
    """A blurb's Markdown as one line of plain text for X; links become their text (and URL)."""
    return clean(plain_line(markdown, keep_links=keep_links))


def clean(text: str) -> str:
    """NFC (X stores that), without the characters X refuses, mentions and cashtags broken."""
    return neutralise(_INVALID.sub("", unicodedata.normalize("NFC", text)))
