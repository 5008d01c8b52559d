"""Ctrl-C in a command: cancelled promptly whichever thread the kernel hands SIGINT to, and
left alone when the shell had it ignored (a job started with `&`)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tgkill(2) is Linux's")

# A command's coroutine that waits 20 s with nothing due meanwhile, as `newsbot publish` waits
# on a request Discord holds, while a thread of the process (as aiosqlite's) waits too.
COMMAND = textwrap.dedent(
    """
    import asyncio, ctypes, os, queue, signal, sys, threading, time
    from bot.cli._console import run_loop

    if sys.argv[1] == "ignored":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    waiting = queue.SimpleQueue()
    threading.Thread(target=waiting.get, daemon=True).start()
    (other,) = (int(t) for t in os.listdir("/proc/self/task") if int(t) != os.getpid())

    async def command():
        ctypes.CDLL(None).tgkill(os.getpid(), other, signal.SIGINT)  # Ctrl-C, to the thread
        await asyncio.sleep(float(sys.argv[2]))
        return "ran to its end"

    began = time.monotonic()
    try:
        print(run_loop(command()))
    except KeyboardInterrupt:
        print("interrupted")
    print(f"after {time.monotonic() - began:.1f} s")
    """
)


def command(disposition: str, seconds: float) -> list[str]:
    """What the command printed, with SIGINT `disposition` ("default" or "ignored")."""
    done = subprocess.run(
        [sys.executable, "-c", COMMAND, disposition, str(seconds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split("\n")


def test_ctrl_c_on_another_thread_interrupts_the_command_at_once() -> None:
    said = command("default", 20)
    assert said[0] == "interrupted", said
    assert float(said[1].split()[1]) < 10, said


def test_ctrl_c_ignored_by_the_shell_stays_ignored() -> None:
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN, "the tests' own is not"
    said = command("ignored", 1)
    assert said[0] == "ran to its end", said
