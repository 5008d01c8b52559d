"""A publish as steps with stable keys, for every outlet: what one call makes, and where.

Pure: no I/O and no platform library. Each outlet's plan (`bot/publishing/plans/`) gives an
issue's steps for one of its targets; the engine runs them through the ledger. A step's payload
is built when it runs, from the ids the earlier steps it refers to were given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Payload = dict[str, Any]
TargetT = TypeVar("TargetT")


@dataclass(frozen=True)
class Step(Generic[TargetT]):
    """One call to a platform, identified by a key that stays the same across runs."""

    key: str
    issue_number: int
    target: TargetT
    action: str
    """What the step does, in its outlet's words (each plan's `Action`)."""
    parent: str | None = None
    """The step whose remote id is where this one acts (a thread, a crossposted message)."""
    needs: tuple[str, ...] = ()
    """Steps whose remote ids this step's payload refers to."""
    build: Callable[[Mapping[str, int]], Payload] = field(
        default=lambda _: {}, compare=False, repr=False
    )
    made_again: Callable[[Payload], Payload] = field(
        default=lambda payload: payload, compare=False, repr=False
    )
    """What the step sends instead when it makes again what it made before and was deleted on
    the platform: a digest that notified readers of the issue does not notify them twice."""
    late: Callable[[Payload], Payload] = field(
        default=lambda payload: payload, compare=False, repr=False
    )
    """What the step sends instead when its issue is finished late (`progress.LATE`): a digest
    of old news notifies nobody. Nothing else changes (a Mastodon status keeps its
    idempotency key, which `made_again` changes)."""

    def payload(self, ids: Mapping[str, int]) -> Payload:
        """What this step sends, given the remote ids of the steps it refers to."""
        return self.build({key: ids[key] for key in self.needs if key in ids})


def payload_hash(payload: Payload) -> str:
    """A fingerprint of a payload: equal hashes mean the posted message needs no edit."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
