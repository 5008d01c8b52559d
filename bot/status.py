"""How publishing stands: `newsbot status` and `/newsletter status` show these same facts.

`gather_status` reads them from the archive and the settings; `status_lines` words them once for
both the terminal and Discord (only the way a channel or role is written differs), and
`status_json` gives them to scripts. `bot/cli/status.py` is the `newsbot status` command.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.issuefiles import publish_times
from bot.models import IssueSummary, OutboxTally, StepState
from bot.publishing.catalogue import OUTLET_NAMES
from bot.publishing.plans.bluesky import OUTLET as BLUESKY
from bot.publishing.plans.bluesky import TARGET as BLUESKY_ACCOUNT
from bot.publishing.plans.discord import OUTLET as DISCORD
from bot.publishing.plans.discord import Target
from bot.publishing.plans.mastodon import OUTLET as MASTODON
from bot.publishing.plans.mastodon import TARGET as MASTODON_ACCOUNT
from bot.publishing.plans.x import OUTLET as X
from bot.publishing.plans.x import TARGET as X_ACCOUNT
from bot.publishing.targets import all_targets
from bot.schedule import triggers as scheduler
from bot.settings import Settings
from bot.store import Archive
from bot.text import one_line, shorten

UNFINISHED = (StepState.PENDING, StepState.SENDING, StepState.FAILED)
REASON_MAX = 300
"""Characters of a failure's reason shown on its line (the full text is in --json)."""


@dataclass(frozen=True)
class ArchiveSize:
    """How much the archive holds, where, and its size on disk (its file's, or its database's
    on the PostgreSQL server)."""

    path: str
    """The file, or the PostgreSQL URL without user and password."""
    backend: str
    """"sqlite" or "postgresql"."""
    bytes: int
    issues: int
    items: int
    latest_issue: int | None


@dataclass(frozen=True)
class Firing:
    """A moment newsbot will publish on its own, and the issue it would publish then.

    `by` says whose time it is: the schedule's cron, or the issue's own `publish_at`. The issue
    is None when nothing archived now would be due (the firing publishes whatever is new then).
    """

    at: dt.datetime
    issue: int | None
    by: Literal["schedule", "publish_at"]


@dataclass(frozen=True)
class Schedule:
    """The cron and its zone, its next firing, and the next issue with a time of its own."""

    cron: str
    timezone: str
    cron_firing: Firing
    timed_issue: Firing | None

    @property
    def next_firing(self) -> Firing:
        """The earlier of the cron's next firing and the next issue's own time."""
        timed = self.timed_issue
        return timed if timed is not None and timed.at < self.cron_firing.at else self.cron_firing


@dataclass(frozen=True)
class LastFiring:
    """What the last firing of the schedule did (as the scheduled job recorded it)."""

    at: dt.datetime
    published: Mapping[str, tuple[int, ...]]
    failures: tuple[str, ...]


@dataclass(frozen=True)
class LastPublish:
    """The newest issue the ledger has for one outlet and target, with its steps by state.

    `channel` is the Discord channel (None for X); `issue` is None when nothing was published.
    """

    outlet: str
    target: str
    channel: Target | None
    issue: int | None
    steps: Mapping[StepState, int]

    @property
    def complete(self) -> bool:
        """Whether none of the issue's steps is pending, sending or failed."""
        return not any(self.steps.get(state) for state in UNFINISHED)


@dataclass(frozen=True)
class Status:
    """Everything `newsbot status` and `/newsletter status` report."""

    archive: ArchiveSize
    discord_configured: bool
    discord_shards: tuple[int, ...] | None
    """The shards this process connects (None: unsharded), of `discord_shard_count`."""
    discord_shard_count: int | None
    x_configured: bool
    schedule: Schedule
    last_firing: LastFiring | None
    publishes: tuple[LastPublish, ...]
    unfinished: tuple[OutboxTally, ...]
    mastodon_configured: bool = False
    bluesky_configured: bool = False
    claims: tuple[tuple[int, str, str, str], ...] = ()
    """Publishes running now: (issue, outlet, target, the process holding the claim)."""


async def gather_status(
    archive: Archive, settings: Settings, *, now: dt.datetime, guild_id: int | None = None
) -> Status:
    """How publishing stands at `now` (aware); with `guild_id`, Discord facts of that server only.

    X's facts are always included: the account publishes for every server.
    """
    stats = await archive.issues.stats()
    archived = await archive.issues.issues(limit=stats.issues)
    targets = await all_targets(archive, settings, guild_id=guild_id)
    publishes = [await _last_publish(archive, DISCORD, t.name, t) for t in targets]
    x_configured = settings.x.configured()
    on_x = await _last_publish(archive, X, X_ACCOUNT, None)
    if x_configured or on_x.issue is not None:
        publishes.append(on_x)
    mastodon_configured = settings.mastodon.configured()
    on_mastodon = await _last_publish(archive, MASTODON, MASTODON_ACCOUNT, None)
    if mastodon_configured or on_mastodon.issue is not None:
        publishes.append(on_mastodon)
    bluesky_configured = settings.bluesky.configured()
    on_bluesky = await _last_publish(archive, BLUESKY, BLUESKY_ACCOUNT, None)
    if bluesky_configured or on_bluesky.issue is not None:
        publishes.append(on_bluesky)
    channels = {t.name for t in targets}
    unfinished = [
        tally
        for tally in await archive.ledger.unfinished()
        if guild_id is None or tally.outlet != DISCORD or tally.target in channels
    ]
    return Status(
        archive=ArchiveSize(
            path=archive.location,
            backend="sqlite" if archive.file is not None else "postgresql",
            bytes=await archive.size(),
            issues=stats.issues,
            items=stats.items,
            latest_issue=stats.latest_issue,
        ),
        discord_configured=settings.discord.configured(),
        discord_shards=settings.discord.shards(),
        discord_shard_count=settings.discord.shard_count,
        x_configured=x_configured,
        schedule=await _schedule(archive, settings, archived, now),
        last_firing=parse_last_firing(await archive.state.get(scheduler.LAST_FIRING_KEY)),
        publishes=tuple(publishes),
        unfinished=tuple(unfinished),
        mastodon_configured=mastodon_configured,
        bluesky_configured=bluesky_configured,
        claims=tuple(
            claim
            for claim in await archive.ledger.claims(now)
            if guild_id is None or claim[1] != DISCORD or claim[2] in channels
        ),
    )


async def _last_publish(
    archive: Archive, outlet: str, target: str, channel: Target | None
) -> LastPublish:
    latest = await archive.ledger.latest(outlet, target)
    issue, steps = latest if latest is not None else (None, {})
    return LastPublish(outlet, target, channel, issue, steps)


async def _schedule(
    archive: Archive, settings: Settings, archived: Sequence[IssueSummary], now: dt.datetime
) -> Schedule:
    """The next cron firing and what it would publish, and the next issue timed on its own.

    An issue's own time is read from its file when it has one (a file with a time still ahead
    is not ingested by the schedule until then), else from the archive.
    """
    tz = scheduler.zone(settings)
    (cron_at,) = scheduler.next_firings(scheduler.trigger(settings), now, 1)
    times = {s.number: s.publish_at for s in archived if s.publish_at is not None}
    times.update(await asyncio.to_thread(publish_times, settings.issues.directory))
    own_time = {
        number: scheduler.publish_time(settings, at).astimezone(dt.UTC).astimezone(tz)
        for number, at in times.items()
    }
    published = await _published(archive, archived, [n for n, at in own_time.items() if at > now])
    waiting = sorted(
        (at, number) for number, at in own_time.items() if at > now and number not in published
    )
    timed = Firing(waiting[0][0], waiting[0][1], "publish_at") if waiting else None
    # An issue with a time of its own goes out then, not at the cron's firing: those due
    # before the firing count as published by then, and later ones are not the cron's.
    first = {number for at, number in waiting if at <= cron_at}
    for_cron = [s for s in archived if s.number not in own_time or own_time[s.number] <= cron_at]
    (cron_issue,) = scheduler.upcoming_issues([cron_at], published | first, for_cron, tz=tz)
    return Schedule(
        cron=settings.schedule.cron,
        timezone=settings.schedule.timezone,
        cron_firing=Firing(cron_at, cron_issue, "schedule"),
        timed_issue=timed,
    )


async def _published(
    archive: Archive, archived: Sequence[IssueSummary], also: Sequence[int]
) -> set[int]:
    """Enough of the published issues for `upcoming_issues`, and which of `also` are.

    Newest first up to the first published issue: an issue below that one is never the newest
    waiting issue, so the ledger of the whole back catalogue need not be read.
    """
    published = await scheduler.published_issues(archive, also)
    for summary in archived:
        if summary.number in published or await scheduler.published_issues(
            archive, [summary.number]
        ):
            published.add(summary.number)
            break
    return published


class _FiringRecord(BaseModel):
    """The JSON the scheduled job keeps under `scheduler.LAST_FIRING_KEY`."""

    model_config = ConfigDict(strict=True)

    at: dt.datetime
    published: dict[str, list[int]] = {}
    failures: list[str] = []


def parse_last_firing(text: str | None) -> LastFiring | None:
    """The scheduled job's record of its last firing, or None if absent or unreadable."""
    if not text:
        return None
    try:
        record = _FiringRecord.model_validate_json(text)
    except ValidationError:
        return None
    # The job writes UTC; a time without an offset is read as UTC too.
    at = record.at if record.at.tzinfo else record.at.replace(tzinfo=dt.UTC)
    published = {outlet: tuple(numbers) for outlet, numbers in record.published.items()}
    return LastFiring(at, published, tuple(record.failures))


# --- wording --------------------------------------------------------------------------------


def status_lines(status: Status, *, mentions: bool = False) -> list[str]:
    """The status as plain lines, worded alike on every surface.

    With `mentions`, channels and roles are written as Discord mentions (`<#id>`, `<@&id>`);
    otherwise as `channel <id>` and `role <id>`.
    """
    schedule = status.schedule
    lines = [_archive_line(status.archive), _outlets_line(status)]
    lines.append(
        f"Schedule: {schedule.cron!r} in {schedule.timezone}; "
        f"next at {scheduler.wall_clock(schedule.cron_firing.at)}"
    )
    if schedule.timed_issue is not None:
        lines.append(
            f"Next issue with its own time: #{schedule.timed_issue.issue} "
            f"at {scheduler.wall_clock(schedule.timed_issue.at)}"
        )
    lines.append(_next_firing_line(schedule.next_firing))
    lines += _last_firing_lines(status.last_firing, status.schedule)
    lines.append("Last publish:")
    channels = [p for p in status.publishes if p.outlet == DISCORD]
    if not channels:
        lines.append(
            "• Discord: no channel receives issues yet (/newsletter setup, "
            "or discord.targets in the config file)"
        )
    lines += [f"• {_publish_line(p, mentions=mentions)}" for p in status.publishes]
    if status.unfinished:
        lines.append("Unfinished steps:")
        lines += [f"• {_tally_line(t, mentions=mentions)}" for t in status.unfinished]
    else:
        lines.append("Unfinished steps: none")
    for issue, outlet, target, holder in status.claims:
        lines.append(f"Publishing now: #{issue} on {outlet} to {target}, by {holder}")
    return lines


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _archive_line(size: ArchiveSize) -> str:
    newest = f", newest #{size.latest_issue}" if size.latest_issue is not None else ""
    return (
        f"Archive: {_count(size.issues, 'issue')}, {_count(size.items, 'item')}{newest}; "
        f"{size.bytes:,} bytes {'on disk' if size.backend == 'sqlite' else 'on the server'}"
    )


def _outlets_line(status: Status) -> str:
    def said(name: str, configured: bool) -> str:
        return f"{name} {'configured' if configured else 'not configured'}"

    discord = said("Discord", status.discord_configured)
    if status.discord_shards is not None:
        shards = ", ".join(map(str, status.discord_shards))
        discord += f" (shards {shards} of {status.discord_shard_count})"
    x, mastodon = said("X", status.x_configured), said("Mastodon", status.mastodon_configured)
    bluesky = said("Bluesky", status.bluesky_configured)
    return f"Outlets: {discord}, {x}, {mastodon}, {bluesky}"


def _next_firing_line(firing: Firing) -> str:
    if firing.issue is None:
        what = "whatever is new by then (no archived issue is waiting)"
    elif firing.by == "publish_at":
        what = f"issue #{firing.issue}, at its own publish_at"
    else:
        what = f"issue #{firing.issue}"
    return f"Next firing: {scheduler.wall_clock(firing.at)}: {what}"


def _last_firing_lines(firing: LastFiring | None, schedule: Schedule) -> list[str]:
    if firing is None:
        return ["Last firing: none recorded"]
    tz = ZoneInfo(schedule.timezone)
    sent = [
        f"{OUTLET_NAMES.get(outlet, outlet)} {', '.join(f'#{n}' for n in numbers)}"
        for outlet, numbers in firing.published.items()
        if numbers
    ]
    what = f"published {'; '.join(sent)}" if sent else "published nothing"
    if firing.failures:
        what += f"; {_count(len(firing.failures), 'failure')}:"
    return [
        f"Last firing: {scheduler.wall_clock(firing.at.astimezone(tz))}: {what}",
        *(f"• {_reason(failure)}" for failure in firing.failures),
    ]


def _channel(channel_id: int | str, *, mentions: bool) -> str:
    return f"<#{channel_id}>" if mentions else f"channel {channel_id}"


def with_section_names(
    status: Status, known: Mapping[str, str], shown: Callable[[str], str] = str
) -> Status:
    """`status` with each channel's sections by their names (`known`: each archived section's
    newest name by its slug; a slug it lacks stays), each passed through `shown`."""
    publishes = tuple(
        dataclasses.replace(
            publish,
            channel=dataclasses.replace(
                publish.channel,
                sections=tuple(shown(known.get(slug, slug)) for slug in publish.channel.sections),
            ),
        )
        if publish.channel is not None
        else publish
        for publish in status.publishes
    )
    return dataclasses.replace(status, publishes=publishes)


def _publish_line(publish: LastPublish, *, mentions: bool) -> str:
    if publish.channel is None:
        where = OUTLET_NAMES.get(publish.outlet, publish.outlet)
    else:
        channel = publish.channel
        where = f"{_channel(channel.channel_id, mentions=mentions)} "
        where += f"({channel.kind or 'from the config file'})"
        if channel.role_id:
            role = f"<@&{channel.role_id}>" if mentions else f"role {channel.role_id}"
            where += f", pings {role}"
        if channel.sections:
            where += f", sections: {', '.join(channel.sections)}"
    if publish.issue is None:
        return f"{where} — nothing published yet"
    counts = ", ".join(
        f"{publish.steps[state]} {state}"
        for state in (
            StepState.FAILED,
            StepState.SENDING,
            StepState.PENDING,
            StepState.SENT,
            StepState.REMOVED,
        )
        if publish.steps.get(state)
    )
    how = "complete" if publish.complete else "unfinished"
    return f"{where} — #{publish.issue}: {how} ({counts})"


def _tally_line(tally: OutboxTally, *, mentions: bool) -> str:
    where = (
        _channel(tally.target, mentions=mentions)
        if tally.outlet == DISCORD
        else OUTLET_NAMES.get(tally.outlet, tally.outlet)
    )
    line = f"#{tally.issue_number} on {where}: {_count(tally.steps, 'step')} {tally.state}"
    return f"{line}: {_reason(tally.reason)}" if tally.reason else line


def _reason(text: str) -> str:
    return shorten(one_line(text), REASON_MAX)


# --- JSON -----------------------------------------------------------------------------------


def status_json(status: Status) -> dict[str, Any]:
    """The status for scripts: stable keys, ISO 8601 times, counts as integers."""
    schedule = status.schedule
    shards = status.discord_shards
    return {
        "archive": {
            "path": status.archive.path,
            "backend": status.archive.backend,
            "bytes": status.archive.bytes,
            "issues": status.archive.issues,
            "items": status.archive.items,
            "latest_issue": status.archive.latest_issue,
        },
        "outlets": {
            DISCORD: {
                "configured": status.discord_configured,
                "shard_count": status.discord_shard_count,
                "shard_ids": None if shards is None else list(shards),
            },
            X: {"configured": status.x_configured},
            MASTODON: {"configured": status.mastodon_configured},
            BLUESKY: {"configured": status.bluesky_configured},
        },
        "schedule": {
            "cron": schedule.cron,
            "timezone": schedule.timezone,
            "cron_firing": _firing_json(schedule.cron_firing),
            "timed_issue": _firing_json(schedule.timed_issue),
        },
        "next_firing": _firing_json(schedule.next_firing),
        "last_firing": _last_firing_json(status.last_firing),
        "last_publish": [_publish_json(p) for p in status.publishes],
        "unfinished": [_tally_json(t) for t in status.unfinished],
        "claims": [
            {"issue": issue, "outlet": outlet, "target": target, "holder": holder}
            for issue, outlet, target, holder in status.claims
        ],
    }


def _firing_json(firing: Firing | None) -> dict[str, Any] | None:
    if firing is None:
        return None
    return {"at": firing.at.isoformat(), "issue": firing.issue, "by": firing.by}


def _last_firing_json(firing: LastFiring | None) -> dict[str, Any] | None:
    if firing is None:
        return None
    return {
        "at": firing.at.isoformat(),
        "published": {outlet: list(numbers) for outlet, numbers in firing.published.items()},
        "failures": list(firing.failures),
    }


def _publish_json(publish: LastPublish) -> dict[str, Any]:
    channel = publish.channel
    return {
        "outlet": publish.outlet,
        "target": publish.target,
        "guild_id": channel.guild_id if channel else None,
        "channel_id": channel.channel_id if channel else None,
        "kind": channel.kind if channel else None,
        "role_id": channel.role_id if channel else None,
        "sections": list(channel.sections) if channel else [],
        "issue": publish.issue,
        "complete": publish.issue is not None and publish.complete,
        "steps": {str(state): publish.steps.get(state, 0) for state in StepState},
    }


def _tally_json(tally: OutboxTally) -> dict[str, Any]:
    return {
        "issue": tally.issue_number,
        "outlet": tally.outlet,
        "target": tally.target,
        "state": tally.state,
        "steps": tally.steps,
        "reason": tally.reason,
    }
