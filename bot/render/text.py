"""Text helpers shared by the renderers: shortening at word boundaries, escaping reader text."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|>\[\]()#-])")
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")
ZERO_WIDTH_SPACE = "\u200b"


def shorten(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """`text` if it fits in `limit` characters, else cut at a word boundary with an ellipsis.

    Never cuts inside a word; a single word longer than the limit is cut hard (it has no
    boundary), which only happens for pathological input.
    """
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    cut = text[: room + 1]
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    head = text[:boundary] if boundary > 0 else text[:room]
    return head.rstrip(" \n,;:.—-") + ellipsis


def escape_markdown(text: str) -> str:
    """Reader text shown literally in Discord Markdown: no formatting, links or headings."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def defuse_mentions(text: str) -> str:
    """Break `@everyone`, `@here` and `<@id>` forms so they cannot read as mentions.

    `allowed_mentions` already stops pings; this also keeps them from *looking* like one.
    """
    return _MENTION.sub(lambda m: m.group(0)[0] + ZERO_WIDTH_SPACE + m.group(0)[1:], text)


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) into single spaces."""
    return " ".join(text.split())


def label(text: str, limit: int) -> str:
    """Issue or reader text as a one-line name (a choice, a menu option): defused, in `limit`."""
    return shorten(defuse_mentions(one_line(text)), limit)
