"""A publish Discord refuses for a permission names the permission and the channel (Discord's
403 names neither), and the next publish after it is granted finishes without a duplicate."""

from __future__ import annotations

import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from tests.publishing.conftest import text_target
from tests.publishing.test_publish import assert_published_once


@pytest.mark.parametrize(
    ("denied", "named"),
    [
        (Permission.CREATE_PUBLIC_THREADS, "Create Public Threads"),
        (Permission.SEND_MESSAGES_IN_THREADS, "Send Messages in Threads"),
        (Permission.SEND_MESSAGES, "Send Messages"),
        # Without Embed Links Discord drops a message's embeds: the digest is left empty.
        pytest.param(
            Permission.EMBED_LINKS,
            "Embed Links",
            marks=pytest.mark.violations_expected("a message of embeds alone, left empty"),
        ),
    ],
    ids=["threads", "in-threads", "messages", "embeds"],
)
async def test_the_permission_the_bot_lacks_is_named(
    denied: Permission,
    named: str,
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
) -> None:
    target = text_target(seed, seed.general)
    emulator.deny(seed.general, denied)
    (refused,) = (await engine.publish(issue_204, outlet, [target])).targets
    assert refused.error == (
        f"the bot lacks {named} in channel {seed.general.id}: give the bot's role {named} "
        "there (the channel's settings → Permissions), then publish again"
    )
    emulator.allow(seed.general, denied)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    assert_published_once(emulator, seed.general.id, issue_204)
