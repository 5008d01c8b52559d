"""Benchmark publishing: API calls per channel, and wall time to 200 channels at Discord's limits.

Runs the real publishing engine and discord.py against the Discord emulator on 127.0.0.1. First
counts the calls needed to publish issue #202 to one text channel (target: at most 1 + 2 ×
sections).
Then publishes #202 to N text channels at once with the emulator enforcing Discord's real rate
limits (time scale 1.0: 50 requests a second globally, per-route buckets) and compares the wall
time with the bound "calls ÷ 50 per second" (target: at most 1.2 × the bound). Exits 1 if a
target is missed or the emulator refused a request.

With `--workers N`, N `newsbot publish` processes are started at once on one archive (SQLite,
or a throwaway PostgreSQL with `--backend postgres`) to publish #202 to the `--channels`
subscribed channels, sharing one bot token: it prints the calls, the wall time against the
bound, the 429s, and checks every item is in every channel exactly once (exit 1 otherwise).
`--kill K` SIGKILLs K of them once a third of the calls are made, then starts one more.

    PYTHONPATH=. python benchmarks/publish.py
    PYTHONPATH=. python benchmarks/publish.py --channels 50
    PYTHONPATH=. python benchmarks/publish.py --workers 4 --channels 50 --backend postgres
    PYTHONPATH=. python benchmarks/publish.py --workers 4 --channels 50 --kill 2
    PYTHONPATH=. python benchmarks/publish.py --smoke     # 3 channels, 2 workers; seconds
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot._settings_plain import without_settings
from bot.issuefiles import load_issue
from bot.models import Issue, Subscription
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.outlets.discord_client import rest_client
from bot.publishing.pacer import GLOBAL_RATE, Pacer
from bot.publishing.plans.discord import Target
from bot.render.publish import item_title
from bot.sandbox._server import exit_if_refused
from bot.sandbox.discord import Channel, Emulator, EmulatorConfig, point_discord_py_at
from bot.settings import PublishingSettings
from bot.store import Archive

ROOT = Path(__file__).resolve().parents[1]
WALL_TIME_TARGET = 1.2
SMOKE_CHANNELS = 3
SMOKE_WORKERS = 2
KILL_AFTER = 1 / 3
"""Share of the expected calls made when `--kill` SIGKILLs its publishers."""


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


@dataclass(frozen=True)
class Together:
    """What N `newsbot publish` processes at once did."""

    calls: int
    seconds: float
    limited: int
    limited_globally: int
    """429s for the bot's global rate, the one the processes share (the others: a route's)."""
    limited_routes: list[str]
    """The routes answered 429, with how many times."""
    failed: list[str]
    """Processes that did not end well (their last words), and items not once in a channel."""


@contextlib.asynccontextmanager
async def archive_at(backend: str, folder: Path) -> AsyncIterator[str]:
    """Where the processes' archive is: a SQLite file in `folder`, or a throwaway PostgreSQL."""
    if backend == "sqlite":
        yield str(folder / "archive.db")
        return
    from backends import postgres  # benchmarks/, on sys.path as the script's folder

    async with postgres.database(None) as url:
        yield url


def not_once(emulator: Emulator, channel: Channel, issue: Issue) -> list[str]:
    """The items of `issue` not in exactly one message of the channel's threads."""
    threads = {c.id for c in emulator.world.channels.values() if c.parent_id == channel.id}
    texts = []
    for thread in threads:
        for message in emulator.messages_in(emulator.world.channels[thread]):
            parts = [message.content]
            for embed in message.embeds:
                parts += [embed.get("title", ""), embed.get("description", "")]
                parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
            texts.append("\n".join(parts))
    missed = []
    for _, entry in issue.items:
        heading = f"**{item_title(entry)}**"
        found = sum(heading in text for text in texts)
        if found != 1:
            missed.append(f"{channel.name}: {entry.title!r} in {found} messages")
    return missed


async def publish_together(
    workers: int, channels: int, *, backend: str, rate: float, concurrency: int, kill: int
) -> Together:
    """Publish #202 to `channels` subscribed channels with `workers` processes at once."""
    issue = load_issue(ROOT / "issues" / "202.md")
    per_channel = 1 + 2 * len(issue.sections)
    async with Emulator(config=EmulatorConfig(time_scale=1.0)) as emulator:
        seed = emulator.seed
        assert seed is not None
        made = [emulator.world.add_channel(seed.guild, f"news-{n}") for n in range(channels)]
        with tempfile.TemporaryDirectory() as folder:
            async with archive_at(backend, Path(folder)) as location:
                async with await Archive.open(location) as archive:
                    await archive.issues.ingest(issue)
                    for channel in made:
                        await archive.subscriptions.add(
                            Subscription(guild_id=seed.guild.id, channel_id=channel.id, kind="text")
                        )
                env = without_settings(os.environ)
                env |= {
                    "PYTHONPATH": str(ROOT),
                    "NEWSBOT_DISCORD__TOKEN": emulator.token,
                    "NEWSBOT_DISCORD__API_BASE": emulator.api_base,
                    "NEWSBOT_DISCORD__GATEWAY_URL": emulator.gateway_url,
                    "NEWSBOT_PUBLISHING__REQUESTS_PER_SECOND": str(rate),
                    "NEWSBOT_PUBLISHING__CONCURRENCY": str(concurrency),
                    "NEWSBOT_ARCHIVE__URL" if backend == "postgres" else "NEWSBOT_ARCHIVE__PATH": (
                        location
                    ),
                }

                async def publisher() -> asyncio.subprocess.Process:
                    return await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot", "publish", "202", "--outlet", "discord",
                        env=env,
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=asyncio.subprocess.PIPE,
                    )  # fmt: skip

                before = len(emulator.requests)
                started = time.perf_counter()
                processes = [await publisher() for _ in range(workers)]
                if kill:
                    midway = KILL_AFTER * per_channel * channels
                    await emulator.wait_until(
                        lambda: len(emulator.requests) - before >= midway or None, timeout=300
                    )
                    for process in processes[:kill]:
                        process.kill()  # SIGKILL: its claims and a step left sending stay
                        await process.wait()
                    processes = [*processes[kill:], await publisher()]
                failed = []
                for process in processes:
                    _, stderr = await process.communicate()
                    if process.returncode != 0:
                        failed.append(f"a publisher exited {process.returncode}: {stderr[-500:]!r}")
                elapsed = time.perf_counter() - started
        calls = emulator.requests[before:]
        for channel in made:
            failed += not_once(emulator, channel, issue)
        return Together(
            calls=sum(1 for r in calls if r.status < 400),
            seconds=elapsed,
            limited=emulator.rate_limit_tally()[1],
            limited_globally=sum(
                1 for r in calls if r.status == 429 and (r.response or {}).get("global")
            ),
            limited_routes=[
                f"{route} ×{times}"
                for route, times in collections.Counter(
                    f"{r.method} {r.route}" for r in calls if r.status == 429
                ).items()
            ],
            failed=failed,
        )


def report_together(
    workers: int, channels: int, backend: str, kill: int, together: Together
) -> list[tuple[str, bool]]:
    """Print what the processes did; the checks it passed or failed."""
    bound = together.calls / GLOBAL_RATE
    killed = f", {kill} SIGKILLed a third in and one more started" if kill else ""
    print(
        f"#202 to {channels} text channels by {workers} `newsbot publish` at once on {backend}"
        f"{killed}: {together.calls} calls in {together.seconds:.1f} s; bound {together.calls} ÷"
        f" {GLOBAL_RATE}/s = {bound:.1f} s; ratio {together.seconds / bound:.2f};"
        f" {together.limited} answers 429, {together.limited_globally} of them global"
    )
    if together.limited_routes:
        print(f"  429s: {', '.join(together.limited_routes)}")
    for failure in together.failed[:10]:
        print(f"  NOT MET: {failure}")
    return [
        ("every item exactly once in every channel, every publisher ending well",
         not together.failed),
        ("no 429 for the global rate", together.limited_globally == 0),
    ]  # fmt: skip


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
    parser.add_argument(
        "--workers", type=int, default=0, help="`newsbot publish` processes at once"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--kill", type=int, default=0, help="publishers SIGKILLed mid-way")
    args = parser.parse_args()
    channels = SMOKE_CHANNELS if args.smoke else args.channels
    checks: list[tuple[str, bool]] = []
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if args.workers or args.smoke:
        workers = SMOKE_WORKERS if args.smoke else args.workers
        together = asyncio.run(
            publish_together(
                workers,
                channels,
                backend=args.backend,
                rate=args.rate,
                concurrency=args.concurrency,
                kill=min(args.kill, workers),
            )
        )
        checks = report_together(workers, channels, args.backend, args.kill, together)
        if not args.smoke:
            return finish(checks)
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
    checks += [("API calls to one channel", single <= budget)]
    if args.smoke:
        # Under a second of publishing: its wall time tells the machine's load, not the pacing.
        print("  (--smoke: the wall time is printed, not checked)")
    else:
        checks.append(("wall time against the bound", elapsed / bound <= WALL_TIME_TARGET))
    return finish(checks)


def finish(checks: list[tuple[str, bool]]) -> int:
    """Say which targets were missed: 1 if any (or if the emulator refused a request)."""
    missed = [what for what, met in checks if not met]
    exit_if_refused()
    if missed:
        print(f"{len(missed)} target(s) missed: {'; '.join(missed)}")
        return 1
    print("every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
