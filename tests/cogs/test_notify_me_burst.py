"""Many readers pressing *Notify me* at once, as they do when a digest lands: each is answered
in time, though Discord lets a bot change only so many members' roles a second."""

from __future__ import annotations

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator
from tests.cogs.test_newsletter_roles import published_digest
from tests.publishing.test_newsletter_cog import newsletter, private

READERS = 14
"""More than the 10 role changes Discord's bucket allows per window."""


async def test_a_burst_of_notify_me_presses_is_answered_in_time(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await newsletter(
        emulator, seed, "setup", channel=seed.general, role=seed.newsletter_role
    )
    assert private(answer).startswith("Done:")
    digest = await published_digest(emulator, seed)
    readers = [emulator.world.add_user(f"reader{n}") for n in range(READERS)]
    for reader in readers:
        emulator.world.add_member(seed.guild, reader)
    # The role bucket's window lasts 3 s here, Discord's 3 s deadline 1.5 s: the presses past
    # the bucket's ten wait longer for their role than their answer may.
    emulator.config.time_scale = 0.3
    emulator.config.interaction_deadline = 1.5
    custom_id = f"newsbot:notify:{seed.newsletter_role.id}"
    presses = [await emulator.press_button(digest, custom_id, reader) for reader in readers]
    told = [private(await pressed.original(timeout=10)) for pressed in presses]
    assert all(text.startswith("Done: you now have the Newsletter role") for text in told)
    assert [p.interaction.late_callbacks for p in presses] == [0] * READERS
    given = [r.id for r in readers if seed.newsletter_role.id in seed.guild.members[r.id].roles]
    assert given == [r.id for r in readers]
