"""Ctrl-C and SIGTERM in a command: it is cancelled promptly, whichever thread the kernel hands
the signal to, and what it holds is given back; a signal the shell ignored (a job started with
`&`) stays ignored."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tgkill(2) is Linux's")

# A command's coroutine that waits with nothing due meanwhile, as `newsbot publish` waits on a
# request Discord holds, while a thread of the process (as aiosqlite's) waits too. The signal
# goes to that thread.
COMMAND = textwrap.dedent(
    """
    import asyncio, os, queue, signal, sys, threading, time
    from bot.cli._stopping import run_loop
    from tests.newsbot_process import signal_a_thread

    signum = signal.Signals[sys.argv[1]]
    if sys.argv[2] == "ignored":
        signal.signal(signum, signal.SIG_IGN)
    waiting = queue.SimpleQueue()
    threading.Thread(target=waiting.get, daemon=True).start()

    async def command():
        signal_a_thread(os.getpid(), signum)
        try:
            await asyncio.sleep(float(sys.argv[3]))
        finally:
            print(f"given back after {time.monotonic() - began:.1f} s", flush=True)
        return "ran to its end"

    began = time.monotonic()
    try:
        print(run_loop(command()))
    except KeyboardInterrupt:
        print("interrupted")
    """
)


def command(signum: signal.Signals, disposition: str, seconds: float) -> tuple[int, list[str]]:
    """The exit code of the command sent `signum` (with that signal `disposition`: "default" or
    "ignored"), and the lines it printed."""
    done = subprocess.run(
        [sys.executable, "-c", COMMAND, signum.name, disposition, str(seconds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout.splitlines()


def seconds(line: str) -> float:
    return float(line.split()[-2])


def test_ctrl_c_on_another_thread_interrupts_the_command_at_once() -> None:
    code, said = command(signal.SIGINT, "default", 20)
    assert code == 0 and said[1] == "interrupted", said
    assert seconds(said[0]) < 10, said


def test_sigterm_cancels_the_command_then_ends_the_process_by_it() -> None:
    code, said = command(signal.SIGTERM, "default", 20)
    assert code == -signal.SIGTERM, (code, said)
    assert len(said) == 1 and seconds(said[0]) < 10, "cancelled, its finally run, no more"


# A command busy on the loop's thread: the loop does not have control to hear a signal.
BUSY = textwrap.dedent(
    """
    import time
    from bot.cli._stopping import run_loop

    async def command():
        print("busy", flush=True)
        began = time.monotonic()
        while time.monotonic() - began < 20:
            pass

    try:
        run_loop(command())
    except KeyboardInterrupt:
        print("interrupted")
    """
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_second_signal_stops_a_command_busy_on_the_loops_thread(signum: signal.Signals) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", BUSY], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as busy:
        assert busy.stdout is not None
        assert busy.stdout.readline() == "busy\n"
        busy.send_signal(signum)  # cancels it, once the loop has control: not while busy
        time.sleep(0.3)
        busy.send_signal(signum)
        try:
            code = busy.wait(timeout=10)
        finally:
            busy.kill()
        said = busy.stdout.read()
    if signum == signal.SIGINT:
        assert (code, said) == (0, "interrupted\n")
    else:
        assert code == -signal.SIGTERM


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_ignored_by_the_shell_stays_ignored(signum: signal.Signals) -> None:
    assert signal.getsignal(signum) is not signal.SIG_IGN, "the tests' own is not"
    code, said = command(signum, "ignored", 1)
    assert code == 0 and said[1] == "ran to its end", said
