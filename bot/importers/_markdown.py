"""Plain text made safe for an issue file: cleaned, Discord pings defused, Markdown escaped.

Issue files are Markdown, and an imported text is plain text: every character that Markdown
would read as syntax is escaped, so the file parses back to the same text and renders as the
source read. Text that would ping in Discord is defused by `bot.text.defuse_mentions`.
"""

from __future__ import annotations

import re

from bot.text import MENTION, defuse_mentions, without_controls

# The HTML importer marks pings across runs of text, and takes the space from here.
from bot.text import ZERO_WIDTH_SPACE as ZERO_WIDTH_SPACE

_INLINE = frozenset("\\`*[]<")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BLOCK_START = re.compile(r"^(?:[#>+\-~]|\d{1,9}[.)](?=\s|$))")
_CLOSING_HASHES = re.compile(r"(^|\s)(#+)$")


def clean_line(text: str) -> tuple[str, bool]:
    """Text fit for one line of an issue file, and whether control characters were removed.

    Tabs and line breaks become spaces; every other control character is removed (see
    `bot.text.without_controls`).
    """
    cleaned = without_controls(text)
    # Spaces replace one for one, so a shorter text had something removed.
    return cleaned.strip(), len(cleaned) < len(text)


def collapse_spaces(text: str) -> str:
    """Text with every run of whitespace turned into one space, trimmed."""
    return " ".join(text.split())


def ping_marks(text: str) -> set[int]:
    """The index of the first character of every mention in `text`: a zero-width space after
    it breaks the mention, as `bot.text.defuse_mentions` does."""
    return {match.start() for match in MENTION.finditer(text)}


def defuse_pings(text: str) -> tuple[str, int]:
    """Text that pings and links nobody in Discord, and how many mentions were defused."""
    return defuse_mentions(text), sum(1 for _ in MENTION.finditer(text))


def escape_inline(text: str) -> str:
    """Plain text as Markdown inline text: nothing in it becomes a link, emphasis or HTML."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char in _INLINE:
            out.append("\\" + char)
        elif char == "_" and not _intraword(text, index):
            out.append("\\_")
        elif char == "&" and _ENTITY.match(text, index):
            out.append("\\&")
        else:
            out.append(char)
    return "".join(out)


def _intraword(text: str, index: int) -> bool:
    # CommonMark never reads `_` between two letters or digits as emphasis.
    return 0 < index < len(text) - 1 and text[index - 1].isalnum() and text[index + 1].isalnum()


def escape_block_start(markdown: str) -> str:
    """A paragraph's Markdown whose first character cannot start a heading, list, quote, fence."""
    match = _BLOCK_START.match(markdown)
    if not match:
        return markdown
    end = match.end()
    return markdown[: end - 1] + "\\" + markdown[end - 1 :]


def escape_paragraph(text: str) -> str:
    """One line of plain text as a Markdown paragraph that reads back as that text."""
    return escape_block_start(escape_inline(text))


def escape_heading(text: str) -> str:
    """Plain text as the text of a Markdown heading (`## …`, `### …`) that reads back the same."""
    return escape_heading_markdown(escape_inline(text))


def escape_heading_markdown(markdown: str) -> str:
    """Inline Markdown made safe as a heading's text: trailing `#`s are not a closing sequence."""
    return _CLOSING_HASHES.sub(lambda match: match.group(1) + "\\" + match.group(2), markdown)


def markdown_link(text: str, url: str) -> str:
    """A Markdown link around already-escaped `text` to a normalised http(s) `url`."""
    # Normalised links hold no spaces or angle brackets, so <…> can hold any of them.
    destination = f"<{url}>" if "(" in url or ")" in url else url
    return f"[{text}]({destination})"


def note_text(notes: list[str]) -> str | None:
    """Editor notes joined into the one line an `<!-- editor: … -->` comment can hold."""
    if not notes:
        return None
    joined, _ = clean_line("; ".join(notes))
    return joined.replace("--", "–") or None
