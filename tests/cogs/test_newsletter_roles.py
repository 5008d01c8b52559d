"""The role a digest pings and *Notify me* hands out: never one that carries power, and only
the one the channel pings now."""

from __future__ import annotations

import pytest

from bot.app import Newsbot
from bot.models import Subscription
from bot.sandbox.discord import DefaultWorld, Emulator, Message, Permission
from tests.conftest import eventually
from tests.publishing.test_newsletter_cog import newsletter, private


async def published_digest(emulator: Emulator, seed: DefaultWorld) -> Message:
    """Publish #202 to the server's channels; its digest in #general."""
    answer = await newsletter(emulator, seed, "publish", issue=202)
    assert "posted" in private(answer)
    (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0 and not m.flags]
    return digest


async def press(emulator: Emulator, seed: DefaultWorld, digest: Message) -> str:
    """A reader presses the digest's *Notify me*; what newsbot tells them."""
    (custom_id,) = [c for c in digest.custom_ids() if c.startswith("newsbot:notify:")]
    handle = await emulator.press_button(digest, custom_id, seed.reader)
    return private(await handle.original(timeout=10))


def roles_of_reader(seed: DefaultWorld) -> list[int]:
    return seed.guild.members[seed.reader.id].roles


@pytest.mark.parametrize(
    ("permissions", "named"),
    [
        (Permission.MANAGE_GUILD, "the **Manage Server** permission"),
        (Permission.ADMINISTRATOR, "the **Administrator** permission"),
        (Permission.MENTION_EVERYONE, "the **Mention Everyone** permission"),
        (
            Permission.MANAGE_ROLES | Permission.KICK_MEMBERS,
            "the **Kick Members** and **Manage Roles** permissions",
        ),
        # Mute Members (1 << 22) and Manage Nicknames (1 << 27): Discord's permission bits.
        (1 << 22 | 1 << 27, "the **Mute Members** and **Manage Nicknames** permissions"),
        (Permission.VIEW_AUDIT_LOG, "the **View Audit Log** permission"),
    ],
)
async def test_setup_refuses_a_role_that_carries_power(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, permissions: int, named: str
) -> None:
    role = emulator.world.add_role(seed.guild, "Powerful", permissions=int(permissions))
    answer = await newsletter(emulator, seed, "setup", channel=seed.announcements, role=role)
    assert private(answer) == (
        f"I won't use {role.mention}: it carries {named}, and *Notify me* would hand it to "
        "any reader who presses it. Pick a role with no permissions (one made for the "
        "newsletter), then run /newsletter setup again."
    )
    assert await newsbot.archive.subscriptions.list() == []


async def test_setup_refuses_the_editors_role(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await newsletter(
        emulator, seed, "setup", channel=seed.announcements, role=seed.editors_role
    )
    assert "it carries the **Manage Server** permission" in private(answer)
    assert await newsbot.archive.subscriptions.list() == []


async def test_notify_me_gives_only_the_role_the_channel_pings_now(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # A digest posted while #general pinged Editors, as setup allowed before it checked roles.
    await newsbot.archive.subscriptions.add(
        Subscription(
            guild_id=seed.guild.id,
            channel_id=seed.general.id,
            kind="text",
            role_id=seed.editors_role.id,
        )
    )
    digest = await published_digest(emulator, seed)
    assert f"newsbot:notify:{seed.editors_role.id}" in digest.custom_ids()

    assert await press(emulator, seed, digest) == (
        "I can't give you the Editors role: it carries the **Manage Server** permission, and "
        "*Notify me* only hands out roles without permissions. Ask a server manager to pick "
        "another role with /newsletter setup."
    )
    assert roles_of_reader(seed) == []

    # The editors pick the Newsletter role: the old digest's button now gives that one.
    await newsletter(emulator, seed, "setup", channel=seed.general, role=seed.newsletter_role)
    assert "you now have the Newsletter role" in await press(emulator, seed, digest)
    assert roles_of_reader(seed) == [seed.newsletter_role.id]
    assert "no longer have the Newsletter role" in await press(emulator, seed, digest)
    assert roles_of_reader(seed) == []

    # Then they stop pinging a role at all, or stop posting in the channel.
    await newsletter(emulator, seed, "setup", channel=seed.general)
    nothing = (
        f"<#{seed.general.id}> no longer pings a role when an issue lands, so there is no "
        "role to join."
    )
    assert await press(emulator, seed, digest) == nothing
    await newsletter(emulator, seed, "unsubscribe", channel=seed.general)
    assert await press(emulator, seed, digest) == nothing
    assert roles_of_reader(seed) == []


async def test_notify_me_refuses_a_role_given_power_after_setup(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    role = seed.newsletter_role
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, role=role)
    assert private(answer).startswith("Done:")
    digest = await published_digest(emulator, seed)

    emulator.world.edit_role(role, permissions=int(Permission.ADMINISTRATOR))
    guild = newsbot.get_guild(seed.guild.id)
    assert guild is not None
    await eventually(
        lambda: (
            (cached := guild.get_role(role.id)) is not None and cached.permissions.administrator
        ),
        within=5,
    )
    assert await press(emulator, seed, digest) == (
        "I can't give you the Newsletter role: it carries the **Administrator** permission, "
        "and *Notify me* only hands out roles without permissions. Ask a server manager to "
        "pick another role with /newsletter setup."
    )
    assert roles_of_reader(seed) == []


async def test_notify_me_in_a_forum_reads_the_forum_s_role(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    role = seed.newsletter_role
    await newsletter(emulator, seed, "setup", channel=seed.forum, role=role)
    await newsletter(emulator, seed, "publish", issue=202)
    posts = [c for c in emulator.world.channels.values() if c.parent_id == seed.forum.id]
    (digest,) = [
        m
        for post in posts
        for m in emulator.messages_in(post)
        if f"newsbot:notify:{role.id}" in m.custom_ids()
    ]
    assert "you now have the Newsletter role" in await press(emulator, seed, digest)
    assert roles_of_reader(seed) == [role.id]


async def test_setup_refuses_a_role_the_digest_could_not_ping(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    quiet = emulator.world.add_role(seed.guild, "Readers")  # no permissions, not mentionable
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, role=quiet)
    assert private(answer) == (
        f"The digest's ping would notify nobody: {quiet.mention} isn't mentionable, and I "
        f"don't have the **Mention Everyone** permission in <#{seed.general.id}>. Turn on "
        "*Allow anyone to @mention this role* in the role's settings, then run /newsletter "
        "setup again."
    )
    assert await newsbot.archive.subscriptions.list() == []

    emulator.world.edit_role(quiet, mentionable=True)
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, role=quiet)
    assert private(answer).startswith("Done:")
    (subscription,) = await newsbot.archive.subscriptions.list()
    assert subscription.role_id == quiet.id
