"""Rows as both backends read them (the ledger, subscriptions, suggestions), turned into
newsbot's records."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Protocol

from bot.models import (
    OutboxEntry,
    OutboxTally,
    StepState,
    Subscription,
    Suggestion,
    SuggestionStatus,
    Supporter,
)


class Row(Protocol):
    """A row whose columns are read by name: SQLite's `Row`, PostgreSQL's dict row."""

    def __getitem__(self, column: str, /) -> Any: ...


def outbox_entry(row: Row) -> OutboxEntry:
    """One step's ledger row."""
    return OutboxEntry(
        key=row["key"],
        issue_number=int(row["issue_number"]),
        outlet=row["outlet"],
        target=row["target"],
        action=row["action"],
        state=StepState(row["state"]),
        payload_hash=row["payload_hash"],
        remote_id=row["remote_id"],
        location_id=row["location_id"],
        reason=row["reason"],
        attempts=int(row["attempts"]),
    )


def outbox_tally(row: Row) -> OutboxTally:
    """Steps of one issue, outlet, target and state, counted, with one failed step's reason."""
    return OutboxTally(
        issue_number=int(row["issue_number"]),
        outlet=str(row["outlet"]),
        target=str(row["target"]),
        state=StepState(row["state"]),
        steps=int(row["steps"]),
        reason=row["reason"],
    )


def claim_stamp(moment: dt.datetime) -> str:
    """A claim's time as stored: UTC, to the millisecond, so that text order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def read_subscription(row: Row) -> Subscription:
    """One subscribed channel."""
    return Subscription(
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        kind=str(row["kind"]),
        role_id=row["role_id"],
        sections=tuple(json.loads(row["sections"])),
        alerts_channel_id=row["alerts_channel_id"],
    )


def read_supporter(row: Row) -> Supporter:
    """One reader behind a suggestion."""
    return Supporter(
        user_id=int(row["user_id"]),
        name=str(row["name"]),
        note=row["note"],
        source=str(row["source"]),
        created_at=_when(row["created_at"]),
    )


def read_suggestion(row: Row, supporters: list[Supporter]) -> Suggestion:
    """One suggested link, with the readers behind it."""
    return Suggestion(
        id=int(row["id"]),
        url=str(row["url"]),
        status=SuggestionStatus(row["status"]),
        section=row["section"],
        title=row["title"],
        issue_number=row["issue_number"],
        supporters=tuple(supporters),
    )


def _when(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value)) if value else None
