"""How fast newsbot answers `/search` when many readers ask at once.

    PYTHONPATH=. python benchmarks/interactions.py                 # 100k items, 100 at once
    PYTHONPATH=. python benchmarks/interactions.py --items 20000 --concurrent 50 --rounds 3
    PYTHONPATH=. python benchmarks/interactions.py --smoke     # 2,000 items, 10 at once, seconds

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
timed rounds and writes its top functions to FILE (py-spy must be installed).
"""

from __future__ import annotations

import argparse
import asyncio
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
from pathlib import Path

from benchmarks.search import build_corpus
from bot.sandbox._server import exit_if_refused
from bot.sandbox.discord import (
    DefaultWorld,
    Emulator,
    EmulatorConfig,
    InteractionHandle,
    snowflake_time,
)
from bot.store import Archive

P99_TARGET = 0.050
ANSWER_P99_TARGET = 0.150
CPU_TARGET = 0.0005
DEADLINE = 3.0
TOP = 40
SMOKE = {"items": 2_000, "concurrent": 10, "rounds": 2}


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def line(label: str, seconds: Sequence[float]) -> str:
    """p50 / p99 / max of some latencies, in milliseconds."""
    p50, p99 = percentile(seconds, 0.50), percentile(seconds, 0.99)
    return f"{label:<34}{p50 * 1000:>9.1f}{p99 * 1000:>9.1f}{max(seconds) * 1000:>9.1f}"


async def start_newsbot(
    emulator: Emulator, seed: DefaultWorld, db: Path
) -> asyncio.subprocess.Process:
    """`newsbot run` against the emulator; returns once its commands are synced."""
    env = {
        **os.environ,
        "NEWSBOT_DISCORD__TOKEN": emulator.token,
        "NEWSBOT_DISCORD__API_BASE": emulator.api_base,
        "NEWSBOT_DISCORD__GATEWAY_URL": emulator.gateway_url,
        "NEWSBOT_DISCORD__DEV_GUILD": str(seed.guild.id),
        "NEWSBOT_ARCHIVE__PATH": str(db),
        "NEWSBOT_LOG__LEVEL": "WARNING",
        # Only the reader commands are measured: no issue folder to ingest, nothing to publish.
        "NEWSBOT_ISSUES__DIRECTORY": str(db.parent / "no-issues"),
        "NEWSBOT_SCHEDULE__CATCH_UP": "none",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, stdin=asyncio.subprocess.DEVNULL
    )
    await emulator.wait_until(
        lambda: True if emulator.synced_commands(seed.guild) else None, timeout=60
    )
    return process


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


async def start_profiler(pid: int, out: Path | None) -> asyncio.subprocess.Process | None:
    """py-spy sampling `pid` until stopped, its samples going next to `out`; None without."""
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
        str(out.with_suffix(".folded")),
        "--rate",
        "500",
        # Only the thread holding the GIL: threads waiting in C (SQLite's queue, the event
        # loop's poll) would otherwise count as busy.
        "--gil",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
    )


async def stop_profiler(profiler: asyncio.subprocess.Process | None, out: Path | None) -> None:
    """Stop py-spy, which then writes its samples, and write their top functions to `out`."""
    if profiler is None or out is None:
        return
    profiler.send_signal(signal.SIGINT)
    await profiler.wait()
    summarize(out.with_suffix(".folded"), out)


def summarize(folded: Path, out: Path) -> None:
    """The functions most often sampled in py-spy's raw stacks, written to `out`."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total = 0
    for stack in folded.read_text().splitlines():
        frames, _, count = stack.rpartition(" ")
        # The first frame names the thread; line numbers are left out to count whole functions.
        names = [re.sub(r":\d+\)$", ")", frame) for frame in frames.split(";")[1:]]
        total += int(count)
        own[names[-1]] += int(count)
        for name in set(names):
            within[name] += int(count)
    lines = [f"{total} samples of newsbot run during the timed rounds", "", "own time:"]
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
    emulator: Emulator, seed: DefaultWorld, queries: Sequence[str]
) -> list[tuple[float, float]]:
    """Dispatch every query at once; the first-response and answer times of each.

    One waiter watches all interactions: a waiter per interaction would make the emulator
    re-check every one of them at each change, and that work would be measured as latency.
    """
    handles = await asyncio.gather(
        *(
            emulator.run_slash_command(
                seed.guild, seed.general, seed.reader, "search", {"query": query}
            )
            for query in queries
        )
    )

    def all_answered() -> list[tuple[float, float]] | None:
        timings = []
        for handle in handles:
            answered = answered_after(handle)
            if handle.callback is None or answered is None:
                return None
            timings.append((handle.callback.seconds, answered))
        return timings

    return await emulator.wait_until(all_answered, timeout=DEADLINE + 10)


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
        "--profile",
        type=Path,
        metavar="FILE",
        help="sample newsbot run with py-spy during the timed rounds; its top lines go to FILE",
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
        async with Emulator(config=EmulatorConfig()) as emulator:
            seed = emulator.seed
            assert seed is not None
            process = await start_newsbot(emulator, seed, db)
            try:
                await one_round(emulator, seed, rounds[0])  # warm-up: caches, connections
                profiler = await start_profiler(process.pid, args.profile)
                timings: list[tuple[float, float]] = []
                cpu_before = cpu_seconds(process.pid)
                emulator_before = time.process_time()
                for n in range(args.rounds):
                    timings += await one_round(emulator, seed, rounds[(n + 1) % len(rounds)])
                cpu = cpu_seconds(process.pid) - cpu_before
                emulator_cpu = time.process_time() - emulator_before
                await stop_profiler(profiler, args.profile)
            finally:
                process.send_signal(signal.SIGTERM)
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
        f"{'fresh words each round' if args.fresh else 'the same words each round'}"
    )
    print(f"{'':<34}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print(line("dispatch → first response", seconds))
    print(line("dispatch → complete answer", answered))
    print(line("archive.issues.search alone (baseline)", archive_only))
    ratio = statistics.median(seconds) / statistics.median(archive_only)
    print(f"median ratio, Discord round trip / archive alone: {ratio:.1f}×")
    print(f"newsbot run's CPU per /search: {cpu_each * 1000:.2f} ms ({cpu:.2f} s in all)")
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
