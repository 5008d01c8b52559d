"""What every emulator run standalone (`python -m bot.sandbox.x --port 0`) shares: the
`--host`/`--port` arguments, printing where it listens, and serving until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Mapping
from typing import Any


def arguments(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser holding `--host` and `--port`; the emulator adds its own options."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 picks a free one)")
    return parser


async def announce_and_wait(title: str, address: str, env: Mapping[str, str]) -> None:
    """Print where the emulator listens and the environment that points newsbot at it, then
    serve until interrupted."""
    print(f"{title} emulator at {address}", flush=True)
    for name, value in env.items():
        print(f"  {name}={value}")
    print("Ctrl-C to stop.", flush=True)
    await asyncio.Event().wait()


def run(
    serve: Callable[[argparse.Namespace], Coroutine[Any, Any, None]],
    parser: argparse.ArgumentParser,
    argv: list[str] | None = None,
) -> None:
    """Parse arguments, serve until interrupted."""
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
