"""Stopping is always prompt: SIGTERM ends `newsbot run` within `publishing.stop_grace` + 5 s
whatever it is doing, and the Discord emulator closes cleanly with clients still connected.

Each state is built with the emulators' faults: a REST call that hangs or answers 5xx, a
gateway that is down (discord.py backing off) or that stopped answering, a slow X.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import discord
import pytest

from bot.models import Subscription
from bot.sandbox.discord import DefaultWorld, Emulator, point_discord_py_at
from bot.sandbox.x import XEmulator, XEmulatorConfig
from bot.store import Archive
from tests.conftest import ISSUES, eventually
from tests.newsbot_process import Process, newsbot_process
from tests.publishing.conftest import threads_of
from tests.x.conftest import x_env

STOP_GRACE = 0.5
"""Long enough for a publish to be cut short by the stop (at one request a second, or held by
a hung request or a slow X), short enough that the states publishing do not wait it out long."""
PROMPT = STOP_GRACE + 5
"""What the deployment guide promises: a stop takes at most `stop_grace` + 5 seconds."""
ONCE_A_YEAR = "0 9 1 1 *"  # its last firing is in the past: the catch-up publishes at start
BACKOFF = re.compile(r"Attempting a reconnect in (\d+\.\d+)s")
OLD = 1_600_000_000  # 2020, before any firing the catch-up looks at


class Running:
    """A `newsbot run` process; what it logs is collected as it comes."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.lines: list[str] = []
        assert process.stderr is not None
        self._reader = asyncio.ensure_future(self._read(process.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            self.lines.append(line.decode(errors="replace"))

    @property
    def log(self) -> str:
        """Everything logged so far."""
        return "".join(self.lines)

    def logged(self, text: str) -> bool:
        """Whether a line containing `text` was logged."""
        return any(text in line for line in self.lines)

    def alive(self) -> None:
        """Fail at once if the process has exited."""
        if self.process.returncode is not None:
            raise AssertionError(f"`newsbot run` exited with {self.process.returncode}")

    async def until(self, done: Callable[[], bool], *, within: float = 30) -> None:
        """Poll until `done()`, failing early if the process died, with what it logged."""
        try:
            await eventually(done, within=within, alive=self.alive)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log}") from None

    async def stop(self, signum: signal.Signals = signal.SIGTERM) -> tuple[float, str]:
        """Send `signum`; return how long the process took to exit, and what it logged after."""
        loop = asyncio.get_running_loop()
        before = len(self.lines)
        sent = loop.time()
        self.process.send_signal(signum)
        # Well past the promise, so a slow stop is measured and reported, not just timed out.
        await asyncio.wait_for(self.process.wait(), PROMPT + 40)
        took = loop.time() - sent
        await asyncio.wait_for(self._reader, 5)
        return took, "".join(self.lines[before:])


@asynccontextmanager
async def newsbot_run(env: dict[str, str]) -> AsyncIterator[Running]:
    """`newsbot run` with this environment; killed if a test leaves it running."""
    process = await newsbot_process(
        "run",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Running(process)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.wait_for(running._reader, 5)


@dataclass
class World:
    """What a state is built from: the Discord emulator and its seed."""

    emulator: Emulator
    seed: DefaultWorld


@dataclass(frozen=True)
class State:
    """Something `newsbot run` can be doing when the stop comes."""

    name: str
    reach: Callable[[World, Running], Awaitable[None]]
    """Make the state happen (faults, a reader's command) and wait until newsbot is in it."""
    says: str = ""
    """What the log says at the stop about what was cut short."""
    env: tuple[tuple[str, str], ...] = ()
    """Settings for this state (`NEWSBOT_…` variables)."""
    publishes: bool = False
    """Whether #202 is in the folder, so the catch-up at start publishes it."""
    channel: bool = True
    """Whether a channel is subscribed (else #202 goes to X only)."""
    x_latency: float = 0.0
    signum: signal.Signals = signal.SIGTERM
    quiet_before: bool = True
    """Whether nothing before the stop logs a traceback either (discord.py logs one for each
    failed reconnect)."""


async def connected(world: World, running: Running) -> None:
    await world.emulator.gateway.wait_until_ready(timeout=30)
    await running.until(lambda: running.logged("commands") and running.logged("schedule"))


async def logging_in_rest_hangs(world: World, running: Running) -> None:
    fault = world.emulator.inject("GET", "/users/@me", status=503, hang=True)
    await running.until(lambda: fault.hits >= 1)


async def logging_in_rest_fails(world: World, running: Running) -> None:
    fault = world.emulator.inject("GET", "/users/@me", status=502, times=100)
    # discord.py retries a 5xx five times, sleeping 1, 3, 5 then 7 s between them.
    await running.until(lambda: fault.hits >= 2)


async def syncing_commands_rest_hangs(world: World, running: Running) -> None:
    route = "/applications/{application_id}/guilds/{guild_id}/commands"
    fault = world.emulator.inject("PUT", route, status=503, hang=True)
    await running.until(lambda: fault.hits >= 1)


async def answering_a_command(world: World, running: Running) -> None:
    await connected(world, running)
    route = "/interactions/{webhook_id}/{webhook_token}/callback"
    fault = world.emulator.inject("POST", route, status=503, hang=True)
    seed = world.seed
    await world.emulator.run_slash_command(
        seed.guild, seed.general, seed.reader, "search", {"query": "knowledge distillation"}
    )
    await running.until(lambda: fault.hits >= 1)


async def publishing(world: World, running: Running) -> None:
    await running.until(lambda: len(threads_of(world.emulator, world.seed.general)) >= 1)


async def publishing_rest_hangs(world: World, running: Running) -> None:
    fault = world.emulator.inject("POST", "/channels/*/messages", status=503, hang=True)
    await running.until(lambda: fault.hits >= 1)


async def publishing_to_slow_x(world: World, running: Running) -> None:
    await running.until(lambda: running.logged("publishing #202 to"))


async def gateway_refuses(world: World, running: Running) -> None:
    await connected(world, running)
    world.emulator.gateway_outage()

    def backing_off_long() -> bool:
        # discord.py's backoff is random and doubles at each refusal: wait for one that
        # outlasts the promise, so a stop that waits for it cannot pass.
        delays = [float(m[1]) for m in BACKOFF.finditer(running.log)]
        return any(delay > PROMPT for delay in delays)

    await running.until(backing_off_long, within=90)


async def gateway_stopped_answering(world: World, running: Running) -> None:
    await connected(world, running)
    world.emulator.stall_gateway()


SLOW_DISCORD = (("NEWSBOT_PUBLISHING__REQUESTS_PER_SECOND", "1"),)
CONNECTING = "stopped connecting to Discord"
PUBLISH_CUT = "stopped in the middle of a publish"

STATES = [
    State("logging in, REST hangs", logging_in_rest_hangs, CONNECTING),
    State("logging in, REST answers 5xx", logging_in_rest_fails, CONNECTING),
    State(
        "logging in, REST hangs, Ctrl-C",
        logging_in_rest_hangs,
        CONNECTING,
        signum=signal.SIGINT,
    ),
    State("syncing commands, REST hangs", syncing_commands_rest_hangs, CONNECTING),
    State("connected and idle", connected),
    State(
        "answering a command, REST hangs",
        answering_a_command,
        'stopped answering in the middle: "search" (user',
    ),
    State("publishing", publishing, PUBLISH_CUT, SLOW_DISCORD, publishes=True),
    State("publishing, REST hangs", publishing_rest_hangs, PUBLISH_CUT, publishes=True),
    State(
        "publishing, X is slow",
        publishing_to_slow_x,
        PUBLISH_CUT,
        publishes=True,
        channel=False,
        x_latency=60.0,
    ),
    State("reconnecting, the gateway refuses", gateway_refuses, CONNECTING, quiet_before=False),
    State("the gateway stopped answering", gateway_stopped_answering),
]


@pytest.fixture
def x_config(request: pytest.FixtureRequest) -> XEmulatorConfig:
    """X as fast or as slow as the state wants."""
    state: State = request.getfixturevalue("state")
    return XEmulatorConfig(latency=state.x_latency)


@pytest.mark.parametrize("state", STATES, ids=[s.name for s in STATES])
async def test_a_stop_ends_newsbot_run_promptly_whatever_it_is_doing(
    state: State,
    emulator: Emulator,
    seed: DefaultWorld,
    x_emulator: XEmulator,
    tmp_path: Path,
) -> None:
    db, issues = tmp_path / "archive.db", tmp_path / "issues"
    issues.mkdir()
    async with await Archive.open(db) as archive:
        if state.publishes and state.channel:
            await archive.subscriptions.add(
                Subscription(guild_id=seed.guild.id, channel_id=seed.general.id, kind="text")
            )
    if state.publishes:
        shutil.copy(ISSUES / "202.md", issues / "202.md")
        # There before the schedule's last firing, so the catch-up at start publishes it.
        os.utime(issues / "202.md", (OLD, OLD))
    env = x_env(x_emulator, emulator) | {
        "NEWSBOT_ARCHIVE__PATH": str(db),
        "NEWSBOT_ISSUES__DIRECTORY": str(issues),
        "NEWSBOT_DISCORD__DEV_GUILD": str(seed.guild.id),
        "NEWSBOT_PUBLISHING__STOP_GRACE": str(STOP_GRACE),
        "NEWSBOT_SCHEDULE__CRON": ONCE_A_YEAR,
        "NEWSBOT_SCHEDULE__CATCH_UP": "latest",
        **dict(state.env),
    }
    world = World(emulator, seed)
    async with newsbot_run(env) as running:
        await state.reach(world, running)
        took, after = await running.stop(state.signum)
    log = running.log
    assert running.process.returncode == 0, log
    assert took < PROMPT, f"stopped after {took:.1f} s\n{log}"
    assert "Traceback" not in (log if state.quiet_before else after), log
    assert f"{state.signum.name}: stopping" in after, log
    assert state.says in after, log
    assert after.rstrip().endswith("newsbot stopped"), log


async def test_a_hanging_fault_holds_the_request_until_it_is_released(emulator: Emulator) -> None:
    fault = emulator.inject("GET", "/users/@me", status=503, hang=True)
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as session:
        held = asyncio.ensure_future(session.get(f"{emulator.api_base}/users/@me", headers=headers))
        await eventually(lambda: fault.hits == 1, within=10)
        await asyncio.sleep(0.1)
        assert not held.done()
        fault.release()
        async with await held as answer:
            assert answer.status == 503
        async with session.get(f"{emulator.api_base}/users/@me", headers=headers) as answer:
            assert answer.status == 200, "one hang was asked for"


class IdentifyingAtOnce(discord.Client):
    """discord.py's client, but identifying again at once after a session it lost."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before each IDENTIFY but the first, Discord's pace for a bot's
        sessions; the emulator keeps none, and the outage is what is tested here."""


async def test_a_gateway_outage_cuts_discord_py_off_and_refuses_it_until_it_ends(
    emulator: Emulator,
) -> None:
    gateway = emulator.gateway
    client = IdentifyingAtOnce(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    await client.login(emulator.token)
    connection = asyncio.create_task(client.connect(reconnect=True))
    try:
        await gateway.wait_until_ready(timeout=10)
        emulator.gateway_outage()
        await gateway.changed.wait_for(
            lambda: True if gateway.refused else None, 10, "a refused reconnect"
        )
        assert not gateway.connections
        emulator.gateway_back()
        await gateway.wait_until_ready(timeout=10)  # after discord.py's first backoff (≤ 2 s)
    finally:
        await client.close()
        connection.cancel()
        await asyncio.gather(connection, return_exceptions=True)


async def test_closing_the_emulator_with_clients_still_connected_ends_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="asyncio")
    emulator = await Emulator().start()
    previous = point_discord_py_at(emulator.api_base, emulator.gateway_url)
    clients: list[tuple[discord.Client, asyncio.Task[None]]] = []
    try:
        for _ in range(3):
            client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
            await client.login(emulator.token)
            clients.append((client, asyncio.create_task(client.connect(reconnect=True))))
            await asyncio.wait_for(client.wait_until_ready(), 10)
        gateway = emulator.gateway
        stalled = gateway.connections[-1]
        stalled.stall()  # a client gone silent: cut, not waited for
        fault = emulator.inject("GET", "/users/@me", status=503, hang=True)
        async with aiohttp.ClientSession() as session:
            held = asyncio.ensure_future(
                session.get(
                    f"{emulator.api_base}/users/@me",
                    headers={"Authorization": f"Bot {emulator.token}"},
                )
            )
            await eventually(lambda: fault.hits == 1, within=10)
            await asyncio.wait_for(emulator.close(), 5)
            async with await held as answer:
                assert answer.status == 503  # a held request is answered, not dropped
        assert not gateway.connections
        assert [c.ws.socket.close_code for c, _ in clients[:2]] == [1001, 1001]
    finally:
        for client, connection in clients:
            await client.close()
            connection.cancel()
            await asyncio.gather(connection, return_exceptions=True)
        point_discord_py_at(previous.api_base, previous.gateway_url)
    gc.collect()
    await asyncio.sleep(0)
    problems = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert not problems, problems
