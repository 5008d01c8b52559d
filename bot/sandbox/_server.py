"""What every loopback emulator shares: an aiohttp server on 127.0.0.1, on a free port, and a
record of what it refused, kept for the whole process so no refused request goes unseen."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from aiohttp import web

from ._violations import Violation, Violations


@dataclass(frozen=True)
class Started:
    """One emulator started in this process: what it was, and what it refused."""

    name: str
    violations: Violations


_started: list[Started] = []


def started_servers() -> list[Started]:
    """Every emulator started in this process so far, oldest first (closed ones too)."""
    return list(_started)


def recorded_violations() -> list[Violation]:
    """What every emulator started in this process recorded and nobody took, in order."""
    return [violation for server in _started for violation in server.violations]


def exit_if_refused() -> None:
    """For a script (a benchmark): print how many requests the emulators refused as the real
    platforms would, and exit 1 if any (figures measured on refused requests are not newsbot's)."""
    refused = recorded_violations()
    print(f"requests the emulators refused as the real platforms would: {len(refused)}")
    for violation in refused:
        print(f"  {violation}")
    if refused:
        sys.exit(1)


SHUTDOWN_GRACE = 1.0
"""Seconds a request still being answered when the server closes gets to finish; then it is
cancelled (aiohttp's default of 60 would make closing wait on a slow or held answer)."""


class LoopbackServer:
    """Serves an aiohttp app on ``host:port`` (port 0 picks a free one) until closed.

    A subclass builds its app in ``start()``, calls ``_serve(app)`` and returns ``self``;
    ``async with`` starts and closes it. It sets ``violations``, where its checks record the
    requests the real platform would refuse.
    """

    violations: Violations

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None

    async def start(self) -> Self:
        """Start serving; subclasses build their app and call `_serve`."""
        raise NotImplementedError

    async def _serve(self, app: web.Application) -> None:
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_GRACE
        )
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        self._bound_port = int(runner.addresses[0][1])
        _started.append(Started(f"{type(self).__name__} at {self.url}", self.violations))

    async def close(self) -> None:
        """Stop serving (closing twice is harmless)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; only valid after ``start()``."""
        if self._bound_port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self._bound_port}"

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
