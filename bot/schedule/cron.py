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
        month=month,
        day_of_week=_weekday_names(weekday),
        timezone=tz,
    )


def _weekday_names(field: str) -> str:
    """A crontab weekday field with its numbers (and `*/n` steps) written as day names."""
    if field == "*":
        return field
    parts = []
    for part in field.split(","):
        match = _NUMERIC_DAYS.fullmatch(part)
        if match is None:
            parts.append(part)  # names (`MON-FRI`) mean the same to apscheduler
            continue
        start, end, step = match.groups()
        if start == "*":
            if end is not None:
                raise ValueError(f"weekday {part!r}: a range is written 1-5, not *-5")
            first, last = 0, 6
        else:
            first = int(start)
            last = int(end) if end is not None else (6 if step else first)
        if last > 7 or first > last:
            raise ValueError(f"weekday {part!r}: weekdays are 0-7 (0 and 7 are Sunday)")
        days = range(first, last + 1, int(step) if step else 1)
        parts.extend(dict.fromkeys(_CRONTAB_DAYS[number] for number in days))
    names = list(dict.fromkeys(parts))
    return "*" if len(names) == 7 and set(names) == set(_CRONTAB_DAYS) else ",".join(names)
