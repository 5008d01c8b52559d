"""Discord's objects as plain dataclasses that render themselves as Discord's JSON payloads."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, IntFlag
from typing import Any

from ._snowflake import iso_timestamp, snowflake_time

JSON = dict[str, Any]


class ChannelType(IntEnum):
    """Discord channel types the emulator models."""

    GUILD_TEXT = 0
    DM = 1
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15
    GUILD_MEDIA = 16


THREAD_TYPES = frozenset(
    {ChannelType.ANNOUNCEMENT_THREAD, ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD}
)


class ChannelFlag(IntFlag):
    """Channel flag bits (Channel resource › Channel Flags) the emulator models."""

    REQUIRE_TAG = 1 << 4
    """A post in this forum or media channel must carry one of its tags."""


class MessageFlag(IntFlag):
    """Message flag bits (Discord's docs)."""

    CROSSPOSTED = 1 << 0
    IS_CROSSPOST = 1 << 1
    SUPPRESS_EMBEDS = 1 << 2
    HAS_THREAD = 1 << 5
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_VOICE_MESSAGE = 1 << 13
    IS_COMPONENTS_V2 = 1 << 15


class Intent(IntFlag):
    """Gateway intent bits the emulator honours."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class User:
    """A Discord user (a reader, a manager, or the bot itself)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None

    @property
    def mention(self) -> str:
        """The ``<@id>`` form that pings this user."""
        return f"<@{self.id}>"

    def payload(self) -> JSON:
        """Render as Discord's user object."""
        data: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
            "collectibles": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed_by_bot: int | None = None

    @property
    def mention(self) -> str:
        """The ``<@&id>`` form that pings this role."""
        return f"<@&{self.id}>"

    def payload(self) -> JSON:
        """Render as Discord's role object."""
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed_by_bot is not None,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.managed_by_bot is not None:
            data["tags"] = {"bot_id": str(self.managed_by_bot)}
        return data


@dataclass(eq=False)
class Member:
    """A user's membership of a guild."""

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=_now)

    def payload(self, *, with_user: bool = True) -> JSON:
        """Render as Discord's guild member object (``user`` is left out in MESSAGE_CREATE)."""
        data: JSON = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso_timestamp(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> JSON:
        """Render as Discord's overwrite object."""
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class ForumTag:
    """A tag a forum post can carry."""

    id: int
    name: str
    moderated: bool = False
    emoji_name: str | None = None

    def payload(self) -> JSON:
        """Render as Discord's forum tag object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "moderated": self.moderated,
            "emoji_id": None,
            "emoji_name": self.emoji_name,
        }


@dataclass
class Attachment:
    """A file uploaded with a message (kept in memory)."""

    id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str

    def payload(self) -> JSON:
        """Render as Discord's attachment object."""
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }


@dataclass
class Reaction:
    """One emoji's reactions on a message, with who reacted in order."""

    emoji: JSON
    user_ids: list[int] = field(default_factory=list)

    def payload(self, viewer_id: int | None) -> JSON:
        """Render as Discord's reaction object, ``me`` relative to ``viewer_id``."""
        return {
            "emoji": self.emoji,
            "count": len(self.user_ids),
            "count_details": {"burst": 0, "normal": len(self.user_ids)},
            "me": viewer_id in self.user_ids,
            "me_burst": False,
            "burst_colors": [],
        }


@dataclass(eq=False, slots=True)
class Message:
    """A message in a channel or thread, or an ephemeral interaction message.

    ``allowed_mentions`` keeps what the sender passed (``None`` if nothing), so tests can
    check that every bot message passes it explicitly; ``mentions`` holds who was pinged.
    """

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    nonce: str | None = None
    message_reference: JSON | None = None
    referenced: Message | None = None
    allowed_mentions: JSON | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: JSON | None = None
    reactions: dict[str, Reaction] = field(default_factory=dict)
    thread: Channel | None = None
    edited_at: datetime | None = None
    pinned: bool = False
    deleted: bool = False
    author_member: Member | None = None

    @property
    def created_at(self) -> datetime:
        """When the message was created (from its snowflake)."""
        return snowflake_time(self.id)

    @property
    def ephemeral(self) -> bool:
        """Whether only the interaction's user can see the message (flag 64)."""
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether this is a deferred "Bot is thinking…" placeholder (flag 128)."""
        return bool(self.flags & MessageFlag.LOADING)

    def embed_text(self) -> str:
        """All embed titles and descriptions joined, for quick assertions in tests."""
        parts: list[str] = []
        for embed in self.embeds:
            parts.extend(str(embed[k]) for k in ("title", "description") if embed.get(k))
            for fld in embed.get("fields", []):
                parts.extend((str(fld.get("name", "")), str(fld.get("value", ""))))
        return "\n".join(parts)

    def custom_ids(self) -> list[str]:
        """Every component ``custom_id`` on the message, depth first."""
        found: list[str] = []

        def walk(components: list[JSON]) -> None:
            for component in components:
                if "custom_id" in component:
                    found.append(str(component["custom_id"]))
                walk(component.get("components", []))
                accessory = component.get("accessory")
                if isinstance(accessory, dict):
                    walk([accessory])

        walk(self.components)
        return found

    def payload(self, viewer_id: int | None = None) -> JSON:
        """Render as Discord's REST message object (no ``guild_id``/``member``)."""
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso_timestamp(self.created_at),
            "edited_timestamp": iso_timestamp(self.edited_at) if self.edited_at else None,
            "tts": self.tts,
            "mention_everyone": self.mention_everyone,
            "mentions": [u.payload() for u in self.mentions],
            "mention_roles": [str(r) for r in self.mention_roles],
            "mention_channels": [],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": self.pinned,
            "flags": self.flags,
        }
        if self.reactions:
            data["reactions"] = [r.payload(viewer_id) for r in self.reactions.values()]
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
            if self.referenced is not None and self.message_reference.get("type", 0) == 0:
                data["referenced_message"] = self.referenced.payload(viewer_id)
        if self.thread is not None:
            data["thread"] = self.thread.payload()
        return data

    def gateway_payload(self) -> JSON:
        """Render as the MESSAGE_CREATE/UPDATE event body (adds ``guild_id`` and ``member``)."""
        data = self.payload()
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
            if self.author_member is not None and self.webhook_id is None:
                data["member"] = self.author_member.payload(with_user=False)
        return data


@dataclass(eq=False)
class Channel:
    """A guild channel or thread, or the bot's DM with one user (``guild_id`` None, type DM).

    Messages live here in creation order.
    """

    id: int
    guild_id: int | None
    type: ChannelType
    name: str
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    available_tags: list[ForumTag] = field(default_factory=list)
    owner_id: int | None = None
    applied_tags: list[int] = field(default_factory=list)
    flags: int = 0
    auto_archive_duration: int = 1440
    archived: bool = False
    locked: bool = False
    created_at: datetime = field(default_factory=_now)
    archive_changed_at: datetime | None = None
    """When ``archived`` last changed (set by assigning it); None: never, since creation."""
    total_message_sent: int = 0
    deleted: bool = False
    messages: dict[int, Message] = field(default_factory=dict)
    last_message_id: int | None = None
    recipient_ids: list[int] = field(default_factory=list)
    """The two users of a DM (the reader and the bot); empty for guild channels."""

    def __setattr__(self, name: str, value: Any) -> None:
        # Channel › Thread Metadata Object: `archive_timestamp` is the "timestamp when the
        # thread's archive status was last changed", whoever changed it (a test included).
        if name == "archived" and getattr(self, "archived", value) != value:
            object.__setattr__(self, "archive_changed_at", _now())
        object.__setattr__(self, name, value)

    @property
    def archive_timestamp(self) -> datetime:
        """When the thread was last archived or unarchived (its creation, if never)."""
        return self.archive_changed_at or self.created_at

    @property
    def is_thread(self) -> bool:
        """Whether this channel is a thread (types 10, 11, 12)."""
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        """The ``<#id>`` form."""
        return f"<#{self.id}>"

    def live_messages(self) -> list[Message]:
        """Messages not deleted, oldest first."""
        return [m for m in self.messages.values() if not m.deleted]

    def tag(self, name: str) -> ForumTag:
        """Return the forum tag called ``name``; raise ``KeyError`` if there is none."""
        for tag in self.available_tags:
            if tag.name == name:
                return tag
        raise KeyError(name)

    @property
    def is_dm(self) -> bool:
        """Whether this is a DM between the bot and one user (no guild, no overwrites)."""
        return self.type == ChannelType.DM

    def payload(self) -> JSON:
        """Render as Discord's channel (or thread) object."""
        if self.is_dm:
            # Channel resource › Channel Object: a DM has no guild_id, name, position or
            # overwrites. The partial channel of an interaction leaves out `recipients` too.
            return {
                "id": str(self.id),
                "type": int(self.type),
                "last_message_id": str(self.last_message_id) if self.last_message_id else None,
                "flags": self.flags,
            }
        data: JSON = {
            "id": str(self.id),
            "type": int(self.type),
            "guild_id": str(self.guild_id),
            "name": self.name,
            "parent_id": str(self.parent_id) if self.parent_id is not None else None,
            "nsfw": self.nsfw,
            "flags": self.flags,
            "rate_limit_per_user": self.rate_limit_per_user,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
        }
        if self.is_thread:
            live = self.live_messages()
            data.update(
                owner_id=str(self.owner_id) if self.owner_id is not None else None,
                message_count=len(live),
                member_count=1,
                total_message_sent=self.total_message_sent,
                applied_tags=[str(t) for t in self.applied_tags],
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso_timestamp(self.archive_timestamp),
                    "locked": self.locked,
                    "create_timestamp": iso_timestamp(self.created_at),
                },
            )
            if self.type == ChannelType.PRIVATE_THREAD:
                data["thread_metadata"]["invitable"] = True
            return data
        data.update(
            position=self.position,
            permission_overwrites=[o.payload() for o in self.overwrites],
            topic=self.topic,
            default_auto_archive_duration=1440,
            default_thread_rate_limit_per_user=0,
        )
        if self.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA):
            data.update(
                available_tags=[t.payload() for t in self.available_tags],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
            )
        return data


@dataclass(eq=False)
class Guild:
    """A server with its roles, members and channels (threads included)."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    joined_at: datetime = field(default_factory=_now)

    @property
    def everyone(self) -> Role:
        """The @everyone role (its id is the guild's id)."""
        return self.roles[self.id]

    def channel_named(self, name: str) -> Channel:
        """Return the live channel or thread called ``name``; raise ``KeyError`` if none."""
        for channel in self.channels.values():
            if channel.name == name.lstrip("#") and not channel.deleted:
                return channel
        raise KeyError(name)

    def role_named(self, name: str) -> Role:
        """Return the role called ``name``; raise ``KeyError`` if none."""
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(name)

    def payload(self) -> JSON:
        """Render as the full GUILD_CREATE body (channels, threads, roles, members)."""
        live = [c for c in self.channels.values() if not c.deleted]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "features": ["NEWS", "COMMUNITY"],
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "widget_enabled": False,
            "widget_channel_id": None,
            "incidents_data": None,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "joined_at": iso_timestamp(self.joined_at),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.payload() for m in self.members.values()],
            "channels": [c.payload() for c in live if not c.is_thread],
            "threads": [c.payload() for c in live if c.is_thread and not c.archived],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "lazy": True,
        }


@dataclass(eq=False)
class Application:
    """The bot's application: its id, bot user, owner and flags."""

    id: int
    name: str
    bot: User
    owner: User
    flags: int
    description: str = ""
    verify_key: str = field(default_factory=lambda: secrets.token_hex(32))

    def payload(self) -> JSON:
        """Render as the ``GET /oauth2/applications/@me`` body."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "description": self.description,
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": self.verify_key,
            "flags": self.flags,
            "owner": self.owner.payload(),
            "team": None,
            "bot": self.bot.payload(),
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
            "integration_types_config": {"0": {}},
            "approximate_guild_count": 1,
        }
