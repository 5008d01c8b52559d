"""When an answer is deferred: a reader's command, or a press of a pager's button, slow to
answer is acknowledged meanwhile, so that Discord (which wants a first answer within 3 s)
keeps waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

from cogs.reader import _replies as replies

T = TypeVar("T")
Kind = discord.InteractionResponseType

DEFER_AFTER = 0.025
"""Seconds of work after which an answer is deferred. A search takes a few milliseconds, so
alone it is answered at once; when many readers ask together and answers queue, deferring
acknowledges each one quickly and the results follow."""
DEFER_QUEUE = 8
"""Answers being worked on at which another is deferred at once, without waiting for
`DEFER_AFTER`: each takes a millisecond or more (its search, then sending it), so the next
would come later anyway, and in a burst the timer itself fires late, behind the work it waits
for (100 different searches at once: the placeholder's p99 was 63–86 ms with the timer
alone, 49–56 ms with this)."""

THINKING = {
    ephemeral: replies.callback(
        Kind.deferred_channel_message,
        {"flags": discord.MessageFlags(ephemeral=True).value} if ephemeral else {},
    )
    for ephemeral in (False, True)
}
"""The "thinking…" placeholder, private or public, rendered once."""
UPDATING = replies.callback(Kind.deferred_message_update)
"""A button's message to be updated later, rendered once."""


class Answering:
    """How many answers the commands are working on, and when each is deferred."""

    def __init__(self) -> None:
        self.working = 0

    async def soon(
        self,
        interaction: discord.Interaction[Any],
        work: Awaitable[T],
        *,
        ephemeral: bool = True,
        update: bool = False,
    ) -> T:
        """Await `work`; if it is slow, or many answers are ahead of it, defer the interaction
        meanwhile so Discord keeps waiting: with "thinking…" (`ephemeral` or not), or, for a
        button whose `update` replaces its message, with nothing to see until it does.

        The work runs in the command's own task, and only a deferral starts a task of its own:
        a burst of quick answers costs no task and no wait of its own.
        """
        deferring: list[asyncio.Task[None]] = []

        def defer() -> None:
            kind, body = (Kind.deferred_message_update, UPDATING)
            if not update:
                kind, body = (Kind.deferred_channel_message, THINKING[ephemeral])
            deferring.append(asyncio.ensure_future(replies.respond(interaction, kind, body)))

        timer: asyncio.TimerHandle | None = None
        if self.working >= DEFER_QUEUE:
            defer()
        else:
            timer = asyncio.get_running_loop().call_later(DEFER_AFTER, defer)
        self.working += 1
        try:
            return await work
        finally:
            self.working -= 1
            if timer is not None:
                timer.cancel()
            if deferring:
                await deferring[0]
