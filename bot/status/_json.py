"""The facts of `bot.status` as JSON, for scripts."""

from __future__ import annotations

from typing import Any

from bot.models import OutboxTally, StepState
from bot.publishing.plans.bluesky import OUTLET as BLUESKY
from bot.publishing.plans.discord import OUTLET as DISCORD
from bot.publishing.plans.mastodon import OUTLET as MASTODON
from bot.publishing.plans.x import OUTLET as X
from bot.status._facts import Firing, LastFiring, LastPublish, Status


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
            "cancelled": list(schedule.cancelled),
        },
        "next_firing": _firing_json(schedule.next_firing),
        "last_firing": _last_firing_json(status.last_firing),
        "last_publish": [_publish_json(p) for p in status.publishes],
        "unfinished": [_tally_json(t) for t in status.unfinished],
        "claims": [
            {"issue": issue, "outlet": outlet, "target": target, "holder": holder}
            for issue, outlet, target, holder in status.claims
        ],
        "runs": None
        if status.runs is None
        else [
            {
                "host": run.host,
                "pid": int(run.pid) if run.pid.isdigit() else run.pid,
                "since": run.since.isoformat() if run.since else None,
            }
            for run in status.runs
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
