"""Where a target's publish stands, judged from its ledger: which steps are done, what earlier
runs made that is no longer planned, the ids later steps refer to, and what a cap defers.

Pure: the engine (`bot/publishing/engine.py`) reads the ledger and runs the steps; these say
what the rows it read mean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.models import OutboxEntry, StepState
from bot.publishing.outlet import CapReached, Outcome, Outlet
from bot.publishing.reports import TargetReport
from bot.publishing.steps import Payload, Step, payload_hash

RECORDED = (StepState.SENT, StepState.SENDING, StepState.FAILED)
"""Ledger states whose remote id, if any, later steps may refer to."""

LATE = "late"
"""What an unsent step's row keeps as its payload hash when its issue is finished late, after
a newer one went out there (`finished_late`) or came due (`bot.schedule.owed`): it sends its
`late` payload, so that the digest of an old issue pings nobody."""


def out_there(entry: OutboxEntry) -> bool:
    """Whether the step's row says what it made is on the platform, or may be: made (sent, or
    an edit of it failed), or a call that may have made it was sent (in flight when newsbot
    stopped, or failed in a way that may have reached the platform: the engine looks for it
    before sending again). A step removed (a correction dropped it, or it was deleted on the
    platform) is not there, whatever id its row keeps."""
    if entry.state == StepState.REMOVED:
        return False
    return entry.state == StepState.SENT or entry.remote_id is not None or entry.attempts > 0


def finished_late(ledger: Mapping[str, OutboxEntry]) -> list[OutboxEntry]:
    """The rows of a target's ledger of an issue to mark `LATE` when it is finished late: its
    steps not sent yet (none made, none with an id)."""
    return [
        replace(entry, payload_hash=LATE)
        for entry in ledger.values()
        if entry.state in (StepState.PENDING, StepState.FAILED)
        and entry.remote_id is None
        and entry.payload_hash != LATE
    ]


def defer(report: TargetReport, cap: CapReached, steps: int) -> None:
    """`steps` of the target left for the next publish by `cap`, and when it resets."""
    report.counts[Outcome.DEFERRED] += steps
    report.cap = cap.cap or report.cap
    if cap.reset_at is not None:
        report.resume_at = dt.datetime.fromtimestamp(cap.reset_at, dt.UTC)


def stale_entries(
    ledger: Mapping[str, OutboxEntry], planned: set[str]
) -> list[tuple[OutboxEntry, bool]]:
    """What earlier runs made for steps no longer `planned`, each with whether removing it is a
    call of its own (what lives inside something removed, a thread's messages, goes with it)."""
    stale = [e for key, e in ledger.items() if key not in planned and e.state != StepState.REMOVED]
    made = tuple(f"{e.key}/" for e in stale if e.remote_id)
    return [(e, bool(e.remote_id) and not e.key.startswith(made)) for e in stale]


def done(outlet: Outlet[Any], step: Step[Any], entry: OutboxEntry, ids: dict[str, int]) -> bool:
    """Whether the step is sent and needs nothing (an unchanged payload, or no way to edit);
    its id is noted for the steps that refer to it."""
    if entry.state != StepState.SENT or not entry.remote_id:
        return False
    if outlet.edits and entry.payload_hash != payload_hash(step.payload(ids)):
        return False
    ids[step.key] = int(entry.remote_id)
    return True


def stale_step(entry: OutboxEntry, target: Any) -> Step[Any]:
    return Step(key=entry.key, issue_number=entry.issue_number, target=target, action=entry.action)


def entry_for(outlet: Outlet[Any], step: Step[Any]) -> OutboxEntry:
    return OutboxEntry(
        key=step.key,
        issue_number=step.issue_number,
        outlet=outlet.name,
        target=step.target.name,
        action=step.action,
    )


def recorded_ids(ledger: Mapping[str, OutboxEntry]) -> dict[str, int]:
    return {
        key: int(entry.remote_id)
        for key, entry in ledger.items()
        if entry.remote_id is not None and entry.state in RECORDED
    }


def as_int(value: str | None) -> int | None:
    return None if value is None else int(value)


def to_send(step: Step[Any], payload: Payload, entry: OutboxEntry) -> Payload:
    """What making the step sends now: its `late` payload when its issue is finished late
    (its row keeps `LATE` until the first attempt, then that payload's hash), its `made_again`
    payload when it makes again what it made before, else `payload`."""
    if entry.payload_hash == LATE:
        return step.late(payload)
    return step.made_again(payload) if _made_before(step, payload, entry) else payload


def _made_before(step: Step[Any], payload: Payload, entry: OutboxEntry) -> bool:
    """Whether making the step now makes again what it made before and was deleted on the
    platform: its row was forgotten (`removed`), or an attempt to make it again was left
    unfinished (its row keeps the hash of the `made_again` payload; so does that of a late
    step whose `late` payload is its `made_again` one)."""
    if entry.state == StepState.REMOVED:
        return True
    again = step.made_again(payload)
    return (
        entry.remote_id is None and again != payload and entry.payload_hash == payload_hash(again)
    )
