"""What a publish would do now, step by step, judged from the ledger: the preview behind
`newsbot publish --dry-run` and the thread outlets' previews.

Pure: the engine (`Engine.preview`) reads the ledger, plans the steps and counts what the
daily cap allows; this says what running each step, then removing what is no longer planned,
would do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.models import OutboxEntry, StepState
from bot.publishing.outlet import Outcome, Outlet
from bot.publishing.progress import (
    done,
    entry_for,
    recorded_ids,
    stale_entries,
    stale_step,
    to_send,
)
from bot.publishing.reports import PlannedStep
from bot.publishing.steps import Step, payload_hash


def planned_steps(
    outlet: Outlet[Any],
    target: Any,
    steps: Sequence[Step[Any]],
    ledger: Mapping[str, OutboxEntry],
    allowed: int | None,
    *,
    lost: bool = False,
) -> list[PlannedStep]:
    """What running `steps` (the target's plan) would do, given the target's `ledger` and the
    steps the daily cap still `allowed` (None: no cap); then what it would remove. `lost`: a
    backup restored may have lost the record of steps made, which are then looked for first
    (the publish stops looking once it finds one surely not made, which no preview knows)."""
    ids = recorded_ids(ledger)
    planned: list[PlannedStep] = []
    for step in steps:
        payload = step.payload(ids)
        entry = ledger.get(step.key) or entry_for(outlet, step)
        unchanged = entry.payload_hash == payload_hash(payload)
        if done(outlet, step, entry, ids):
            changed = entry.payload_hash is not None and not unchanged
            planned.append(PlannedStep(step, payload, Outcome.UNCHANGED, changed=changed))
        elif entry.remote_id is not None and entry.state != StepState.REMOVED:
            planned.append(PlannedStep(step, payload, Outcome.EDITED))
        elif allowed is not None and allowed <= 0:
            planned.append(PlannedStep(step, payload, Outcome.DEFERRED))
        else:
            allowed = None if allowed is None else allowed - 1
            look_first = lost or (entry.attempts > 0 and entry.state != StepState.REMOVED)
            # What the engine sends: a step made again, or of an issue finished late, sends its
            # `made_again` or `late` payload (a digest that pings nobody).
            payload = to_send(step, payload, entry)
            planned.append(
                PlannedStep(step, payload, Outcome.POSTED, look_first=look_first, restored=lost)
            )
    if outlet.edits:
        stale = [
            e for e, own_call in stale_entries(ledger, {p.step.key for p in planned}) if own_call
        ]
        planned += [PlannedStep(stale_step(e, target), {}, Outcome.REMOVED) for e in stale]
    return planned
