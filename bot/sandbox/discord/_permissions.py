"""Discord permission bits and the way Discord combines roles and channel overwrites."""

from __future__ import annotations

from enum import IntFlag
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._models import Channel, Guild


class Permission(IntFlag):
    """The permission bits newsbot and the emulator care about (values from Discord's docs)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38


ALL_PERMISSIONS = (1 << 51) - 1
_ADMINISTRATOR = int(Permission.ADMINISTRATOR)
_VIEW_CHANNEL = int(Permission.VIEW_CHANNEL)

# What each user may do in a DM with the bot. Receiving and Responding › Interaction Object:
# `app_permissions` "includes ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE permissions for
# (G)DMs with other users, and additionally includes USE_EXTERNAL_EMOJIS for DMs with the app's
# bot user"; seeing, sending, reading history and reacting go without saying in a DM.
DM_PERMISSIONS = int(
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.ADD_REACTIONS
    | Permission.ATTACH_FILES
    | Permission.EMBED_LINKS
    | Permission.MENTION_EVERYONE
    | Permission.USE_EXTERNAL_EMOJIS
)

# What @everyone gets in a new server, per Discord's defaults.
DEFAULT_EVERYONE = (
    Permission.CREATE_INSTANT_INVITE
    | Permission.ADD_REACTIONS
    | Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.CHANGE_NICKNAME
    | Permission.USE_APPLICATION_COMMANDS
    | Permission.CREATE_PUBLIC_THREADS
    | Permission.CREATE_PRIVATE_THREADS
    | Permission.SEND_MESSAGES_IN_THREADS
)


def base_permissions(guild: Guild, user_id: int) -> int:
    """Return a member's server-wide permissions: owner and administrators get everything;
    a user not in the server (a bot kicked from it) has none there."""
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    everyone = guild.roles[guild.id]
    # Plain ints: a `Permission` flag's operators are Python code, an int's are not.
    perms = int(everyone.permissions)
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= int(role.permissions)
    if perms & _ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """Return a member's permissions in a channel (threads use their parent's overwrites).

    Order as Discord documents it: @everyone overwrite, then role overwrites combined, then
    the member's own overwrite. Without VIEW_CHANNEL nothing else applies.
    """
    perms = base_permissions(guild, user_id)
    if perms in (0, ALL_PERMISSIONS):
        return perms
    source = channel
    if channel.is_thread and channel.parent_id is not None:
        source = guild.channels.get(channel.parent_id, channel)
    overwrites = {(ow.type, ow.id): ow for ow in source.overwrites}
    everyone = overwrites.get((0, guild.id))
    if everyone is not None:
        perms = (perms & ~int(everyone.deny)) | int(everyone.allow)
    member = guild.members.get(user_id)
    role_ids = member.roles if member is not None else []
    allow = deny = 0
    for role_id in role_ids:
        ow = overwrites.get((0, role_id))
        if ow is not None:
            allow |= int(ow.allow)
            deny |= int(ow.deny)
    perms = (perms & ~deny) | allow
    own = overwrites.get((1, user_id))
    if own is not None:
        perms = (perms & ~int(own.deny)) | int(own.allow)
    if not perms & _VIEW_CHANNEL:
        return 0
    return perms
