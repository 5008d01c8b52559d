"""The outlets newsbot knows beyond Discord: each platform that posts an issue as a thread on
one account (X, and those added beside it), as one entry of `THREAD_OUTLETS`.

An entry says how people name the outlet, whether the settings configure it and what to set
if not, and how to open it (the platform's client, logged in) or build it offline (planning
and previewing without keys). `newsbot run`, `newsbot publish` and `newsbot preview` go
through this list, so a new outlet is one entry here, its renderer, its plan, its outlet class
and its settings. The entries import their outlet only when opened: `newsbot --help` stays light.
"""

from __future__ import annotations

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


def _x_opened(settings: Settings) -> AbstractAsyncContextManager[Outlet[Any]]:
    from bot.publishing.outlets.x import x_outlet

    return x_outlet(settings.x)


def _x_offline(settings: Settings) -> Outlet[Any]:
    from bot.publishing.outlets.x import XOutlet

    return XOutlet(None, settings.x)


X = OutletEntry(
    name="x",
    title="X",
    not_configured=(
        "X is not configured (set NEWSBOT_X__CONSUMER_KEY, NEWSBOT_X__CONSUMER_SECRET, "
        "NEWSBOT_X__ACCESS_TOKEN and NEWSBOT_X__ACCESS_TOKEN_SECRET)"
    ),
    configured=lambda settings: settings.x.configured(),
    api_base=lambda settings: settings.x.api_base,
    opened=_x_opened,
    offline=_x_offline,
)


def _mastodon_opened(settings: Settings) -> AbstractAsyncContextManager[Outlet[Any]]:
    from bot.publishing.outlets.mastodon import mastodon_outlet

    return mastodon_outlet(settings.mastodon)


def _mastodon_offline(settings: Settings) -> Outlet[Any]:
    from bot.publishing.outlets.mastodon import MastodonOutlet

    return MastodonOutlet(None, settings.mastodon)


MASTODON = OutletEntry(
    name="mastodon",
    title="Mastodon",
    not_configured="Mastodon is not configured (set NEWSBOT_MASTODON__ACCESS_TOKEN)",
    configured=lambda settings: settings.mastodon.configured(),
    api_base=lambda settings: settings.mastodon.api_base,
    opened=_mastodon_opened,
    offline=_mastodon_offline,
)


def _bluesky_opened(settings: Settings) -> AbstractAsyncContextManager[Outlet[Any]]:
    from bot.publishing.outlets.bluesky import bluesky_outlet

    return bluesky_outlet(settings.bluesky)


def _bluesky_offline(settings: Settings) -> Outlet[Any]:
    from bot.publishing.outlets.bluesky import BlueskyOutlet

    return BlueskyOutlet(None, settings.bluesky)


BLUESKY = OutletEntry(
    name="bluesky",
    title="Bluesky",
    not_configured=(
        "Bluesky is not configured (set bluesky.handle and NEWSBOT_BLUESKY__APP_PASSWORD)"
    ),
    configured=lambda settings: settings.bluesky.configured(),
    api_base=lambda settings: settings.bluesky.service,
    opened=_bluesky_opened,
    offline=_bluesky_offline,
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
