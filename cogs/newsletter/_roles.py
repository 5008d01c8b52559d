"""The role a digest pings, which *Notify me* hands to any reader who presses it: never one
that carries power over the server."""

from __future__ import annotations

import discord

from bot.render.text import literal

RISKY = discord.Permissions.elevated() | discord.Permissions(
    administrator=True,
    manage_roles=True,
    mention_everyone=True,
    view_audit_log=True,
    mute_members=True,
    deafen_members=True,
    move_members=True,
    manage_nicknames=True,
    manage_events=True,
)
"""Permissions no reader gets from a button: those a server requiring two-factor
authentication for moderation asks it for (`elevated()`, which already holds Administrator and
Manage Roles, named here all the same), Mention Everyone, which pings the whole server, and the
other powers over members and the server's record (muting, moving, renaming, the audit log,
events)."""

NAMES = {
    "administrator": "Administrator",
    "ban_members": "Ban Members",
    "kick_members": "Kick Members",
    "manage_channels": "Manage Channels",
    "manage_expressions": "Manage Expressions",
    "manage_guild": "Manage Server",
    "manage_messages": "Manage Messages",
    "manage_roles": "Manage Roles",
    "manage_threads": "Manage Threads",
    "manage_webhooks": "Manage Webhooks",
    "mention_everyone": "Mention Everyone",
    "moderate_members": "Timeout Members",
    "view_audit_log": "View Audit Log",
    "mute_members": "Mute Members",
    "deafen_members": "Deafen Members",
    "move_members": "Move Members",
    "manage_nicknames": "Manage Nicknames",
    "manage_events": "Manage Events",
}
"""The risky permissions by the names Discord shows in a role's settings."""

ROLE_NAME_SHOWN_MAX = 100


def powers(role: discord.Role) -> list[str]:
    """The risky permissions `role` carries, by the names Discord shows, in Discord's order."""
    carried = role.permissions & RISKY
    found = sorted((discord.Permissions.VALID_FLAGS[name], name) for name, on in carried if on)
    return [NAMES.get(name, name.replace("_", " ").title()) for _bit, name in found]


def listed(names: list[str]) -> str:
    """`**A**`, `**A** and **B**`, `**A**, **B** and **C**`."""
    quoted = [f"**{n}**" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def carried(names: list[str]) -> str:
    """`the **A** permission`, `the **A** and **B** permissions`."""
    return f"the {listed(names)} permission{'s' if len(names) > 1 else ''}"


def refused_at_setup(
    role: discord.Role,
    channel: discord.TextChannel | discord.ForumChannel,
    me: discord.Member,
) -> str | None:
    """Why /newsletter setup does not take `role` for the digests in `channel` to ping, or
    None (`me`: the bot in that server).

    Discord notifies a role's members only if the role is mentionable or the bot has Mention
    Everyone (Message resource › Allowed Mentions Object): otherwise the ping reaches nobody.
    """
    if role.is_default() or role.managed:
        return f"{role.mention} can't be pinged or given: pick another."
    found = powers(role)
    if found:
        return (
            f"I won't use {role.mention}: it carries {carried(found)}, and *Notify me* would "
            "hand it to any reader who presses it. Pick a role with no permissions (one made "
            "for the newsletter), then run /newsletter setup again."
        )
    if not role.mentionable and not channel.permissions_for(me).mention_everyone:
        return (
            f"The digest's ping would notify nobody: {role.mention} isn't mentionable, and I "
            f"don't have {carried(['Mention Everyone'])} in {channel.mention}. Turn on *Allow "
            "anyone to @mention this role* in the role's settings, then run /newsletter setup "
            "again."
        )
    return None


def refused_at_press(role: discord.Role) -> str | None:
    """Why *Notify me* does not give `role` to a reader now, or None: its permissions are
    read again at each press, as a manager may have changed them since setup."""
    name = role_name(role)
    if role.is_default() or role.managed:
        return (
            f"I can't give you the {name} role. Ask a server manager to pick another role with "
            "/newsletter setup."
        )
    found = powers(role)
    if found:
        return (
            f"I can't give you the {name} role: it carries {carried(found)}, and *Notify me* "
            "only hands out roles without permissions. Ask a server manager to pick another "
            "role with /newsletter setup."
        )
    return None


def role_name(role: discord.Role) -> str:
    """The role's name shown literally in a message."""
    return literal(role.name, ROLE_NAME_SHOWN_MAX)
