"""Fixtures: the Bluesky emulator, and atproto's client logged in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from atproto import AsyncClient

from bot.sandbox.bluesky import BlueskyEmulator, BlueskyEmulatorConfig


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
