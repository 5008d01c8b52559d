"""Crontab expressions as apscheduler 3 triggers, with crontab's own meaning.

It imports nothing of newsbot, so the settings can check `schedule.cron` with it; apscheduler
loads only when an expression is read.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

_CRONTAB_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMERIC_DAYS = re.compile(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?")
_NAMED = re.compile(r"([a-z]{3})(?:-([a-z]{3}))?(?:/(\d+))?", re.IGNORECASE)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def cron_trigger(expression: str, tz: dt.tzinfo) -> CronTrigger:
    """A crontab expression as apscheduler's trigger, with crontab's own meaning.

    Five fields (minute hour day month weekday), or six with seconds in front
    (`*/10 * * * * *`, for demos and tests). Weekday numbers are crontab's (0 and 7 are Sunday,
    1 is Monday): apscheduler 3 reads 0 as Monday, so they are turned into names first.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"Wrong number of fields; got {len(fields)}, expected 5 (or 6)")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=_month_numbers(month),
        day_of_week=_weekday_names(weekday),
        timezone=tz,
    )


def both_days_warning(expression: str) -> str | None:
    """A warning when `expression` names both a day of the month and a weekday, or None.

    crontab fires on a day that matches either (`0 9 1 * MON`: the 1st, and every Monday);
    apscheduler, and so newsbot, only on a day that matches both (a Monday the 1st, a few
    times a year). A field starting with `*` (`*/2`) restricts nothing in crontab's sense, and
    there the two agree.
    """
    fields = expression.split()
    if len(fields) not in (5, 6):
        return None
    day, weekday = fields[-3], fields[-1]
    if day.startswith("*") or weekday.startswith("*"):
        return None
    return (
        f"schedule.cron {expression!r} names both a day of the month ({day}) and a weekday"
        f" ({weekday}): newsbot fires only on a day that is both, where crontab fires on"
        " either; write * for one of them to fire on the other alone"
    )


RARE_FIRING = dt.timedelta(days=366)
"""A cron whose next firing is further away than this fires less than once a year: as likely
a slip (`0 0 29 2 MON`, a Monday the 29th of February) as a schedule anyone meant."""


def rare_firing_warning(
    expression: str, following: dt.datetime | None, now: dt.datetime
) -> str | None:
    """A warning when `expression`'s next firing after `now`, `following`, is more than a
    year away, naming the day; None when it is nearer (or never comes: refused elsewhere)."""
    if following is None or following - now <= RARE_FIRING:
        return None
    years = (following - now).days // 365
    return (
        f"schedule.cron {expression!r} next fires on {following:%a %Y-%m-%d %H:%M}, in"
        f" {years} year(s): nothing is published on the schedule until then (an issue's own"
        " publish_at still is)"
    )


def _weekday_names(field: str) -> str:
    """A crontab weekday field with its numbers (and `*/n` steps) written as day names."""
    if field == "*":
        return field
    parts: list[str] = []
    for part in field.split(","):
        match = _NUMERIC_DAYS.fullmatch(_named_as_numbers(part, "weekday", _CRONTAB_DAYS[:7]))
        if match is None:
            raise ValueError(f"weekday {part!r}: write 1-5, MON-FRI, */2 or MON-FRI/2")
        start, end, step = match.groups()
        if start == "*":
            if end is not None:
                raise ValueError(f"weekday {part!r}: a range is written 1-5, not *-5")
            first, last = 0, 6
        else:
            first = int(start)
            last = int(end) if end is not None else (6 if step else first)
        if step is not None and int(step) == 0:
            raise ValueError(f"weekday {part!r}: a step is 1 or more")
        if last > 7 or first > last:
            raise ValueError(f"weekday {part!r}: weekdays are 0-7 (0 and 7 are Sunday)")
        days = range(first, last + 1, int(step) if step else 1)
        parts.extend(dict.fromkeys(_CRONTAB_DAYS[number] for number in days))
    names = list(dict.fromkeys(parts))
    return "*" if len(names) == 7 and set(names) == set(_CRONTAB_DAYS) else ",".join(names)


def _month_numbers(field: str) -> str:
    """A crontab month field with its names (`jan-dec/3`) written as numbers, which apscheduler
    reads with their steps (it reads the names of a step's range and drops the step)."""
    return ",".join(_named_as_numbers(part, "month", _MONTHS, first=1) for part in field.split(","))


def _named_as_numbers(part: str, what: str, names: tuple[str, ...], *, first: int = 0) -> str:
    """One part of a field with names (`MON-FRI/2`) as numbers (`1-5/2`); others unchanged.

    A name ending a range of weekdays may be Sunday, the 7 of crontab (`SAT-SUN`).
    """
    if not any(char.isalpha() for char in part):
        return part
    match = _NAMED.fullmatch(part)
    known = [name.lower() in names for name in match.groups()[:2] if name] if match else [False]
    if match is None or not all(known):
        example = "MON-FRI/2" if what == "weekday" else "JAN-DEC/3"
        raise ValueError(
            f"{what} {part!r}: write a name, a range of names or one with a step, like"
            f" {example} (the names: {', '.join(names).upper()})"
        )
    start, end, step = match.groups()
    numbers = [str(names.index(start.lower()) + first)]
    if end is not None:
        last = names.index(end.lower()) + first
        numbers.append(str(7 if what == "weekday" and last == 0 else last))
    return "-".join(numbers) + (f"/{step}" if step else "")
