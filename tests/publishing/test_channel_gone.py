"""A channel set up with /newsletter and deleted while the bot was not running to see it: a
publish (`newsbot publish`, which has no gateway) names it gone and says what to do, whatever
its first call there, a correction's too (its threads went with it)."""

from __future__ import annotations

import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.publishing.conftest import text_target
from tests.publishing.test_corrections import corrected_in

GONE = (
    "channel {} no longer exists on Discord: take it out of discord.targets if the config "
    "file declares it; one set up with /newsletter is forgotten once `newsbot run` is connected"
)


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
    assert published.error == GONE.format(channel.id)


@pytest.mark.parametrize("kind", ["text", "announcement"])
async def test_a_channel_deleted_after_a_publish_is_named_gone_by_a_correction(
    kind: str,
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    channel = seed.general if kind == "text" else seed.announcements
    target = text_target(seed, channel)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    emulator.delete_channel(channel)
    corrected = await corrected_in(archive_with_issues, issue_204)

    report = await engine.publish(corrected, outlet, [target])

    (published,) = report.targets
    assert published.error == GONE.format(channel.id)


async def test_a_correction_to_a_deleted_channel_says_nothing_was_made_again(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    target = text_target(seed, seed.general)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    emulator.delete_channel(seed.general)
    corrected = await corrected_in(archive_with_issues, issue_204)

    report = await engine.publish(corrected, outlet, [target])

    (published,) = report.targets
    assert published.error == GONE.format(seed.general.id)
    assert published.counts[Outcome.POSTED] == published.counts[Outcome.RECOVERED] == 0
    assert published.notes == [], "nothing was made again in a channel that is gone"
    assert "made again" not in published.summary()
