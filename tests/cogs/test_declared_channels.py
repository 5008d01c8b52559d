"""/newsletter unsubscribe in a channel the config file declares: it cannot stop issues there,
and says so rather than "not receiving issues" or "Done"."""

from __future__ import annotations

from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.conftest import StartNewsbot
from tests.publishing.test_newsletter_cog import newsletter, private


async def test_unsubscribe_says_a_declared_channel_is_stopped_in_the_config_file(
    start_newsbot: StartNewsbot, filled_archive: Archive, emulator: Emulator, seed: DefaultWorld
) -> None:
    declared = {"guild_id": seed.guild.id, "channel_id": seed.general.id}
    await start_newsbot(filled_archive, discord={"targets": [declared]})
    where = f"<#{seed.general.id}>"
    answer = await newsletter(emulator, seed, "unsubscribe", channel=seed.general)
    assert private(answer) == (
        f"{where} receives issues as the config file declares it (discord.targets): only "
        "taking it out there stops them."
    )
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, sections="Learning")
    assert private(answer).startswith("Done:")
    answer = await newsletter(emulator, seed, "unsubscribe", channel=seed.general)
    assert private(answer) == (
        f"Done: {where} no longer follows its /newsletter setup, but it still receives issues "
        "as the config file declares it (discord.targets): only taking it out there stops them."
    )
    assert await filled_archive.subscriptions.list() == []
