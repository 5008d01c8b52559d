"""What readers write with a suggestion, as kept: one line, no control characters, bounded."""

from __future__ import annotations

from bot.text import one_line, shorten

NOTE_MAX = 300
"""A reader's note is kept to this many characters."""


def clean_note(note: str | None) -> str | None:
    """A reader's note as kept: one line, no control characters, at most `NOTE_MAX`."""
    if note is None:
        return None
    return shorten(one_line(note), NOTE_MAX) or None
