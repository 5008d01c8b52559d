"""An issue file's lines, numbered as an editor numbers them, and the lines of its editor
notes: each problem and note is shown as `path:line`, so an editor's terminal jumps to it."""

from __future__ import annotations

import re
from collections.abc import Iterable

_LINE_ENDING = re.compile(r"\r\n|\r|\n")
EDITOR_NOTE = re.compile(r"^<!--\s*editor:\s*+(?P<note>(?:[^\S\n]*+\S)*?)\s*-->$")
"""`<!-- editor: … -->`: a note to the editor, on a line of its own under an item's heading."""
_HASHES_WITHOUT_SPACE = re.compile(r"^ {0,3}(?P<hashes>#{2,6})(?P<space>)(?P<rest>[^#\s].*)$")
"""`##Industry`: a heading as other Markdown tools take it. CommonMark needs a space after
the `#`s, so it is text. One `#` is left alone: `#hashtag` at a line's start is text."""
_HASHES_ODD_SPACE = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?P<space>[^\S \t])\s*(?P<rest>.*)$")
"""`##\u00a0Industry`: the space after the `#`s is a non-breaking (or other Unicode) space,
as a word processor pastes it, which CommonMark does not take for a heading's space."""


def file_lines(text: str) -> list[str]:
    """An issue file's lines, numbered as an editor numbers them.

    Only CommonMark's line endings end a line: `\\n`, `\\r\\n` and `\\r`. Every other character
    `str.splitlines` breaks at (U+2028, U+0085, a form feed …) stays in its line, where it is
    reported as a control character, so that no line number is shifted by it.
    """
    lines = _LINE_ENDING.split(text)
    if lines[-1] == "":  # a line ending at the very end ends the last line; it starts none
        lines.pop()
    return lines


def not_utf8(data: bytes, error: UnicodeDecodeError) -> tuple[int, str]:
    """The line a file stops being UTF-8 on, and why, saying what it was saved as instead
    when that shows: Word's "Unicode Text" is UTF-16, and Windows' "ANSI" is Windows-1252
    (`é` one byte, 0xE9, and curly quotes 0x93 and 0x94)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return 1, "the file is not valid UTF-8: it is saved as UTF-16: save it again as UTF-8"
    line = data[: error.start].count(b"\n") + 1
    byte = data[error.start]
    try:
        shown = bytes([byte]).decode("cp1252")
        data.decode("cp1252")
    except UnicodeDecodeError:
        shown = ""
    if shown:
        return line, (
            "the file is not valid UTF-8: it looks saved as Windows-1252 (byte "
            f"0x{byte:02X} here is {shown!r} there): save it again as UTF-8"
        )
    return line, f"the file is not valid UTF-8 (byte 0x{byte:02X} here): save it as UTF-8"


def heading_near_miss(line: str) -> str | None:
    """Why a line of a paragraph looks like a heading to its editor but is not one, or None.

    Such a line is published as text, `##` and all, in the intro or a blurb, and what the
    editor meant to follow it lands in the wrong place or is reported as something else.
    """
    found = _HASHES_WITHOUT_SPACE.match(line) or _HASHES_ODD_SPACE.match(line)
    if found is None:
        return None
    hashes, space, rest = found["hashes"], found["space"], found["rest"].strip()
    why = (
        f"the space after `{hashes}` is U+{ord(space):04X}, not a plain space"
        if space
        else f"it has no space after `{hashes}`"
    )
    return (
        f"this line is not a heading, as {why}, and would be published as text: write "
        f"`{hashes} {rest}`, or escape the first `#` (`\\#`) if it is meant as text"
    )


def without_editor_notes(text: str) -> str:
    """An issue file's `text` without the lines of its editor notes: what it tells readers,
    and the editors' other words."""
    lines = file_lines(text.removeprefix("\ufeff"))
    return "\n".join(line for line in lines if not EDITOR_NOTE.match(line.strip()))


def editor_note_lines(text: str, notes: Iterable[str]) -> list[int | None]:
    """The line of each of `notes`, an issue's editor notes in the order of its items, in the
    issue file's `text` (None for one not found): `newsbot check` shows each as `path:line`.

    A note is a line of its own right under its item's heading, so each is looked for after
    the one before.
    """
    lines = file_lines(text.removeprefix("\ufeff"))
    found: list[int | None] = []
    at = 0
    for note in notes:
        for index in range(at, len(lines)):
            match = EDITOR_NOTE.match(lines[index].strip())
            if match and match.group("note") == note:
                found.append(index + 1)
                at = index + 1
                break
        else:
            found.append(None)
    return found
