"""Links at the end of a plain-text issue's lines: `Read more: https://…`, `(https://…)`, or
an address on a line of its own under the text it belongs to.

Copied out of an email or a web page, an item's link lands there, and an item's link is what
readers click. Taken off the line, it leaves the text to be judged by its shape (a blurb ends
in a full stop, not in an address) and becomes its item's link. A `Read more` whose address
was lost in the copy links nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.importers._links import resolve_link

_PLAIN_LABEL = (
    r"(?:read\s+more|read\s+on|continue\s+reading|read\s+the\s+full\s+(?:story|article|post)"
    r"|full\s+(?:story|article)|learn\s+more|more\s+info)(?:\s+here)?"
)
# `Link` and `Source` alone are as likely a section's or an item's name: on a line of their
# own they are a label only when marked as one (`Source:`) or over an address.
_NOUN_LABEL = r"(?:link|source)(?:\s+here)?"
_LABEL = rf"(?:{_PLAIN_LABEL}|{_NOUN_LABEL})"
_LABEL_MARK = r"(?:[:→»›>]|\.\.\.|…)"
_AFTER_SENTENCE = r"(?:^|(?<=[.!?…\"'”’)]))\s*"
_URL_AT_END = re.compile(
    r"(?:^|(?<=\s))(?:\((?P<in_parens>https?://[^\s()<>]+)\)|<(?P<in_angles>https?://[^\s<>]+)>"
    r"|(?P<bare>https?://\S+))(?P<stop>[.,;:!?…\"'”’»]*)$",
    re.IGNORECASE,
)
# What linkifiers (GitHub's autolinks, markdown-it's linkify) leave out of an address's end:
# punctuation that ends the sentence around it, a closing quote, and a `)` or `]` that closes
# nothing opened in the address (`…/Rust_(language)` keeps its own).
_TRAILING = ".,;:!?…\"'”’»"
_BRACKETS = {")": "(", "]": "["}
_CLOSERS = {**_BRACKETS, "”": "“", "’": "‘", "»": "«"}
_SENTENCE_STOPS = ".!?…"
_LABEL_AT_END = re.compile(rf"{_AFTER_SENTENCE}{_LABEL}\s*[:\-–—→»|]?$", re.IGNORECASE)
_SEPARATOR_AT_END = re.compile(r"\s[\-–—→»|]$")
_SENTENCE_AT_END = re.compile(r"[.!?…\"'”’)]$")
_LABEL_ALONE = re.compile(
    rf"^\s*(?:{_PLAIN_LABEL}\s*{_LABEL_MARK}?|{_NOUN_LABEL}\s*{_LABEL_MARK})\s*$", re.IGNORECASE
)
_NOUN_ALONE = re.compile(rf"^\s*{_NOUN_LABEL}\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class LineLink:
    """A line's text without the link at its end, and that link (None if it has none)."""

    text: str
    link: str | None = None


def link_at_end(text: str) -> LineLink:
    """`text` with its trailing link taken off, when the link is set apart from the words: a
    `Read more:` before it, a dash or arrow (` - `, ` → `), the end of a sentence, brackets
    around it, or nothing else on the line. An address run into the words (`see
    https://…`) is part of the sentence, and stays."""
    found = _URL_AT_END.search(text)
    if found is None:
        return LineLink(text)
    url = found["in_parens"] or found["in_angles"] or found["bare"]
    stop = found["stop"]
    if found["bare"]:
        url, trailing = _split_trailing(url)
        stop = trailing + stop
    before = text[: found.start()].rstrip()
    label = _LABEL_AT_END.search(before)
    if label is not None:
        before = before[: label.start()].rstrip()
    elif _SEPARATOR_AT_END.search(before):
        before = before[:-1].rstrip()
    elif before and found["bare"] and not _SENTENCE_AT_END.search(before):
        return LineLink(text)
    link = resolve_link(url, None)
    if link is None:
        return LineLink(text)
    if before:
        before = _ended(before, stop)
    return LineLink(before, link)


def _split_trailing(url: str) -> tuple[str, str]:
    """A bare address and the punctuation after it that belongs to the text around it."""
    end = len(url)
    while end > 0:
        last = url[end - 1]
        opener = _BRACKETS.get(last)
        if last in _TRAILING or (
            opener is not None and url.count(opener, 0, end) < url.count(last, 0, end)
        ):
            end -= 1
        else:
            break
    return url[:end], url[end:]


def _ended(before: str, stop: str) -> str:
    """The text before a link, with what of the punctuation after the link is the text's:
    what closes a bracket or quote the text opened, and a full stop (`!`, `?`) ending a
    sentence it has not ended. `… in the paper (https://…).`: the full stop ends the sentence,
    not the address. A comma or semicolon before the line's end ends nothing, and goes."""
    for mark in stop:
        if _closes(before, mark) or (
            mark in _SENTENCE_STOPS and not _SENTENCE_AT_END.search(before)
        ):
            before += mark
    return before


def _closes(text: str, mark: str) -> bool:
    """Whether `mark` closes a bracket or quote that `text` opened and left open."""
    opener = _CLOSERS.get(mark)
    if opener is not None:
        return text.count(opener) > text.count(mark)
    return mark == '"' and text.count('"') % 2 == 1


def lone_label(text: str, *, over_address: bool = False) -> bool:
    """Whether a line is only a `Read more` (or the like) with no address: a link whose
    address the copy lost. A bare `Link` or `Source` is one only `over_address`, an address
    on a line of its own."""
    if over_address and _NOUN_ALONE.match(text):
        return True
    return _LABEL_ALONE.match(text) is not None
