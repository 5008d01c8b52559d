"""The facts of how publishing stands, read from the archive and the settings."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.models import IssueSummary, OutboxTally, StepState
from bot.publishing.ledger import gone
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
from bot.schedule.files import (
    ARRIVALS_KEY,
    as_the_next_firing_finds,
    deleted_timed,
    scan_issue_files,
    stops_the_ingest,
)
from bot.settings import Settings
from bot.store import Archive
from bot.workers import running_processes

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
    cancelled: tuple[int, ...] = ()
    """Issues held for their own time whose file the editors deleted: they do not go out."""

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
class Run:
    """A `newsbot run` process on the archive: its process name (`host:pid`), since when."""

    process: str
    since: dt.datetime | None

    @property
    def host(self) -> str:
        """The machine it runs on."""
        return self.process.rpartition(":")[0]

    @property
    def pid(self) -> str:
        """Its process id there."""
        return self.process.rpartition(":")[2]


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
    runs: tuple[Run, ...] | None = None
    """The `newsbot run` processes on the archive now; None when not asked (in Discord, one
    of them answers)."""


async def gather_status(
    archive: Archive,
    settings: Settings,
    *,
    now: dt.datetime,
    guild_id: int | None = None,
    runs: bool = False,
) -> Status:
    """How publishing stands at `now` (aware); with `guild_id`, Discord facts of that server only;
    with `runs`, which `newsbot run` processes are running on the archive.

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
        # A claim of a process of this host that has ended publishes nothing: the next publish
        # takes it over at once (`gone`), whatever time its lease has left.
        claims=tuple(
            claim
            for claim in await archive.ledger.claims(now)
            if (guild_id is None or claim[1] != DISCORD or claim[2] in channels)
            and not gone(claim[3])
        ),
        runs=tuple(Run(*run) for run in await running_processes(archive.state)) if runs else None,
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
    directory = settings.issues.directory
    scan = await asyncio.to_thread(scan_issue_files, directory) if directory.is_dir() else None
    kept = await archive.state.get(ARRIVALS_KEY)
    arrivals = {int(n) for n in json.loads(kept)} if kept else set()
    gone = deleted_timed(archived, scan.present if scan else None, dict.fromkeys(arrivals))
    gone -= await scheduler.published_issues(archive, gone)
    # A new file in the folder is ingested by the next firing, which then publishes it.
    stopped = await stops_the_ingest(scan, archive.issues)
    archived = as_the_next_firing_finds(
        (s for s in archived if s.number not in gone), scan, stopped
    )
    times = {s.number: s.publish_at for s in archived if s.publish_at is not None}
    times.update(scan.times if scan else {})
    own_time = {
        number: scheduler.publish_time(settings, at).astimezone(dt.UTC).astimezone(tz)
        for number, at in times.items()
        if scheduler.schedulable(settings, at)
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
        cancelled=tuple(sorted(gone)),
    )


async def _published(
    archive: Archive, archived: Sequence[IssueSummary], also: Sequence[int]
) -> set[int]:
    """Enough of the published issues for `upcoming_issues`, and which of `also` are.

    Newest first up to the first published issue of each kind, with a `publish_at` of its own
    and without (the schedule follows the two kinds apart): an issue below those is never the
    newest waiting issue, so the ledger of the whole back catalogue need not be read.
    """
    published = await scheduler.published_issues(archive, also)
    kinds_found: set[bool] = set()
    for summary in archived:
        timed = summary.publish_at is not None
        if timed in kinds_found:
            continue
        if summary.number in published or await scheduler.published_issues(
            archive, [summary.number]
        ):
            published.add(summary.number)
            kinds_found.add(timed)
            if len(kinds_found) == 2:
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
