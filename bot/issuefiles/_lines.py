"""An issue file's lines, numbered as an editor numbers them, and the lines of its editor
notes: each problem and note is shown as `path:line`, so an editor's terminal jumps to it."""

from __future__ import annotations

import re
from collections.abc import Iterable

_LINE_ENDING = re.compile(r"\r\n|\r|\n")
EDITOR_NOTE = re.compile(r"^<!--\s*editor:\s*+(?P<note>(?:[^\S\n]*+\S)*?)\s*-->$")
"""`<!-- editor: … -->`: a note to the editor, on a line of its own under an item's heading."""


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
