"""What readers write with a suggestion, as kept: one line, no control characters, bounded."""

from __future__ import annotations

import re

NOTE_MAX = 300
"""A reader's note is kept to this many characters."""

CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
"""Characters that break a line or a terminal; readers' notes, names and page titles lose them."""


def clean_note(note: str | None) -> str | None:
    """A reader's note as kept: one line, no control characters, at most `NOTE_MAX`."""
    if note is None:
        return None
    text = " ".join(CONTROL.sub(" ", note).split())
    if len(text) > NOTE_MAX:
        text = text[: NOTE_MAX - 1].rstrip() + "…"
    return text or None
