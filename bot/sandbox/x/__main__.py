"""Run the X emulator standalone: ``python -m bot.sandbox.x --port 0``."""

from __future__ import annotations

import argparse

from bot.sandbox._standalone import announce_and_wait, arguments, run

from ._config import BASIC_DAILY_POSTS, FREE_DAILY_POSTS, XEmulatorConfig
from ._emulator import XEmulator


def _parser() -> argparse.ArgumentParser:
    parser = arguments("python -m bot.sandbox.x", "A loopback X API v2 emulator for tweepy.")
    parser.add_argument(
        "--plan",
        choices=["free", "basic"],
        default="free",
        help=f"daily post cap: free {FREE_DAILY_POSTS}, basic {BASIC_DAILY_POSTS}",
    )
    parser.add_argument("--refuse-replies", action="store_true", help="answer replies 403")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    config = XEmulatorConfig(
        daily_posts=FREE_DAILY_POSTS if args.plan == "free" else BASIC_DAILY_POSTS,
        refuse_replies=args.refuse_replies,
    )
    async with XEmulator(config, host=args.host, port=args.port) as emulator:
        await announce_and_wait("X", emulator.api_base, emulator.env())


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, serve until interrupted."""
    run(_serve, _parser(), argv)


if __name__ == "__main__":
    main()
