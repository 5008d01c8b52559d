"""The one place that builds newsbot's object graph from the settings.

`newsbot run` (the bot, its cogs and the schedule) and `newsbot publish` both get their
`Services` from `build`: the archive, the publishing engine with its alerts, the configured
outlets and the publisher over them, the readers' suggestions, and the clock. Opening the
platforms' sessions stays with the command (a gateway bot, or REST only); what is built on
them is built here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.publishing.engine import Engine
from bot.publishing.outlet import Outlet
from bot.publishing.outlets.discord import Client, DiscordAlerts, DiscordOutlet, Pacer
from bot.publishing.reports import Alerts, LogAlerts
from bot.publishing.service import Publisher
from bot.publishing.targets import all_targets
from bot.settings import Settings
from bot.store import Archive
from bot.suggestions import SuggestionService

if TYPE_CHECKING:
    from bot.publishing.outlets.x import XOutlet

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The time now, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Services:
    """What one newsbot process works with, built once."""

    settings: Settings
    archive: Archive
    engine: Engine
    publisher: Publisher
    alerts: Alerts
    """Where the editors hear of failures: the servers' alerts channels, or the log."""
    suggestions: SuggestionService
    """Takes the readers' suggestions; the one for this archive, so its lock orders them all."""
    clock: Clock
    discord: DiscordOutlet | None
    """Publishing on Discord, when a Discord client was given."""
    x: XOutlet | None
    """Publishing on X, when X is configured."""

    @property
    def outlets(self) -> list[Outlet[Any]]:
        """The configured outlets, Discord first."""
        return [o for o in (self.discord, self.x) if o is not None]


def build(
    settings: Settings,
    archive: Archive,
    *,
    discord: Client | None = None,
    x: XOutlet | None = None,
    alerts: Alerts | None = None,
    clock: Clock = utc_now,
    offline: bool = False,
) -> Services:
    """Services on `archive`, publishing through the `discord` client and the `x` outlet given
    (each optional). Alerts go to the servers' alerts channels when Discord is there.

    `offline` services have every outlet, those without a client only planning and previewing
    (a dry run or a preview needs no keys).
    """

    async def subscribed() -> list[Any]:
        return await all_targets(archive, settings)

    discord_outlet = None
    if discord is not None or offline:
        pacer = Pacer(settings.publishing.requests_per_second)
        discord_outlet = DiscordOutlet(discord, pacer=pacer, subscribed=subscribed)
    if x is None and offline:
        # tweepy and X's text rules load only where X is used: most publishes are Discord's.
        from bot.publishing.outlets.x import XOutlet

        x = XOutlet(None, settings.x)
    if alerts is None:
        if discord is not None and discord_outlet is not None:
            alerts = DiscordAlerts(discord_outlet)
        else:
            alerts = LogAlerts()
    engine = Engine.for_settings(archive, settings, alerts=alerts, clock=clock)
    outlets: list[Outlet[Any]] = [o for o in (discord_outlet, x) if o is not None]
    return Services(
        settings=settings,
        archive=archive,
        engine=engine,
        publisher=Publisher(engine, outlets),
        alerts=alerts,
        suggestions=SuggestionService(archive.issues, archive.suggestions, clock=clock),
        clock=clock,
        discord=discord_outlet,
        x=x,
    )
