"""The emulated Discord world: every object indexed by id, and the gateway told of changes.

The ``World`` keeps users, guilds, channels (threads included) and the bot's application;
its changes are dispatched through an ``EventSink`` (the gateway) and wake anything waiting
on ``World.changed``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from ._errors import APIError, unknown
from ._models import (
    Application,
    Channel,
    ChannelType,
    ForumTag,
    Guild,
    Intent,
    Member,
    Message,
    Overwrite,
    Role,
    User,
)
from ._permissions import DEFAULT_EVERYONE, DM_PERMISSIONS, channel_permissions
from ._snowflake import SnowflakeGenerator

JSON = dict[str, Any]
T = TypeVar("T")
GUILDS_PER_RECOMMENDED_SHARD = 1000


class EventSink(Protocol):
    """Where the world sends gateway events (the gateway server, or nothing)."""

    def dispatch(self, event: str, data: JSON, *, guild_id: int | None, intent: int) -> None:
        """Send ``event`` to every session whose intents include ``intent`` (0: always)."""

    def dispatch_message(self, event: str, message: Message) -> None:
        """Send MESSAGE_CREATE/MESSAGE_UPDATE, blanking content for sessions without the intent."""


class _NoEvents:
    def dispatch(self, event: str, data: JSON, *, guild_id: int | None, intent: int) -> None:
        return None

    def dispatch_message(self, event: str, message: Message) -> None:
        return None


class Signal:
    """Wakes waiters whenever the world changes, so tests can await a condition."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        """Wake every waiter so it re-checks its condition."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_for(self, check: Callable[[], T | None], timeout: float, what: str) -> T:  # noqa: ASYNC109
        """Return the first non-None ``check()``; raise ``TimeoutError`` naming ``what``."""
        result = check()
        if result is not None:
            return result
        loop = asyncio.get_running_loop()
        try:
            # One deadline for the whole wait: a waiter woken at every change of a burst of
            # interactions set and cancelled a timer each time.
            async with asyncio.timeout(timeout):
                while True:
                    waiter = loop.create_future()
                    self._waiters.append(waiter)
                    await waiter
                    result = check()
                    if result is not None:
                        return result
        except TimeoutError:
            result = check()
            if result is not None:
                return result
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}") from None


class World:
    """Every object the emulator knows, indexed by id, plus the gateway to tell about changes."""

    def __init__(self, snowflakes: SnowflakeGenerator | None = None) -> None:
        self.snowflakes = snowflakes or SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.dms: dict[int, Channel] = {}
        """The bot's DM channels (also in ``channels``), opened by ``dm_channel``."""
        self._application: Application | None = None
        self.events: EventSink = _NoEvents()
        self.changed = Signal()
        self.recommended_shards: int | None = None
        """What ``GET /gateway/bot`` recommends; None: one shard per 1,000 of the bot's servers."""

    # -- building ----------------------------------------------------------------------

    @property
    def application(self) -> Application:
        """The bot's application; ``RuntimeError`` until ``set_application`` ran."""
        if self._application is None:
            raise RuntimeError("the world has no bot application yet: call set_application()")
        return self._application

    def shards_recommended(self) -> int:
        """The shard count ``GET /gateway/bot`` recommends for the bot's servers."""
        if self.recommended_shards is not None:
            return self.recommended_shards
        servers = sum(1 for g in self.guilds.values() if self.bot.id in g.members)
        return max(1, math.ceil(servers / GUILDS_PER_RECOMMENDED_SHARD))

    @property
    def bot(self) -> User:
        """The bot user."""
        return self.application.bot

    def set_application(self, name: str, *, owner: User, flags: int) -> Application:
        """Create the bot user and its application (the application id is the bot's id)."""
        bot = self.add_user(name, bot=True)
        self._application = Application(id=bot.id, name=name, bot=bot, owner=owner, flags=flags)
        return self._application

    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        """Create a user with a fresh snowflake."""
        user = User(id=self.snowflakes.next(), username=username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, owner: User, shard: tuple[int, int] | None = None) -> Guild:
        """Create a guild with its @everyone role (Discord's default permissions).

        With ``shard=(shard_id, shard_count)`` its id is one that shard handles.
        """
        guild_id = self.snowflakes.next()
        while shard is not None and (guild_id >> 22) % shard[1] != shard[0]:
            guild_id = self.snowflakes.next()  # the next millisecond comes within a few tries
        guild = Guild(id=guild_id, name=name, owner_id=owner.id)
        guild.roles[guild.id] = Role(
            id=guild.id, guild_id=guild.id, name="@everyone", permissions=int(DEFAULT_EVERYONE)
        )
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        return guild

    def add_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        mentionable: bool = False,
        managed_by_bot: int | None = None,
    ) -> Role:
        """Create a role above the existing ones; tell the gateway if a bot is connected."""
        role = Role(
            id=self.snowflakes.next(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            mentionable=mentionable,
            managed_by_bot=managed_by_bot,
        )
        guild.roles[role.id] = role
        self._role_event("GUILD_ROLE_CREATE", role)
        return role

    def edit_role(
        self, role: Role, *, permissions: int | None = None, mentionable: bool | None = None
    ) -> None:
        """Change a role's permissions or mentionability, as a server manager would in its
        settings; dispatch GUILD_ROLE_UPDATE."""
        if permissions is not None:
            role.permissions = permissions
        if mentionable is not None:
            role.mentionable = mentionable
        self._role_event("GUILD_ROLE_UPDATE", role)

    def delete_role(self, role: Role) -> None:
        """Delete a role, as a server manager would in its settings: its members lose it;
        dispatch GUILD_ROLE_DELETE."""
        guild = self.guilds[role.guild_id]
        if role.id == guild.id or role.managed_by_bot is not None:
            raise ValueError(f"{role.name} cannot be deleted: Discord keeps it")
        del guild.roles[role.id]
        for member in guild.members.values():
            if role.id in member.roles:
                member.roles = [r for r in member.roles if r != role.id]
        self.events.dispatch(
            "GUILD_ROLE_DELETE",
            {"guild_id": str(guild.id), "role_id": str(role.id)},
            guild_id=guild.id,
            intent=Intent.GUILDS,
        )
        self.touch()

    def _role_event(self, event: str, role: Role) -> None:
        self.events.dispatch(
            event,
            {"guild_id": str(role.guild_id), "role": role.payload()},
            guild_id=role.guild_id,
            intent=Intent.GUILDS,
        )
        self.touch()

    def add_member(self, guild: Guild, user: User, *, roles: tuple[Role, ...] = ()) -> Member:
        """Add ``user`` to ``guild`` with ``roles``; dispatch GUILD_MEMBER_ADD.

        When the user is the bot, the bot "joins" the guild: it gets a GUILD_CREATE.
        """
        member = Member(user=user, guild_id=guild.id, roles=[r.id for r in roles])
        guild.members[user.id] = member
        if self._application is not None and user is self._application.bot:
            joined = guild.payload()
            # Without "unavailable" discord.py reports a join, not an outage ending.
            del joined["unavailable"]
            self.events.dispatch("GUILD_CREATE", joined, guild_id=guild.id, intent=0)
            self.touch()
            return member
        data = member.payload()
        data["guild_id"] = str(guild.id)
        self.events.dispatch(
            "GUILD_MEMBER_ADD", data, guild_id=guild.id, intent=Intent.GUILD_MEMBERS
        )
        self.touch()
        return member

    def remove_member(self, guild: Guild, user: User) -> None:
        """Take ``user`` out of ``guild``, kicked or gone; dispatch GUILD_MEMBER_REMOVE.

        When the user is the bot, the bot is out of the server: it gets a GUILD_DELETE without
        ``unavailable`` (Gateway Events › Guild Delete: "If the unavailable field is not set,
        the user was removed from the guild"), then no more of its events, and its channels
        answer 403 Missing Access.
        """
        if user.id == guild.owner_id:
            raise ValueError("the server's owner cannot be removed from it")
        if self._application is not None and user is self._application.bot:
            self.events.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild_id=guild.id, intent=0)
        else:
            data = {"guild_id": str(guild.id), "user": user.payload()}
            self.events.dispatch(
                "GUILD_MEMBER_REMOVE", data, guild_id=guild.id, intent=Intent.GUILD_MEMBERS
            )
        del guild.members[user.id]
        self.touch()

    def add_channel(
        self,
        guild: Guild,
        name: str,
        type: ChannelType = ChannelType.GUILD_TEXT,
        *,
        topic: str | None = None,
        tags: tuple[str, ...] = (),
    ) -> Channel:
        """Create a guild channel (forums get ``tags``); dispatch CHANNEL_CREATE."""
        channel = Channel(
            id=self.snowflakes.next(),
            guild_id=guild.id,
            type=type,
            name=name,
            topic=topic,
            position=sum(1 for c in guild.channels.values() if not c.is_thread),
        )
        channel.available_tags = [ForumTag(id=self.snowflakes.next(), name=t) for t in tags]
        self._register_channel(guild, channel)
        self.events.dispatch(
            "CHANNEL_CREATE", channel.payload(), guild_id=guild.id, intent=Intent.GUILDS
        )
        return channel

    def _register_channel(self, guild: Guild, channel: Channel) -> None:
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self.touch()

    def register_thread(self, guild: Guild, thread: Channel) -> None:
        """Index a new thread and dispatch THREAD_CREATE (``newly_created``)."""
        self._register_channel(guild, thread)
        data = thread.payload()
        data["newly_created"] = True
        self.events.dispatch("THREAD_CREATE", data, guild_id=guild.id, intent=Intent.GUILDS)

    def set_overwrite(self, channel: Channel, overwrite: Overwrite) -> None:
        """Replace the overwrite for the same target; dispatch CHANNEL_UPDATE."""
        channel.overwrites = [
            o for o in channel.overwrites if (o.type, o.id) != (overwrite.type, overwrite.id)
        ]
        if overwrite.allow or overwrite.deny:
            channel.overwrites.append(overwrite)
        self.events.dispatch(
            "CHANNEL_UPDATE", channel.payload(), guild_id=channel.guild_id, intent=Intent.GUILDS
        )
        self.touch()

    def delete_channel(self, channel: Channel) -> None:
        """Mark the channel deleted (later calls get 404); dispatch CHANNEL_DELETE.

        Its threads go with it, without a THREAD_DELETE each (threads.mdx › Public & Private
        Threads: a public thread is viewable by those who can view its parent; discord.py
        drops a channel's threads on its CHANNEL_DELETE alone). A category's channels stay,
        out of it (channel.mdx › Delete/Close Channel: "Deleting a category does not delete
        its child channels; they will have their parent_id removed and a Channel Update
        Gateway event will fire for each of them").
        """
        channel.deleted = True
        event = "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE"
        data = channel.payload()
        self.events.dispatch(event, data, guild_id=channel.guild_id, intent=Intent.GUILDS)
        for child in list(self.channels.values()):
            if child.parent_id != channel.id or child.deleted:
                continue
            if child.is_thread:
                child.deleted = True
            elif channel.type == ChannelType.GUILD_CATEGORY:
                child.parent_id = None
                self.events.dispatch(
                    "CHANNEL_UPDATE", child.payload(), guild_id=child.guild_id, intent=Intent.GUILDS
                )
        self.touch()

    def set_member_roles(self, member: Member, roles: list[int]) -> None:
        """Replace a member's roles; dispatch GUILD_MEMBER_UPDATE."""
        member.roles = roles
        data = member.payload()
        data["guild_id"] = str(member.guild_id)
        self.events.dispatch(
            "GUILD_MEMBER_UPDATE", data, guild_id=member.guild_id, intent=Intent.GUILD_MEMBERS
        )
        self.touch()

    def touch(self) -> None:
        """Wake anything waiting for the world to change."""
        self.changed.notify()

    # -- lookups -----------------------------------------------------------------------

    def guild(self, guild_id: int) -> Guild:
        """Return the guild; 404 Unknown Guild otherwise."""
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise unknown("Guild")
        return guild

    def channel(self, channel_id: int) -> Channel:
        """Return the live channel or thread; 404 Unknown Channel otherwise."""
        channel = self.channels.get(channel_id)
        if channel is None or channel.deleted:
            raise unknown("Channel")
        return channel

    def message(self, channel: Channel, message_id: int) -> Message:
        """Return the live message in ``channel``; 404 Unknown Message otherwise."""
        message = channel.messages.get(message_id)
        if message is None or message.deleted:
            raise unknown("Message")
        return message

    def member(self, guild: Guild, user_id: int) -> Member:
        """Return the member; 404 Unknown Member otherwise."""
        member = guild.members.get(user_id)
        if member is None:
            raise unknown("Member")
        return member

    def user(self, user_id: int) -> User:
        """Return the user; 404 Unknown User otherwise."""
        user = self.users.get(user_id)
        if user is None:
            raise unknown("User")
        return user

    def guild_of(self, channel: Channel) -> Guild:
        """Return the guild a channel belongs to (a DM belongs to none: ``ValueError``)."""
        if channel.guild_id is None:
            raise ValueError(f"channel {channel.id} is a DM: it belongs to no guild")
        return self.guilds[channel.guild_id]

    def permissions(self, channel: Channel, user_id: int) -> int:
        """Return ``user_id``'s effective permissions in ``channel``."""
        if channel.is_dm:
            return DM_PERMISSIONS if user_id in channel.recipient_ids else 0
        return channel_permissions(self.guild_of(channel), channel, user_id)

    def dm_channel(self, user: User) -> Channel:
        """Return the bot's DM channel with ``user``, opening it the first time.

        User resource › Create DM: one DM per pair of users, the same channel every time.
        """
        for channel in self.dms.values():
            if user.id in channel.recipient_ids:
                return channel
        if user.id == self.bot.id:
            raise ValueError("the bot has no DM with itself")
        channel = Channel(
            id=self.snowflakes.next(),
            guild_id=None,
            type=ChannelType.DM,
            name="",
            recipient_ids=[user.id, self.bot.id],
        )
        self.dms[channel.id] = channel
        self.channels[channel.id] = channel
        self.touch()
        return channel

    def require(self, channel: Channel, user_id: int, needed: int) -> None:
        """Raise Discord's 403 unless ``user_id`` holds every bit of ``needed`` in ``channel``."""
        perms = self.permissions(channel, user_id)
        if not perms:
            raise APIError(403, 50001, "Missing Access")
        if perms & needed != needed:
            raise APIError(403, 50013, "Missing Permissions")

    def all_messages(self) -> Iterator[Message]:
        """Every message in every channel, deleted ones included."""
        for channel in self.channels.values():
            yield from channel.messages.values()
