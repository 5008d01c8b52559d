"""Whether a reader's answer asked for everyone may be posted where they asked."""

from __future__ import annotations

import discord

KEPT_PRIVATE = "You can't post in this channel, so only you see this answer."


def kept_private(interaction: discord.Interaction) -> str | None:
    """Why an answer asked `public` is shown to the asker alone, or None when it may be posted.

    Discord runs a command for anyone with Use Application Commands, also where they may not
    write (a read-only announcement channel, a thread they may not post in, one a moderator
    locked), and a public answer is the bot's own message in the channel: a reader who may
    not post there would post through newsbot, as often as they liked. In a DM with the bot
    they may. In a locked thread only members with Manage Threads post (threads.mdx ›
    Locked Threads).
    """
    if interaction.guild_id is None:
        return None
    permissions = interaction.permissions
    channel = interaction.channel
    if isinstance(channel, discord.Thread):
        allowed = permissions.send_messages_in_threads and (
            not channel.locked or permissions.manage_threads
        )
    else:
        allowed = permissions.send_messages
    return None if allowed else KEPT_PRIVATE
