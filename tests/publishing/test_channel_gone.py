"""A channel set up with /newsletter and deleted while the bot was not running to see it: a
publish (`newsbot publish`, which has no gateway) names it gone and says what to do, whatever
its first call there."""

from __future__ import annotations

import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator
from tests.publishing.conftest import text_target


@pytest.mark.parametrize("kind", ["text", "forum"])
async def test_a_deleted_channel_of_known_kind_is_named_gone(
    kind: str,
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
) -> None:
    channel = seed.general if kind == "text" else seed.forum
    emulator.delete_channel(channel)
    report = await engine.publish(issue_204, outlet, [text_target(seed, channel)])
    (published,) = report.targets
    assert published.error == (
        f"channel {channel.id} no longer exists on Discord: take it out of discord.targets if "
        "the config file declares it; one set up with /newsletter is forgotten once `newsbot "
        "run` is connected"
    )
