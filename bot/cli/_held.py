"""Which issue `newsbot publish` sends, and what it says of an issue held until its time."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.cli._console import err
from bot.errors import IssueNotFound, IssueNotPublic, NewsbotError

if TYPE_CHECKING:
    from bot.models import Issue
    from bot.settings import Settings
    from bot.store import Archive


async def archived_issue(archive: Archive, settings: Settings, number: int) -> Issue:
    """Issue N from the archive, held or not; one whose file is written but not ingested yet
    is refused saying so, and how to store it."""
    try:
        return await archive.issues.issue(number, held=True)
    except IssueNotFound:
        path = settings.issues.directory / f"{number}.md"
        if not path.is_file():
            raise
        raise NewsbotError(
            f"issue #{number} is not in the archive yet: {path} is stored by `newsbot ingest "
            f"{path}` (`newsbot run` ingests it at a firing, or at its publish_at)"
        ) from None


async def issue_to_publish(
    archive: Archive, settings: Settings, number: int | None, *, early: bool
) -> Issue:
    """The issue `newsbot publish` sends: issue N, or the newest readers can see.

    One held until its own `publish_at` goes out before it only with `early` (readers then
    see it at once): without a number the newest issue readers can see is published, and
    the newer one held is named.
    """
    if number is not None:
        issue = await archived_issue(archive, settings, number)
        try:
            await archive.issues.issue(number)
        except IssueNotPublic:
            if not early:
                raise NewsbotError(
                    f"issue #{number} is held until {held_until(settings, issue)} (its"
                    " publish_at), when `newsbot run` publishes it; to publish it now, before"
                    f" that: `newsbot publish {number} --early`"
                ) from None
        return issue
    visible = await archive.issues.latest()
    newest = await archive.issues.latest(held=True)
    if newest is None:
        raise NewsbotError("the archive has no issues yet: run `newsbot ingest issues/`")
    if visible is None or newest.number > visible.number:
        held = (
            f"issue #{newest.number} is held until {held_until(settings, newest)} (its"
            f" publish_at); `newsbot publish {newest.number} --early` publishes it now"
        )
        if visible is None:
            raise NewsbotError(f"no issue readers can see yet: {held}")
        err.print(
            f"publishing #{visible.number}, the newest issue readers can see: {held}",
            style="yellow",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return visible


def held_until(settings: Settings, issue: Issue) -> str:
    """When a held issue's own time comes, on the schedule's clock."""
    from bot.schedule import triggers

    if issue.publish_at is None:
        return "its time"
    at = triggers.publish_time(settings, issue.publish_at).astimezone(dt.UTC)
    return triggers.wall_clock(at.astimezone(triggers.zone(settings)))
