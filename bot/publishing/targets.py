"""Where an issue goes: the channels set up with /newsletter and those the config declares."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Subscription, slugify
from bot.publishing.plans.discord import CHANNEL_KINDS, Target
from bot.settings import Settings, TargetSettings
from bot.store import Archive


def from_subscription(subscription: Subscription) -> Target:
    """A stored subscription as a publishing target."""
    kind = next((k for k in CHANNEL_KINDS if k == subscription.kind), None)
    return Target(
        guild_id=subscription.guild_id,
        channel_id=subscription.channel_id,
        kind=kind,
        role_id=subscription.role_id,
        sections=tuple(subscription.sections),
        alerts_channel_id=subscription.alerts_channel_id,
    )


def from_settings(declared: TargetSettings) -> Target:
    """A channel declared in the config file; its kind is read from Discord when it publishes."""
    return Target(
        guild_id=declared.guild_id,
        channel_id=declared.channel_id,
        role_id=declared.role_id,
        sections=tuple(slugify(name) for name in declared.sections),
        alerts_channel_id=declared.alerts_channel_id,
    )


async def all_targets(
    archive: Archive, settings: Settings, *, guild_id: int | None = None
) -> list[Target]:
    """Every channel that receives issues (of one server, with `guild_id`), each once.

    A channel both declared and set up with /newsletter follows its /newsletter setup.
    """
    targets = [from_subscription(s) for s in await archive.subscriptions.list(guild_id=guild_id)]
    stored = {t.channel_id for t in targets}
    declared: Sequence[TargetSettings] = settings.discord.targets
    targets += [
        from_settings(d)
        for d in declared
        if d.channel_id not in stored and (guild_id is None or d.guild_id == guild_id)
    ]
    return targets
