"""Run the Mastodon emulator standalone: ``python -m bot.sandbox.mastodon --port 0``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ._config import MastodonEmulatorConfig
from ._emulator import MastodonEmulator
from ._rules import MAX_CHARACTERS


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.mastodon",
        description="A loopback Mastodon emulator for Mastodon.py.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 picks a free one)")
    parser.add_argument(
        "--max-characters",
        type=int,
        default=MAX_CHARACTERS,
        help=f"the instance's status limit (default {MAX_CHARACTERS})",
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    config = MastodonEmulatorConfig(max_characters=args.max_characters)
    async with MastodonEmulator(config, host=args.host, port=args.port) as emulator:
        print(f"Mastodon emulator at {emulator.api_base}", flush=True)
        for name, value in emulator.env().items():
            print(f"  {name}={value}")
        print("Ctrl-C to stop.", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, serve until interrupted."""
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
