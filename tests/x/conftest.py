"""Fixtures: the X emulator, newsbot's X settings pointed at it, an archive holding #202, and
`newsbot` run as a subprocess against the emulators."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.models import Issue, Subscription
from bot.publishing.outlets.x import XOutlet, x_outlet
from bot.publishing.plans.x import plan as x_plan
from bot.sandbox.discord import Emulator
from bot.sandbox.x import Tweet, XEmulator
from bot.settings import XSettings
from bot.store import Archive
from tests.newsbot_process import newsbot_process
from tests.publishing.cli_harness import newsbot_env


def settings_for(emulator: XEmulator, **extra: object) -> XSettings:
    """newsbot's X settings with the emulator's address and keys."""
    config = emulator.config
    return XSettings.model_validate(
        {
            "api_base": emulator.api_base,
            "consumer_key": SecretStr(config.consumer_key),
            "consumer_secret": SecretStr(config.consumer_secret),
            "access_token": SecretStr(config.access_token),
            "access_token_secret": SecretStr(config.access_token_secret),
            "daily_posts": config.daily_posts,
            **extra,
        }
    )


@pytest.fixture
def x_settings(x_emulator: XEmulator) -> XSettings:
    """The settings for the emulator."""
    return settings_for(x_emulator)


@pytest.fixture
async def outlet(x_settings: XSettings) -> AsyncIterator[XOutlet]:
    """The real X outlet (tweepy's AsyncClient) talking to the emulator."""
    async with x_outlet(x_settings) as made:
        yield made


def assert_one_thread(
    tweets: list[Tweet], texts: list[str], *, quoting_from: int | None = None
) -> None:
    """`tweets` are exactly `texts`, once each, in order, each replying to the one before
    (or, from post `quoting_from` on, quoting the first)."""
    assert [t.text for t in tweets] == texts
    assert tweets[0].in_reply_to is None and tweets[0].quote_of is None
    for number, (before, tweet) in enumerate(itertools.pairwise(tweets), start=2):
        if quoting_from is not None and number >= quoting_from:
            assert tweet.quote_of == tweets[0].id and tweet.in_reply_to is None
        else:
            assert tweet.in_reply_to == before.id


@dataclass(frozen=True)
class Run:
    """What one `newsbot` subprocess did."""

    returncode: int
    stdout: str
    stderr: str


async def run_newsbot(
    *args: str, env: dict[str, str], started: Callable[[int], None] | None = None
) -> Run:
    """Run `newsbot ARGS` as a process of its own (see `tests.newsbot_process`) without
    blocking the loop the emulators serve on.

    `started` gets the process id (a test kills the process from inside an emulator).
    """
    process = await newsbot_process(
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        started=started,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


def x_env(emulator: XEmulator | None, discord: Emulator | None = None) -> dict[str, str]:
    """The environment of a `newsbot` run against these emulators (none: no keys at all)."""
    env = newsbot_env(discord)
    if emulator is not None:
        env.update(emulator.env())
    return env


async def archive_file(path: Path, issue: Issue, *subscriptions: Subscription) -> Path:
    """An archive file at `path` holding `issue` (and these Discord subscriptions)."""
    async with await Archive.open(path) as archive:
        await archive.issues.ingest(issue)
        for subscription in subscriptions:
            await archive.subscriptions.add(subscription)
    return path


def thread_texts(issue: Issue, settings: XSettings | None = None) -> list[str]:
    """The posts of the issue's thread on X (with the default settings), in order."""
    rendered, _ = x_plan(issue, settings or XSettings())
    return [post.text for post in rendered.posts]
