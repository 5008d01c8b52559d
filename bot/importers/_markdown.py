"""Plain text made safe for an issue file: cleaned, Discord pings defused, Markdown escaped.

Issue files are Markdown, and an imported text is plain text: every character that Markdown
would read as syntax is escaped, so the file parses back to the same text and renders as the
source read. Text that would ping in Discord gets a zero-width space after its `@`.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"

PING = re.compile(r"@(?:everyone|here)|<@[!&]?\d+>", re.IGNORECASE)
"""What pings in Discord: `@everyone`, `@here`, and user/role mentions such as `<@&123>`."""

# Line separators that `str.splitlines` splits on but issue-file readers would not expect
# inside a line, and tabs: all become plain spaces.
_SPACES = re.compile(r"[\t\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

_INLINE = frozenset("\\`*[]<")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BLOCK_START = re.compile(r"^(?:[#>+\-~]|\d{1,9}[.)](?=\s|$))")
_CLOSING_HASHES = re.compile(r"(^|\s)(#+)$")


def clean_line(text: str) -> tuple[str, bool]:
    """Text fit for one line of an issue file, and whether control characters were removed."""
    spaced = _SPACES.sub(" ", text)
    cleaned = _CONTROL.sub("", spaced)
    return cleaned.strip(), cleaned != spaced


def collapse_spaces(text: str) -> str:
    """Text with every run of whitespace turned into one space, trimmed."""
    return " ".join(text.split())


def ping_marks(text: str) -> set[int]:
    """The index of the `@` of every ping in `text`."""
    return {match.start() + match.group().startswith("<") for match in PING.finditer(text)}


def defuse_pings(text: str) -> tuple[str, int]:
    """Text that pings nobody in Discord, and how many pings were defused.

    A zero-width space after the `@` breaks the mention and reads the same.
    """
    marks = ping_marks(text)
    if not marks:
        return text, 0
    return "".join(_mark(char, index in marks) for index, char in enumerate(text)), len(marks)


def _mark(char: str, marked: bool) -> str:
    return char + ZERO_WIDTH_SPACE if marked else char


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


def shorten(markdown: str, limit: int) -> str:
    """Markdown cut at a space to at most `limit` characters, with `…`, if it is longer."""
    if len(markdown) <= limit:
        return markdown
    cut = markdown[: limit - 1]
    head = cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut
    # A cut in the middle of `\x` would leave a lone backslash escaping the `…`.
    if (len(head) - len(head.rstrip("\\"))) % 2:
        head = head[:-1]
    return head.rstrip() + "…"


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
