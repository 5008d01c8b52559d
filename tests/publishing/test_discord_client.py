"""The REST-only client `newsbot publish` logs in with."""

from __future__ import annotations

import logging

import pytest

from bot.publishing.outlets.discord_client import rest_client
from bot.sandbox.discord import Emulator


async def test_publishing_logs_in_without_a_warning_about_intents(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """It opens no gateway session, so it asks Discord for no intent: nothing should tell the
    editor an intent "seems to be disabled", sending them to the Developer Portal for naught."""
    with caplog.at_level(logging.WARNING):
        async with rest_client(emulator.token) as client:
            assert client.user is not None
    # (discord.py's warnings that voice is missing newsbot's log handler leaves out.)
    assert not [r for r in caplog.records if "intent" in r.getMessage().lower()], caplog.text
    assert emulator.gateway.identify_payloads == [], "no gateway session"
