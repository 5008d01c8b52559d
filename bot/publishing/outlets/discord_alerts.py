"""Alerts on Discord: where the editors and the servers' managers hear that publishing failed."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from bot.publishing.outlet import Destination
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.plans.discord import Target
from bot.publishing.reports import LogAlerts
from bot.settings import DiscordSettings


class DiscordAlerts:
    """Alerts in alerts channels: a channel's own failures in the alerts channel set up with
    it, the rest (another outlet's, the schedule's) in the editors' channels only.

    The rest is the editors' alone: the issue files' paths and problems, the titles of an
    issue not yet out, failures elsewhere that only the editors can fix. A server that
    subscribed with /newsletter setup is run by its own managers, who are not the editors;
    a channel declared in `discord.targets` is the deployment's own, so its failures reach
    the editors when it has no alerts channel of its own.
    """

    def __init__(
        self, outlet: DiscordOutlet, editors: Sequence[int] = (), declared: Collection[int] = ()
    ) -> None:
        self.outlet = outlet
        self.editors = tuple(editors)
        """The editors' alerts channels (`DiscordSettings.editors_alerts`); none: the log."""
        self.declared = frozenset(declared)
        """The channels declared in `discord.targets`."""

    async def tell(
        self, text: str, target: Destination | None = None, *, logged: bool = False
    ) -> None:
        """Post `text` in the alerts channel of `target`'s server if it is a Discord channel
        (a declared one without its own: in the editors' channels, if any), else in the
        editors' alerts channels (with none, log it unless the caller has: `logged`)."""
        if isinstance(target, Target):
            if target.alerts_channel_id is not None:
                await self.outlet.alert(target.alerts_channel_id, text, target.channel_id)
                return
            if target.channel_id not in self.declared or not self.editors:
                return  # the engine has logged the failure
        if not self.editors:
            await LogAlerts().tell(
                text, logged=logged
            )  # the editors' alone: in no server's channel
        for channel in self.editors:
            await self.outlet.alert(channel, text, channel)


EDITORS_ALERTS = "editors' alerts (issue files' problems, failures on X, Mastodon, Bluesky)"


def where_editors_hear(settings: DiscordSettings) -> tuple[int, str]:
    """What `newsbot run` says at start of where the editors' alerts go, and at what log level:
    a warning when they go to no Discord channel, naming the setting that sends them to one."""
    channels = settings.editors_alerts()
    if not channels:
        return logging.WARNING, (
            f"{EDITORS_ALERTS} go to no Discord channel, only to the log: "
            "set discord.alerts_channel_id to the editors' channel"
        )
    named = ", ".join(f"channel {channel}" for channel in channels)
    source = (
        "discord.alerts_channel_id"
        if settings.alerts_channel_id is not None
        else "the alerts channels of discord.targets"
    )
    return logging.INFO, f"{EDITORS_ALERTS} go to {named} ({source})"
