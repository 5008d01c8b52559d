"""The PostgreSQL half of `search.py --backend postgres|both`: the same corpus ingested into a
PostgreSQL archive and the same queries timed through `archive.issues.search`, beside SQLite's."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.models import Issue
from bot.store import Archive

P99_RATIO_TARGET = 2.0
"""PostgreSQL's p99 of every query kind within this factor of SQLite's, measured in one run."""
RATIO_TARGET_FROM = 1_000_000
"""The ratio is a target from this many items on; below, it is a figure."""
SERVER_SETTINGS = ("shared_buffers=1GB",)
"""The throwaway server's memory for pages, as a deployment sizes it (the README's Deploying
part): PostgreSQL's default, 128 MB, is for a small machine, and a search at a million items
then reads most of its pages from the system's cache, one call each."""


class Timed(Protocol):
    samples: list[float]

    @property
    def p50(self) -> float: ...

    @property
    def p99(self) -> float: ...


@dataclass(frozen=True)
class PgFigures:
    """What the PostgreSQL run measured: its ingest, and each kind's timings."""

    ingest_s: float
    kinds: dict[str, Timed]


@asynccontextmanager
async def database(url: str | None, kept: Path | None = None) -> AsyncIterator[str]:
    """`url`, or an empty database on a throwaway server started from this machine's PostgreSQL
    binaries (see tests/pg_server.py), removed after; with `kept`, the server's files are made
    there and kept, and a server already there is started again with its database."""
    if url is not None:
        yield url
        return
    import psycopg

    from tests.pg_server import server_binaries, start_server

    binaries = server_binaries()
    if binaries is None:
        sys.exit("no PostgreSQL here: give --postgres-url, or install the server binaries")
    if kept is not None:
        with kept_server(binaries, kept) as url:
            yield url
        return
    server = start_server(binaries, SERVER_SETTINGS)
    try:
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        yield server.url("bench")
    finally:
        server.stop()


@contextmanager
def kept_server(binaries: Path, folder: Path) -> Iterator[str]:
    """The database of a server whose files are in `folder`: made there the first time (an
    empty database), started again from them after; stopped, not removed, at the end."""
    import psycopg

    from tests.pg_server import _run, launch

    data = folder / "data"
    new = not data.exists()
    folder.mkdir(parents=True, exist_ok=True)
    port = launch(binaries, folder, initialise=new, wait=120, settings=SERVER_SETTINGS)
    try:
        if new:
            admin_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute("CREATE DATABASE bench")
        yield f"postgresql://postgres@127.0.0.1:{port}/bench"
    finally:
        _run(binaries / "pg_ctl", "-D", data, "-m", "fast", "-t", "120", "stop")


async def ingest(url: str, issues: list[Issue]) -> float:
    """Seconds to ingest `issues` into the empty PostgreSQL archive at `url`."""
    async with await Archive.open(url) as archive:
        start = time.perf_counter()
        await archive.issues.ingest_many([(issue, None) for issue in issues])
        return time.perf_counter() - start


async def bench(
    url: str,
    queries: dict[str, Sequence[Any]],
    runs: int,
    time_async: Callable[[Callable[[], Awaitable[object]], int, int], Awaitable[Timed]],
) -> dict[str, Timed]:
    """Each kind's queries timed `runs` times each after a warm-up, on PostgreSQL."""
    found: dict[str, Timed] = {}
    async with await Archive.open(url, create=False) as archive:
        gc.collect()
        for kind, kind_queries in queries.items():
            timing: Timed | None = None
            for query in kind_queries:

                async def run(query: Any = query) -> object:
                    return await archive.issues.search(query.text, **query.filters)

                one = await time_async(run, runs, 1)
                if timing is None:
                    timing = one
                else:
                    timing.samples.extend(one.samples)
            if timing is not None:
                found[kind] = timing
    return found


def report(items: int, sqlite: dict[str, Timed] | None, figures: PgFigures) -> list[str]:
    """Print PostgreSQL's figures beside SQLite's; the kinds whose p99 missed the target."""
    print(
        f"\nPostgreSQL: ingest {figures.ingest_s:.1f} s ({items / figures.ingest_s:,.0f} items/s)"
    )
    missed: list[str] = []
    for kind, timing in figures.kinds.items():
        line = f"  {kind:<24} p50 {timing.p50:7.2f} ms  p99 {timing.p99:7.2f} ms"
        if sqlite is not None and kind in sqlite:
            ratio = timing.p99 / max(sqlite[kind].p99, 1e-6)
            met = ratio <= P99_RATIO_TARGET
            line += f"  (SQLite p99 {sqlite[kind].p99:7.2f} ms: {ratio:4.1f}×"
            if items >= RATIO_TARGET_FROM:
                line += f", target ≤ {P99_RATIO_TARGET:.0f}× — {'met' if met else 'NOT MET'})"
                if not met:
                    missed.append(f"PostgreSQL p99 of {kind}")
            else:
                line += ")"
        print(line)
    return missed
