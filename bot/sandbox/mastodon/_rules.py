"""Mastodon's own text rules, as its server applies them to a new status.

Each is a port of the server's Ruby (mastodon/mastodon), named where it lives there:

- the length (`app/validators/status_length_validator.rb`): the text's grapheme clusters after
  each URL (the twitter-text gem's extractor on Mastodon's own URL pattern, its
  `config/initializers/twitter_regex.rb`, without protocol-less URLs) is replaced by
  `characters_reserved_per_url` characters and each `@user@host` mention by `@user`; the
  instance announces both figures in `GET /api/v2/instance` (docs: "Instance" entity,
  `configuration.statuses`);
- mentions (`app/models/account.rb`, `Account::MENTION_RE`) and hashtags (`app/models/tag.rb`,
  `Tag::HASHTAG_RE`, in both its current form and the older one still on many servers): what
  the server links and notifies when a status is posted.

newsbot's renderer (`bot/render/mastodon.py`) ports the same URL pattern. The two copies are
kept apart on purpose: the emulator judges what the renderer counts, so it imports nothing of
newsbot's own, and a change to one that the other lacks shows as a refused status in the
tests, where one shared pattern would hide a porting mistake in both.
"""

from __future__ import annotations

import re

import regex

from bot._vendor.twitter_text.extract_urls import is_valid_url
from bot._vendor.twitter_text.regexp.valid_domain import valid_domain
from bot._vendor.twitter_text.regexp.valid_port_number import valid_port_number
from bot._vendor.twitter_text.regexp.valid_tco_url import valid_tco_url
from bot._vendor.twitter_text.regexp.valid_url_balanced_parens import valid_url_balanced_parens
from bot._vendor.twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars

MAX_CHARACTERS = 500
"""`StatusLengthValidator::MAX_CHARS`, the default `max_characters`."""
CHARACTERS_RESERVED_PER_URL = 23
"""`StatusLengthValidator::URL_PLACEHOLDER_CHARS`."""
_GRAPHEME = regex.compile(r"\X")
"""Ruby's `each_grapheme_cluster`: Unicode's extended grapheme clusters (UAX #29)."""

_USERNAME = r"[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*"
MENTION_RE = re.compile(
    rf"(?<![=/\w])@(?P<acct>(?P<username>{_USERNAME})(?:@\w+(?:[.-]+\w+)*)?)", re.IGNORECASE
)
"""`Account::MENTION_RE`: `@user` or `@user@host`, not after `=`, `/` or a word character."""

_ALPHA = r"[^\W\d_]"
_SEPARATORS = "_\u00b7\u30fb\u200c"
_NAME = (
    rf"(?:\w[\w{_SEPARATORS}]*(?:{_ALPHA}|[{_SEPARATORS}])[\w{_SEPARATORS}]*\w"
    rf"|\w*{_ALPHA}\w*)"
)
HASHTAG_RE = re.compile(rf"(?:(?<=^)|(?<=\s))[#＃](?P<name>{_NAME})", re.IGNORECASE)
"""`Tag::HASHTAG_RE` (Mastodon 4.3+): `#` or `＃` at the start or after a space, then a name
holding a letter."""
OLD_HASHTAG_RE = re.compile(rf"(?:^|[^/)\w])#(?P<name>{_NAME})", re.IGNORECASE)
"""`Tag::HASHTAG_RE` before 4.3: `#` after anything but `/`, `)` or a word character."""


# Mastodon's URLs (`config/initializers/twitter_regex.rb`) are twitter-text's with its own
# path, path end, query and schemes: a path is any run of characters but white space, `<>()?`
# (parentheses only balanced), ending in none of `()?!*"'「」<>;:=,.$%[]~&|@`; a query may also
# hold `^` and any character past U+00A0 Mastodon lists (`UCHARS`).
_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_PARENS = rf"\((?:{_PATH_CHAR}+|{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*)\)"
# Its path end takes twitter-text's balanced parentheses: Mastodon sets it before its own.
_PATH_END = (
    rf"""(?:[^\p{{White_Space}}()?!*"'「」<>;:=,.$%\[\]~&|@]|{valid_url_balanced_parens.pattern})"""
)
_PATH = rf"(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END}|{_PATH_CHAR}+/)"
_UCHARS = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    "\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    "\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd"
    "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
_QUERY = rf"\?[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@^{_UCHARS}]*[a-z0-9_&=#/\-{_UCHARS}]"
VALID_URL = regex.compile(
    rf"({valid_url_preceding_chars.pattern})"
    rf"(((?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://)?"
    rf"({valid_domain.pattern})(?::({valid_port_number.pattern}))?(/{_PATH}*)?({_QUERY})?)",
    regex.IGNORECASE,
)
"""Mastodon's `Twitter::TwitterText::Regex[:valid_url]`: preceding character, URL, scheme,
domain, port, path, query."""


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where the server sees URLs: the twitter-text gem's `extract_urls_with_indices` with
    `extract_url_without_protocol: false`, on Mastodon's `VALID_URL` (a URL needs its scheme;
    a `t.co` URL ends after its slug; a URL over 4096 characters, its domain in punycode, is
    none)."""
    if ":" not in text:
        return []
    spans = []
    for match in VALID_URL.finditer(text):
        if not match[3]:
            continue
        start, end = match.span(2)
        url = match[2]
        tco = valid_tco_url.match(url)
        if tco:
            if tco[1] and len(tco[1]) > 40:
                continue
            end = start + len(tco[0])
        if is_valid_url(text[start:end], match[3], match[4]):
            spans.append((start, end))
    return spans


def countable_text(text: str, per_url: int = CHARACTERS_RESERVED_PER_URL) -> str:
    """`StatusLengthValidator#countable_text`: URLs as `per_url` x's, `@user@host` as `@user`."""
    entities: list[tuple[int, int, str]] = [(s, e, "x" * per_url) for s, e in url_spans(text)]
    for match in MENTION_RE.finditer(text):
        start, end = match.span()
        if not any(s < end and start < e for s, e, _ in entities):
            entities.append((start, end, "@" + match["username"]))
    parts: list[str] = []
    at = 0
    for start, end, replacement in sorted(entities):
        parts += [text[at:start], replacement]
        at = end
    parts.append(text[at:])
    return "".join(parts)


def status_length(text: str, per_url: int = CHARACTERS_RESERVED_PER_URL) -> int:
    """The length Mastodon checks against `max_characters` (without a content warning)."""
    return len(_GRAPHEME.findall(countable_text(text, per_url)))


def mentions(text: str) -> list[str]:
    """The accounts a status with this text would mention (`user` or `user@host`)."""
    return [m["acct"] for m in MENTION_RE.finditer(_outside_urls(text))]


def hashtags(text: str) -> list[str]:
    """The hashtags a status with this text would carry (by either form of the rule)."""
    plain = _outside_urls(text)
    found = [m["name"] for m in HASHTAG_RE.finditer(plain)]
    return found + [m["name"] for m in OLD_HASHTAG_RE.finditer(plain) if m["name"] not in found]


def _outside_urls(text: str) -> str:
    """The text with its URLs blanked: a `#` or `@` inside a link is no tag or mention."""
    for start, end in url_spans(text):
        text = text[:start] + " " * (end - start) + text[end:]
    return text
