"""Crash safety: `newsbot publish` killed with SIGKILL at every step, then run again.

Each run kills the real CLI at one point — just after Discord accepted the k-th call (before
the ledger could record it: the nonce or a look-before-create must make the repeat harmless),
or just before the k-th call (after the previous step was recorded) — with 429s and 5xx
answers injected on the way, then publishes again: every message exists exactly once, no
thread twice, and the issue is complete.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.issuefiles import load_issue
from bot.models import Issue, Subscription
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.outlets.discord_client import rest_client
from bot.publishing.pacer import Pacer
from bot.publishing.targets import from_subscription
from bot.sandbox.discord import (
    APIError,
    Channel,
    Emulator,
    EmulatorConfig,
    Message,
    MessageFlag,
    point_discord_py_at,
)
from bot.store import Archive
from tests.conftest import ISSUES, unmeasured
from tests.newsbot_process import newsbot_process
from tests.publishing.cli_harness import newsbot_env
from tests.publishing.conftest import posted_in, text_of, threads_of
from tests.publishing.test_publish import assert_published_once

ANNOUNCEMENT_CALLS = 1 + 2 * 5 + 1  # threads and their messages, the digest, its crosspost
FORUM_CALLS = 5 + 1  # a post per section, the digest's post


class Killer:
    """Kills the publishing process around its k-th call that makes something on Discord."""

    def __init__(self, emulator: Emulator, k: int, *, accepted: bool) -> None:
        self.k = k
        self.accepted = accepted
        self.calls = 0
        self.pid: int | None = None
        self.killed = False
        messaging = emulator.messaging
        for name in ("create", "thread_without_message", "forum_post", "crosspost"):
            setattr(messaging, name, self._wrap(getattr(messaging, name)))

    def _wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("message_id") is not None:
                return real(*args, **kwargs)  # a forum post's first message: part of the post
            self.calls += 1
            if not self.accepted and self.calls == self.k:
                self._kill()
                raise APIError(500, 0, "the client is gone")
            result = real(*args, **kwargs)
            if self.accepted and self.calls == self.k:
                # Synchronously, before the answer is written: Discord has it, the ledger not.
                self._kill()
            return result

        return call

    def started(self, pid: int) -> None:
        self.pid = pid

    def _kill(self) -> None:
        if self.pid is not None and not self.killed:
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True


async def prepared_archive(path: Path, issue: Issue, emulator: Emulator, channel: Channel) -> None:
    assert emulator.seed is not None
    async with await Archive.open(path) as archive:
        await archive.issues.ingest(issue)
        kind = "forum" if channel.type == 15 else "announcement"
        await archive.subscriptions.add(
            Subscription(
                guild_id=emulator.seed.guild.id,
                channel_id=channel.id,
                kind=kind,
                role_id=emulator.seed.newsletter_role.id,
            )
        )


async def crash_then_resume(
    tmp_path: Path,
    issue: Issue,
    kind: str,
    k: int,
    *,
    accepted: bool,
    slots: asyncio.Semaphore,
    nonce_window: float = 5 * 60.0,
) -> tuple[Emulator, Channel]:
    emulator = Emulator(config=EmulatorConfig(time_scale=0.01, nonce_window=nonce_window))
    await emulator.start()
    assert emulator.seed is not None
    channel = emulator.seed.forum if kind == "forum" else emulator.seed.announcements
    db = tmp_path / f"{kind}-{k}-{accepted}.db"
    await prepared_archive(db, issue, emulator, channel)
    # Passing failures on the way: a 429 on a send, a 503 when starting a thread or post.
    emulator.inject("POST", "/channels/{channel_id}/messages", 429, retry_after=0.01)
    emulator.inject("POST", "/channels/{channel_id}/threads", 503)
    killer = Killer(emulator, k, accepted=accepted)
    async with slots:
        process = await newsbot_process(
            "--db",
            str(db),
            "publish",
            str(issue.number),
            env=unmeasured(newsbot_env(emulator)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            started=killer.started,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert killer.killed, f"the run never reached call {k}: {stderr.decode()[-2000:]}"
    assert process.returncode == -signal.SIGKILL
    return emulator, channel


async def resume(emulator: Emulator, db: Path, issue: Issue) -> None:
    """Run the publish again, in this process, against that emulator."""
    previous = point_discord_py_at(emulator.api_base, emulator.gateway_url)
    try:
        async with (
            await Archive.open(db) as archive,
            rest_client(emulator.token) as client,
        ):
            targets = [from_subscription(s) for s in await archive.subscriptions.list()]
            outlet = DiscordOutlet(client, pacer=Pacer(1000))
            report = await Engine(archive, retry_delay=0.01).publish(issue, outlet, targets)
            assert report.ok, [t.error for t in report.targets]
    finally:
        point_discord_py_at(previous.api_base, previous.gateway_url)


def assert_exactly_once(emulator: Emulator, channel: Channel, issue: Issue) -> None:
    threads = threads_of(emulator, channel)
    names = [t.name for t in threads]
    assert len(names) == len(set(names)), f"a thread twice: {names}"
    messages = posted_in(emulator, channel)
    bodies = [text_of(m) for m in messages]
    assert len(bodies) == len(set(bodies)), "a message twice"
    assert_published_once(emulator, channel.id, issue)
    digests: list[Message] = [m for m in messages if "New issue: **#202**" in m.content]
    assert len(digests) == 1
    if channel.type == 5:
        assert digests[0].flags & MessageFlag.CROSSPOSTED
    refused = [r for r in emulator.requests if r.status == 400]
    assert all(r.response.get("code") == 40033 for r in refused), "only 'already crossposted'"


@pytest.fixture
async def emulators() -> AsyncIterator[list[Emulator]]:
    started: list[Emulator] = []
    yield started
    for emulator in started:
        await emulator.close()


@pytest.mark.parametrize("kind", ["announcement", "forum"])
async def test_killed_at_every_step_then_run_again(
    tmp_path: Path, kind: str, emulators: list[Emulator]
) -> None:
    issue = load_issue(ISSUES / "202.md")
    calls = ANNOUNCEMENT_CALLS if kind == "announcement" else FORUM_CALLS
    slots = asyncio.Semaphore(4)
    cases = [(k, accepted) for k in range(1, calls + 1) for accepted in (True, False)]
    runs = await asyncio.gather(
        *(
            crash_then_resume(tmp_path, issue, kind, k, accepted=accepted, slots=slots)
            for k, accepted in cases
        )
    )
    emulators.extend(emulator for emulator, _ in runs)
    for (k, accepted), (emulator, channel) in zip(cases, runs, strict=True):
        await resume(emulator, tmp_path / f"{kind}-{k}-{accepted}.db", issue)
        try:
            assert_exactly_once(emulator, channel, issue)
        except AssertionError as exc:
            when = "after Discord accepted" if accepted else "before"
            raise AssertionError(f"killed {when} call {k}: {exc}") from exc


async def test_killed_after_each_accepted_call_and_resumed_past_the_nonce_window(
    tmp_path: Path, emulators: list[Emulator]
) -> None:
    # Restarted later than Discord's few minutes: the nonce no longer returns the first
    # message, so the outlet finds it among the recent messages instead of posting it again.
    issue = load_issue(ISSUES / "202.md")
    slots = asyncio.Semaphore(4)
    calls = range(1, ANNOUNCEMENT_CALLS + 1)
    runs = await asyncio.gather(
        *(
            crash_then_resume(
                tmp_path, issue, "announcement", k, accepted=True, slots=slots, nonce_window=0
            )
            for k in calls
        )
    )
    emulators.extend(emulator for emulator, _ in runs)
    for k, (emulator, channel) in zip(calls, runs, strict=True):
        await resume(emulator, tmp_path / f"announcement-{k}-True.db", issue)
        try:
            assert_exactly_once(emulator, channel, issue)
        except AssertionError as exc:
            raise AssertionError(f"killed after Discord accepted call {k}: {exc}") from exc
