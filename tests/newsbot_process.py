"""`newsbot ARGS` as a process of its own, forked from a waiting Python that has already
imported newsbot and its libraries, instead of a new interpreter each time.

Each run is still a fresh process with its own pid, stdio and environment: it runs `python -m
bot` (runpy, as the interpreter does), can be SIGKILLed or SIGTERMed, and exits with its own
code, and no newsbot code ran in it before. It skips only the interpreter's start and the
imports (discord.py, aiohttp, pydantic, typer, newsbot's models and settings…), about a second
of CPU a run under the tests, which the crash tests pay dozens of times.

Tests about the start itself (what a command imports, warnings at start-up, Python flags) run a
real interpreter; so does every run where os.fork or pidfds are missing (not Linux), or where
the environment changes how Python starts (a `PYTHON…` variable of its own).

Run as a module (`python -m tests.newsbot_process FD`), this file is the waiting Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import gc
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
MEASURE_REQUESTS = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")
"""The variables by which coverage.py asks a new Python process to measure itself."""

Stdio = int | IO[Any] | None


def without_settings(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without newsbot's settings: every variable named `NEWSBOT_…` in any case, as
    newsbot reads them (`newsbot_discord__token` is a setting too)."""
    return {name: value for name, value in env.items() if not name.upper().startswith("NEWSBOT_")}


# --- The waiting Python ----------------------------------------------------------------------


def _preload() -> None:
    """Import every module of newsbot (but `bot.__main__`), and with them the libraries they
    use; run none of it."""
    import importlib
    import pkgutil

    import bot
    import cogs

    for package in (bot, cogs):
        for found in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if found.name != "bot.__main__":  # what each run executes, as `python -m bot`
                importlib.import_module(found.name)
    import coverage  # noqa: F401 - a measured run starts its measure from it

    # The collector leaves what is loaded here alone: each run would otherwise walk (and copy)
    # all of it at its first full collection.
    gc.collect()
    gc.freeze()


def _serve(control: socket.socket) -> dict[str, Any] | None:
    """Fork one child per request on `control` and report its pid and exit code on the
    request's own socket; return the request in the child, None here once `control` closes."""
    children: dict[int, tuple[int, socket.socket]] = {}
    with selectors.DefaultSelector() as selector:
        selector.register(control, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                if key.fileobj is control:
                    message, fds, _, _ = socket.recv_fds(control, 1 << 20, 5)
                    if not message:
                        return None
                    request = json.loads(message)
                    stdin, stdout, stderr, answer, go = fds
                    reply = socket.socket(fileno=answer)
                    pid = os.fork()
                    if pid == 0:
                        # Nothing of this process's own stays open in the run.
                        selector.close()
                        control.close()
                        for pidfd, (_, other) in children.items():
                            os.close(pidfd)
                            other.close()
                        reply.close()
                        for fd, target in zip((stdin, stdout, stderr), (0, 1, 2), strict=True):
                            os.dup2(fd, target)
                        for fd in (stdin, stdout, stderr):
                            if fd > 2:
                                os.close(fd)
                        # Until the asker knows the pid: a test may kill the run at its first step.
                        os.read(go, 1)
                        os.close(go)
                        return dict(request)
                    for fd in (stdin, stdout, stderr, go):
                        os.close(fd)
                    pidfd = os.pidfd_open(pid)
                    children[pidfd] = (pid, reply)
                    selector.register(pidfd, selectors.EVENT_READ)
                    reply.sendall(f"{pid}\n".encode())
                else:
                    pidfd = key.fd
                    selector.unregister(pidfd)
                    pid, reply = children.pop(pidfd)
                    os.close(pidfd)
                    _, status = os.waitpid(pid, 0)
                    with contextlib.suppress(OSError):
                        reply.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                    reply.close()


def _become(request: dict[str, Any]) -> None:
    """Turn this forked child into `python -m bot ARGS` with the request's environment."""
    if request["new_session"]:
        os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    import faulthandler
    import tempfile
    import time

    # A run a test finds stuck prints where each of its threads stands, and its asyncio tasks
    # where each waits (`communicated`).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    signal.signal(signal.SIGUSR2, _print_tasks)
    tempfile.tempdir = None  # read TMPDIR again, as a new process would
    time.tzset()
    import coverage

    coverage.process_startup()  # what coverage's .pth file does at a measured start
    sys.argv = ["-m", *request["args"]]
    sys.path[0] = request["cwd"]  # `python -m` puts the folder it starts in first
    import runpy

    runpy.run_module("bot", run_name="__main__", alter_sys=True)


def _print_tasks(signum: int, frame: object) -> None:
    """Print the running event loop's tasks and where each waits, to stderr."""
    try:
        loop = asyncio.get_running_loop()  # the handler runs in the main thread, in the loop
    except RuntimeError:
        print("no event loop is running", file=sys.stderr, flush=True)
        return
    for task in asyncio.all_tasks(loop):
        state = "cancelling" if task.cancelling() else "running"
        print(f"task {task.get_name()} ({state}):", file=sys.stderr)
        task.print_stack(file=sys.stderr)
    sys.stderr.flush()


def _main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    _preload()
    request = _serve(control)
    if request is not None:
        _become(request)


# --- Asking it for runs ----------------------------------------------------------------------


class _Waiting:
    """The waiting Python of this test process, started on first use."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.control: socket.socket | None = None

    def usable(self, env: Mapping[str, str]) -> bool:
        """Whether a run with `env` can be forked from it (else it needs a real interpreter)."""
        if not hasattr(os, "fork") or not hasattr(os, "pidfd_open"):
            return False
        path = env.get("PYTHONPATH", str(ROOT))
        return path == str(ROOT) and _starts_python(env) == _starts_python(self._env())

    def _env(self) -> dict[str, str]:
        unmeasured = {k: v for k, v in os.environ.items() if k not in MEASURE_REQUESTS}
        return without_settings(unmeasured) | {"PYTHONPATH": str(ROOT)}

    def control_socket(self) -> socket.socket:
        """The socket to send requests on, the waiting Python started if it is not running."""
        if self.control is None or self.process is None or self.process.poll() is not None:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            with theirs:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "tests.newsbot_process", str(theirs.fileno())],
                    cwd=ROOT,
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    pass_fds=(theirs.fileno(),),
                )
            self.control = ours
        return self.control

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
        if self.process is not None:
            self.process.wait(30)


def _starts_python(env: Mapping[str, str]) -> dict[str, str]:
    """The variables that change how Python starts, but for PYTHONPATH."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") and k != "PYTHONPATH"}


_WAITING = _Waiting()
if __name__ != "__main__":
    import atexit

    atexit.register(_WAITING.close)


def _stdio_fd(
    stdio: Stdio, default: int, devnull: list[int], piped: list[int]
) -> tuple[int, int | None]:
    """The fd the run gets for one of its stdio, and our end if it is a pipe."""
    if stdio is None:
        return default, None
    if stdio == subprocess.DEVNULL:
        if not devnull:
            devnull.append(os.open(os.devnull, os.O_RDWR))
        return devnull[0], None
    if stdio == subprocess.PIPE:
        read_end, write_end = os.pipe()
        piped.append(write_end)
        return write_end, read_end
    if isinstance(stdio, int):
        return stdio, None
    return stdio.fileno(), None


def _read_all(fd: int) -> tuple[asyncio.StreamReader, asyncio.Future[None]]:
    """A reader fed with everything `fd` (ours alone) gives, and a future done once `fd` has
    ended and is closed (closed here, at once: nothing is left for a later callback)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**24)
    ended: asyncio.Future[None] = loop.create_future()
    os.set_blocking(fd, False)

    def ready() -> None:
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            reader.feed_data(data)
            return
        loop.remove_reader(fd)
        os.close(fd)
        reader.feed_eof()
        ended.set_result(None)

    loop.add_reader(fd, ready)
    return reader, ended


class NewsbotProcess:
    """A forked `newsbot` run, used like asyncio's `Process` (no stdin pipe)."""

    def __init__(self, pid: int, answers: asyncio.StreamReader, outputs: list[int | None]) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = None
        self._ended: list[asyncio.Future[None]] = []
        readers: list[asyncio.StreamReader | None] = []
        for fd in outputs:
            if fd is None:
                readers.append(None)
            else:
                reader, ended = _read_all(fd)
                readers.append(reader)
                self._ended.append(ended)
        self.stdout, self.stderr = readers
        self._exit = asyncio.ensure_future(self._read_exit(answers))

    async def _read_exit(self, answers: asyncio.StreamReader) -> int:
        """The run's exit code, when the waiting Python reports it."""
        line = await answers.readline()
        if not line:
            raise RuntimeError("the waiting Python went away before the run ended")
        self.returncode = int(line)
        return self.returncode

    async def wait(self) -> int:
        """Its exit code, once it has exited and its output pipes have ended (as asyncio's)."""
        code = await asyncio.shield(self._exit)
        await asyncio.gather(*(asyncio.shield(ended) for ended in self._ended))
        return code

    async def communicate(self, input: bytes | None = None) -> tuple[bytes, bytes]:
        """Its whole output (empty for what was not piped), once it has exited."""
        assert input is None, "a forked run has no stdin pipe"

        async def read(stream: asyncio.StreamReader | None) -> bytes:
            return b"" if stream is None else await stream.read()

        out, err = await asyncio.gather(read(self.stdout), read(self.stderr))
        await self.wait()
        return out, err

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


Process = NewsbotProcess | asyncio.subprocess.Process
"""A started `newsbot` run: forked, or a real interpreter where it cannot be."""


async def newsbot_process(
    *args: str,
    env: Mapping[str, str],
    cwd: str | Path = ROOT,
    stdin: Stdio = subprocess.DEVNULL,
    stdout: Stdio = None,
    stderr: Stdio = None,
    start_new_session: bool = False,
    started: Callable[[int], None] | None = None,
) -> Process:
    """`newsbot ARGS` started as its own process, like `asyncio.create_subprocess_exec`;
    `started` gets its pid before it runs (a test kills it from inside an emulator)."""
    if not _WAITING.usable(env) or stdin == subprocess.PIPE:
        process = await asyncio.create_subprocess_exec(
            *newsbot_argv(*args),
            env=dict(env),
            cwd=cwd,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=start_new_session,
        )
        if started is not None:
            started(process.pid)
        return process
    devnull: list[int] = []
    piped: list[int] = []
    stdin_fd, _ = _stdio_fd(stdin, 0, devnull, piped)
    stdout_fd, stdout_ours = _stdio_fd(stdout, 1, devnull, piped)
    stderr_fd, stderr_ours = _stdio_fd(stderr, 2, devnull, piped)
    ours, theirs = socket.socketpair()
    go_read, go = os.pipe()
    request = {
        "args": list(args),
        "env": dict(env),
        "cwd": str(cwd),
        "new_session": start_new_session,
    }
    try:
        socket.send_fds(
            _WAITING.control_socket(),
            [json.dumps(request).encode()],
            [stdin_fd, stdout_fd, stderr_fd, theirs.fileno(), go_read],
        )
    finally:
        theirs.close()
        os.close(go_read)
        for fd in devnull + piped:
            os.close(fd)
    answers, _ = _read_all(ours.detach())
    line = await answers.readline()
    if not line:
        os.close(go)
        raise RuntimeError("the waiting Python did not start the run")
    pid = int(line)
    if started is not None:
        started(pid)
    # A run that `started` killed may be gone already, and the pipe with it.
    with contextlib.suppress(BrokenPipeError):
        os.write(go, b"!")
    os.close(go)
    return NewsbotProcess(pid, answers, [stdout_ours, stderr_ours])


async def communicated(process: Process, within: float) -> tuple[bytes, bytes]:
    """`process.communicate()`, within `within` seconds: a run still going then is killed and
    fails the test with what it wrote to stderr, a forked run's stacks at the end of it."""
    reading = asyncio.ensure_future(process.communicate())
    done, _ = await asyncio.wait({reading}, timeout=within)
    if reading in done:
        return reading.result()
    masks = signal_masks(process.pid)
    if isinstance(process, NewsbotProcess):
        process.send_signal(signal.SIGUSR2)  # its tasks, to its stderr
        await asyncio.sleep(0.5)
        process.send_signal(signal.SIGUSR1)  # its threads' stacks
        await asyncio.sleep(1)
    process.kill()
    _, err = await asyncio.wait_for(reading, 30)
    said = err.decode(errors="replace")[-8000:]
    raise AssertionError(
        f"newsbot still ran after {within:.0f} s; its threads' signals:\n{masks}\n"
        f"its stderr ends:\n{said}"
    )


def signal_masks(pid: int) -> str:
    """Each thread of process `pid` and the signals it blocks, ignores, catches and has pending,
    as Linux's /proc tells them (hexadecimal masks: SIGINT is 0x2); empty elsewhere."""
    lines = []
    with contextlib.suppress(OSError):
        for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
            status = Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines()
            fields = dict(line.split(":\t", 1) for line in status if ":\t" in line)
            said = ", ".join(
                f"{name} {fields.get(name, '?').strip()}"
                for name in ("Name", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
            )
            lines.append(f"  thread {tid}: {said}")
    return "\n".join(lines)


def signal_a_thread(pid: int, signum: signal.Signals) -> None:
    """`signum` to one of process `pid`'s threads other than its main one, as the kernel may
    deliver a signal sent to the process (tgkill(2))."""
    others = sorted(int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid)
    assert others, "the process has a thread besides its main one"
    libc = ctypes.CDLL(None, use_errno=True)
    for tid in others:  # the oldest first; one that ended meanwhile (ESRCH) is passed over
        if libc.tgkill(pid, tid, signum) == 0:
            return
        if ctypes.get_errno() != errno.ESRCH:
            raise OSError(ctypes.get_errno(), "tgkill failed")
    raise AssertionError("every thread but the main one ended before the signal")


def newsbot_completed(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: str | Path = ROOT,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`newsbot ARGS` run to its end (in this environment unless `env` is given), its output
    captured as text, like `subprocess.run`."""

    async def run() -> subprocess.CompletedProcess[str]:
        process = await newsbot_process(
            *args,
            env=os.environ if env is None else env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout)
        assert process.returncode is not None
        return subprocess.CompletedProcess(
            newsbot_argv(*args),
            process.returncode,
            out.decode(),
            err.decode(),
        )

    return asyncio.run(run())


def newsbot_argv(*args: str) -> list[str]:
    """The command line of `newsbot ARGS` in this interpreter (`python -m bot`)."""
    return [sys.executable, "-m", "bot", *args]


if __name__ == "__main__":
    _main()
