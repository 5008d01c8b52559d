"""Fixtures: the Bluesky emulator, atproto's client logged in to it, newsbot's outlet on it,
and an archive holding #202."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from atproto import AsyncClient
from pydantic import SecretStr

from bot.models import Issue
from bot.publishing.outlets.bluesky import BlueskyOutlet, bluesky_outlet
from bot.publishing.plans.bluesky import plan as bluesky_plan
from bot.sandbox.bluesky import BlueskyEmulator, BlueskyEmulatorConfig, Record
from bot.settings import BlueskySettings


@pytest.fixture
def bluesky_config() -> BlueskyEmulatorConfig:
    """The emulator's settings (a test may override this fixture)."""
    return BlueskyEmulatorConfig()


@pytest.fixture
async def bluesky(bluesky_config: BlueskyEmulatorConfig) -> AsyncIterator[BlueskyEmulator]:
    """A started Bluesky emulator."""
    async with BlueskyEmulator(bluesky_config) as emulator:
        yield emulator


@pytest.fixture
async def client(bluesky: BlueskyEmulator) -> AsyncIterator[AsyncClient]:
    """atproto's AsyncClient, logged in to the emulator's account."""
    made = AsyncClient(base_url=bluesky.service)
    await made.login(bluesky.config.handle, bluesky.config.app_password, fetch_bsky_profile=False)
    try:
        yield made
    finally:
        await made.request.close()


def settings_for(emulator: BlueskyEmulator, **extra: object) -> BlueskySettings:
    """newsbot's Bluesky settings for the emulator's account."""
    return BlueskySettings.model_validate(
        {
            "service": emulator.service,
            "handle": emulator.config.handle,
            "app_password": SecretStr(emulator.config.app_password),
            **extra,
        }
    )


@pytest.fixture
async def outlet(bluesky: BlueskyEmulator) -> AsyncIterator[BlueskyOutlet]:
    """The real Bluesky outlet (atproto's AsyncClient) talking to the emulator."""
    async with bluesky_outlet(settings_for(bluesky)) as made:
        yield made


def assert_one_thread(posts: list[Record], texts: list[str]) -> None:
    """`posts` are exactly `texts`, once each, in order: the first a lead, each after it a
    reply whose root is the lead and whose parent is the post before, by URI and CID."""
    assert [p.text for p in posts] == texts
    assert posts[0].reply is None
    lead = {"uri": posts[0].uri, "cid": posts[0].cid}
    for before, post in itertools.pairwise(posts):
        assert post.reply is not None
        assert {k: post.reply["root"][k] for k in ("uri", "cid")} == lead
        assert {k: post.reply["parent"][k] for k in ("uri", "cid")} == {
            "uri": before.uri,
            "cid": before.cid,
        }


def thread_texts(issue: Issue, settings: BlueskySettings | None = None) -> list[str]:
    """The posts of the issue's thread on Bluesky as sent (URLs short), in order."""
    _, steps = bluesky_plan(issue, settings or BlueskySettings())
    return [str(step.payload({})["text"]) for step in steps]
