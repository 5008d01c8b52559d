"""When newsbot publishes on its own: the cron trigger, its firings, catch-up, and the scheduler.

Everything but `published_issues` (reads the ledger) and `make_scheduler` is pure. What
apscheduler 3.11's `CronTrigger` does around daylight-saving changes (read from its source and
pinned by tests/test_scheduler.py):

- A wall-clock time in the hour skipped in spring still fires, one hour later by the clock:
  the trigger returns the non-existent local time with the old UTC offset (`02:30+01:00` in
  Berlin on 2026-03-29), which is the instant 03:30+02:00, and the scheduler compares in UTC.
- A wall-clock time in the hour repeated in autumn fires twice, an hour apart (fold 0, then 1).
  The outbox ledger makes the second firing harmless: the issue is already published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from bot.publishing.catalogue import OUTLET_NAMES
from bot.schedule.cron import cron_trigger
from bot.store.held import release_time

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

    from bot.models import IssueSummary
    from bot.settings import Settings
    from bot.store import Archive

CatchUp = Literal["latest", "all", "none"]
JOB_ID = "newsbot-publish"
LAST_FIRING_KEY = "schedule.last_firing"
"""State key of what the last firing did: JSON `{"at": ISO 8601, "published": {outlet: [n]},
"failures": [message]}` (written by bot/schedule/jobs.py, read by bot/status/)."""
OUTLETS = tuple(OUTLET_NAMES)
"""Every outlet newsbot knows: an issue sent on any of them counts as published."""
# Fine enough for every offset change in the tz database (the smallest is 15 minutes).
_SCAN_STEP = dt.timedelta(minutes=15)
# Two days of a cron firing every minute.
_CHAIN_LIMIT = 2 * 24 * 60 + 1


def zone(settings: Settings) -> ZoneInfo:
    """The schedule's timezone (validated when the settings were loaded)."""
    return ZoneInfo(settings.schedule.timezone)


def publish_time(settings: Settings, publish_at: dt.datetime) -> dt.datetime:
    """An issue's `publish_at` as an aware instant: without an offset it is read in the zone,
    as the archive reads it to hold the issue from readers until then."""
    return release_time(publish_at, zone(settings))


def schedulable(settings: Settings, publish_at: dt.datetime) -> bool:
    """Whether a `publish_at` is an instant datetime can hold in UTC (`newsbot check` refuses
    the others; an archive may hold one from before it did)."""
    try:
        publish_time(settings, publish_at).astimezone(dt.UTC)
    except OverflowError:
        return False
    return True


def trigger(settings: Settings) -> CronTrigger:
    """The cron trigger of `schedule.cron`, read as wall-clock time in `schedule.timezone`."""
    return cron_trigger(settings.schedule.cron, zone(settings))


def _raw_next(cron: CronTrigger, previous: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    found = cron.get_next_fire_time(previous, now)
    if not isinstance(found, dt.datetime):
        raise ValueError("the cron expression never fires")
    return found


def next_firings(cron: CronTrigger, after: dt.datetime, count: int) -> list[dt.datetime]:
    """The next `count` firings strictly after `after`, as aware datetimes in the cron's zone.

    Each is the instant apscheduler will run the job, with the offset in force then: a firing
    in the skipped spring hour shows as the later clock time it really happens at.
    """
    if after.tzinfo is None:
        raise ValueError("`after` must be an aware datetime")
    tz: dt.tzinfo = cron.timezone
    # apscheduler includes `now` itself; one microsecond later makes `after` exclusive.
    now = after + dt.timedelta(microseconds=1)
    firings: list[dt.datetime] = []
    previous: dt.datetime | None = None
    for _ in range(count):
        previous = _raw_next(cron, previous, now)
        now = previous
        # Via UTC: astimezone() to a datetime's own tzinfo returns it unchanged, unnormalised.
        firings.append(previous.astimezone(dt.UTC).astimezone(tz))
    return firings


@dataclass(frozen=True)
class Transition:
    """A change of UTC offset: the instant, and the offsets before and after."""

    at: dt.datetime
    before: dt.timedelta
    after: dt.timedelta

    @property
    def skips(self) -> bool:
        """Whether clocks jump forward (an hour that does not exist) rather than back."""
        return self.after > self.before

    def wall_range(self) -> tuple[dt.datetime, dt.datetime]:
        """The naive local times skipped (spring) or repeated (autumn), start inclusive."""
        naive = self.at.replace(tzinfo=None)
        low, high = sorted((self.before, self.after))
        return naive + low, naive + high


def transitions(tz: ZoneInfo, year: int) -> list[Transition]:
    """Every UTC-offset change in `tz` during `year`, to the second."""
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    found: list[Transition] = []
    moment = start
    offset = _offset(tz, moment)
    while moment < end:
        following = moment + _SCAN_STEP
        new_offset = _offset(tz, following)
        if new_offset != offset:
            found.append(Transition(_bisect(tz, moment, following), offset, new_offset))
        moment, offset = following, new_offset
    return found


def _offset(tz: ZoneInfo, moment: dt.datetime) -> dt.timedelta:
    offset = moment.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


def _bisect(tz: ZoneInfo, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    # Invariant: the offset at `low` is the old one, at `high` the new one.
    before = _offset(tz, low)
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _offset(tz, middle) == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def utc_offset(moment: dt.datetime) -> str:
    """An aware datetime's UTC offset written `+02:00`."""
    return moment.isoformat(timespec="seconds")[-6:]


def wall_clock(moment: dt.datetime) -> str:
    """`Mon 2026-11-30 09:00 CET (UTC+01:00)`, with seconds when it has any."""
    clock = "%H:%M:%S" if moment.second else "%H:%M"
    return f"{moment:%a %Y-%m-%d {clock}} {moment.tzname()} (UTC{utc_offset(moment)})"


def _clock(moment: dt.datetime) -> str:
    return f"{moment:%H:%M} {moment.tzname()} (UTC{utc_offset(moment)})"


def _firing_in(cron: CronTrigger, change: Transition) -> dt.datetime | None:
    """apscheduler's first raw firing whose wall-clock time lies in the changed range, if any.

    It follows the trigger's own chain of firings from a day before the change, as the running
    scheduler does: where a firing lands near a change depends on where the search started.
    """
    low, high = change.wall_range()
    now = change.at - dt.timedelta(days=1)
    end = change.at + dt.timedelta(days=1)
    previous: dt.datetime | None = None
    for _ in range(_CHAIN_LIMIT):
        raw = _raw_next(cron, previous, now)
        if raw.astimezone(dt.UTC) >= end:
            return None
        if low <= raw.replace(tzinfo=None, fold=0) < high:
            return raw
        previous = now = raw
    return None


def _changes(tz: ZoneInfo, year: int, after: dt.datetime | None) -> list[Transition]:
    return [c for c in transitions(tz, year) if after is None or c.at > after]


def publish_at_clock_change(at: dt.datetime, zone: ZoneInfo) -> str | None:
    """What to tell of an issue's `publish_at` without an offset that falls, read in `zone`
    as `release_time` reads it, in an hour the clocks skip (it comes an hour later by the
    clock) or repeat (it comes at the first of the two); None for any other."""
    if at.tzinfo is not None:
        return None
    first, second = at.replace(tzinfo=zone, fold=0), at.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    written = f"publish_at {at:%Y-%m-%dT%H:%M} in {zone}"
    real = release_time(at, zone).astimezone(dt.UTC).astimezone(zone)
    if real.replace(tzinfo=None) != at:
        return (
            f"{written} does not exist: the clocks skip that hour, so it goes out at "
            f"{real:%H:%M %Z}; write the time it is to go out"
        )
    return (
        f"{written} happens twice (the clocks go back): it goes out at the first, "
        f"{first:%H:%M %Z}; write {at:%Y-%m-%dT%H:%M}{utc_offset(second)} for the second"
    )


def skipped_hour_warning(
    settings: Settings, year: int, *, after: dt.datetime | None = None
) -> str | None:
    """A warning for each firing the cron puts in a skipped spring hour of `year`, or None.

    It says when the issue goes out instead: apscheduler fires at the same distance past the
    change, i.e. later by the length of the jump (02:30 becomes 03:30 for a one-hour jump).
    With `after`, only clock changes after that instant count. (A cron firing several times
    within the hour, like `*/20 * * * *`, instead loses its firings there: apscheduler runs
    the next one after the jump; that is not warned about.)
    """
    cron, tz = trigger(settings), zone(settings)
    warnings = []
    for change in _changes(tz, year, after):
        raw = _firing_in(cron, change) if change.skips else None
        if raw is None:
            continue
        low, high = change.wall_range()
        real = raw.astimezone(dt.UTC).astimezone(tz)
        warnings.append(
            f"schedule.cron {settings.schedule.cron!r} names {raw:%H:%M} on {raw:%a %Y-%m-%d}, "
            f"which does not exist in {settings.schedule.timezone}: clocks jump from "
            f"{low:%H:%M} to {high:%H:%M}. The issue goes out at {_clock(real)} instead, "
            f"{(high - low).total_seconds() / 60:.0f} minutes later by the clock."
        )
    return "\n".join(warnings) or None


def repeated_hour_note(
    settings: Settings, year: int, *, after: dt.datetime | None = None
) -> str | None:
    """A note for each firing the cron puts in a repeated autumn hour of `year`, or None.

    With `after`, only clock changes after that instant count.
    """
    cron, tz = trigger(settings), zone(settings)
    notes = []
    for change in _changes(tz, year, after):
        raw = _firing_in(cron, change) if not change.skips else None
        if raw is None:
            continue
        first = raw.astimezone(dt.UTC).astimezone(tz)
        # In UTC: arithmetic on two times of one ZoneInfo is wall-clock arithmetic.
        second = (first.astimezone(dt.UTC) + (change.before - change.after)).astimezone(tz)
        notes.append(
            f"schedule.cron {settings.schedule.cron!r} names {raw:%H:%M} on {raw:%a %Y-%m-%d}, "
            f"which happens twice in {settings.schedule.timezone}: apscheduler fires at "
            f"{_clock(first)} and again at {_clock(second)}; the second publishes nothing new "
            "(the outbox ledger already has the issue)."
        )
    return "\n".join(notes) or None


def due_issues(
    published: set[int],
    archived: Sequence[IssueSummary],
    last_firing: dt.datetime | None,
    policy: CatchUp,
    *,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = dt.UTC,
    arrived: Mapping[int, dt.datetime] | None = None,
) -> list[int]:
    """The issue numbers to publish, in the order to publish them.

    An issue is due when a firing has passed since its date (undated ones as soon as any has), the
    firing's date as read in `tz`, and since it arrived (`arrived`: when its file was first seen,
    where known): one dated, or added, after `last_firing` waits for the next firing, and with no
    firing yet nothing is due. An issue with its own `publish_at` (naive ones read in `tz`) is due
    once that time has passed by `now` (default: `last_firing`), whatever the firings. `latest`: the
    newest due unpublished issue, unless a newer one was already published (an older issue passed
    over stays unpublished), among the issues with a `publish_at` of their own and, apart, among the
    others: one that went out at its own time passes over no regular issue, and the reverse. `all`:
    every due unpublished issue, oldest first. `none`: nothing.
    """
    now = now or last_firing
    if policy == "none" or now is None:
        return []
    arrived = arrived or {}

    def is_due(summary: IssueSummary) -> bool:
        if summary.publish_at is not None:
            at = summary.publish_at
            return (at if at.tzinfo else at.replace(tzinfo=tz)) <= now
        if last_firing is None:
            return False
        came = arrived.get(summary.number)
        if came is not None and came > last_firing:
            return False
        # The firing's date where the editors are: Monday 09:00 in Auckland is Sunday in UTC.
        return summary.date is None or summary.date <= last_firing.astimezone(tz).date()

    due = sorted(summary.number for summary in archived if is_due(summary))
    waiting = [number for number in due if number not in published]
    if policy == "all":
        return waiting
    timed = {summary.number for summary in archived if summary.publish_at is not None}
    picks = []
    for own_time in (True, False):
        mine = [number for number in waiting if (number in timed) == own_time]
        sent = [number for number in published if (number in timed) == own_time]
        if mine and mine[-1] > max(sent, default=0):
            picks.append(mine[-1])
    return sorted(picks)


def previous_firing(cron: CronTrigger, now: dt.datetime) -> dt.datetime | None:
    """The cron's last firing at or before `now`, within the past year (None if none).

    apscheduler only looks forward, so this looks forward from ever earlier starts (a minute,
    an hour, a day, a week, a month, a year back) until a window holds a firing.
    """
    for back in (
        dt.timedelta(minutes=1),
        dt.timedelta(hours=1),
        dt.timedelta(days=1),
        dt.timedelta(days=8),
        dt.timedelta(days=32),
        dt.timedelta(days=367),
    ):
        found = None
        previous: dt.datetime | None = None
        start = now - back
        while True:
            firing = cron.get_next_fire_time(previous, start)
            if not isinstance(firing, dt.datetime) or firing > now:
                break
            found = previous = start = firing
        if found is not None:
            return found.astimezone(dt.UTC).astimezone(cron.timezone)
    return None


def upcoming_issues(
    firings: Sequence[dt.datetime],
    published: set[int],
    archived: Sequence[IssueSummary],
    *,
    tz: dt.tzinfo = dt.UTC,
) -> list[int | None]:
    """What each firing would publish: the newest issue due by then and not yet published.

    Each firing is assumed to publish what it finds, so a later one does not repeat it; None
    where nothing archived now would be due (the firing publishes whatever is new by then).
    An issue with its own `publish_at` (naive ones read in `tz`) is due from that time on.
    """
    sent = set(published)
    timed = {summary.number for summary in archived if summary.publish_at is not None}
    found: list[int | None] = []
    for firing in firings:
        due = due_issues(sent, archived, firing, "latest", tz=tz)
        regular = [n for n in due if n not in timed] or due
        found.append(regular[-1] if regular else None)
        sent.update(due)
    return found


async def published_issues(
    archive: Archive, numbers: Iterable[int], outlets: Sequence[str] = OUTLETS
) -> set[int]:
    """Those of `numbers` with a step sent on one of `outlets` according to the outbox ledger.

    An issue whose publish was planned but sent nothing counts as unpublished: publishing it
    again resumes from the ledger and sends nothing twice.
    """
    wanted = set(numbers)
    if not wanted:
        return set()
    return wanted & await archive.ledger.published_numbers(outlets)


async def unpublished_outlets(archive: Archive, number: int, outlets: Sequence[str]) -> list[str]:
    """Those of `outlets` on which issue `number` has sent nothing yet."""
    return [o for o in outlets if not await published_issues(archive, [number], (o,))]


def make_scheduler(settings: Settings, job: Callable[[], Awaitable[None]]) -> AsyncIOScheduler:
    """A scheduler holding one cron job that awaits `job`; not started.

    `start()` needs the running event loop (it schedules its wake-ups on it), so the bot calls
    it in `setup_hook`, and `shutdown()` when it closes.
    """
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.schedule.overlap import SCHEDULER_LOG

    # UTC for the scheduler's own clock: its comparisons with the trigger's times are in UTC.
    # A firing skipped while the last one runs is queued and told of by `bot.schedule.overlap`.
    scheduler = AsyncIOScheduler(timezone=dt.UTC, logger=SCHEDULER_LOG)
    scheduler.add_job(
        job,
        trigger(settings),
        id=JOB_ID,
        name="publish the newest unpublished issue",
        misfire_grace_time=settings.schedule.misfire_grace_time,
        coalesce=settings.schedule.coalesce,
        max_instances=1,
        replace_existing=True,
    )
    return scheduler
