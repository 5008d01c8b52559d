"""How fast newsbot answers `/search` when many readers ask at once.

    PYTHONPATH=. python benchmarks/interactions.py                 # 100k items, 100 at once
    PYTHONPATH=. python benchmarks/interactions.py --items 20000 --concurrent 50 --rounds 3
    PYTHONPATH=. python benchmarks/interactions.py --smoke     # 2,000 items, 10 at once, seconds
    PYTHONPATH=. python benchmarks/interactions.py --shards 2  # 2 processes, one shard each

Builds a synthetic archive (the corpus of benchmarks/search.py), starts the Discord emulator and
the real `newsbot run` process against it, then dispatches `--concurrent` `/search` interactions
at the same moment, `--rounds` times, and prints the time from each dispatch to the bot's first
response and to the complete answer (p50, p99, max), against the same searches run straight on
`archive.issues.search` in this process (the baseline: what the archive alone costs), and the CPU
time `newsbot run` spent per `/search`, read from its own counters around the timed rounds (the
emulator runs here, in this process, so none of its work is counted). Targets: first response
p99 ≤ 50 ms, complete answer p99 ≤ 150 ms, CPU ≤ 0.5 ms per `/search`, none over 3 s; with
`--smoke`, none over 3 s (Discord's deadline to answer). Exits 1 if a target is missed or the
emulator refused a request.

Every round asks the same words, as readers do after an announcement, so newsbot answers most
of them from the answers it keeps for a few seconds; `--fresh` asks new words each round, so
that every answer is searched. `--profile FILE` samples `newsbot run` with py-spy during the
timed rounds and writes its top functions to FILE (py-spy must be installed);
`--profile-emulator FILE` does the same for this process, where the emulator runs.

`--shards 2` runs two `newsbot run` processes on the one archive, one shard each, and spreads
the readers over a server on each shard; the CPU is then the sum of both processes'.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from itertools import cycle
from pathlib import Path
from typing import NamedTuple

from benchmarks.search import build_corpus
from bot.sandbox._server import exit_if_refused
from bot.sandbox.discord import (
    Channel,
    DefaultWorld,
    Emulator,
    EmulatorConfig,
    Guild,
    InteractionHandle,
    Permission,
    snowflake_time,
)
from bot.store import Archive

P99_TARGET = 0.050
ANSWER_P99_TARGET = 0.150
CPU_TARGET = 0.0005
DEADLINE = 3.0
TOP = 40
SMOKE = {"items": 2_000, "concurrent": 10, "rounds": 2}
ANSWERING = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | Permission.EMBED_LINKS


class Place(NamedTuple):
    """A server and the channel its readers ask in."""

    guild: Guild
    channel: Channel


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def line(label: str, seconds: Sequence[float]) -> str:
    """p50 / p99 / max of some latencies, in milliseconds."""
    p50, p99 = percentile(seconds, 0.50), percentile(seconds, 0.99)
    return f"{label:<34}{p50 * 1000:>9.1f}{p99 * 1000:>9.1f}{max(seconds) * 1000:>9.1f}"


def servers(emulator: Emulator, seed: DefaultWorld, shards: int) -> list[Place]:
    """Where readers ask: the seed server's channel and, with shards, a readers' server on
    each other shard (Discord sends a server's interactions to shard `(id >> 22) % shards`)."""
    places = [Place(seed.guild, seed.general)]
    taken = (seed.guild.id >> 22) % shards
    world = emulator.world
    for shard in range(shards):
        if shard == taken:
            continue
        guild = world.add_guild(f"Readers {shard}", owner=seed.owner, shard=(shard, shards))
        role = world.add_role(
            guild, "newsbot", permissions=int(ANSWERING), managed_by_bot=seed.bot.id
        )
        world.add_member(guild, seed.bot, roles=(role,))
        world.add_member(guild, seed.reader)
        places.append(Place(guild, world.add_channel(guild, "general")))
    return places


async def start_newsbot(
    emulator: Emulator, seed: DefaultWorld, db: Path, shards: int
) -> list[asyncio.subprocess.Process]:
    """`newsbot run` against the emulator, one process per shard when `shards` > 1, all on
    the one archive; returns once every shard is connected and the commands are synced."""
    env = {
        **os.environ,
        "NEWSBOT_DISCORD__TOKEN": emulator.token,
        "NEWSBOT_DISCORD__API_BASE": emulator.api_base,
        "NEWSBOT_DISCORD__GATEWAY_URL": emulator.gateway_url,
        "NEWSBOT_ARCHIVE__PATH": str(db),
        "NEWSBOT_LOG__LEVEL": "WARNING",
        # Only the reader commands are measured: no issue folder to ingest, nothing to publish.
        "NEWSBOT_ISSUES__DIRECTORY": str(db.parent / "no-issues"),
        "NEWSBOT_SCHEDULE__CATCH_UP": "none",
    }
    if shards == 1:
        each = [env | {"NEWSBOT_DISCORD__DEV_GUILD": str(seed.guild.id)}]
    else:  # the commands go to every server, as in production
        each = [
            env
            | {
                "NEWSBOT_DISCORD__SHARD_COUNT": str(shards),
                "NEWSBOT_DISCORD__SHARD_IDS": f"[{shard}]",
            }
            for shard in range(shards)
        ]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=one, stdin=asyncio.subprocess.DEVNULL
        )
        for one in each
    ]
    synced = seed.guild if shards == 1 else None

    def connected() -> bool | None:
        return True if len(emulator.gateway.ready_sessions) >= shards else None

    # Each is told by its own part of the emulator: the gateway of sessions, the world of
    # commands; waiting for both on the world's changes alone missed a session that came last.
    await emulator.gateway.changed.wait_for(connected, 60, "every shard to connect")
    await emulator.wait_until(
        lambda: True if emulator.synced_commands(synced) else None, timeout=60
    )
    return processes


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def samples(out: Path, process: int) -> Path:
    """Where py-spy writes the raw samples of the `process`-th newsbot process."""
    return out.with_suffix(f".{process}.folded")


async def start_profiler(
    pid: int, out: Path | None, process: int, *, nonblocking: bool = False
) -> asyncio.subprocess.Process | None:
    """py-spy sampling `pid` until stopped, its samples going next to `out`; None without.

    `nonblocking` samples without pausing the process: for this process itself, which would
    otherwise stop while py-spy reads it, the measured latencies with it.
    """
    if out is None:
        return None
    return await asyncio.create_subprocess_exec(
        "py-spy",
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--output",
        str(samples(out, process)),
        "--rate",
        "500",
        # Only the thread holding the GIL: threads waiting in C (SQLite's queue, the event
        # loop's poll) would otherwise count as busy.
        "--gil",
        *(["--nonblocking"] if nonblocking else []),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
    )


async def stop_profilers(
    profilers: Sequence[asyncio.subprocess.Process | None],
    out: Path | None,
    what: str = "newsbot run process(es)",
) -> None:
    """Stop py-spy, which then writes its samples, and write their top functions to `out`."""
    if out is None:
        return
    for profiler in profilers:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            await profiler.wait()
    summarize([samples(out, n) for n in range(len(profilers))], out, what)


def summarize(folded: Sequence[Path], out: Path, what: str = "newsbot run process(es)") -> None:
    """The functions most often sampled in py-spy's raw stacks (of every process), written
    to `out`."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total = 0
    stacks = [stack for one in folded for stack in one.read_text().splitlines()]
    for stack in stacks:
        frames, _, count = stack.rpartition(" ")
        # The first frame names the thread; line numbers are left out to count whole functions.
        names = [re.sub(r":\d+\)$", ")", frame) for frame in frames.split(";")[1:]]
        if not names:  # a sample caught between frames (py-spy without pausing the process)
            continue
        total += int(count)
        own[names[-1]] += int(count)
        for name in set(names):
            within[name] += int(count)
    lines = [
        f"{total} samples of {len(folded)} {what} during the timed rounds",
        "",
        "own time:",
    ]
    lines += [f"{n / total:6.1%}  {name}" for name, n in own.most_common(TOP)]
    lines += ["", "within (the function and what it calls):"]
    lines += [f"{n / total:6.1%}  {name}" for name, n in within.most_common(TOP)]
    out.write_text("\n".join(lines) + "\n")


def answered_after(handle: InteractionHandle) -> float | None:
    """Seconds from dispatch until the reader saw the complete answer, once they have."""
    original = handle.interaction.original
    if original is None or original.loading:
        return None
    shown = original.edited_at or original.created_at
    return (shown - snowflake_time(handle.id)).total_seconds()


async def one_round(
    emulator: Emulator, seed: DefaultWorld, queries: Sequence[str], places: Sequence[Place]
) -> list[tuple[float, float]]:
    """Dispatch every query at once; the first-response and answer times of each.

    One waiter watches all interactions: a waiter per interaction would make the emulator
    re-check every one of them at each change, and that work would be measured as latency.
    For the same reason it looks again only at those not yet answered.
    """
    handles = await asyncio.gather(
        *(
            emulator.run_slash_command(
                place.guild, place.channel, seed.reader, "search", {"query": query}
            )
            for query, place in zip(queries, cycle(places))
        )
    )

    timings: list[tuple[float, float]] = []

    def all_answered() -> list[tuple[float, float]] | None:
        while len(timings) < len(handles):
            handle = handles[len(timings)]
            answered = answered_after(handle)
            if handle.callback is None or answered is None:
                return None
            timings.append((handle.callback.seconds, answered))
        return timings

    return await emulator.wait_until(all_answered, timeout=DEADLINE + 10)


def settle() -> None:
    """Free what setting up left behind, and leave what remains out of later collections.

    What is alive now (the emulator's world, the modules) lives until the end. Walking it in a
    full collection paused this process mid-round (130 ms with the corpus of 100k items): a
    pause of the emulator, which Discord's readers would never wait for, measured as newsbot's.
    """
    gc.collect()
    gc.freeze()


async def baseline(db: Path, queries: Sequence[str], rounds: int) -> list[float]:
    """The same searches straight on the archive, as many at once, for comparison."""
    seconds: list[float] = []
    async with await Archive.open(db, create=False) as archive:

        async def timed(query: str) -> float:
            start = time.perf_counter()
            await archive.issues.search(query, limit=5)
            return time.perf_counter() - start

        for _ in range(rounds):
            seconds += await asyncio.gather(*(timed(query) for query in queries))
    return seconds


async def main(argv: Sequence[str] | None = None) -> int:
    """Build the archive, run the rounds, print the figures; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in the archive")
    parser.add_argument("--concurrent", type=int, default=100, help="searches at once")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (after a warm-up)")
    parser.add_argument("--seed", type=int, default=202)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="every round asks words no round asked before (none answered from memory)",
    )
    parser.add_argument(
        "--shards",
        type=int,
        default=1,
        help="newsbot run processes, one per shard, the readers spread over their servers",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="sample newsbot run with py-spy during the timed rounds; its top lines go to FILE",
    )
    parser.add_argument(
        "--profile-emulator",
        type=Path,
        metavar="FILE",
        help="sample this process (the emulator) with py-spy during the timed rounds; its top "
        "lines go to FILE",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a small archive and a few readers, in seconds; only the deadline is a target",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        # On a machine the test suite shares, only the deadline is a fair target at this size.
        vars(args).update(SMOKE)

    corpus = build_corpus(args.items, args.seed)
    rng = random.Random(args.seed)
    words = [
        word
        for issue in corpus.issues[-50:]
        for _, item in issue.items
        for word in item.title.split()
    ]
    # Each round asks the same words (readers after one announcement), or with --fresh, words
    # no round asked before, so that no answer can be one newsbot kept from a moment ago.
    distinct = list(dict.fromkeys(words))
    rng.shuffle(distinct)
    rounds = [
        [*corpus.terms.values(), *distinct[i * args.concurrent : (i + 1) * args.concurrent]][
            : args.concurrent
        ]
        if args.fresh
        else [*corpus.terms.values(), *rng.sample(words, args.concurrent)][: args.concurrent]
        for i in range(args.rounds + 1 if args.fresh else 1)
    ]
    if len(rounds[-1]) < args.concurrent:
        parser.error(f"too few distinct words for {args.rounds} fresh rounds: try fewer")

    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as scratch:
        db = Path(scratch) / "archive.db"
        async with await Archive.open(db) as archive:
            await archive.issues.ingest_many([(issue, None) for issue in corpus.issues])
        del corpus  # only the words asked are needed from here on
        async with Emulator(config=EmulatorConfig()) as emulator:
            seed = emulator.seed
            assert seed is not None
            places = servers(emulator, seed, args.shards)
            processes = await start_newsbot(emulator, seed, db, args.shards)
            try:
                # Warm-up: caches, connections.
                await one_round(emulator, seed, rounds[0], places)
                settle()
                profilers = [
                    await start_profiler(process.pid, args.profile, n)
                    for n, process in enumerate(processes)
                ]
                emulator_profiler = await start_profiler(
                    os.getpid(), args.profile_emulator, 0, nonblocking=True
                )
                timings: list[tuple[float, float]] = []
                cpu_before = sum(cpu_seconds(process.pid) for process in processes)
                emulator_before = time.process_time()
                for n in range(args.rounds):
                    queries = rounds[(n + 1) % len(rounds)]
                    timings += await one_round(emulator, seed, queries, places)
                cpu = sum(cpu_seconds(process.pid) for process in processes) - cpu_before
                emulator_cpu = time.process_time() - emulator_before
                await stop_profilers(profilers, args.profile)
                await stop_profilers([emulator_profiler], args.profile_emulator, "emulator")
            finally:
                gc.unfreeze()
                for process in processes:
                    process.send_signal(signal.SIGTERM)
                for process in processes:
                    await process.wait()
        archive_only = await baseline(db, rounds[-1], args.rounds)

    seconds = [first for first, _ in timings]
    answered = [answer for _, answer in timings]
    late = sum(s > DEADLINE for s in seconds)
    p99 = percentile(seconds, 0.99)
    answer_p99 = percentile(answered, 0.99)
    cpu_each = cpu / len(seconds)
    print(
        f"newsbot /search under load: {args.items:,} items, {args.concurrent} at once, "
        f"{args.rounds} rounds ({len(seconds)} interactions), {os.cpu_count()} cores, "
        f"{args.shards} newsbot run process(es), "
        f"{'fresh words each round' if args.fresh else 'the same words each round'}"
    )
    print(f"{'':<34}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print(line("dispatch → first response", seconds))
    print(line("dispatch → complete answer", answered))
    print(line("archive.issues.search alone (baseline)", archive_only))
    ratio = statistics.median(seconds) / statistics.median(archive_only)
    print(f"median ratio, Discord round trip / archive alone: {ratio:.1f}×")
    print(
        f"newsbot run's CPU per /search (every process): {cpu_each * 1000:.2f} ms "
        f"({cpu:.2f} s in all)"
    )
    print(
        f"the emulator's (this process's) CPU per /search: "
        f"{emulator_cpu / len(seconds) * 1000:.2f} ms ({emulator_cpu:.2f} s in all)"
    )
    checks = {f"none over {DEADLINE:.0f} s": (f"{late} over", late == 0)}
    if not args.smoke:
        checks |= {
            f"first response p99 ≤ {P99_TARGET * 1000:.0f} ms": (
                f"{p99 * 1000:.1f} ms",
                p99 <= P99_TARGET,
            ),
            f"complete answer p99 ≤ {ANSWER_P99_TARGET * 1000:.0f} ms": (
                f"{answer_p99 * 1000:.1f} ms",
                answer_p99 <= ANSWER_P99_TARGET,
            ),
            f"CPU per /search ≤ {CPU_TARGET * 1000:.1f} ms": (
                f"{cpu_each * 1000:.2f} ms",
                cpu_each <= CPU_TARGET,
            ),
        }
    print("targets")
    for what, (figure, met) in checks.items():
        print(f"  {what}: {figure} — {'met' if met else 'NOT MET'}")
    exit_if_refused()
    missed = [what for what, (_, met) in checks.items() if not met]
    if missed:
        print(f"{len(missed)} target(s) missed: {'; '.join(missed)}")
        return 1
    print("every target met")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
