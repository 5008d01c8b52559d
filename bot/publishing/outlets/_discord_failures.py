"""A failed Discord call in words for the server's managers: which permission the bot lacks,
which channel is gone, and whether trying again may help."""

from __future__ import annotations

import discord

from bot.publishing.outlet import StepError
from bot.publishing.plans.discord import Action, Target
from bot.publishing.steps import Payload, Step

EMPTY_MESSAGE = 50006
"""Discord's code for "Cannot send an empty message": what a message of embeds alone becomes
when the bot lacks Embed Links (Discord drops the embeds; message.mdx, Create Message)."""
MISSING_ACCESS = 50001


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


def channel_gone(target: Target) -> StepError:
    """The subscribed channel itself was deleted: no later publish can reach it."""
    return StepError(
        f"channel {target.channel_id} no longer exists on Discord: run /newsletter unsubscribe "
        "in that server, or take it out of discord.targets in the config file"
    )


def failure(exc: BaseException, what: str) -> StepError:
    """A failed call in words for the server's managers, and whether retrying may help."""
    if isinstance(exc, discord.Forbidden):
        return StepError(f"could not {what}: the bot is missing a permission ({exc.text})")
    if isinstance(exc, discord.NotFound):
        return StepError(f"could not {what}: Discord does not know it ({exc.text})")
    if isinstance(exc, discord.DiscordServerError):
        return StepError(f"could not {what}: Discord answered {exc.status}", transient=True)
    if isinstance(exc, discord.HTTPException):
        return StepError(f"could not {what}: Discord answered {exc.status} ({exc.text})")
    return StepError(f"could not {what}: {exc!r}", transient=True)
