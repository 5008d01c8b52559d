"""Shared fixtures: the project's paths, its sample issue, a real archive file, the emulators,
and strictness: a test whose emulators refused a request the real platform would refuse fails."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import coverage
import discord
import psycopg
import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql

from bot.app import Newsbot, newsbot
from bot.issuefiles import load_issue
from bot.models import Issue
from bot.sandbox._server import Started, started_servers
from bot.sandbox._violations import Violation
from bot.sandbox.discord import DefaultWorld, Emulator, EmulatorConfig, point_discord_py_at
from bot.sandbox.x import XEmulator, XEmulatorConfig
from bot.settings import load_settings
from bot.store import Archive
from bot.wiring import build, utc_now
from tests.newsbot_process import without_settings
from tests.pg_server import (
    PASSWORD_ROLE,
    ROLE_PASSWORD,
    TEMPLATE,
    PgServer,
    server_binaries,
    start_server,
)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
ISSUES = ROOT / "issues"

# Issues with hundreds of items and 4000-character blurbs are the point of several properties:
# large and slow inputs are expected, not a smell, and timing is not what these tests check.
LARGE_INPUTS = [HealthCheck.too_slow, HealthCheck.data_too_large]
# The normal run: the same examples every time, and nothing remembered from earlier runs, so a
# run passes or fails on the code alone.
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=LARGE_INPUTS,
    derandomize=True,
    database=None,
)
settings.register_profile("dev", parent=settings.get_profile("ci"), max_examples=60)
# Bug hunting, chosen on purpose (`--hypothesis-profile=explore`): new random examples each run,
# and failures kept in .hypothesis/ to be replayed first next time.
settings.register_profile(
    "explore",
    max_examples=1000,
    deadline=None,
    suppress_health_check=LARGE_INPUTS,
)
settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches the processes the tests start as it reaches a terminal's foreground job.

    A suite started in the background (`pytest &`, where the shell ignores SIGINT for it) would
    pass that on to every process it starts, xdist's workers and the `newsbot` runs, and a test
    of what Ctrl-C does would find it ignored, as newsbot rightly leaves it then.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def issue_202() -> Issue:
    """The bundled sample issue, loaded from issues/202.md once: an `Issue` cannot change (its
    models are frozen, its sections and items tuples), so every test can share it."""
    return load_issue(ISSUES / "202.md")


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[Archive]:
    """An empty archive in a real SQLite file."""
    opened = await Archive.open(tmp_path / "archive.db")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def archive_202(archive: Archive, issue_202: Issue) -> Archive:
    """An archive file holding #202."""
    await archive.issues.ingest(issue_202)
    return archive


_NO_POSTGRES = (
    "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin"
)


def _needs_postgres(item: pytest.Item) -> bool:
    """Whether a test runs on PostgreSQL: it asks for the server, or is a store test's
    "postgres" half."""
    callspec = getattr(item, "callspec", None)
    on_postgres = callspec is not None and callspec.params.get("backend") == "postgres"
    return on_postgres or "pg_server" in getattr(item, "fixturenames", ())


LONG_RUNNING = (
    "tests/test_benchmarks.py",
    "tests/test_demo.py",
    "tests/test_run_schedule.py",
    "tests/test_run_shards.py",
    "tests/test_stop.py",
    "tests/publishing/test_many_workers.py",
    "tests/publishing/test_crash_safety.py",
    "tests/x/test_crash_safety.py",
    "tests/mastodon/test_crash_safety.py",
    "tests/bluesky/test_crash_safety.py",
)
"""Modules whose tests take many seconds each, mostly waiting on processes and schedules: they
run first, so that the other tests fill the waits and none of them is left to run alone last."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Without a server the PostgreSQL half is left out, and said so once in the summary.
    if server_binaries() is None:
        left_out = [item for item in items if _needs_postgres(item)]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if not _needs_postgres(item)]
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONG_RUNNING)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server for this test session (each xdist worker has its own),
    with a migrated template database; tests needing it are skipped where none can start."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(_NO_POSTGRES)
    server = start_server(binaries)
    try:
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                    sql.Identifier(PASSWORD_ROLE), sql.Literal(ROLE_PASSWORD)
                )
            )
        # In a thread of its own: the first test asking for the server may run in an event loop.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, _migrate(server.url(TEMPLATE))).result()
        yield server
    finally:
        server.stop()


async def _migrate(url: str) -> None:
    await (await Archive.open(url)).close()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a new, empty, migrated PostgreSQL archive, dropped after the test."""
    url = pg_server.database()
    try:
        yield url
    finally:
        pg_server.drop(url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if server_binaries() is None:
        terminalreporter.write_line(
            f"THE POSTGRESQL HALF OF THE TESTS DID NOT RUN (deselected): {_NO_POSTGRES}",
            red=True,
            bold=True,
        )


@pytest.fixture
def config() -> EmulatorConfig:
    """Rate limits on, their windows 100 times shorter than Discord's."""
    return EmulatorConfig(time_scale=0.01)


@pytest.fixture
async def emulator(config: EmulatorConfig) -> AsyncIterator[Emulator]:
    """A started emulator with discord.py pointed at it (restored afterwards)."""
    async with Emulator(config=config) as emu:
        previous = point_discord_py_at(emu.api_base, emu.gateway_url)
        try:
            yield emu
        finally:
            point_discord_py_at(previous.api_base, previous.gateway_url)


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[discord.Client]:
    """A discord.py client logged in to the emulator over REST only (no gateway)."""
    bot = discord.Client(intents=discord.Intents(guilds=True))
    await bot.login(emulator.token)
    try:
        yield bot
    finally:
        await bot.close()


@pytest.fixture
def seed(emulator: Emulator) -> DefaultWorld:
    """Handles on the default world's guild, channels, roles and people."""
    assert emulator.seed is not None
    return emulator.seed


StartNewsbot = Callable[..., Awaitable[Newsbot]]


@pytest.fixture
async def start_newsbot(emulator: Emulator, seed: DefaultWorld) -> AsyncIterator[StartNewsbot]:
    """Start newsbot's real Bot against the emulator: `await start_newsbot(archive, **settings)`
    (`clock=`: the time newsbot goes by, when not now).

    Its commands sync to the seed guild; every bot started is closed after the test.
    """
    running: list[tuple[Newsbot, asyncio.Task[None]]] = []

    async def start(archive: Archive, **settings: Any) -> Newsbot:
        clock = settings.pop("clock", utc_now)
        discord_settings = {"dev_guild": seed.guild.id, **settings.pop("discord", {})}
        loaded = load_settings(discord=discord_settings, **settings)
        bot = newsbot(settings=loaded, archive=archive, guild_ready_timeout=0.05)
        bot.services = build(loaded, archive, discord=bot, clock=clock)
        await bot.login(emulator.token)
        task = asyncio.create_task(bot.connect(reconnect=False))
        running.append((bot, task))
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        return bot

    yield start
    for bot, task in running:
        if not bot.is_closed():
            await bot.close()
        await asyncio.wait_for(task, 5)


@pytest.fixture
def x_config() -> XEmulatorConfig:
    """The Free plan's cap, replies allowed."""
    return XEmulatorConfig()


@pytest.fixture
async def x_emulator(x_config: XEmulatorConfig) -> AsyncIterator[XEmulator]:
    """A started X emulator."""
    async with XEmulator(x_config) as emulator:
        yield emulator


_ROLES = itertools.count()


@pytest.fixture
def role(pg_server: PgServer) -> Iterator[str]:
    """A role of its own, as the archive's or a reader's, removed after the test."""
    name = f"nb_{os.getpid()}_{next(_ROLES)}"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{name}" LOGIN')
    yield name
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        databases = admin.execute(
            "SELECT datname FROM pg_database WHERE datallowconn AND datname <> %s", (TEMPLATE,)
        ).fetchall()
        for database in databases:
            with psycopg.connect(pg_server.url(database[0]), autocommit=True) as each:
                each.execute(f'DROP OWNED BY "{name}"')
        admin.execute(f'DROP ROLE "{name}"')


@pytest.fixture
def new_machine(pg_server: PgServer) -> Iterator[str]:
    """The URL of a new, empty database (no newsbot archive in it), dropped after the test."""
    url = pg_server.database("template0")
    try:
        yield url
    finally:
        pg_server.drop(url)


def untaken_violations(started: list[Started]) -> list[tuple[str, Violation]]:
    """Take what these emulators recorded and nobody took: (emulator, violation) pairs."""
    return [(server.name, v) for server in started for v in server.violations.take()]


def violations_report(left: list[tuple[str, Violation]]) -> str:
    """One line per violation, under the emulator that recorded it."""
    return "\n".join(f"  {name}: {violation}" for name, violation in left)


@pytest.fixture(autouse=True)
def strict_emulators(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if any emulator started during it (by a fixture, a helper or the test)
    recorded a request the real platform would refuse, and nothing took it.

    A test that sends bad requests on purpose takes them with `emulator.violations.take()` and
    asserts on them; one where that is impractical says so with
    `@pytest.mark.violations_expected(reason)`, and then must cause at least one.
    """
    before = len(started_servers())
    yield
    left = untaken_violations(started_servers()[before:])
    marker = request.node.get_closest_marker("violations_expected")
    if marker is not None:
        if not left:
            pytest.fail(
                "marked violations_expected, but no emulator refused a request", pytrace=False
            )
        return
    if left:
        pytest.fail(
            "the emulators refused requests the real platforms would refuse:\n"
            + violations_report(left),
            pytrace=False,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if an emulator recorded a violation no test looked at (one started
    outside a test, or a refusal after its test ended)."""
    left = untaken_violations(started_servers())
    if not left:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    text = "emulators refused requests that no test took:\n" + violations_report(left)
    if reporter is not None:
        reporter.write_line(text, red=True)
    else:
        print(text, file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Leave the root logger and the excepthook as the test found them: every `newsbot`
    command run in-process configures logging, which would otherwise carry into later tests."""
    root = logging.getLogger()
    handlers, level, hook = root.handlers[:], root.level, sys.excepthook
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook = hook


MEASURE_REQUESTS = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")
"""The variables by which coverage.py asks every Python process started with them to measure."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Run property tests unmeasured: they run the same code hundreds of times, which coverage's
    tracer slows several-fold, and other tests reach that code too. (pytest-cov's `no_cover`
    pauses one measure, but a test worker can hold two.)"""
    paused = []
    if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        while (measure := coverage.Coverage.current()) is not None:
            measure.stop()
            paused.append(measure)
    try:
        return (yield)
    finally:
        for measure in reversed(paused):
            measure.start()


def unmeasured(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without coverage's request to measure the process: for one the test SIGKILLs, which
    never saves its measure, so measuring it would only slow its start by about a second."""
    return {name: value for name, value in env.items() if name not in MEASURE_REQUESTS}


def clear_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove newsbot's settings from this test's environment (see `without_settings`), to be
    put back after it."""
    for name in os.environ.keys() - without_settings(os.environ).keys():
        monkeypatch.delenv(name)


async def eventually(
    done: Callable[[], bool],
    *,
    within: float = 60,
    alive: Callable[[], None] | None = None,
) -> None:
    """Poll until `done()` (for what changes outside the emulators' own events: an archive
    another process writes, X), failing after `within` seconds, or at once if `alive` raises."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not done():
        if alive is not None:
            alive()
        assert loop.time() < deadline, f"not done within {within:.0f} s"
        await asyncio.sleep(0.05)
