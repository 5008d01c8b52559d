"""The default world: the Deep Learning Weekly readers' server, ready for the bot."""

from __future__ import annotations

from dataclasses import dataclass

from ._models import Channel, ChannelType, Guild, Role, User
from ._permissions import Permission
from ._world import World

FORUM_TAGS = ("Industry", "Mobile & Edge", "Learning", "Libraries & Code", "Papers & Publications")

# Application flags enabling the three privileged intents (the "limited" bits of a small bot).
GATEWAY_PRESENCE_LIMITED = 1 << 13
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
APPLICATION_COMMAND_BADGE = 1 << 23
DEFAULT_APPLICATION_FLAGS = (
    GATEWAY_PRESENCE_LIMITED
    | GATEWAY_GUILD_MEMBERS_LIMITED
    | GATEWAY_MESSAGE_CONTENT_LIMITED
    | APPLICATION_COMMAND_BADGE
)

BOT_PERMISSIONS = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.SEND_MESSAGES_IN_THREADS
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.ADD_REACTIONS
    | Permission.MANAGE_MESSAGES
    | Permission.MANAGE_THREADS
    | Permission.CREATE_PUBLIC_THREADS
    | Permission.MANAGE_ROLES
    | Permission.USE_APPLICATION_COMMANDS
)


@dataclass(frozen=True)
class DefaultWorld:
    """Handles on everything the default world contains."""

    guild: Guild
    general: Channel
    announcements: Channel
    forum: Channel
    newsletter_role: Role
    editors_role: Role
    bot_role: Role
    owner: User
    manager: User
    reader: User
    bot: User


def seed_default_world(world: World, *, bot_name: str = "newsbot") -> DefaultWorld:
    """Fill ``world`` with one guild, three channels, roles, a manager, a reader and the bot.

    Roles from the bottom: @everyone (Discord's defaults), "Newsletter" (mentionable, no
    permissions — readers opt in to pings), "Editors" (MANAGE_GUILD, given to the manager),
    and the bot's managed role above them so it may hand out "Newsletter".
    """
    owner = world.add_user("server-owner", global_name="Server Owner")
    manager = world.add_user("ada", global_name="Ada (editor)")
    reader = world.add_user("grace", global_name="Grace")
    application = world.set_application(bot_name, owner=owner, flags=DEFAULT_APPLICATION_FLAGS)
    guild = world.add_guild("Deep Learning Weekly Readers", owner=owner)
    newsletter = world.add_role(guild, "Newsletter", mentionable=True)
    editors = world.add_role(guild, "Editors", permissions=int(Permission.MANAGE_GUILD))
    bot_role = world.add_role(
        guild, bot_name, permissions=int(BOT_PERMISSIONS), managed_by_bot=application.bot.id
    )
    world.add_member(guild, manager, roles=(editors,))
    world.add_member(guild, reader)
    world.add_member(guild, application.bot, roles=(bot_role,))
    general = world.add_channel(guild, "general", topic="Talk about this week's issue")
    announcements = world.add_channel(
        guild, "announcements", ChannelType.GUILD_ANNOUNCEMENT, topic="New issues, as they ship"
    )
    forum = world.add_channel(
        guild,
        "newsletter-forum",
        ChannelType.GUILD_FORUM,
        topic="One post per item; discuss below",
        tags=FORUM_TAGS,
    )
    return DefaultWorld(
        guild=guild,
        general=general,
        announcements=announcements,
        forum=forum,
        newsletter_role=newsletter,
        editors_role=editors,
        bot_role=bot_role,
        owner=owner,
        manager=manager,
        reader=reader,
        bot=application.bot,
    )
