"""Discord Markdown for text shown literally, and one-line labels; the safety rules are in
`bot.text`."""

from __future__ import annotations

import re

from bot.text import defuse_mentions, one_line, shorten

# `<` too: `<t:0:R>` (a timestamp), `</search:1>` (a command) and `<https://…>` are markup.
_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|<>\[\]()#-])")


def escape_markdown(text: str) -> str:
    """Reader text shown literally in Discord Markdown: no formatting, links or headings."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def literal(text: str, limit: int) -> str:
    """Issue or reader text shown literally in a message: one line, defused, no Markdown, in
    `limit` characters (escapes counted)."""
    return shorten(escape_markdown(defuse_mentions(one_line(text))), limit)


def label(text: str, limit: int) -> str:
    """Issue or reader text as a one-line name (a choice, a menu option): defused, in `limit`."""
    return shorten(defuse_mentions(one_line(text)), limit)
