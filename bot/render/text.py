"""Discord Markdown for text shown literally, and one-line labels; the safety rules are in
`bot.text`."""

from __future__ import annotations

import re

from bot.text import (
    defuse_mentions,
    isolated,
    one_line,
    reads_right_to_left,
    shorten,
    without_direction_controls,
)

# `<` too: `<t:0:R>` (a timestamp), `</search:1>` (a command) and `<https://…>` are markup.
_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|<>\[\]()#-])")


def escape_markdown(text: str) -> str:
    """Reader text shown literally in Discord Markdown: no formatting, links or headings."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# A code span of one backtick on each side, on one line: how newsbot's own messages name a
# command or a key (read in linear time: see `bot.render.code_spans` for longer runs); and a
# web address, which Discord links as written and formats nothing in (an escape in it would
# be part of the link).
_KEPT = re.compile(r"`[^`\n]+`|https?://[^\s<>`]+")


def literal_but_code(text: str, limit: int) -> str:
    """A message written for a person (a `NewsbotError`'s) as Discord Markdown, in `limit`
    characters: its `code spans` stay code and its web addresses links, everything else shows
    as written, so the `_` or `*` of a path or the words of a reader quoted in it format
    nothing, and no mention is live. Its lines stay lines."""
    shown: list[str] = []
    at = 0
    for span in _KEPT.finditer(text):
        shown += [escape_markdown(defuse_mentions(text[at : span.start()])), span[0]]
        at = span.end()
    shown.append(escape_markdown(defuse_mentions(text[at:])))
    return shorten("".join(shown), limit)


def literal(text: str, limit: int) -> str:
    """Issue or reader text shown literally in a message: one line, defused, no Markdown, in
    `limit` characters (escapes counted)."""
    return shorten(escape_markdown(defuse_mentions(one_line(text))), limit)


def literal_words(text: str, limit: int) -> str:
    """Reader text quoted in a sentence of newsbot's (`literal`): no direction control left in
    it, and right-to-left words isolated (`bot.text.isolated`), so that neither an override a
    reader typed nor Arabic or Hebrew words reorder the sentence around them."""
    if text.isascii():  # most searches: nothing to take out or set apart
        return literal(text, limit)
    text = without_direction_controls(text)
    if not reads_right_to_left(text):
        return literal(text, limit)
    return isolated(literal(text, limit - 2))


def label(text: str, limit: int) -> str:
    """Issue or reader text as a one-line name (a choice, a menu option): defused, in `limit`."""
    return shorten(defuse_mentions(one_line(text)), limit)
