"""A publish resumed after a failed attempt first looks on Discord for what the attempt made:
when Discord refuses the lookup, the managers read why in words they can act on, as for the
step itself (a permission named, or the bot removed from the server)."""

from __future__ import annotations

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from tests.publishing.conftest import text_target

THREADS = "/channels/{channel_id}/threads"
MAYBE_MADE = 4
"""Failures of the thread's making that may have reached Discord (503s): every attempt of a
publish (the engine retries 3 times), so the next publish looks for it first. An outright
refusal (403) made nothing, and is not looked for."""


async def test_archived_threads_unlisted_for_want_of_read_message_history_name_it(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_204: Issue
) -> None:
    # channel.mdx › List Public Archived Threads: "Requires the READ_MESSAGE_HISTORY
    # permission"; the thread's attempts failed in a way that may have made it (503), so the
    # next one looks first.
    emulator.deny(seed.general, Permission.READ_MESSAGE_HISTORY)
    target = text_target(seed, seed.general)
    emulator.inject("POST", THREADS, 503, times=MAYBE_MADE)
    assert (await engine.publish(issue_204, outlet, [target])).targets[0].error

    (again,) = (await engine.publish(issue_204, outlet, [target])).targets

    assert again.error == (
        f"the bot lacks Read Message History in channel {seed.general.id}: give the bot's role "
        "Read Message History there (the channel's settings → Permissions), then publish again"
    )


async def test_a_server_that_removed_the_bot_is_named_when_a_lookup_comes_first(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_204: Issue
) -> None:
    target = text_target(seed, seed.general)
    emulator.inject("POST", THREADS, 503, times=MAYBE_MADE)
    assert (await engine.publish(issue_204, outlet, [target])).targets[0].error
    emulator.world.remove_member(seed.guild, seed.bot)

    (again,) = (await engine.publish(issue_204, outlet, [target])).targets

    assert again.error == (
        f"the bot is no longer in server {seed.guild.id}, so it cannot post in channel "
        f"{seed.general.id}: invite it back (the link `newsbot invite-url` prints), then "
        "publish again"
    )
