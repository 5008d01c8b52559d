"""/newsletter status names what changed since setup and now keeps a channel from getting
issues as set up: a permission taken away, the role made unmentionable or given power."""

from __future__ import annotations

import discord

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from tests.conftest import eventually
from tests.publishing.test_newsletter_cog import newsletter, private


async def status_of(emulator: Emulator, seed: DefaultWorld) -> list[str]:
    answer = await newsletter(emulator, seed, "status")
    private(answer)
    (card,) = answer.embeds
    return [line for line in card["description"].splitlines() if line.startswith("⚠️")]


async def test_status_names_what_keeps_a_channel_from_getting_issues_as_set_up(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    general, role, alerts = seed.general, seed.newsletter_role, seed.announcements
    answer = await newsletter(
        emulator, seed, "setup", channel=general, role=role, alerts_channel=alerts
    )
    assert private(answer).startswith("Done:")
    assert await status_of(emulator, seed) == []

    emulator.world.edit_role(role, mentionable=False)
    emulator.deny(general, Permission.SEND_MESSAGES)
    emulator.deny(alerts, Permission.VIEW_CHANNEL)

    def changed() -> bool:
        guild = newsbot.get_guild(seed.guild.id)
        assert guild is not None
        cached, to_alerts = guild.get_channel(general.id), guild.get_channel(alerts.id)
        assert isinstance(cached, discord.TextChannel)
        assert isinstance(to_alerts, discord.TextChannel)
        ping = guild.get_role(role.id)
        return (
            ping is not None
            and not ping.mentionable
            and not cached.permissions_for(guild.me).send_messages
            and not to_alerts.permissions_for(guild.me).view_channel
        )

    await eventually(changed)
    assert await status_of(emulator, seed) == [
        f"⚠️ <#{general.id}>: I need the **Send Messages** permission there.",
        f"⚠️ <#{general.id}>: The digest's ping would notify nobody: <@&{role.id}> isn't "
        f"mentionable, and I don't have the **Mention Everyone** permission in <#{general.id}>. "
        "Turn on *Allow anyone to @mention this role* in the role's settings, then run "
        "/newsletter setup again.",
        f"⚠️ <#{general.id}>: I can't post alerts in <#{alerts.id}>: I need the **View "
        "Channel** and **Send Messages** permissions there.",
    ]

    emulator.world.edit_role(role, permissions=int(Permission.KICK_MEMBERS), mentionable=True)

    def powerful() -> bool:
        guild = newsbot.get_guild(seed.guild.id)
        ping = guild.get_role(role.id) if guild is not None else None
        return ping is not None and ping.permissions.kick_members

    await eventually(powerful)
    carried = f"⚠️ <#{general.id}>: I won't use <@&{role.id}>: it carries the **Kick Members** "
    assert any(line.startswith(carried) for line in await status_of(emulator, seed))
