"""The jobs of issues that name their own `publish_at`: one date job per time still ahead, and
one to run at once for a time that passed before `newsbot run` could see it.

A time passes unseen when the file is saved after it (an editor a few minutes late) or the
time is moved earlier, into the past. Such an issue goes out at once, and the editors are told,
rather than waiting for the next cron firing (a week, for a weekly schedule) — if its time
passed within `schedule.misfire_grace_time`, as a firing that late still runs. One whose time
passed longer ago (a file copied from last week's, its time not yet changed; a back issue put
in the folder) is not sent on its own: the editors are told how to send it. A time already
past at the first look, when newsbot starts, is the catch-up's: `schedule.catch_up` decides
about it, as about a firing missed while newsbot was down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from apscheduler.triggers.date import DateTrigger

from bot.schedule.triggers import wall_clock

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

ISSUE_JOB = "newsbot-issue-{}"


def late_message(number: int, at: dt.datetime) -> str:
    """What the editors are told of an issue whose own time had passed when newsbot saw it."""
    return (
        f"Issue #{number}'s publish_at, {wall_clock(at)}, had passed when newsbot read its"
        " file: it goes out now, late."
    )


def stale_message(number: int, at: dt.datetime) -> str:
    """What the editors are told of an issue whose own time had passed long before newsbot
    saw it, past the grace a late firing has."""
    return (
        f"Issue #{number}'s publish_at, {wall_clock(at)}, had passed long before newsbot read"
        f" its file (more than schedule.misfire_grace_time): it is not sent on its own. Give it"
        f" a time ahead, or send it now with `newsbot publish {number}`."
    )


class OwnTimeJobs:
    """The date jobs of one scheduler for issues with their own `publish_at`.

    The time each issue was dealt with at is remembered: one whose job has run (and failed
    on every outlet, say) is not tried again at each look, as the next cron firing resumes
    it; and the times already past at the first look (the catch-up's) are not run either.
    """

    def __init__(self, job: Callable[[int], Awaitable[None]], misfire_grace_time: int) -> None:
        self.job = job
        self.misfire_grace_time = misfire_grace_time
        self.given: dict[int, dt.datetime] | None = None
        """Each issue's time as last dealt with; None before the first look."""

    def sync(
        self,
        sched: AsyncIOScheduler,
        unpublished: Mapping[int, dt.datetime],
        now: dt.datetime,
        zone: dt.tzinfo,
    ) -> list[str]:
        """Give each of `unpublished` (number → its time, aware) the job its time wants, remove
        the jobs of other issues (published, or their time taken out or their file deleted),
        and say what to tell the editors of those whose time passed unseen: those within the
        grace run now, the others not at all."""
        ahead = {number: at for number, at in unpublished.items() if at > now}
        past = {number: at for number, at in unpublished.items() if at <= now}
        if self.given is None:
            self.given = dict(past)  # the catch-up's, which `schedule.catch_up` decides
        unseen = {number: at for number, at in past.items() if self.given.get(number) != at}
        grace = dt.timedelta(seconds=self.misfire_grace_time)
        late = {number: at for number, at in unseen.items() if now - at <= grace}
        # A job whose time has come but which has not run yet stays: it runs in a moment.
        for job in sched.get_jobs():
            if job.id.startswith(ISSUE_JOB.format("")) and _number(job.id) not in unpublished:
                job.remove()
        for number, at in ahead.items():
            sched.add_job(
                self.job,
                DateTrigger(run_date=at),
                args=(number,),
                id=ISSUE_JOB.format(number),
                name=f"publish #{number} at its publish_at",
                replace_existing=True,
                misfire_grace_time=self.misfire_grace_time,
            )
        for number in late:
            sched.add_job(
                self.job,
                args=(number,),
                id=ISSUE_JOB.format(number),
                name=f"publish #{number}, its publish_at passed unseen",
                replace_existing=True,
                misfire_grace_time=None,
            )
        self.given.update(ahead | unseen)
        return [
            (late_message if number in late else stale_message)(number, at.astimezone(zone))
            for number, at in sorted(unseen.items())
        ]


def _number(job_id: str) -> int:
    return int(job_id.rsplit("-", 1)[1])
