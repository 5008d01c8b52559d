"""Run the Bluesky emulator standalone: ``python -m bot.sandbox.bluesky --port 0``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ._config import ACCESS_LIFETIME, BlueskyEmulatorConfig
from ._emulator import BlueskyEmulator


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.bluesky", description="A loopback Bluesky PDS for atproto."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 picks a free one)")
    parser.add_argument(
        "--access-lifetime",
        type=float,
        default=ACCESS_LIFETIME,
        help=f"seconds an access token lives (default {ACCESS_LIFETIME:.0f}, as on Bluesky)",
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    config = BlueskyEmulatorConfig(access_lifetime=args.access_lifetime)
    async with BlueskyEmulator(config, host=args.host, port=args.port) as emulator:
        print(f"Bluesky emulator at {emulator.service}", flush=True)
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
