"""What the plans of a thread on one account (X, Mastodon, Bluesky) share: the account as the
one target, the step keys `202/x/post/3`, and the lead-then-replies order of the steps.

Pure: no I/O and no platform library."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.models import OutboxEntry, StepState
from bot.publishing.steps import Payload, Step

TARGET = "account"
"""The ledger's target on a thread outlet: the one account newsbot posts as."""
POST = "post"
"""The action of the thread's first post."""
REPLY = "reply"
"""The action of every later post: a reply to the one before."""

TargetT = TypeVar("TargetT")


@dataclass(frozen=True)
class Account:
    """The account newsbot posts as: the one target on its platform."""

    name: str = TARGET


def step_key(outlet: str, issue_number: int, number: int) -> str:
    """`202/x/post/3`: post `number` (the lead is 1) of the issue's thread on `outlet`."""
    return f"{issue_number}/{outlet}/post/{number}"


def thread_steps(
    outlet: str,
    issue_number: int,
    target: TargetT,
    payloads: Sequence[Callable[[Mapping[str, int]], Payload]],
    *,
    needs_lead: bool,
) -> list[Step[TargetT]]:
    """One step a post, in order: the lead, then each post replying to the one before (and,
    with `needs_lead`, knowing the lead's id)."""
    lead = step_key(outlet, issue_number, 1)
    return [
        Step(
            key=step_key(outlet, issue_number, number),
            issue_number=issue_number,
            target=target,
            action=POST if number == 1 else REPLY,
            parent=None if number == 1 else step_key(outlet, issue_number, number - 1),
            needs=() if number == 1 or not needs_lead else (lead,),
            build=build,
        )
        for number, build in enumerate(payloads, start=1)
    ]


def as_posted(
    steps: Sequence[Step[TargetT]], ledger: Mapping[str, OutboxEntry]
) -> list[Step[TargetT]]:
    """`steps`, but a thread already posted whole stays as it was posted: a corrected issue
    adds no post to it.

    No post of a thread is edited, so the posts already made keep their text; a correction
    packed into more posts would add a last one that repeats the text of the one before (X
    refuses it as a duplicate at every publish, Mastodon and Bluesky show it twice). A thread
    still being posted, stopped by a cap or a failure, goes on with the steps planned now.
    """
    if not ledger or any(entry.state != StepState.SENT for entry in ledger.values()):
        return list(steps)
    return [step for step in steps if step.key in ledger]
