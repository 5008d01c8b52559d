"""Benchmark publishing: API calls per channel, and wall time to 200 channels at Discord's limits.

Runs the real publishing engine and discord.py against the Discord emulator on 127.0.0.1. First
counts the calls needed to publish issue #202 to one text channel (target: at most 1 + 2 ×
sections).
Then publishes #202 to N text channels at once with the emulator enforcing Discord's real rate
limits (time scale 1.0: 50 requests a second globally, per-route buckets) and compares the wall
time with the bound "calls ÷ 50 per second" (target: at most 1.2 × the bound). Exits 1 if a
target is missed or the emulator refused a request.

    PYTHONPATH=. python benchmarks/publish.py
    PYTHONPATH=. python benchmarks/publish.py --channels 50
    PYTHONPATH=. python benchmarks/publish.py --smoke     # 3 channels, seconds
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

from bot.issuefiles import load_issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import GLOBAL_RATE, DiscordOutlet, Pacer, rest_client
from bot.publishing.plans.discord import Target
from bot.sandbox._server import exit_if_refused
from bot.sandbox.discord import Emulator, EmulatorConfig, point_discord_py_at
from bot.settings import PublishingSettings
from bot.store import Archive

ROOT = Path(__file__).resolve().parents[1]
WALL_TIME_TARGET = 1.2
SMOKE_CHANNELS = 3


async def publish_to(
    channels: int, *, time_scale: float, rate: float, concurrency: int
) -> tuple[int, float, int, int]:
    """Publish #202 to `channels` new text channels; return calls, seconds, 429s and 400s."""
    issue = load_issue(ROOT / "issues" / "202.md")
    async with Emulator(config=EmulatorConfig(time_scale=time_scale)) as emulator:
        seed = emulator.seed
        assert seed is not None
        point_discord_py_at(emulator.api_base, emulator.gateway_url)
        targets = [
            Target(
                guild_id=seed.guild.id,
                channel_id=emulator.world.add_channel(seed.guild, f"news-{n}").id,
                kind="text",
            )
            for n in range(channels)
        ]
        with tempfile.TemporaryDirectory() as folder:
            async with (
                await Archive.open(Path(folder) / "archive.db") as archive,
                rest_client(emulator.token) as client,
            ):
                await archive.issues.ingest(issue)
                engine = Engine(archive, concurrency=concurrency)
                outlet = DiscordOutlet(client, pacer=Pacer(rate))
                before = len(emulator.requests)
                started = time.perf_counter()
                report = await engine.publish(issue, outlet, targets)
                elapsed = time.perf_counter() - started
        assert report.ok, [t.error for t in report.targets if t.error]
        calls = emulator.requests[before:]
        answered = [r for r in calls if r.status < 400]
        limited = sum(1 for r in calls if r.status == 429)
        refused = sum(1 for r in calls if r.status == 400)
        return len(answered), elapsed, limited, refused


def main() -> int:
    """Print the figures and their ratios to the targets; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument(
        "--smoke", action="store_true", help=f"{SMOKE_CHANNELS} channels, in seconds"
    )
    defaults = PublishingSettings()
    parser.add_argument("--rate", type=float, default=defaults.requests_per_second)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    args = parser.parse_args()
    channels = SMOKE_CHANNELS if args.smoke else args.channels
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    issue = load_issue(ROOT / "issues" / "202.md")
    budget = 1 + 2 * len(issue.sections)

    single, _, _, _ = asyncio.run(publish_to(1, time_scale=0.01, rate=args.rate, concurrency=1))
    print(
        f"#202 to one text channel: {single} API calls (target ≤ 1 + 2 × {len(issue.sections)}"
        f" sections = {budget}; ratio {single / budget:.2f})"
    )

    calls, elapsed, limited, refused = asyncio.run(
        publish_to(channels, time_scale=1.0, rate=args.rate, concurrency=args.concurrency)
    )
    bound = calls / GLOBAL_RATE
    print(
        f"#202 to {channels} text channels at Discord's rate limits: {calls} calls in "
        f"{elapsed:.1f} s; bound {calls} ÷ {GLOBAL_RATE}/s = {bound:.1f} s; "
        f"ratio {elapsed / bound:.2f} (target ≤ {WALL_TIME_TARGET:.2f})"
    )
    print(
        f"  pacing at {args.rate:g} requests/s, {args.concurrency} channels at once; "
        f"{limited} answers 429, {refused} answers 400"
    )
    checks = [("API calls to one channel", single <= budget)]
    if args.smoke:
        # Under a second of publishing: its wall time tells the machine's load, not the pacing.
        print("  (--smoke: the wall time is printed, not checked)")
    else:
        checks.append(("wall time against the bound", elapsed / bound <= WALL_TIME_TARGET))
    missed = [what for what, met in checks if not met]
    exit_if_refused()
    if missed:
        print(f"{len(missed)} target(s) missed: {'; '.join(missed)}")
        return 1
    print("every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
