"""What readers write with a suggestion, as kept: one line, no control characters, bounded."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.models.links import LinkRejected, normalise, twins
from bot.suggestions.links import link_spans
from bot.text import MENTION, defuse_mentions, one_line, shorten, without_direction_controls

NOTE_MAX = 300
"""A reader's note is kept to this many characters."""

_MASKED_LINK = re.compile(r"\[([^\[\]]*)\]\(\s*(?:<\s*>\s*)?(?:\"[^\"]*\"\s*)?\)")
"""A Markdown link `[text](…)` whose address is gone: its text is the reader's words. (One
`\\s*` between any two parts: two side by side would try every split of a run of spaces.)"""
_EMPTY_FENCE = re.compile(r"(?<!`)(`{3,})[\w+.#-]*\s*\1(?!`)")
"""A code block left empty (`` ```py ``` ``)."""
_EMPTY_PAIR = re.compile(r"(?<![`|~*_])(`+|\|\||~~|\*+|_+)(?![`|~*_])\s*(?<![`|~*_])\1(?![`|~*_])")
"""Markdown around nothing: a code span, a spoiler, bold, italics, a strikethrough."""
_EMPTY_BRACKETS = re.compile(r"<\s*>|\[\s*\]|\(\s*\)")
_UNWRAPPING_ROUNDS = 8
"""How many times the Markdown left around nothing is taken out: each round peels one layer
(`(**)`, then `()`). A reader's note nests a few; a message of thousands of brackets nested
would take a round per bracket, each over the whole message, holding up every reader."""


def clean_note(note: str | None) -> str | None:
    """A reader's note as kept: one line, no control characters (direction controls
    included: see `without_direction_controls`), at most `NOTE_MAX`."""
    if note is None:
        return None
    return shorten(one_line(without_direction_controls(note)), NOTE_MAX) or None


def without_links(text: str, links: Iterable[str]) -> str:
    """What a reader wrote around `links` in `text`, without the Markdown that wrapped them.

    A masked link keeps its text; a code span or block, a spoiler, emphasis, angle brackets
    or parentheses left around nothing go. A mention the reader did not write themselves
    (`@every[one](…)` …) is never made: one the removals would form is defused.
    """
    for link in sorted(set(links), key=len, reverse=True):  # a link may begin another
        text = text.replace(link, " ")
    return _unwrapped(text)


def reply_note(text: str, url: str | None = None) -> str | None:
    """The note kept with a reader's suggestion of `url` (normalised) from their reply `text`.

    Their words, as `without_links` leaves them, and the other links they wrote as written:
    each is a suggestion of its own, but what the reader says of this one may name it ("see
    also [the thread](…)"). Without `url`, their words alone. A link that is not taken
    (`javascript:` …) is never kept.
    """
    own = set(twins(url)) if url is not None else None
    gone = [
        (start, end)
        for start, end in link_spans(text)
        if own is None or (normal := _normal(text[start:end])) is None or normal in own
    ]
    for start, end in reversed(gone):
        text = f"{text[:start]} {text[end:]}"
    return clean_note(_unwrapped(text))


def _normal(link: str) -> str | None:
    try:
        return normalise(link)
    except LinkRejected:
        return None


def _unwrapped(text: str) -> str:
    """`text`, its links taken out, without the Markdown left around nothing."""
    written = text
    for _ in range(_UNWRAPPING_ROUNDS):
        cleaned = _MASKED_LINK.sub(r"\1", text)
        for empty in (_EMPTY_FENCE, _EMPTY_PAIR, _EMPTY_BRACKETS):
            cleaned = empty.sub(" ", cleaned)
        if cleaned == text:
            break
        text = cleaned
    return MENTION.sub(lambda m: m[0] if m[0] in written else defuse_mentions(m[0]), text)
