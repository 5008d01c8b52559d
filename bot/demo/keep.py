"""`newsbot demo --keep`: everything stays up and a person plays the reader, typing reader
actions as Discord shows them (what each does is in `actions`)."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

from bot.demo.actions import act
from bot.demo.editor import Editor
from bot.demo.reader import Reader
from bot.demo.stage import Stage
from bot.errors import NewsbotError

KEEP_HELP = (
    (
        "/latest [section]",
        "the newest issue; /latest section:Learning for one section\n"
        "(a long one a page at a time: `next`, `previous`)",
    ),
    (
        "/search <words>",
        "search the archive (section:, issue:, since: narrow it);\n"
        "then `next` and `previous` turn the page",
    ),
    ("/issue <number>", "any issue in the archive"),
    ("/suggest <url>", "suggest a link for the next issue\n(note: and section: may follow it)"),
    (
        "/reply <text>",
        "reply in the 🧵 {thread} thread,\n"
        "or another: section:Learning issue:202\n(a link in it is a suggestion)",
    ),
    (
        "/suggestions review",
        "as the editor: the suggested links to review\n"
        "(status:accepted or status:rejected for those)",
    ),
    (
        "accept / reject <n>",
        "as the editor: press Accept or Reject on the card\nof Suggestion <n> in the last review",
    ),
    ("anything else", "posted in #general, then “Find related links” on it"),
    ("help, quit", "this help; stop the demo (Ctrl-D and Ctrl-C stop it too)"),
)
"""What `help` lists: what a reader types, and what it does, in lines that fit 80 columns."""


def keep_help(thread: str) -> Table:
    """`help` in `--keep`, in two columns: a description too long for a narrower terminal
    wraps in its own column."""
    table = Table.grid(padding=(0, 3))
    table.add_column(no_wrap=True)
    table.add_column()
    for typed, does in KEEP_HELP:
        table.add_row(Text(typed), Text(does.format(thread=thread)))
    return table


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Ctrl-C, a polite kill, and a closed terminal (SIGHUP, where there is one): each stops the
demo the same clean way, its scratch folder removed."""


class Stop:
    """SIGINT, SIGTERM and SIGHUP: cancel the script, or end the `--keep` part (once; later
    ones are ignored so the clean-up runs to its end)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.signalled: str | None = None
        self.keeping = False
        self._task = asyncio.current_task()
        self._installed: list[signal.Signals] = []

    def install(self) -> None:
        """Handle the stop signals in the running loop (where the platform allows it); one
        that was ignored when the demo started stays ignored (`nohup newsbot demo --keep`)."""
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue
            with contextlib.suppress(NotImplementedError, ValueError, RuntimeError):
                loop.add_signal_handler(sig, self._received, sig)
                self._installed.append(sig)

    def uninstall(self) -> None:
        """Give the signals back."""
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)

    def _received(self, sig: signal.Signals) -> None:
        if self.signalled is not None:
            return
        self.signalled = sig.name
        if self.keeping:
            self.event.set()
        elif self._task is not None:
            self._task.cancel()


@dataclass
class Lines:
    """Lines typed or piped on stdin, read by a daemon thread from the raw descriptor (no
    buffered-reader lock left held at exit, and the terminal's own modes untouched)."""

    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)

    def start(self) -> None:
        """Start reading in the background."""
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, args=(loop,), daemon=True, name="demo-stdin").start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = ""
        try:
            fd = sys.stdin.fileno()
            while chunk := os.read(fd, 4096):
                pending += decoder.decode(chunk)
                *whole, pending = pending.split("\n")
                for line in whole:
                    loop.call_soon_threadsafe(self.queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
            if pending:
                loop.call_soon_threadsafe(self.queue.put_nowait, pending)
            loop.call_soon_threadsafe(self.queue.put_nowait, None)

    async def next(self, *stops: asyncio.Future[Any]) -> str | None:
        """The next line; None at the end of input or when one of `stops` is done."""
        line = asyncio.ensure_future(self.queue.get())
        done, _ = await asyncio.wait({line, *stops}, return_when=asyncio.FIRST_COMPLETED)
        if line in done:
            return line.result()
        line.cancel()
        return None


async def keep_running(stage: Stage, reader: Reader, stop: Stop) -> None:
    """Leave everything up; a person types reader actions (or, without a terminal, pipes
    them), until quit, the end of input on a terminal, Ctrl-C or SIGTERM."""
    console = stage.console
    stop.keeping = True
    if stop.signalled is not None:
        return
    console.rule("newsbot keeps running (--keep)")
    console.print(f"The scratch archive: {stage.db}", soft_wrap=True, markup=False)
    console.print(
        f"The demo's settings: {stage.settings.config}, its keys: {stage.settings.secrets}",
        soft_wrap=True,
        markup=False,
    )
    console.print("Meanwhile, in another terminal, these work against it:")
    for command in (("status",), ("search", "distillation")):
        console.print(f"  {stage.settings.shell(*command)}", soft_wrap=True, markup=False)
    interactive = sys.stdin.isatty()
    if interactive:
        console.print(
            "Be the reader, or the editor: type `help` for what you can do, `quit` to stop."
        )
    editor = Editor(stage.emulator, stage.seed, console)
    lines = Lines()
    lines.start()
    process = stage.process
    assert process is not None
    stopped = asyncio.ensure_future(stop.event.wait())
    exited = asyncio.ensure_future(process.wait())
    try:
        while True:
            if interactive:
                console.print(Text(f"\n{stage.seed.reader.username} › ", style="bold"), end="")
            line = await lines.next(stopped, exited)
            if line is None:
                break
            if line.strip().lower() in {"quit", "exit"}:
                return
            if line.strip().lower() in {"help", "?"}:
                console.print(keep_help(stage.suggestion_thread))
                continue
            if line.strip():
                await act(stage, reader, editor, line.strip())
        if not (exited.done() or stopped.done() or interactive):
            console.print("stdin ended; newsbot keeps running until Ctrl-C or SIGTERM.")
            await asyncio.wait({stopped, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done() and not stopped.done():
            # Not stopped by Ctrl-C or a closed terminal, which reach it too: it died.
            raise NewsbotError(
                f"`newsbot run` exited with code {process.returncode} while the demo kept "
                "running; what it logged is above"
            )
    finally:
        stopped.cancel()
        exited.cancel()
        console.print()
