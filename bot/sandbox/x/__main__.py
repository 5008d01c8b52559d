"""Run the X emulator standalone: ``python -m bot.sandbox.x --port 0``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ._config import BASIC_DAILY_POSTS, FREE_DAILY_POSTS, XEmulatorConfig
from ._emulator import XEmulator


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.x", description="A loopback X API v2 emulator for tweepy."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 picks a free one)")
    parser.add_argument(
        "--plan",
        choices=["free", "basic"],
        default="free",
        help=f"daily post cap: free {FREE_DAILY_POSTS}, basic {BASIC_DAILY_POSTS}",
    )
    parser.add_argument("--refuse-replies", action="store_true", help="answer replies 403")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    config = XEmulatorConfig(
        daily_posts=FREE_DAILY_POSTS if args.plan == "free" else BASIC_DAILY_POSTS,
        refuse_replies=args.refuse_replies,
    )
    async with XEmulator(config, host=args.host, port=args.port) as emulator:
        print(f"X emulator at {emulator.api_base}", flush=True)
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
