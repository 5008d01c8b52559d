"""The facts of `bot.status` in words, once for the terminal and Discord."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from bot.models import OutboxTally, StepState
from bot.publishing.catalogue import OUTLET_NAMES
from bot.publishing.plans.discord import OUTLET as DISCORD
from bot.schedule import triggers as scheduler
from bot.status._facts import (
    REASON_MAX,
    ArchiveSize,
    Firing,
    LastFiring,
    LastPublish,
    Run,
    Schedule,
    Status,
)
from bot.text import one_line, shorten


def status_lines(status: Status, *, mentions: bool = False, where: bool = False) -> list[str]:
    """The status as plain lines, worded alike on every surface.

    With `mentions`, channels and roles are written as Discord mentions (`<#id>`, `<@&id>`);
    otherwise as `channel <id>` and `role <id>`. With `where`, the archive line names the
    archive's file or database (the terminal's: a command run with other settings than the
    service's, say without its secrets.env, reads another archive, and this shows it).
    """
    schedule = status.schedule
    lines = [_archive_line(status.archive, where=where), _outlets_line(status)]
    if status.runs is not None:
        lines += _run_lines(status.runs, ZoneInfo(schedule.timezone))
    lines.append(
        f"Schedule: {schedule.cron!r} in {schedule.timezone}; "
        f"next at {scheduler.wall_clock(schedule.cron_firing.at)}"
    )
    if schedule.timed_issue is not None:
        lines.append(
            f"Next issue with its own time: #{schedule.timed_issue.issue} "
            f"at {scheduler.wall_clock(schedule.timed_issue.at)}"
        )
    for number in schedule.cancelled:
        lines.append(
            f"Cancelled: #{number}'s file was deleted from the issues folder, so its own"
            " publish_at does not publish it (it stays held from readers)"
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


def _archive_line(size: ArchiveSize, *, where: bool) -> str:
    newest = f", newest #{size.latest_issue}" if size.latest_issue is not None else ""
    backend = "SQLite" if size.backend == "sqlite" else "PostgreSQL"
    return (
        f"Archive: {_count(size.issues, 'issue')}, {_count(size.items, 'item')}{newest}; "
        f"{size.bytes:,} bytes {'on disk' if size.backend == 'sqlite' else 'on the server'}"
        + (f" ({backend}: {size.path})" if where else "")
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


def _run_lines(runs: tuple[Run, ...], tz: ZoneInfo) -> list[str]:
    if not runs:
        return ["newsbot run: not running on this archive"]
    return [
        "newsbot run: running"
        + (f" since {scheduler.wall_clock(run.since.astimezone(tz))}" if run.since else "")
        + f", pid {run.pid} on {run.host}"
        for run in runs
    ]


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
    newest name by its slug; a slug it lacks stays), each passed through `shown`, and each once
    (a section an older newsbot slugged is named by both slugs)."""
    publishes = tuple(
        dataclasses.replace(
            publish,
            channel=dataclasses.replace(
                publish.channel,
                sections=tuple(
                    dict.fromkeys(shown(known.get(slug, slug)) for slug in publish.channel.sections)
                ),
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
