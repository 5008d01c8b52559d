"""How a command's coroutine runs, and how Ctrl-C (SIGINT) and SIGTERM stop it: cancelled,
so that what it holds is given back (a lease, a half-written backup) before the process ends.

`newsbot run` and the demo take both signals over once started (`bot/stopping.py`,
`bot/demo/keep.py`); until then, and in every other command, this module's handler has them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from bot.stopping import SIGNALS

T = TypeVar("T")


def run_loop(coro: Coroutine[Any, Any, T], *, uvloop: bool = False) -> T:
    """Run `coro` on an event loop of its own, as asyncio.run does (on uvloop's loop with
    `uvloop`, where it is installed: not on Windows), stopped as `_stoppable` says.

    Stopped by SIGTERM, the process then ends by it (as if it had not been caught: a service
    manager sees the stop it asked for); by Ctrl-C, in KeyboardInterrupt, as under asyncio.run.
    """
    import asyncio

    received: list[signal.Signals] = []
    try:
        if uvloop:
            try:
                import uvloop as fast_loop
            except ImportError:
                pass
            else:
                return fast_loop.run(_stoppable(coro, received))
        return asyncio.run(_stoppable(coro, received))
    finally:
        if signal.SIGTERM in received:
            _end_by(signal.SIGTERM)


async def _stoppable(coro: Coroutine[Any, Any, T], received: list[signal.Signals]) -> T:
    """`coro`, cancelled by a first SIGINT or SIGTERM (each added to `received`); a second
    stops the process at once. Cancelled by Ctrl-C, it ends in KeyboardInterrupt. A signal
    the process was started with ignored (Ctrl-C in a job started with `&`) stays ignored.

    The signals come through the event loop's wake-up socket (`add_signal_handler`).
    asyncio.run's own SIGINT handler is Python code, run once the main thread runs Python
    again: Linux may deliver a signal sent to the process to another of its threads
    (aiosqlite's, a DNS lookup's), and the main thread, waiting for the loop's next event,
    did not see it until that event, if at all; a `newsbot publish` interrupted while Discord
    held a request went on publishing. Without a handler, SIGTERM ended the process where it
    stood, its `finally` blocks not run.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def stop(signum: signal.Signals) -> None:  # in the loop, once it has control
        received.append(signum)
        if len(received) == 1:
            task.cancel()
        else:
            _again(signum)

    arrivals: list[int] = []

    def arrived(signum: int, frame: object) -> None:  # in the main thread, busy or not
        # The loop hears each signal too (the wake-up socket stays), but only once it has
        # control: a command busy on the loop's thread would not hear a second one.
        arrivals.append(signum)
        if len(arrivals) > 1:
            received.append(signal.Signals(signum))
            _again(signal.Signals(signum))

    handled: list[tuple[signal.Signals, Any]] = []
    for signum in SIGNALS:
        before = signal.getsignal(signum)
        if before is signal.SIG_IGN or before is None:
            continue
        try:
            loop.add_signal_handler(signum, stop, signum)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, not the main thread
            continue
        signal.signal(signum, arrived)
        handled.append((signum, before))
    try:
        return await coro
    except asyncio.CancelledError:
        if received and task.uncancel() == 0 and received[0] == signal.SIGINT:
            raise KeyboardInterrupt from None
        raise
    finally:
        for signum, before in handled:
            loop.remove_signal_handler(signum)
            signal.signal(signum, before)  # for SIGINT, asyncio.run's, which it puts back


def _again(signum: signal.Signals) -> None:
    """A second signal: Ctrl-C interrupts whatever runs, SIGTERM ends the process at once."""
    if signum == signal.SIGINT:
        raise KeyboardInterrupt  # out of the loop, which cancels what still runs
    _end_by(signum)


def _end_by(signum: signal.Signals) -> None:
    """End this process by `signum`, as its default action does."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # None without a console, or a closed pipe
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)  # where the signal does not end the process at once
