"""Fixtures: the Mastodon emulator, newsbot's Mastodon settings pointed at it, the real outlet
(Mastodon.py) talking to it, and helpers to check a thread and run `newsbot` against it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.models import Issue
from bot.publishing.outlets.mastodon import MastodonOutlet, mastodon_outlet
from bot.publishing.plans.mastodon import Account, plan
from bot.sandbox.discord import Emulator
from bot.sandbox.mastodon import MastodonEmulator, Status
from bot.settings import MastodonSettings
from tests.publishing.cli_harness import newsbot_env


def settings_for(emulator: MastodonEmulator, **extra: object) -> MastodonSettings:
    """newsbot's Mastodon settings with the emulator's address and token."""
    return MastodonSettings.model_validate(
        {
            "api_base": emulator.api_base,
            "access_token": SecretStr(emulator.config.access_token),
            **extra,
        }
    )


@pytest.fixture
async def mastodon_emulator() -> AsyncIterator[MastodonEmulator]:
    """A started Mastodon emulator (the default instance: 500 characters, URLs 23)."""
    async with MastodonEmulator() as emulator:
        yield emulator


@pytest.fixture
def mastodon_settings(mastodon_emulator: MastodonEmulator) -> MastodonSettings:
    """The settings for the emulator."""
    return settings_for(mastodon_emulator)


@pytest.fixture
async def outlet(mastodon_settings: MastodonSettings) -> AsyncIterator[MastodonOutlet]:
    """The real Mastodon outlet (Mastodon.py) talking to the emulator."""
    async with mastodon_outlet(mastodon_settings) as made:
        yield made


def thread_texts(
    issue: Issue, settings: MastodonSettings | None = None, account: Account | None = None
) -> list[str]:
    """The statuses of the issue's thread (default settings and instance), in order."""
    rendered, _ = plan(issue, settings or MastodonSettings(), account or Account())
    return [post.text for post in rendered.posts]


def assert_one_thread(statuses: list[Status], texts: list[str], visibility: str = "public") -> None:
    """`statuses` are exactly `texts`, once each, in order, each replying to the one before,
    all with `visibility`."""
    assert [s.text for s in statuses] == texts
    assert statuses[0].in_reply_to_id is None
    for before, status in itertools.pairwise(statuses):
        assert status.in_reply_to_id == before.id
    assert {s.visibility for s in statuses} == {visibility}
    assert all(s.mentions == [] and s.tags == [] for s in statuses)


def mastodon_env(
    emulator: MastodonEmulator | None, discord: Emulator | None = None
) -> dict[str, str]:
    """The environment of a `newsbot` run against these emulators (none: no token)."""
    env = newsbot_env(discord)
    if emulator is not None:
        env.update(emulator.env())
    return env
