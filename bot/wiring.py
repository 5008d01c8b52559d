"""The one place that builds newsbot's object graph from the settings.

`newsbot run` (the bot, its cogs and the schedule) and `newsbot publish` both get their
`Services` from `build`: the archive, the publishing engine with its alerts, the configured
outlets and the publisher over them, the readers' suggestions, and the clock. Opening the
platforms' sessions stays with the command (a gateway bot, or REST only); what is built on
them is built here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.publishing.catalogue import THREAD_OUTLETS
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outlet
from bot.publishing.outlets.discord import Client, DiscordOutlet
from bot.publishing.outlets.discord_alerts import DiscordAlerts
from bot.publishing.pacer import Pacer
from bot.publishing.reports import Alerts, LogAlerts
from bot.publishing.service import Publisher
from bot.publishing.targets import all_targets
from bot.settings import Settings
from bot.store import Archive
from bot.suggestions import SuggestionService

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
    """Where failures are told: a channel's own in its alerts channel, the rest in the
    editors' alerts channels (`DiscordSettings.editors_alerts`), or the log."""
    suggestions: SuggestionService
    """Takes the readers' suggestions; the one for this archive, so its lock orders them all."""
    clock: Clock
    discord: DiscordOutlet | None
    """Publishing on Discord, when a Discord client was given."""
    threads: tuple[Outlet[Any], ...] = ()
    """The outlets beyond Discord that post an issue as a thread (X …), in publishing order."""

    @property
    def outlets(self) -> list[Outlet[Any]]:
        """The configured outlets, Discord first."""
        return [o for o in (self.discord, *self.threads) if o is not None]

    def outlet(self, name: str) -> Outlet[Any] | None:
        """The outlet called `name` (`discord`, `x` …), if there is one."""
        return next((o for o in self.outlets if o.name == name), None)


def build(
    settings: Settings,
    archive: Archive,
    *,
    discord: Client | None = None,
    threads: Sequence[Outlet[Any]] = (),
    alerts: Alerts | None = None,
    clock: Clock = utc_now,
    offline: bool = False,
    offline_threads: bool = True,
    pacer: Pacer | None = None,
) -> Services:
    """Services on `archive`, publishing through the `discord` client and the thread outlets
    given (X …, each opened by the command). Alerts go to the alerts channels on Discord
    when Discord is there (a channel's own failures to its own, the rest to the editors').

    `offline` services have every outlet, those without a client only planning and previewing
    (a dry run or a preview needs no keys). Without `offline_threads`, only Discord is built
    offline: a publish that opened its thread outlets loads no other platform's client. The
    Discord outlet keeps to the rate through `pacer` if given (one that paced the login).
    """

    async def subscribed() -> list[Any]:
        return await all_targets(archive, settings)

    discord_outlet = None
    if discord is not None or offline:
        pacer = pacer or Pacer.for_publishing(settings.publishing, archive.state)
        discord_outlet = DiscordOutlet(
            discord,
            pacer=pacer,
            subscribed=subscribed,
            step_timeout=settings.publishing.step_timeout,
        )
    given = {outlet.name: outlet for outlet in threads}
    if offline and offline_threads:
        for known in THREAD_OUTLETS:
            given.setdefault(known.name, known.offline(settings))
    ordered = [given[k.name] for k in THREAD_OUTLETS if k.name in given]
    if alerts is None:
        if discord is not None and discord_outlet is not None:
            declared = [target.channel_id for target in settings.discord.targets]
            alerts = DiscordAlerts(discord_outlet, settings.discord.editors_alerts(), declared)
        else:
            alerts = LogAlerts()
    engine = Engine.for_settings(archive, settings, alerts=alerts, clock=clock)
    outlets: list[Outlet[Any]] = [o for o in (discord_outlet, *ordered) if o is not None]
    return Services(
        settings=settings,
        archive=archive,
        engine=engine,
        publisher=Publisher(engine, outlets),
        alerts=alerts,
        suggestions=SuggestionService(archive.issues, archive.suggestions, clock=clock),
        clock=clock,
        discord=discord_outlet,
        threads=tuple(ordered),
    )
