"""/newsletter unsubscribe without a channel, run in one of the newsletter's threads or forum
posts: "this one" is the channel it is in. A forum has no message box of its own, so a manager
runs commands there only inside a post."""

from __future__ import annotations

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator
from tests.cogs.test_bot_removed import publish
from tests.publishing.conftest import threads_of
from tests.publishing.test_newsletter_cog import private


async def test_unsubscribe_in_a_forum_post_stops_the_forum(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    setup = await emulator.run_slash_command(
        seed.guild,
        seed.general,
        seed.manager,
        "newsletter",
        {"channel": seed.forum},
        subcommand="setup",
    )
    assert private(await setup.original(timeout=10)).startswith("Done:")
    assert (await publish(newsbot, 202))[0].endswith("0 removed")
    post = threads_of(emulator, seed.forum)[0]

    handle = await emulator.run_slash_command(
        seed.guild, post, seed.manager, "newsletter", {}, subcommand="unsubscribe"
    )

    answer = private(await handle.original(timeout=10))
    assert answer == f"Done: new issues will no longer be posted in <#{seed.forum.id}>."
    assert await newsbot.archive.subscriptions.list() == []
