"""Which issue `newsbot publish` sends, and what it says of it first: that it is held until
its time, or that items of it have no blurb."""

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
        _name_items_without_text(issue)
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
    _name_items_without_text(visible)
    return visible


def _name_items_without_text(issue: Issue) -> None:
    """Each item of `issue` with no blurb (nor abstract), in yellow: a draft's items have
    none until the editor writes them, and published so, readers would see bare titles."""
    from bot.render.commonmark import reads_as

    for number, (_, item) in enumerate(issue.items, start=1):
        if not item.has_text:
            err.print(
                f"#{issue.number}: item {number} ({reads_as(item.title)}) has no blurb: "
                "readers will see its title alone",
                style="yellow",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def held_until(settings: Settings, issue: Issue) -> str:
    """When a held issue's own time comes, on the schedule's clock."""
    from bot.schedule import triggers

    if issue.publish_at is None:
        return "its time"
    at = triggers.publish_time(settings, issue.publish_at).astimezone(dt.UTC)
    return triggers.wall_clock(at.astimezone(triggers.zone(settings)))
