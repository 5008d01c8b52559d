"""Many readers pressing *Notify me* at once, as they do when a digest lands: each is answered
in time, though Discord lets a bot change only so many members' roles a second; and a press
whose "thinking…" Discord refuses still ends with the role change's own outcome.

The role changes are held on a gate until the test has seen what it waits for, so no test
here races the machine's speed against a deadline: what they check is the order of events
(the press answered "thinking…" while its role change is still pending), which is what keeps
a press within Discord's 3 s however long the rate limit makes the change wait.
"""

from __future__ import annotations

import pytest

from bot.app import SORRY, Newsbot
from bot.sandbox.discord import CallbackType, DefaultWorld, Emulator
from cogs.newsletter._views import DEFER_AFTER
from tests.cogs.test_newsletter_roles import published_digest
from tests.conftest import eventually
from tests.publishing.test_newsletter_cog import newsletter, private

READERS = 14
"""More than the 10 role changes Discord's bucket allows per window."""

ROLE_CHANGE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
CALLBACK = "/interactions/{webhook_id}/{webhook_token}/callback"

NO_RACE = 60.0
"""The emulator's deadline for a first answer in these tests: far beyond any loaded machine's
stall, since the gate, not the clock, makes the role changes outlast the deferral."""


def test_the_deferral_leaves_most_of_discords_three_seconds() -> None:
    # Receiving and Responding › Interaction Callback: the first answer within 3 s. The
    # deferral must come well inside it, leaving the rest for the loop's own delays.
    assert DEFER_AFTER <= 3.0 / 4


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
    # The role bucket's window lasts 3 s here: the presses past its ten wait for their role
    # behind 429s. Every role change that gets through is held unanswered until each press
    # has said "thinking…", so each change takes longer than its answer may wait.
    emulator.config.time_scale = 0.3
    emulator.config.interaction_deadline = NO_RACE
    # (A 2xx from a fault carries a JSON body, which the client ignores: hence 200, not 204.)
    held = emulator.inject("PUT", ROLE_CHANGE, 200, times=READERS, after_handler=True, hang=True)
    custom_id = f"newsbot:notify:{seed.newsletter_role.id}"
    presses = [await emulator.press_button(digest, custom_id, reader) for reader in readers]

    def all_deferred() -> bool | None:
        deferred = CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        return all(p.callback_type == deferred for p in presses) or None

    await emulator.wait_until(all_deferred, timeout=30)
    assert all(p.interaction.original and p.interaction.original.loading for p in presses)
    held.release()
    told = [private(await pressed.original(timeout=30)) for pressed in presses]
    assert all(text.startswith("Done: you now have the Newsletter role") for text in told)
    assert [p.interaction.late_callbacks for p in presses] == [0] * READERS
    assert held.hits == READERS
    given = [r.id for r in readers if seed.newsletter_role.id in seed.guild.members[r.id].roles]
    assert given == [r.id for r in readers]


@pytest.mark.parametrize(
    ("answered", "told"),
    [
        (200, "Done: you now have the Newsletter role"),
        (403, "I can't change your Newsletter role: a server manager needs to give me"),
    ],
)
async def test_a_refused_thinking_still_ends_with_the_role_change_s_outcome(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, answered: int, told: str
) -> None:
    answer = await newsletter(
        emulator, seed, "setup", channel=seed.general, role=seed.newsletter_role
    )
    assert private(answer).startswith("Done:")
    digest = await published_digest(emulator, seed)
    emulator.config.interaction_deadline = NO_RACE
    # The role change hangs until Discord has refused the "thinking…" with the 404 it gives a
    # token that expired on a slow loop (a 5xx the client would retry), then is answered
    # `answered`: the press must wait for it and say what it did, not take the 404 for the
    # role's.
    change = emulator.inject("PUT", ROLE_CHANGE, answered, after_handler=answered < 300, hang=True)
    refused = emulator.inject("POST", CALLBACK, 404)
    custom_id = f"newsbot:notify:{seed.newsletter_role.id}"
    pressed = await emulator.press_button(digest, custom_id, seed.reader)
    await eventually(lambda: refused.hits == 1 and change.hits == 1)
    assert pressed.callback is None
    change.release()
    text = private(await pressed.original(timeout=30))
    assert text.startswith(told), text
    assert text != SORRY
    assert pressed.interaction.late_callbacks == 0
    has_role = seed.newsletter_role.id in seed.guild.members[seed.reader.id].roles
    assert has_role == (answered < 300)
