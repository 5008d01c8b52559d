"""The outlets newsbot knows beyond Discord: each platform that posts an issue as a thread on
one account (X, and those added beside it), as one entry of `THREAD_OUTLETS`.

An entry says how people name the outlet, whether the settings configure it and what to set
if not, and how to open it (the platform's client, logged in) or build it offline (planning
and previewing without keys). `newsbot run`, `newsbot publish` and `newsbot preview` go
through this list, so a new outlet is one entry here, its renderer, its plan, its outlet class
and its settings. The entries import their outlet only when opened: `newsbot --help` stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.models import Issue
    from bot.publishing.outlet import Outlet
    from bot.publishing.reports import PlannedStep
    from bot.render.social import Thread
    from bot.settings import Settings


class ThreadOutlet(Protocol):
    """What previews ask of an outlet that posts an issue as a thread."""

    name: str
    title: str

    def rendered(self, issue: Issue) -> Thread:
        """The issue's thread as this outlet would post it now (pure)."""
        ...

    def does(self, planned: PlannedStep) -> str:
        """What publishing would do with one post, in words."""
        ...


@dataclass(frozen=True)
class OutletEntry:
    """One outlet beyond Discord, as the commands find it."""

    name: str
    """As the ledger and `--outlet` name it: `x`."""
    title: str
    """As people name it: `X`."""
    not_configured: str
    """What an editor is told when the settings do not configure it, and what to set."""
    configured: Callable[[Settings], bool]
    api_base: Callable[[Settings], object]
    """Where it is reached (for `cannot reach X at …`)."""
    opened: Callable[[Settings], AbstractAsyncContextManager[Outlet[Any]]]
    """The outlet on the platform's client, logged in for as long as the context lasts."""
    offline: Callable[[Settings], Outlet[Any]]
    """The outlet without a client: it plans and previews, and fails any call."""


def _thread_entry(
    name: str, title: str, not_configured: str, *, outlet: str, opener: str, address: str
) -> OutletEntry:
    """The entry of an outlet whose module is `bot.publishing.outlets.<name>`, holding the class
    `outlet` and the context manager `opener`, both given the settings' section `<name>`; its
    `address` field says where the platform is reached. The module is imported only when used."""

    def section(settings: Settings) -> Any:
        return getattr(settings, name)

    def made(settings: Settings, what: str) -> Any:
        module = importlib.import_module(f"bot.publishing.outlets.{name}")
        return getattr(module, what)

    def opened(settings: Settings) -> AbstractAsyncContextManager[Outlet[Any]]:
        context: AbstractAsyncContextManager[Outlet[Any]] = made(settings, opener)(
            section(settings)
        )
        return context

    def offline(settings: Settings) -> Outlet[Any]:
        built: Outlet[Any] = made(settings, outlet)(None, section(settings))
        return built

    def configured(settings: Settings) -> bool:
        return bool(section(settings).configured())

    def api_base(settings: Settings) -> object:
        return getattr(section(settings), address)

    return OutletEntry(
        name=name,
        title=title,
        not_configured=not_configured,
        configured=configured,
        api_base=api_base,
        opened=opened,
        offline=offline,
    )


X = _thread_entry(
    "x",
    "X",
    "X is not configured (set NEWSBOT_X__CONSUMER_KEY, NEWSBOT_X__CONSUMER_SECRET, "
    "NEWSBOT_X__ACCESS_TOKEN and NEWSBOT_X__ACCESS_TOKEN_SECRET)",
    outlet="XOutlet",
    opener="x_outlet",
    address="api_base",
)
MASTODON = _thread_entry(
    "mastodon",
    "Mastodon",
    "Mastodon is not configured (set NEWSBOT_MASTODON__ACCESS_TOKEN)",
    outlet="MastodonOutlet",
    opener="mastodon_outlet",
    address="api_base",
)
BLUESKY = _thread_entry(
    "bluesky",
    "Bluesky",
    "Bluesky is not configured (set bluesky.handle and NEWSBOT_BLUESKY__APP_PASSWORD)",
    outlet="BlueskyOutlet",
    opener="bluesky_outlet",
    address="service",
)

THREAD_OUTLETS: tuple[OutletEntry, ...] = (X, MASTODON, BLUESKY)
"""Every outlet beyond Discord, in the order an issue is published to them (after Discord)."""

OUTLET_NAMES: dict[str, str] = {"discord": "Discord"} | {e.name: e.title for e in THREAD_OUTLETS}
"""How people name the outlets newsbot knows, configured or not, Discord first."""


def entry(name: str) -> OutletEntry:
    """The outlet called `name`; `KeyError` if newsbot knows none."""
    for known in THREAD_OUTLETS:
        if known.name == name:
            return known
    raise KeyError(name)
