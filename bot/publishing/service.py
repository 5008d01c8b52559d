"""Publishing one issue to every outlet: what `newsbot publish` and the schedule both do.

Discord goes first (every subscribed or declared channel, through the outbox), then X (the
issue's thread). A failure of one outlet is reported and does not stop the other; each outlet's
ledger makes running it again resume where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.errors import NewsbotError
from bot.models import Issue
from bot.publishing.outbox import Outbox, Outlet
from bot.publishing.targets import all_targets
from bot.publishing.x_publish import XPoster, XPublisher
from bot.settings import Settings
from bot.store import Archive

log = logging.getLogger(__name__)

OutletName = Literal["discord", "x"]
OUTLET_NAMES: dict[OutletName, str] = {"discord": "Discord", "x": "X"}
Alert = Callable[[str], Awaitable[None]]

NO_TARGETS = (
    "no channel receives issues yet: run /newsletter setup in your server, or declare "
    "discord.targets in the config file"
)


@dataclass
class OutletResult:
    """What publishing an issue did on one outlet: a line per channel (or the thread), and
    what is left to do, if anything (`None` when the outlet has the whole issue)."""

    outlet: OutletName
    issue_number: int
    lines: list[str] = field(default_factory=list)
    failure: str | None = None
    resumable: bool = False
    """Whether publishing again later picks up what this run left (not so for a setup problem)."""


class Publisher:
    """Publishes issues to the outlets it was given (Discord, X or both)."""

    def __init__(
        self,
        archive: Archive,
        settings: Settings,
        *,
        discord: Outlet | None = None,
        x: XPoster | None = None,
        alert: Alert | None = None,
    ) -> None:
        self.archive = archive
        self.settings = settings
        self.discord = discord
        self.x = x
        # Tells the subscribed servers' alerts channels; X's failures have no channel of their own.
        self.alert = alert

    @property
    def outlets(self) -> list[OutletName]:
        """The outlets this publisher can reach, Discord first."""
        names: list[OutletName] = []
        if self.discord is not None:
            names.append("discord")
        if self.x is not None:
            names.append("x")
        return names

    async def publish(
        self, issue: Issue, outlets: Sequence[OutletName] | None = None
    ) -> list[OutletResult]:
        """Publish `issue` on each outlet in turn (all of them by default)."""
        results = []
        for outlet in outlets if outlets is not None else self.outlets:
            try:
                if outlet == "discord":
                    result = await self._discord(issue)
                else:
                    result = await self._x(issue)
            except NewsbotError as exc:
                result = OutletResult(outlet, issue.number, failure=str(exc))
            except Exception as exc:
                log.exception("publishing #%d to %s failed", issue.number, OUTLET_NAMES[outlet])
                result = OutletResult(
                    outlet,
                    issue.number,
                    failure=f"publishing failed unexpectedly ({type(exc).__name__}); see the log",
                    resumable=True,
                )
            results.append(result)
        return results

    async def _discord(self, issue: Issue) -> OutletResult:
        targets = await all_targets(self.archive, self.settings)
        if not targets:
            raise NewsbotError(NO_TARGETS)
        if self.discord is None:
            raise NewsbotError("Discord is not configured (set NEWSBOT_DISCORD__TOKEN)")
        report = await Outbox.for_settings(self.archive, self.discord, self.settings).publish(
            issue, targets
        )
        result = OutletResult("discord", issue.number)
        result.lines = [
            f"#{issue.number} → channel {t.target.channel_id}: {t.summary()}"
            for t in report.targets
        ]
        if not report.ok:
            failed = sum(1 for t in report.targets if t.error is not None)
            result.failure = f"{failed} of {len(report.targets)} channel(s) did not get the issue"
            result.resumable = True
        return result

    async def _x(self, issue: Issue) -> OutletResult:
        if self.x is None:
            raise NewsbotError("X is not configured")

        async def alert(message: str) -> None:
            log.warning("X: %s", message)
            if self.alert is not None:
                await self.alert(f"X: {message}")

        publisher = XPublisher(
            self.archive,
            self.x,
            self.settings.x,
            retries=self.settings.publishing.retries,
            retry_delay=self.settings.publishing.retry_delay,
            alert=alert,
        )
        report = await publisher.publish(issue)
        result = OutletResult("x", issue.number, [f"#{issue.number} → X: {report.summary()}"])
        if report.error is not None:
            result.failure = f"the thread on X is not complete ({report.error})"
            await alert(
                f"I could not finish the thread of issue #{issue.number}: {report.error}. "
                "I will try again at the next publish."
            )
        elif not report.ok:
            result.failure = "the rest of the thread on X waits for the daily cap"
        result.resumable = result.failure is not None
        return result


async def tell_alerts_channels(
    archive: Archive, settings: Settings, outlet: Outlet, text: str
) -> None:
    """Post `text` once in every alerts channel of the subscribed servers."""
    by_channel = {t.alerts_channel_id: t for t in await all_targets(archive, settings)}
    for channel, target in by_channel.items():
        if channel is not None:
            await outlet.alert(target, text)
