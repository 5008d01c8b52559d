"""Issues held back from readers until their publish_at: when one has come, for both backends
(`bot.store.sqlite.held` is the SQL that leaves them out of SQLite's reads)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Gives the current time, aware."""

_WESTERNMOST_OFFSET = dt.timedelta(hours=12)
"""UTC-12: a time without an offset has come everywhere 12 hours after it came in UTC."""


def release_time(publish_at: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """When readers may see an issue with that `publish_at`.

    A time without an offset is read in `zone` (the schedule's); with no zone known, where it
    comes last, so that an issue is never shown early anywhere.
    """
    if publish_at.tzinfo is not None:
        return publish_at
    if zone is not None:
        return publish_at.replace(tzinfo=zone)
    return publish_at.replace(tzinfo=dt.UTC) + _WESTERNMOST_OFFSET


def release_words(publish_at: str, zone: dt.tzinfo | None) -> str:
    """When readers may see an issue with that stored `publish_at`, with its zone:
    `2027-01-02 09:00 CET`, or where it comes last when no zone reads a time without one."""
    try:
        at = dt.datetime.fromisoformat(publish_at)
    except ValueError:
        return publish_at
    if at.tzinfo is None and zone is None:
        return f"{at:%Y-%m-%d %H:%M} wherever that comes last (UTC-12: no schedule.timezone)"
    when = release_time(at, zone)
    return f"{when.astimezone(zone) if zone is not None else when:%Y-%m-%d %H:%M %Z}"


def held_function(clock: Clock, zone: dt.tzinfo | None) -> Callable[[str], bool]:
    """Whether a stored publish_at is still ahead (SQLite's SQL function `HELD_FUNCTION`)."""

    def held(publish_at: str) -> bool:
        try:
            at = dt.datetime.fromisoformat(publish_at)
        except ValueError:
            return True  # unreadable: held back, rather than shown early
        return release_time(at, zone) > clock()

    return held


def held_horizon(now: dt.datetime) -> str:
    """A stored publish_at not after this (naive ISO, a day before `now`) has come everywhere."""
    day_before = now.astimezone(dt.UTC) - dt.timedelta(days=1)
    return day_before.replace(tzinfo=None).isoformat(timespec="seconds")
