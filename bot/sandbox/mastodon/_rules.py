"""Mastodon's own text rules, as its server applies them to a new status.

Each is a port of the server's Ruby (mastodon/mastodon), named where it lives there:

- the length (`app/validators/status_length_validator.rb`): the text's grapheme clusters after
  each URL (twitter-text's extractor, without protocol-less URLs) is replaced by
  `characters_reserved_per_url` characters and each `@user@host` mention by `@user`; the
  instance announces both figures in `GET /api/v2/instance` (docs: "Instance" entity,
  `configuration.statuses`);
- mentions (`app/models/account.rb`, `Account::MENTION_RE`) and hashtags (`app/models/tag.rb`,
  `Tag::HASHTAG_RE`, in both its current form and the older one still on many servers): what
  the server links and notifies when a status is posted.
"""

from __future__ import annotations

import re

import regex

from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices

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


NOT_PATH_END = frozenset("!*\"'「」<>;:=,.$%[]~&|@")
"""What a URL's path never ends in on Mastodon (`config/initializers/twitter_regex.rb`,
`valid_url_path_ending_chars`): of these twitter-text lets a path end only in `=`."""


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where the server sees URLs: twitter-text's extractor, only URLs with a scheme, with
    Mastodon's own end to a path (`NOT_PATH_END`): `…/id/abc==` is a URL and two `=`."""
    spans = []
    for entity in extract_urls_with_indices(text, extract_urls_without_protocol=False):
        start, end = int(entity["indices"][0]), int(entity["indices"][1])
        if "?" not in text[start:end]:
            while text[end - 1] in NOT_PATH_END:
                end -= 1
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
