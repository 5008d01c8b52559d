"""An issue's thread on Mastodon as steps with stable keys: what to post, in which order.

Pure, like `plans/x.py`: no I/O and no platform library. Each status is a step keyed
`202/mastodon/post/3` (the lead is post 1) whose parent is the status before it, which it
replies to. Its `Idempotency-Key` is derived from the key alone, so every attempt at a step,
from any process, sends the same one.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.models import Issue
from bot.publishing.steps import Payload, Step
from bot.render.mastodon import CHARACTERS_RESERVED_PER_URL, MAX_CHARACTERS, thread
from bot.render.social import LinkMode, Thread
from bot.settings import MastodonSettings

OUTLET = "mastodon"
TARGET = "account"
"""The ledger's target for Mastodon: the one account the token belongs to."""


class Action(enum.StrEnum):
    """What a step does on Mastodon."""

    POST = "post"
    """The thread's first status."""
    REPLY = "reply"
    """A reply to the status before."""


@dataclass(frozen=True)
class Account:
    """The Mastodon account the token belongs to, and its instance's limits."""

    name: str = TARGET
    max_characters: int = MAX_CHARACTERS
    characters_reserved_per_url: int = CHARACTERS_RESERVED_PER_URL


ACCOUNT = Account()


def step_key(issue_number: int, number: int) -> str:
    """`202/mastodon/post/3`."""
    return f"{issue_number}/{OUTLET}/post/{number}"


def idempotency_key(key: str) -> str:
    """The `Idempotency-Key` of a step: the same for every attempt at it (Mastodon remembers
    one for an hour and answers a repeat with the status made the first time)."""
    return "newsbot-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def rendered(issue: Issue, settings: MastodonSettings, account: Account = ACCOUNT) -> Thread:
    """The issue's thread as rendered for these settings and the instance's limits."""
    return thread(
        issue,
        max_characters=account.max_characters,
        per_url=account.characters_reserved_per_url,
        links=LinkMode(settings.links),
        max_posts=settings.max_posts,
    )


def plan(
    issue: Issue, settings: MastodonSettings, account: Account = ACCOUNT
) -> tuple[Thread, list[Step[Account]]]:
    """The issue's thread and its steps in order: the lead, then each status replying to the
    one before, every one with the settings' visibility."""
    made = rendered(issue, settings, account)
    steps = [
        Step(
            key=step_key(issue.number, number),
            issue_number=issue.number,
            target=account,
            action=Action.POST if number == 1 else Action.REPLY,
            parent=None if number == 1 else step_key(issue.number, number - 1),
            build=_status(post.text, settings.visibility),
        )
        for number, post in enumerate(made.posts, start=1)
    ]
    return made, steps


def _status(text: str, visibility: str) -> Callable[[Mapping[str, int]], Payload]:
    return lambda _: {"text": text, "visibility": visibility}
