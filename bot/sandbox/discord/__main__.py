"""Run the Discord emulator standalone: ``python -m bot.sandbox.discord --port 0``."""

from __future__ import annotations

import argparse
import asyncio
import signal

from bot.sandbox._standalone import arguments, run

from ._config import EmulatorConfig
from ._emulator import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = arguments(
        "python -m bot.sandbox.discord",
        "A loopback Discord API emulator for the unmodified discord.py.",
    )
    parser.add_argument("--token", default=None, help="bot token to accept (default: random)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiply every rate-limit window by this (default 1.0, Discord's speed)",
    )
    parser.add_argument("--no-rate-limits", action="store_true", help="never answer 429 on its own")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    config = EmulatorConfig(time_scale=args.time_scale, rate_limits=not args.no_rate_limits)
    if args.token:
        config.token = args.token
    async with Emulator(config=config, host=args.host, port=args.port) as emulator:
        seed = emulator.seed
        print(f"Discord emulator at {emulator.url}", flush=True)
        print(f"  api_base     {emulator.api_base}")
        print(f"  gateway_url  {emulator.gateway_url}")
        print(f"  bot token    {emulator.token}")
        if seed is not None:
            print(f"  guild        {seed.guild.name} ({seed.guild.id})")
            print(f"  application  {seed.bot.username} ({seed.bot.id})")
        print("Ctrl-C to stop.", flush=True)
        # A signal sets an event rather than raising KeyboardInterrupt wherever the loop is.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, serve until interrupted."""
    run(_serve, _parser(), argv)


if __name__ == "__main__":
    main()
