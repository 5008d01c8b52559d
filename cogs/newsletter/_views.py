"""The "Notify me" button under each digest: a reader gives or takes the channel's role.

A `DynamicItem` matched by its custom_id, so buttons on digests posted before a restart (or by
`newsbot publish`, which has no gateway) keep working.
"""

from __future__ import annotations

import logging
import re

import discord

from bot.app import NO_MENTIONS
from bot.render.publish import NOTIFY_LABEL

log = logging.getLogger(__name__)

TEMPLATE = r"newsbot:notify:(?P<role_id>[0-9]{1,20})"


class NotifyButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=TEMPLATE,
):
    """Gives the role to a reader who does not have it, and takes it from one who does."""

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

    async def callback(self, interaction: discord.Interaction) -> None:
        """Toggle the role and say privately what changed."""
        member = interaction.user
        if not isinstance(member, discord.Member) or interaction.guild is None:
            await _say(interaction, "This button works in the server it was posted in.")
            return
        role = interaction.guild.get_role(self.role_id)
        name = role.name if role else "the newsletter role"
        has_it = any(r.id == self.role_id for r in member.roles)
        try:
            if has_it:
                await member.remove_roles(discord.Object(self.role_id), reason="Notify me: off")
            else:
                await member.add_roles(discord.Object(self.role_id), reason="Notify me: on")
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
        if has_it:
            await _say(interaction, f"Done: you no longer have the {name} role. No more pings.")
        else:
            await _say(
                interaction,
                f"Done: you now have the {name} role, so you'll be pinged when an issue "
                "lands. Press again to stop.",
            )


async def _say(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
