"""What the bot needs in a newsletter channel, and what it finds lacking there now: the
permissions, a forum's tags, the role the digest pings, the alerts channel."""

from __future__ import annotations

import discord

from bot.publishing.plans.discord import ChannelKind, ForumTags, Target
from cogs.newsletter._roles import carried, refused_at_setup

NEEDED: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    # To find what an interrupted publish already posted: recent messages, archived threads.
    ("read_message_history", "Read Message History"),
)
ALERTS_NEED: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
)
"""What posting an alert takes: a plain message, no embeds."""


def kind_of(channel: discord.abc.GuildChannel) -> ChannelKind | None:
    """Which kind of newsletter channel this is, if issues can be posted there."""
    if isinstance(channel, discord.ForumChannel):
        return "forum"
    if isinstance(channel, discord.TextChannel):
        return "announcement" if channel.is_news() else "text"
    return None


def missing_permissions(
    channel: discord.abc.GuildChannel, me: discord.Member, kind: ChannelKind
) -> list[str]:
    """The permissions the bot lacks to publish in `channel`, by the names Discord shows."""
    perms = channel.permissions_for(me)
    needed = list(NEEDED)
    if kind == "forum":
        # A forum post is a thread made with its first message: Send Messages covers it.
        needed = [n for n in needed if n[0] != "create_public_threads"]
    # Crossposting its own digest in an announcement channel needs only Send Messages (Message
    # › Crosspost Message: Manage Messages is for crossposting others' messages).
    missing = [label for attr, label in needed if not getattr(perms, attr)]
    if "Send Messages" in missing and "Embed Links" in missing:
        # discord.py clears Embed Links whenever Send Messages is denied: name only the cause.
        missing.remove("Embed Links")
    return missing


def missing_for_alerts(channel: discord.TextChannel, me: discord.Member) -> list[str]:
    """The permissions the bot lacks to post alerts in `channel`, by the names Discord shows."""
    perms = channel.permissions_for(me)
    return [label for attr, label in ALERTS_NEED if not getattr(perms, attr)]


def forum_tags(channel: discord.ForumChannel) -> ForumTags:
    """The forum's tags as the publish applies them."""
    return ForumTags.of(
        ((t.name, t.id, t.moderated) for t in channel.available_tags),
        required=channel.flags.require_tag,
    )


def fallback_tags(channel: discord.ForumChannel) -> list[discord.ForumTag]:
    """The tags the digest, then a section with no tag of its name, get in a forum that
    requires one (`ForumTags.fallback`; one tag for both, or none, as the forum has them):
    none in a forum that does not."""
    tags = forum_tags(channel)
    if not tags.required:
        return []
    by_id = {t.id: t for t in channel.available_tags}
    ids = dict.fromkeys(tags.fallback(digest=digest) for digest in (True, False))
    return [by_id[i] for i in ids if i is not None and i in by_id]


def fallback_line(tags: list[discord.ForumTag]) -> str:
    """What /newsletter setup says of the tags the forum's untagged posts get."""
    if len(tags) == 1:
        return (
            f"The forum requires a tag: the digest, and a section without a tag of its name, "
            f"get “{tags[0].name}”."
        )
    digest, section = tags
    return (
        f"The forum requires a tag: the digest gets “{digest.name}”, and a section without a "
        f"tag of its name “{section.name}”."
    )


def refused_forum(channel: discord.ForumChannel, me: discord.Member) -> str | None:
    """Why the bot could post no digest in a forum that requires a tag, and what to do."""
    lacking = forum_tags(channel).lacking()
    if lacking is not None:
        return f"I can't publish in {channel.mention} yet: it {lacking}."
    if channel.permissions_for(me).manage_threads:
        return None
    moderated = [f"“{t.name}”" for t in fallback_tags(channel) if t.moderated]
    if not moderated:
        return None
    return (
        f"I can't publish in {channel.mention} yet: it requires a tag on every post, and its "
        f"{' and '.join(moderated)} tag, which I'd give the digest, is moderated. Give my role "
        "**Manage Threads** in the forum, or make the tag unmoderated."
    )


def problems(guild: discord.Guild, targets: list[Target]) -> list[str]:
    """What would keep each of the server's channels from getting issues as set up, as Discord
    stands now, a line each: what /newsletter setup checked may have changed since (a
    permission taken away, the role made unmentionable or given power, a tag deleted)."""
    me = guild.me
    lines: list[str] = []
    for target in targets:
        channel = guild.get_channel(target.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            lines.append(f"⚠️ <#{target.channel_id}> is not a channel I can publish in any more.")
            continue
        found: list[str] = []
        if missing := missing_permissions(channel, me, kind_of(channel) or "text"):
            found.append(f"I need {carried(missing)} there.")
        if isinstance(channel, discord.ForumChannel) and (untaggable := refused_forum(channel, me)):
            found.append(untaggable)
        found += _role_problems(guild, target, channel)
        alerts = guild.get_channel(target.alerts_channel_id) if target.alerts_channel_id else None
        if isinstance(alerts, discord.TextChannel) and (mute := missing_for_alerts(alerts, me)):
            found.append(f"I can't post alerts in {alerts.mention}: I need {carried(mute)} there.")
        lines += [f"⚠️ {channel.mention}: {text}" for text in found]
    return lines


def _role_problems(
    guild: discord.Guild,
    target: Target,
    channel: discord.TextChannel | discord.ForumChannel,
) -> list[str]:
    """Why the digest's ping, or *Notify me*, would not work with the channel's role now."""
    if target.role_id is None:
        return []
    role = guild.get_role(target.role_id)
    if role is None:
        return [f"its role <@&{target.role_id}> no longer exists."]
    refused = refused_at_setup(role, channel, guild.me)
    if refused is not None:
        return [refused]
    if not guild.me.guild_permissions.manage_roles or role >= guild.me.top_role:
        return [f"to hand out {role.mention} I need Manage Roles and my role above it."]
    return []
