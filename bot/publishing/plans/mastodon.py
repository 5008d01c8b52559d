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
from dataclasses import dataclass, replace

from bot.models import Issue
from bot.publishing.plans._threads import POST, REPLY, thread_steps
from bot.publishing.plans._threads import TARGET as TARGET
from bot.publishing.plans._threads import Account as ThreadAccount
from bot.publishing.steps import Payload, Step
from bot.render.mastodon import CHARACTERS_RESERVED_PER_URL, MAX_CHARACTERS, thread
from bot.render.social import LinkMode, Thread
from bot.settings import MastodonSettings

OUTLET = "mastodon"


class Action(enum.StrEnum):
    """What a step does on Mastodon."""

    POST = POST
    """The thread's first status."""
    REPLY = REPLY
    """A reply to the status before."""


@dataclass(frozen=True)
class Account(ThreadAccount):
    """The Mastodon account the token belongs to, and its instance's limits."""

    max_characters: int = MAX_CHARACTERS
    characters_reserved_per_url: int = CHARACTERS_RESERVED_PER_URL


ACCOUNT = Account()


AGAIN = "again"
"""In a payload: the status is made again, the one made before having been deleted."""


def idempotency_key(key: str, *, again: bool = False) -> str:
    """The `Idempotency-Key` of a step: the same for every attempt at it (Mastodon remembers
    one for an hour and answers a repeat with the status made the first time). A status made
    again after a deletion has a key of its own: Mastodon answers the first key with a 404 for
    the hour, the status it names being gone."""
    named = f"{key}/{AGAIN}" if again else key
    return "newsbot-" + hashlib.sha256(named.encode()).hexdigest()[:40]


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
    payloads = [_status(post.text, settings.visibility) for post in made.posts]
    steps = thread_steps(OUTLET, issue.number, account, payloads, needs_lead=False)
    return made, [replace(step, made_again=_again) for step in steps]


def _again(payload: Payload) -> Payload:
    return {**payload, AGAIN: True}


def _status(text: str, visibility: str) -> Callable[[Mapping[str, int]], Payload]:
    return lambda _: {"text": text, "visibility": visibility}
