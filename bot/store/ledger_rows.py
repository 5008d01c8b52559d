"""Rows of the ledger as both backends read them, turned into newsbot's records."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from bot.models import OutboxEntry, OutboxTally, StepState


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
