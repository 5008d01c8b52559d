"""Alerts on Discord: where the editors and the servers' managers hear that publishing failed."""

from __future__ import annotations

from bot.publishing.outlet import Destination
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.plans.discord import Target


class DiscordAlerts:
    """Alerts in the servers' alerts channels: a channel's own failures in its server's, the
    rest (another outlet's, the schedule's) in every one."""

    def __init__(self, outlet: DiscordOutlet) -> None:
        self.outlet = outlet

    async def tell(self, text: str, target: Destination | None = None) -> None:
        """Post `text` in the alerts channel of `target`'s server, or of every server."""
        if isinstance(target, Target):
            await self.outlet.alert(target, text)
            return
        by_channel = {t.alerts_channel_id: t for t in await self.outlet.targets()}
        for channel, where in by_channel.items():
            if channel is not None:
                await self.outlet.alert(where, text)
