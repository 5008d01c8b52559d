"""Alerts on Discord: where the editors and the servers' managers hear that publishing failed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.publishing.outlet import Destination
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.plans.discord import Target
from bot.publishing.reports import LogAlerts


class DiscordAlerts:
    """Alerts in alerts channels: a channel's own failures in the alerts channel set up with
    it, the rest (another outlet's, the schedule's) in the editors' channels only.

    The rest is the editors' alone: the issue files' paths and problems, the titles of an
    issue not yet out, failures elsewhere that only the editors can fix. A server that
    subscribed with /newsletter setup is run by its own managers, who are not the editors.
    """

    def __init__(self, outlet: DiscordOutlet, editors: Sequence[int] = ()) -> None:
        self.outlet = outlet
        self.editors = tuple(editors)
        """The editors' alerts channels (`DiscordSettings.editors_alerts`); none: the log."""

    async def tell(self, text: str, target: Destination | None = None) -> None:
        """Post `text` in the alerts channel of `target`'s server if it is a Discord channel,
        else in the editors' alerts channels (with none, log it)."""
        if isinstance(target, Target):
            if target.alerts_channel_id is not None:
                await self.outlet.alert(target.alerts_channel_id, text, target.channel_id)
            return
        if not self.editors:
            await LogAlerts().tell(text)  # the editors' alone: in no server's channel
        for channel in self.editors:
            await self.outlet.alert(channel, text, channel)
