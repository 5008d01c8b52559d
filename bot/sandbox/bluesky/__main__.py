"""Run the Bluesky emulator standalone: ``python -m bot.sandbox.bluesky --port 0``."""

from __future__ import annotations

import argparse

from bot.sandbox._standalone import announce_and_wait, arguments, run

from ._config import ACCESS_LIFETIME, BlueskyEmulatorConfig
from ._emulator import BlueskyEmulator


def _parser() -> argparse.ArgumentParser:
    parser = arguments("python -m bot.sandbox.bluesky", "A loopback Bluesky PDS for atproto.")
    parser.add_argument(
        "--access-lifetime",
        type=float,
        default=ACCESS_LIFETIME,
        help=f"seconds an access token lives (default {ACCESS_LIFETIME:.0f}, as on Bluesky)",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    config = BlueskyEmulatorConfig(access_lifetime=args.access_lifetime)
    async with BlueskyEmulator(config, host=args.host, port=args.port) as emulator:
        await announce_and_wait("Bluesky", emulator.service, emulator.env())


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, serve until interrupted."""
    run(_serve, _parser(), argv)


if __name__ == "__main__":
    main()
