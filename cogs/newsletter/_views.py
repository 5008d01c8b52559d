"""The "Notify me" button under each digest: a reader gives or takes the channel's role.

A `DynamicItem` matched by its custom_id, so buttons on digests posted before a restart (or by
`newsbot publish`, which has no gateway) keep working. The role it gives is the one the
channel pings now, read at each press: the role in the custom_id is only the one it pinged
when the digest was posted.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, cast

import discord

from bot.app import reply
from bot.publishing.targets import all_targets
from bot.render.publish import NOTIFY_LABEL
from cogs.components import apologises
from cogs.newsletter._roles import powers, refused_at_press, role_name

if TYPE_CHECKING:
    from bot.app import Newsbot

log = logging.getLogger(__name__)

TEMPLATE = r"newsbot:notify:(?P<role_id>[0-9]{1,20})"
DEFER_AFTER = 0.5
"""Seconds a role change may take before the press is answered "thinking…" meanwhile. Discord
changes only so many members' roles a second: when many readers press at once, as a digest
lands, the later changes wait for the rate limit, longer than the 3 s a first answer may."""


class NotifyButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=TEMPLATE,
):
    """Gives the channel's role to a reader who does not have it, and takes it from one who
    does."""

    def __init__(self, role_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=NOTIFY_LABEL,
                emoji="🔔",
                style=discord.ButtonStyle.secondary,
                custom_id=f"newsbot:notify:{role_id}",
            )
        )
        self.role_id = role_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[discord.ui.View],
        match: re.Match[str],
    ) -> NotifyButton:
        """Rebuild the button from the custom_id of the one that was pressed."""
        return cls(int(match["role_id"]))

    @apologises(None)
    async def callback(self, interaction: discord.Interaction) -> None:
        """Toggle the role the channel pings now and say privately what changed."""
        member = interaction.user
        guild = interaction.guild
        if not isinstance(member, discord.Member) or guild is None:
            await _say(interaction, "This button works in the server it was posted in.")
            return
        channel_id = _subscribed_channel(interaction)
        role_id = await _role_pinged_in(interaction, guild.id, channel_id)
        if role_id is None:
            await _say(
                interaction,
                f"<#{channel_id}> no longer pings a role when an issue lands, so there is no "
                "role to join.",
            )
            return
        role = guild.get_role(role_id)
        if role is None:
            await _say(interaction, "That role no longer exists; ask a server manager.")
            return
        refused = refused_at_press(role)
        if refused is not None:
            log.warning(
                "Notify me in channel %s: role %s not handed out (%s)",
                channel_id,
                role.id,
                ", ".join(powers(role)) or "managed or @everyone",
            )
            await _say(interaction, refused)
            return
        await _toggle(interaction, member, role)


async def _toggle(
    interaction: discord.Interaction, member: discord.Member, role: discord.Role
) -> None:
    """Give `role` to `member` if they lack it, take it if they have it; say which."""
    name = role_name(role)
    has_it = any(r.id == role.id for r in member.roles)
    if has_it:
        change = member.remove_roles(discord.Object(role.id), reason="Notify me: off")
    else:
        change = member.add_roles(discord.Object(role.id), reason="Notify me: on")
    changing = asyncio.ensure_future(change)
    try:
        await asyncio.wait({changing}, timeout=DEFER_AFTER)
        if not changing.done():
            await _defer(interaction)
        await changing
    except discord.Forbidden:
        await _say(
            interaction,
            f"I can't change your {name} role: a server manager needs to give me Manage "
            "Roles and put my role above it.",
        )
        return
    except discord.NotFound:
        await _say(interaction, "That role no longer exists; ask a server manager.")
        return
    finally:
        await _stop_unobserved(changing)
    if has_it:
        await _say(interaction, f"Done: you no longer have the {name} role. No more pings.")
    else:
        await _say(
            interaction,
            f"Done: you now have the {name} role, so you'll be pinged when an issue "
            "lands. Press again to stop.",
        )


async def _defer(interaction: discord.Interaction) -> None:
    """Show "thinking…" while the role change waits for Discord's rate limit.

    Only a courtesy: if Discord refuses it (a 5xx, or the token already expired on a slow
    loop), the role change still finishes and its outcome is still told, or, if the
    interaction can no longer be answered, logged; the refusal must not pass for the role
    change's own (a 404 here is the interaction, not the role)."""
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
    except discord.HTTPException as error:
        log.warning(
            "Notify me: could not defer the press (HTTP %s, code %s); answering when the "
            "role change is done",
            error.status,
            error.code,
        )


async def _stop_unobserved(changing: asyncio.Future[None]) -> None:
    """Stop a role change the press ended before (cancelled, or failed past the deferral):
    cancel it and wait for it, logging a failure it ended with, so that it neither completes
    after the reader was told something else nor fails with no one retrieving the error."""
    if changing.done():
        return
    changing.cancel()
    await asyncio.wait({changing})
    if not changing.cancelled() and (error := changing.exception()) is not None:
        log.warning("Notify me: the role change failed after the press ended", exc_info=error)


def _subscribed_channel(interaction: discord.Interaction) -> int:
    """The channel whose digest holds the button: the forum, for a digest posted in one."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return channel.parent_id
    assert interaction.channel_id is not None
    return interaction.channel_id


async def _role_pinged_in(
    interaction: discord.Interaction, guild_id: int, channel_id: int
) -> int | None:
    """The role `channel_id` pings now (set up with /newsletter or declared in the config
    file), or None when it pings none or no longer receives issues."""
    bot = cast("Newsbot", interaction.client)
    targets = await all_targets(bot.archive, bot.settings, guild_id=guild_id)
    return next((t.role_id for t in targets if t.channel_id == channel_id), None)


async def _say(interaction: discord.Interaction, text: str) -> None:
    """Tell the presser privately (after a "thinking…" placeholder, in its place)."""
    await reply(interaction, text)
