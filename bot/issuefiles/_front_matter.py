"""An issue file's front matter: its `key: value` lines, read with the line of each, and
checked into the fields of an `Issue`; and `Problems`, where a file's problems are collected
so that all are reported at once."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.errors import IssueFileError

FRONT_MATTER_FENCE = "---"
FRONT_MATTER_KEYS = ("number", "title", "subtitle", "date", "publish_at", "link")
REQUIRED_KEYS = ("number", "title")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PUBLISH_AT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_OFFSET = re.compile(r"[+-]([0-9]{2}):([0-9]{2})$")
_WIDEST_OFFSET = dt.timedelta(hours=14)
"""The largest UTC offset of any timezone (Kiribati's; the westernmost is -12)."""
# Not `calendar.month_name`: that follows the locale, and errors are in English.
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def number_in_name(path: Path) -> int | None:
    """The issue number a file's name gives (`202.md` is issue 202), or None when its name is
    not one written in ASCII digits: `²⁰².md` or `٢٠٢.md` read as digits to Python's
    `str.isdigit`, but an issue's number, in its front matter, is written `202`."""
    stem = path.stem
    return int(stem) if stem.isascii() and stem.isdigit() else None


@dataclass
class Problems:
    """A file's problems, collected so that all are reported at once."""

    path: Path
    errors: list[IssueFileError] = field(default_factory=list)
    bad_values: set[str] = field(default_factory=set)
    """The front-matter keys written with a value already reported as broken: such a key is
    there, so it is not asked for again."""
    later_rules: list[IssueFileError] | None = None
    """Where the problems under rules an older newsbot did not have go, when given: a file
    only they break is then read as that newsbot read it (see `parse_issue`)."""

    def add(self, line: int, reason: str) -> None:
        self.errors.append(IssueFileError(self.path, line, reason))

    def add_later_rule(self, line: int, reason: str) -> bool:
        """Add a problem under a rule a file archived by an older newsbot may break; False
        when it is set aside in `later_rules`, for the file to be read as it was then."""
        if self.later_rules is None:
            self.add(line, reason)
            return True
        self.later_rules.append(IssueFileError(self.path, line, reason))
        return False


def pydantic_reason(exc: ValidationError) -> str:
    """The first problem pydantic found, said as `field: what is wrong`."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "string_too_long" and isinstance(first["input"], str):
        # Said with both lengths, as an editor's counter shows them, not pydantic's words.
        most = int(first.get("ctx", {}).get("max_length", 0))
        message = (
            f"it is {len(first['input']):,} characters long, and the most is {most:,}: shorten it"
        )
    return f"{where}: {message}" if where else message


_TEXT_KEYS = ("title", "subtitle")
"""The keys whose values readers read as written, quotes and all."""


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        decoded = json.loads(value)
        if isinstance(decoded, str):
            return decoded
    return value


def _yaml_single_quoted(value: str) -> bool:
    """Whether `value` is a YAML single-quoted string: wrapped in `'`, with any `'` inside
    doubled (`It''s`). `'Tis the season of 'AI'` is text that starts and ends with a quote."""
    if len(value) < 2 or value[0] != "'" or value[-1] != "'":
        return False
    return "'" not in value[1:-1].replace("''", "")


def read_front_matter(
    lines: Sequence[str], problems: Problems
) -> tuple[dict[str, tuple[int, str]], int]:
    """Return the front-matter values with their line numbers, and the index of the body."""
    # Read by hand: mdit-py-plugins' front_matter makes no token of an unclosed block, so it
    # could not tell the editor that the block is not closed, nor where.
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        problems.add(
            1,
            "an issue file starts with a front-matter block: a `---` line, then `number: …` "
            "and `title: …` lines, then `---`",
        )
        return {}, 0
    values: dict[str, tuple[int, str]] = {}
    for index in range(1, len(lines)):
        line_no = index + 1
        raw = lines[index]
        if raw.strip() == FRONT_MATTER_FENCE:
            return values, index + 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        key, sep, value = raw.partition(":")
        key = key.strip()
        if not sep or not key:
            problems.add(line_no, f"front matter lines are `key: value`; got {raw.strip()!r}")
            continue
        if key not in FRONT_MATTER_KEYS:
            problems.add(
                line_no,
                f"unknown front-matter key {key!r}; the keys are {', '.join(FRONT_MATTER_KEYS)}",
            )
            continue
        if key in values:
            problems.add(
                line_no, f"front-matter key {key!r} is already set on line {values[key][0]}"
            )
            continue
        # `title: "Deep Learning Weekly`: else published with its stray quote.
        unclosed = f'{key}: this quoted value is not closed: end it with `"`'
        quoted = value.strip().startswith('"') and value.count('"') == 1
        if quoted and problems.add_later_rule(line_no, unclosed):
            problems.bad_values.add(key)
            continue
        # `title: 'Weekly: Issue #7'`, as YAML quotes it: else published with its quotes.
        single = value.strip()
        if _yaml_single_quoted(single):
            shown = single[1:-1].replace("''", "'")
            single_quoted = f"{key}: write the value without quotes: `{key}: {shown}`"
            if key in _TEXT_KEYS:
                meant = json.dumps(f"'{shown}'", ensure_ascii=False)
                single_quoted = (
                    f"{key}: single quotes would be published as part of the value: write it "
                    f"without them (`{key}: {shown}`), or as `{key}: {meant}` if they are meant"
                )
            if problems.add_later_rule(line_no, single_quoted):
                problems.bad_values.add(key)
                continue
        try:
            values[key] = (line_no, _unquote(value.strip()))
        except json.JSONDecodeError:
            problems.add(line_no, f"{key}: a quoted value must be a valid double-quoted string")
            problems.bad_values.add(key)
    problems.add(len(lines), "the front-matter block is not closed: add a `---` line after it")
    return values, len(lines)


def front_matter_fields(
    values: dict[str, tuple[int, str]], path: Path, problems: Problems
) -> dict[str, Any]:
    for key in REQUIRED_KEYS:
        if key not in values and key not in problems.bad_values:
            problems.add(1, f"the front matter needs a `{key}:` line")
    fields: dict[str, Any] = {}
    for key, (line_no, value) in values.items():
        if key == "number":
            if not re.fullmatch(r"[0-9]+", value):
                problems.add(line_no, f"number must be a whole number like 202, not {value!r}")
                continue
            number = int(value)
            named = number_in_name(path)
            if named is not None and named != number:
                problems.add(
                    line_no,
                    f"number {number} does not match the file name {path.name}: "
                    f"rename the file to {number}.md or fix the number",
                )
            elif named is None and path.suffix == ".md":
                problems.add(
                    line_no, f"an issue file is named after its number: rename it to {number}.md"
                )
            fields[key] = number
        elif key == "date":
            if not _DATE.fullmatch(value):
                problems.add(line_no, f"date must be written YYYY-MM-DD, not {value!r}")
            elif (missing := missing_date(value)) is not None:
                problems.add(line_no, f"date {value} does not exist: {missing}")
            else:
                fields[key] = dt.date.fromisoformat(value)
        elif key == "publish_at":
            if not _PUBLISH_AT.fullmatch(value):
                problems.add(
                    line_no,
                    "publish_at must be a date and time like 2026-11-30T09:00 (read in "
                    "schedule.timezone) or 2026-11-30T09:00+01:00, not " + repr(value),
                )
            elif (missing := _missing_moment(value)) is not None:
                problems.add(line_no, f"publish_at {value} does not exist: {missing}")
            elif (far := _out_of_range(value)) is not None:
                problems.add(line_no, f"publish_at {value} is out of range: {far}")
            else:
                fields[key] = dt.datetime.fromisoformat(value)
        else:
            fields[key] = value
    return fields


def missing_date(value: str) -> str | None:
    """Why a well-formed `YYYY-MM-DD` names no day of the calendar, or None if it names one."""
    year, month, day = (int(part) for part in value[:10].split("-"))
    if year == 0:
        return "there is no year 0"
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if day == 0:
        return "there is no day 0"
    if day > days:
        return f"{_MONTHS[month - 1]} {year} has {days} days"
    return None


def _missing_moment(value: str) -> str | None:
    """Why a well-formed `publish_at` names no moment, or None if it names one."""
    missing = missing_date(value)
    if missing is not None:
        return missing
    hour, minute = int(value[11:13]), int(value[14:16])
    second = int(value[17:19]) if value[16:17] == ":" else 0
    if hour > 23:
        return f"there is no hour {hour} (the hours go from 00 to 23)"
    if minute > 59:
        return f"there is no minute {minute}"
    if second > 59:
        return f"there is no second {second}"
    offset = _OFFSET.search(value)
    if offset is not None and (int(offset.group(1)) > 23 or int(offset.group(2)) > 59):
        return f"there is no UTC offset {offset.group(0)}"
    return None


def _out_of_range(value: str) -> str | None:
    """Why a valid `publish_at` cannot be scheduled (its instant is past what a datetime holds
    in UTC), or None."""
    moment = dt.datetime.fromisoformat(value)
    # Without an offset it is read in schedule.timezone, unknown here: any zone's may apply.
    offsets = [moment.utcoffset()] if moment.tzinfo else [_WIDEST_OFFSET, -_WIDEST_OFFSET]
    try:
        for shift in offsets:
            moment.replace(tzinfo=None) - (shift or dt.timedelta())
    except OverflowError:
        return "in UTC it falls outside the years 1 to 9999, where newsbot can schedule it"
    return None
