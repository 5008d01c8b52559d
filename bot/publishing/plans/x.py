"""An issue's thread on X as steps with stable keys: what to post, in which order.

Pure, like `plans/discord.py`: no I/O and no platform library. Each post is a step keyed
`202/x/post/3` (the lead is post 1) whose parent is the post before it; it replies to it, or,
once X has refused a reply (the ledger says so), quotes the lead.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

from bot.models import Issue, OutboxEntry, StepState
from bot.publishing.plans._threads import POST, REPLY, thread_steps
from bot.publishing.plans._threads import TARGET as TARGET
from bot.publishing.plans._threads import Account as Account
from bot.publishing.steps import Payload, Step
from bot.render.x import LinkMode, XThread, thread
from bot.settings import XSettings

OUTLET = "x"
QUOTING = "X refused replies, so posts quote the first one"
"""What a report says once the thread goes on as quotes."""


class Action(enum.StrEnum):
    """What a step does on X."""

    POST = POST
    """The thread's first post."""
    REPLY = REPLY
    """A reply to the post before."""
    QUOTE = "quote"
    """A post quoting the first one (X refuses replies)."""


ACCOUNT = Account()
"""The X account the keys belong to: the one target on X."""


def plan(issue: Issue, settings: XSettings) -> tuple[XThread, list[Step[Account]]]:
    """The issue's thread as rendered for these settings, and its steps in order: the lead,
    then each post replying to the one before (and knowing the lead, should it quote it)."""
    rendered = thread(issue, links=LinkMode(settings.links), max_posts=settings.max_posts)
    payloads = [_text(post.text) for post in rendered.posts]
    return rendered, thread_steps(OUTLET, issue.number, ACCOUNT, payloads, needs_lead=True)


def _text(text: str) -> Callable[[Mapping[str, int]], Payload]:
    return lambda _: {"text": text}


def quoting(ledger: Mapping[str, OutboxEntry]) -> bool:
    """Whether an earlier run found X refusing replies (a step was attempted as a quote)."""
    return any(
        e.action == Action.QUOTE and (e.state == StepState.SENT or e.attempts > 0)
        for e in ledger.values()
    )
