"""What newsbot's buttons and menus share: a press that fails is answered as a command is.

discord.py only logs an exception raised by a `DynamicItem`'s check or callback, and answers
nothing: the reader then sees Discord's "This interaction failed" and no one knows why. A press
guarded here is answered as a failed command is (`Newsbot.on_app_command_error`), privately: a
mistake newsbot explains (the archive out of reach) with the words the command would say
(`told`), newsbot's own bug with `SORRY`, logged with where it happened.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import discord

from bot.app import SORRY, reply, told
from bot.store import Archive

log = logging.getLogger(__name__)

S = TypeVar("S")
R = TypeVar("R")

Handler = Callable[[S, discord.Interaction[Any]], Coroutine[Any, Any, R]]


def custom_id(interaction: discord.Interaction[Any]) -> str:
    """The custom_id of the button or menu that was used, for a log line."""
    data: dict[str, Any] = dict(interaction.data or {})
    return str(data.get("custom_id", "?"))


def _answering(
    interaction: discord.Interaction[Any],
) -> contextlib.AbstractAsyncContextManager[None]:
    """A press waits for the archive as a reader's command does: Discord wants its answer
    within 3 s, and a press kept waiting out an outage gets "This interaction failed"."""
    archive = getattr(interaction.client, "archive", None)
    return archive.answering() if isinstance(archive, Archive) else contextlib.nullcontext()


def apologises(failed: R) -> Callable[[Handler[S, R]], Handler[S, R]]:
    """Guard a component's check or callback: if it raises, tell the presser what a command
    would (a bug is also logged), and return `failed` (False for a check: the callback does
    not run)."""

    def guard(handler: Handler[S, R]) -> Handler[S, R]:
        @functools.wraps(handler)
        async def guarded(item: S, interaction: discord.Interaction[Any]) -> R:
            try:
                async with _answering(interaction):
                    return await handler(item, interaction)
            except Exception as error:  # every failure gets an answer
                explained = told(error)
                if explained is not None:  # said where it arose (a store logs an outage)
                    with contextlib.suppress(discord.HTTPException):
                        await reply(interaction, explained)
                    return failed
                log.error(
                    "component %r failed (user %s, guild %s, channel %s)",
                    custom_id(interaction),
                    interaction.user.id,
                    interaction.guild_id,
                    interaction.channel_id,
                    exc_info=error,
                )
                with contextlib.suppress(discord.HTTPException):
                    await reply(interaction, SORRY)
                return failed

        return guarded

    return guard
