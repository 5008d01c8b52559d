"""Where in a TOML file an entry of a list of tables is written: `discord.targets`' second
entry, and its `guild_id`, as inline tables in `targets = [ … ]` or as `[[discord.targets]]`
tables. `tomllib` gives values without their lines; these scanners find them again."""

from __future__ import annotations

import re

_OPENERS = {"[": "]", "{": "}"}


def _key(name: str) -> str:
    """A bare or quoted TOML key, as a pattern."""
    return rf"(?:{re.escape(name)}|\"{re.escape(name)}\"|'{re.escape(name)}')"


def table_entry_line(lines: list[str], section: str, key: str, index: int, field: str) -> int:
    """The line (from 1) of `field` in the `index`th `[[section.key]]` table, else of that
    table's header; 0 when the file has no such table."""
    header = re.compile(rf"^\s*\[\[\s*{_key(section)}\s*\.\s*{_key(key)}\s*\]\]", re.I)
    assigned = re.compile(rf"^\s*{_key(field)}\s*=") if field else None
    seen, start = -1, 0
    for number, line in enumerate(lines, start=1):
        if start and line.lstrip().startswith("["):
            return start  # the entry ended without the field
        if header.match(line):
            seen += 1
            if seen == index:
                start = number
        elif start and assigned is not None and assigned.match(line):
            return number
    return start


def inline_entry_line(lines: list[str], first: int, index: int, field: str) -> int:
    """The line (from 1) of `field` in the `index`th entry of the array assigned on line
    `first` (`targets = [`), else of that entry; 0 when it cannot be told.

    Strings and comments are skipped, so a `{`, `,` or `#` in a channel's name counts for
    nothing; entries are told apart by the commas between them, at the array's own depth.
    """
    text = "\n".join(lines[first - 1 :])
    at = text.find("=") + 1
    field_at = re.compile(rf"\s*{_key(field)}\s*=") if field else None
    closing: list[str] = []
    entry, entry_line = 0, 0
    expect_key = False
    while 0 < at < len(text):
        char = text[at]
        line = first + text.count("\n", 0, at)
        if char == "#":
            at = text.find("\n", at) if "\n" in text[at:] else len(text)
            continue
        if char in "\"'":
            at = _after_string(text, at)
            continue
        ours = entry == index
        if ours and len(closing) == 1 and not entry_line and char not in ",] \t\r\n":
            entry_line = line  # the entry's first character
        if ours and expect_key and field_at is not None and field_at.match(text, at):
            return line  # just inside its `{` or past a comma: a key of the entry's own
        expect_key = False
        if char in _OPENERS:
            closing.append(_OPENERS[char])
            expect_key = len(closing) == 2
        elif closing and char == closing[-1]:
            closing.pop()
            if not closing:
                break
        elif char == "," and len(closing) == 1:
            if entry == index:
                break
            entry += 1
        elif char == "," and len(closing) == 2:
            expect_key = True
        at += 1
    return entry_line


def _after_string(text: str, start: int) -> int:
    """Where the TOML string starting at `at` ends (past its closing quote)."""
    quote = text[start]
    triple = quote * 3
    if text.startswith(triple, start):
        end = text.find(triple, start + 3)
        return len(text) if end < 0 else end + 3
    position = start + 1
    while position < len(text) and text[position] not in (quote, "\n"):
        position += 2 if quote == '"' and text[position] == "\\" else 1
    return position + 1
