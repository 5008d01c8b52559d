"""Run the Mastodon emulator standalone: ``python -m bot.sandbox.mastodon --port 0``."""

from __future__ import annotations

import argparse

from bot.sandbox._standalone import announce_and_wait, arguments, run

from ._config import MastodonEmulatorConfig
from ._emulator import MastodonEmulator
from ._rules import MAX_CHARACTERS


def _parser() -> argparse.ArgumentParser:
    parser = arguments(
        "python -m bot.sandbox.mastodon", "A loopback Mastodon emulator for Mastodon.py."
    )
    parser.add_argument(
        "--max-characters",
        type=int,
        default=MAX_CHARACTERS,
        help=f"the instance's status limit (default {MAX_CHARACTERS})",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    config = MastodonEmulatorConfig(max_characters=args.max_characters)
    async with MastodonEmulator(config, host=args.host, port=args.port) as emulator:
        await announce_and_wait("Mastodon", emulator.api_base, emulator.env())


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, serve until interrupted."""
    run(_serve, _parser(), argv)


if __name__ == "__main__":
    main()
