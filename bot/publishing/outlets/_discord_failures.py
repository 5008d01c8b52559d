"""A failed Discord call in words for the server's managers: which permission the bot lacks,
which channel is gone, and whether trying again may help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from bot.models import OutboxEntry
from bot.publishing.outlet import Gone, StepError
from bot.publishing.outlets.discord_client import WriteCutOff, WriteUnconfirmed, maybe_reached
from bot.publishing.plans.discord import Action, Target
from bot.publishing.steps import Payload, Step

UNKNOWN_CHANNEL = 10003
"""Discord's error code when a channel or thread does not exist (or no longer does)."""
THREAD_ARCHIVED = 50083
"""Discord's answer to a change in an archived thread ("Thread is archived"): Discord archives
a thread after a quiet week, and then takes nothing but new messages until it is unarchived."""
THREAD_LOCKED = 160005
"""Discord's answer to a change in a thread a moderator locked ("Thread is locked"), from a
bot without Manage Threads."""
EMPTY_MESSAGE = 50006
"""Discord's code for "Cannot send an empty message": what a message of embeds alone becomes
when the bot lacks Embed Links (Discord drops the embeds; message.mdx, Create Message)."""
MISSING_ACCESS = 50001
UNKNOWN_GUILD = 10004
"""Discord's answer about a server the bot is not in (or that does not exist): it no longer
tells the two apart."""
OUT_OF_REACH = (MISSING_ACCESS, UNKNOWN_GUILD)
"""The codes of a channel or server the bot cannot reach: not allowed in, or removed."""
UNKNOWN_MESSAGE = 10008
"""Discord's error code when a message does not exist (or no longer does)."""
CLOUDFLARE_TIMEOUT = 524
"""Cloudflare's answer when Discord took a request and did not answer it in time."""


def lacking(step: Step[Target], payload: Payload, cause: BaseException | None) -> StepError | None:
    """The failure of a step Discord refused for a permission the bot lacks, naming it (Discord
    names none): the one the step's call needs (channel.mdx, Start Thread without Message, Start
    Thread in Forum or Media Channel; message.mdx, Create Message, Crosspost Message)."""
    if not isinstance(cause, discord.HTTPException):
        return None
    body = payload.get("message", payload)
    if cause.code == EMPTY_MESSAGE and body.get("embeds") and not body.get("content"):
        needed = "Embed Links"
    elif cause.code == MISSING_ACCESS:
        needed = "View Channel"
    elif isinstance(cause, discord.Forbidden):
        needed = {
            Action.THREAD: "Create Public Threads",
            Action.MESSAGE: "Send Messages in Threads" if step.parent else "Send Messages",
        }.get(Action(step.action), "Send Messages")
    else:
        return None
    return lacks(needed, step.target.channel_id)


def lacks(needed: str, channel_id: int) -> StepError:
    """The bot lacks the permission `needed` in a channel: where to grant it."""
    return StepError(
        f"the bot lacks {needed} in channel {channel_id}: give the bot's role {needed} there "
        "(the channel's settings → Permissions), then publish again"
    )


async def missing_access(
    target: Target, guilds_after: Callable[[int], Awaitable[Any]]
) -> StepError:
    """Why Discord answered Missing Access in the target's channel: the bot may not view it,
    or it is no longer in that server (removed from it), which the bot's servers tell
    (`guilds_after(id)`: the first of them with an id above `id`, as Discord lists them)."""
    try:
        after = await guilds_after(target.guild_id - 1) if target.guild_id else None
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError, StepError):
        after = None  # not known: the likelier cause is named
    if after is not None and not any(int(g["id"]) == target.guild_id for g in after):
        return StepError(
            f"the bot is no longer in server {target.guild_id}, so it cannot post in channel "
            f"{target.channel_id}: invite it back (the link `newsbot invite-url` prints), then "
            "publish again"
        )
    return lacks("View Channel", target.channel_id)


def deleted(step: Step[Target], cause: discord.NotFound) -> StepError:
    """What a correction's edit found deleted on Discord: the step's message, thread or forum
    post, or the thread the message was in (`Gone`, made again), or the channel itself."""
    if cause.code == UNKNOWN_CHANNEL and step.action == Action.MESSAGE and step.parent is None:
        return channel_gone(step.target)
    return parent_gone(step, cause) or Gone(f"{step.key} was deleted on Discord", key=step.key)


def channel_gone(target: Target) -> StepError:
    """The subscribed channel itself was deleted: no later publish can reach it. /newsletter
    unsubscribe cannot name it (Discord offers only existing channels): the running bot
    forgets it as Discord tells it, or when it connects."""
    return StepError(
        f"channel {target.channel_id} no longer exists on Discord: take it out of "
        "discord.targets if the config file declares it; one set up with /newsletter is "
        "forgotten once `newsbot run` is connected"
    )


def vanished(step: Step[Target], cause: BaseException | None) -> StepError | None:
    """The subscribed channel itself deleted, as a step made in it (not in one of its threads)
    found: Unknown Channel."""
    if isinstance(cause, discord.NotFound) and cause.code == UNKNOWN_CHANNEL and not step.parent:
        return channel_gone(step.target)
    return None


def parent_gone(step: Step[Target], cause: BaseException | None) -> Gone | None:
    """What a step made inside another one found deleted on Discord: the thread or forum post
    its message goes in (Unknown Channel), or the digest it crossposts (Unknown Message). A
    moderator may tidy away a thread left empty by an unfinished publish: the next publish
    makes it again (`Gone`), where retrying the step alone would fail the same way for ever."""
    if not isinstance(cause, discord.NotFound) or step.parent is None:
        return None
    if cause.code == UNKNOWN_CHANNEL and step.action == Action.MESSAGE:
        return Gone(f"{step.parent} was deleted on Discord", key=step.parent)
    if cause.code == UNKNOWN_MESSAGE and step.action == Action.CROSSPOST:
        return Gone(f"{step.parent} was deleted on Discord", key=step.parent)
    return None


def unlisted(step: Step[Target], cause: BaseException | None) -> StepError | None:
    """Why the bot could not look among a channel's archived threads for a thread or forum
    post an earlier attempt made: they are listed only with Read Message History (channel.mdx,
    List Public Archived Threads), which the bot's role may have lost."""
    if isinstance(cause, discord.Forbidden) and step.action in (Action.THREAD, Action.POST):
        return lacks("Read Message History", step.target.channel_id)
    return None


def removal_failure(entry: OutboxEntry, exc: BaseException) -> StepError:
    """Why what an issue no longer has could not be deleted: a thread or forum post is deleted
    only with Manage Threads, even its creator's (threads.mdx › Editing & Deleting Threads),
    which the bot's role may lack where it needs no more to publish: named."""
    forbidden = isinstance(exc, discord.Forbidden) and exc.code != MISSING_ACCESS
    if forbidden and entry.action in (Action.THREAD, Action.POST):
        return lacks("Manage Threads", int(entry.target))
    return failure(exc, "remove what the issue no longer has")


def refused(exc: BaseException) -> bool:
    """Whether Discord answered the call with a refusal (a 4xx), so it made nothing. A 5xx, a
    request cut off or never answered may have reached Discord and made it, and so may an
    earlier try of a refused call that discord.py made again (`maybe_reached`)."""
    refusal = isinstance(exc, discord.HTTPException) and 400 <= exc.status < 500
    return refusal and not maybe_reached(exc)


def failure(exc: BaseException, what: str) -> StepError:
    """A failed call in words for the server's managers, whether retrying may help, and
    whether it surely made nothing (`refused`)."""
    made_nothing = refused(exc)
    if isinstance(exc, discord.Forbidden):
        reason = f"could not {what}: the bot is missing a permission ({exc.text})"
        return StepError(reason, made_nothing=made_nothing)
    if isinstance(exc, discord.NotFound):
        reason = f"could not {what}: Discord does not know it ({exc.text})"
        return StepError(reason, made_nothing=made_nothing)
    if isinstance(exc, WriteUnconfirmed | WriteCutOff):
        return StepError(f"could not {what}: {unconfirmed(exc)}", transient=True)
    if isinstance(exc, discord.DiscordServerError):
        return StepError(f"could not {what}: Discord answered {exc.status}", transient=True)
    if isinstance(exc, discord.HTTPException):
        reason = f"could not {what}: Discord answered {exc.status} ({exc.text})"
        return StepError(reason, made_nothing=made_nothing)
    if isinstance(exc, TimeoutError):  # the request may have been made: looked for next time
        return StepError(f"could not {what}: Discord did not answer in time", transient=True)
    return StepError(f"could not {what}: {exc!r}", transient=True)


def unconfirmed(exc: WriteUnconfirmed | WriteCutOff) -> str:
    """Why a request that makes something may have made it, though it failed; what is done."""
    if isinstance(exc, WriteCutOff):
        why = "the connection to Discord was reset before its answer"
    elif exc.status == CLOUDFLARE_TIMEOUT:
        why = "Discord answered 524 after taking the request"
    else:
        why = f"Discord answered {exc.status}"
    return f"{why}; looked for before it is made again"


def locked_thread(
    what: str, thread: int, exc: discord.HTTPException, data: Any, *, post: bool
) -> StepError:
    """Why Discord refused a change to `thread` (`data`: the thread as Discord reads it, or
    empty): a moderator locked it, said so with what to do; else the failure as it came."""
    if exc.code != THREAD_LOCKED and not (data.get("thread_metadata") or {}).get("locked"):
        return failure(exc, what)
    noun = "forum post" if post else "thread"
    name = f"“{data['name']}”" if data.get("name") else f"<#{thread}>"
    parent = f" in <#{data['parent_id']}>" if data.get("parent_id") else ""
    return StepError(
        f"could not {what}: a moderator locked the {noun} {name}, and Discord lets only "
        f"members with Manage Threads change a locked {noun}. Unlock it (or give the bot's "
        f"role Manage Threads{parent}), then publish the issue again",
        made_nothing=refused(exc),
    )
