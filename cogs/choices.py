"""The choices offered while an option is typed: in time, or none.

Discord waits 3 s for them (Receiving and Responding › Autocomplete) and then shows "Loading
options failed"; an answer after that is refused. discord.py only logs, with its traceback, an
exception an autocomplete raises. With the archive out of reach (its server down, its file
locked by a long write) every keystroke would wait past the deadline and log a traceback; an
editor's question, which may wait longer than a reader's for the archive, would not even fail in
time. A callback guarded here offers no choices when the archive cannot answer in time, and the
log says why once a keystroke, without a traceback; newsbot's own bug is still raised.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import NewsbotError
from bot.store import failed_under

log = logging.getLogger(__name__)

CHOICES_WAIT = 2.0
"""Seconds after Discord sent the interaction (its id's time) that the choices may take to
find: Discord's 3 s, less the time to send them on a loaded machine."""
CHOICES_WAIT_LEAST = 0.5
"""Seconds the choices may always take, whatever the id's time says: a clock of this machine
ahead of Discord's must not leave no time at all."""

S = TypeVar("S")
V = TypeVar("V", str, int)

Choices = Callable[
    [S, discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[V]]]
]


GUARDED: set[Callable[..., Any]] = set()
"""Every callback `in_time` guards (tests check each autocomplete is one)."""


def in_time(callback: Choices[S, V]) -> Choices[S, V]:
    """Guard an autocomplete callback: its choices, or none when the archive cannot give them
    within `CHOICES_WAIT` of the interaction's sending."""

    @functools.wraps(callback)
    async def guarded(
        cog: S, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[V]]:
        # The time it waited before it ran (the gateway, a busy event loop) counts too.
        sent = interaction.created_at.timestamp()
        left = min(CHOICES_WAIT, max(CHOICES_WAIT_LEAST, sent + CHOICES_WAIT - time.time()))
        try:
            async with asyncio.timeout(left):
                return await callback(cog, interaction, current)
        except TimeoutError:
            reason = f"the archive did not answer within {left:.1f} s"
        except NewsbotError as error:  # the archive out of reach, told for readers
            reason = str(error)
        except Exception as error:
            if not failed_under(error):
                raise
            # SQLite's words name no secret; a driver's might quote its URL, so only its kind.
            said = str(error) if isinstance(error, sqlite3.Error) else type(error).__name__
            reason = f"the archive failed: {said}"
        command = interaction.command.qualified_name if interaction.command else "?"
        log.warning("no choices offered for /%s: %s", command, reason)
        return []

    GUARDED.add(guarded)
    return guarded
