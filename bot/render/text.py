"""Discord Markdown for text shown literally, one-line labels, and an issue's Markdown as one
line of plain text (for the platforms without Markdown); the safety rules are in `bot.text`."""

from __future__ import annotations

import re

from bot.text import defuse_mentions, one_line, shorten

# `<` too: `<t:0:R>` (a timestamp), `</search:1>` (a command) and `<https://…>` are markup.
_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|<>\[\]()#-])")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~|>])")


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


def markdown_line(markdown: str, *, keep_links: bool) -> str:
    """An issue's Markdown as one line of plain text: links become their text (and, when
    `keep_links`, their URL after it), emphasis and escapes are dropped. Not yet made safe for
    any platform: each platform's `clean` does that."""

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1).strip(), match.group(2)
        if keep_links and url.startswith(("http://", "https://")):
            return f"{label} {url}" if label and label != url else url
        return label

    text = _MD_LINK.sub(link, markdown)
    text = _MD_AUTOLINK.sub(lambda m: m.group(1) if keep_links else "", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    return one_line(text)
