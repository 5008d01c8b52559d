"""How `newsbot run` stops: on SIGTERM or SIGINT, promptly, whatever it was doing.

Nothing in the stop waits on discord.py's own patience (its reconnect backoff, its retries
of a failing REST call): each wait has a bound, and what is still running past it is
cancelled and named in the log.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import weakref
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)
ANSWER_GRACE = 2.0
"""Seconds the commands being answered at a stop get to finish (Discord itself waits only 3 s
for a command's first answer)."""
CLOSE_MARGIN = 2.0
"""Seconds beyond those graces for Discord to disconnect; past them the close is cut short."""
CUT_GRACE = 1.0
"""Seconds a cancelled task gets to unwind."""

# The tasks discord.py runs events, commands, buttons and menus in (their names are its own).
ANSWER_TASKS = ("CommandTree-invoker", "discord.py: ", "discord-ui-")

_what_they_do: weakref.WeakKeyDictionary[asyncio.Task[Any], str] = weakref.WeakKeyDictionary()


class StopSignals:
    """SIGTERM and SIGINT ask for a stop (`requested`), for as long as this is entered."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> Self:
        self._loop = asyncio.get_running_loop()
        for signum in SIGNALS:
            self._loop.add_signal_handler(signum, self._on_signal, signum)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None:
            for signum in SIGNALS:
                self._loop.remove_signal_handler(signum)

    def _on_signal(self, signum: signal.Signals) -> None:
        if self.requested.is_set():
            log.info("%s: already stopping", signum.name)
            return
        log.info("%s: stopping", signum.name)
        self.requested.set()


def answering() -> list[asyncio.Task[Any]]:
    """The tasks answering readers right now: commands, buttons, menus, gateway events."""
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done()
        and task.get_name().startswith(ANSWER_TASKS)
        and task is not asyncio.current_task()
    ]


def note(what: str) -> None:
    """Say what the current task is doing, for the log if a stop cuts it short."""
    task = asyncio.current_task()
    if task is not None:
        _what_they_do[task] = what


def describe(task: asyncio.Task[Any]) -> str:
    """A task as the log names it: what it noted it does, its name, or what it runs."""
    if task in _what_they_do:
        return _what_they_do[task]
    name = task.get_name()
    if name.startswith("Task-"):
        return getattr(task.get_coro(), "__qualname__", name)
    return name


async def cut_short(
    tasks: Iterable[asyncio.Task[Any]], what: str, *, level: int, name_them: bool = True
) -> None:
    """Cancel `tasks` still running, wait (briefly) for them to unwind, and log `stopped what`
    (followed by the tasks, when `name_them`)."""
    running = [task for task in tasks if not task.done()]
    if not running:
        return
    for task in running:
        task.cancel()
    if name_them:
        log.log(level, "stopped %s: %s", what, ", ".join(sorted(describe(t) for t in running)))
    else:
        log.log(level, "stopped %s", what)
    _, stuck = await asyncio.wait(running, timeout=CUT_GRACE)
    if stuck:
        log.warning("still unwinding after %.0f s: %s", CUT_GRACE, ", ".join(map(describe, stuck)))


async def finish_or_cut(
    tasks: Iterable[asyncio.Task[Any]], grace: float, what: str, *, level: int = logging.WARNING
) -> None:
    """Wait up to `grace` seconds for `tasks` to end, then cut short those still running."""
    running = [task for task in tasks if not task.done()]
    if not running:
        return
    _, late = await asyncio.wait(running, timeout=grace) if grace > 0 else ((), set(running))
    await cut_short(late, what, level=level)
