"""Text safety, in one place: control characters, Discord mentions, and shortening.

Importers, renderers and cogs hold the text of issue files, feeds and readers to these rules,
so they agree on what is safe.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

ZERO_WIDTH_SPACE = "\u200b"
ELLIPSIS = "…"

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""The characters `str.splitlines` breaks a line at. Text bound for an issue file has each made a
newline or a space: there only `\\n`, `\\r\\n` and `\\r` end a line, the others are control
characters."""
_SEPARATORS = "\u2028\u2029"
_BLANK_FILLERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
"""Letters and a symbol that draw as nothing (Unicode's `Lo` and `So`, not `Cf`)."""

MENTION = re.compile(r"@(?:everyone|here)|<(?P<kind>@!?|@&|#)(?P<id>[0-9]+)>")
"""What Discord reads as a mention: `@everyone`, `@here` (lower case only, as Discord parses
them), a user `<@id>` or `<@!id>`, a role `<@&id>` and a channel `<#id>`."""


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""`is_control`'s characters: Unicode's `Cc` (C0, DEL, C1: a category no version changes) and
the two separators. A pattern finds them in C, far faster than a loop over the characters."""
_CONTROL_NOT_LAYOUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROLS = [chr(n) for n in (*range(0x20), *range(0x7F, 0xA0))] + list(_SEPARATORS)
_AS_SPACES = str.maketrans({c: " " if c == "\t" or c in LINE_BREAKS else None for c in _CONTROLS})
_AS_LAYOUT = str.maketrans(
    {c: c if c == "\t" else "\n" if c in LINE_BREAKS else None for c in _CONTROLS}
)


def is_control(char: str) -> bool:
    """Whether `char` is a control character: Unicode's `Cc` (C0, DEL, C1) or U+2028/U+2029.

    The line and paragraph separators are not `Cc`, but they break lines like a newline does,
    which a title or an issue file line must not hold.
    """
    return char in _SEPARATORS or unicodedata.category(char) == "Cc"


def find_control(text: str, *, keep_layout: bool = False) -> str | None:
    """The first control character in `text`, or None.

    With `keep_layout`, a tab and a newline (`\\n`) are layout, not control characters: what
    Markdown paragraphs may hold. Every other line break (`\\r`, U+2028 …) still counts.
    """
    found = (_CONTROL_NOT_LAYOUT if keep_layout else _CONTROL).search(text)
    return None if found is None else found[0]


def without_controls(text: str, *, keep_layout: bool = False) -> str:
    """`text` with no control character left (see `is_control`).

    A tab or a line break becomes a space, so the words on either side stay apart; with
    `keep_layout`, tabs stay and every line break (`\\r\\n` counted once) becomes `\\n`. Every
    other control character is removed. A character is never replaced by more than one.
    """
    if _CONTROL.search(text) is None:
        return text
    if keep_layout:
        return text.replace("\r\n", "\n").translate(_AS_LAYOUT)
    return text.translate(_AS_SPACES)


DIRECTION_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""The characters that set a direction for the text after them until popped: embeddings and
overrides (U+202A–U+202E), isolates (U+2066–U+2069). One left open in a reader's name flips the
rest of the line it is shown in (a right-to-left override shows `txt.exe` as `exe.txt`)."""
_NO_DIRECTION_CONTROLS = str.maketrans(dict.fromkeys(DIRECTION_CONTROLS))
_RIGHT_TO_LEFT = frozenset(("R", "AL", "AN"))
"""Unicode's bidirectional classes that lay text out right to left: Hebrew, Arabic and the
like, their digits, and the marks RLM and ALM."""
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def without_direction_controls(text: str) -> str:
    """`text` without `DIRECTION_CONTROLS`, so nothing in it changes the direction of the text
    after it. Letters keep their own direction: Arabic or Hebrew still reads right to left."""
    return text.translate(_NO_DIRECTION_CONTROLS)


def reads_right_to_left(text: str) -> bool:
    """Whether any of `text` is laid out right to left (see `_RIGHT_TO_LEFT`)."""
    return any(unicodedata.bidirectional(char) in _RIGHT_TO_LEFT for char in text)


def isolated(text: str) -> str:
    """`text` set apart (first strong isolate … pop) when some of it reads right to left, so
    that it neither reorders the text around it (two Arabic names in a list keep their order)
    nor takes that text's direction. Left-to-right text cannot reorder a left-to-right line: it
    is left as it is. `text` must hold no direction control but balanced isolates (see
    `without_direction_controls`): a pop of its own would end the isolate early."""
    if not reads_right_to_left(text):
        return text
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


_WIDE_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
"""Full-width ASCII (U+FF01–FF5E) as ASCII (U+0021–007E), for `str.translate`."""
_NARROWED = _WIDE_ASCII | {0x3000: ord(" ")}
"""`_WIDE_ASCII`, and the ideographic space as a space."""
_WIDE_LETTERS = {wide: code for wide, code in _WIDE_ASCII.items() if chr(code).isalnum()}
"""Full-width Latin letters and digits only: the full-width forms that are parts of words."""
_WIDE_LETTER = re.compile("[０-９Ａ-Ｚａ-ｚ]")


def narrowed(text: str) -> str:
    """What a reader typed, with the full-width forms of ASCII letters, digits and punctuation
    (`ＧＰＴ－４`, as a CJK keyboard in full-width mode types them) and the ideographic space
    written as ASCII: `GPT-4`.

    Only that width is folded, not Unicode's NFKC: the search index keeps `x²`, `①`, `ﬁ` and
    half-width kana as written, and NFKC would turn a reader's `x²` into `x2`, which no longer
    finds the item that holds `x²`. Each character stays one character.
    """
    return text if text.isascii() else text.translate(_NARROWED)


def narrowed_letters(text: str) -> str:
    """`text` with its full-width Latin letters and digits as ASCII (`ＯｐｅｎＡＩ` → `OpenAI`),
    each still one letter; full-width punctuation and spaces are left as written (they part
    words as their ASCII forms do)."""
    return text if text.isascii() else text.translate(_WIDE_LETTERS)


def has_wide_letters(text: str | None) -> bool:
    """Whether `text` holds a full-width Latin letter or digit (see `narrowed_letters`)."""
    return text is not None and not text.isascii() and _WIDE_LETTER.search(text) is not None


def has_visible_text(text: str) -> bool:
    """Whether `text` shows anything: a character other than whitespace, a format character
    (Unicode's `Cf`: zero-width spaces and joiners, direction marks, a soft hyphen …) or one of
    the fillers that draw as a blank (Hangul fillers, the blank Braille pattern)."""
    return any(
        not char.isspace() and char not in _BLANK_FILLERS and unicodedata.category(char) != "Cf"
        for char in text
    )


def one_line(text: str) -> str:
    """`text` as one line: control characters gone, every run of whitespace one space, trimmed."""
    return " ".join(without_controls(text).split())


def defuse_mentions(text: str) -> str:
    """`text` with every mention broken by a zero-width space after its first character.

    It reads the same, but Discord neither pings nor links it: `allowed_mentions` already stops
    the pings, this also keeps text from issues and readers from *looking* like a mention.
    """
    return MENTION.sub(lambda match: match[0][0] + ZERO_WIDTH_SPACE + match[0][1:], text)


def shorten(
    text: str, limit: int, *, ellipsis: str = ELLIPSIS, whole: Sequence[tuple[int, int]] = ()
) -> str:
    """`text` if it fits in `limit` characters, else cut at a word boundary, with `ellipsis`.

    The cut is at the last whitespace that leaves room for the ellipsis; trailing spaces and
    punctuation (`,;:.—-`) go, and so does a lone backslash, which would escape the ellipsis in
    Markdown. A single word longer than the room has no boundary: it is cut where the room ends.
    No cut falls inside one of the `whole` spans (start, end) of `text`, such as a Markdown
    link: it falls before the span, unless the span starts the text. The result is never
    longer than `limit`.
    """
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[: max(limit, 0)]
    window = text[: room + 1]
    spans = [(start, end) for start, end in whole if start <= room]
    free: Iterator[int] = (at for at, char in enumerate(window) if char.isspace())
    if spans:
        free = (at for at in free if not any(start < at < end for start, end in spans))
    boundary = max(free, default=0)
    if boundary == 0:
        # No free boundary: cut where the room ends, or before the span holding that place.
        boundary = min((start for start, end in spans if start < room < end), default=room)
    head = text[:boundary] if boundary > 0 else text[:room]
    return _trimmed(head) + ellipsis


def _trimmed(head: str) -> str:
    """`head` without trailing whitespace, punctuation or an escaping backslash."""
    while True:
        trimmed = head.rstrip().rstrip(",;:.—-")
        backslashes = len(trimmed) - len(trimmed.rstrip("\\"))
        if backslashes % 2:
            trimmed = trimmed[:-1]
        if trimmed == head:
            return head
        head = trimmed
