"""Pointing the unmodified discord.py at an emulator (or back at Discord)."""

from __future__ import annotations

from dataclasses import dataclass

import discord.gateway
import discord.http
import yarl


@dataclass(frozen=True)
class DiscordEndpoints:
    """Where discord.py sends REST calls and opens its gateway websocket."""

    api_base: str
    gateway_url: str


def current_discord_py_endpoints() -> DiscordEndpoints:
    """Return what discord.py is pointed at now (to restore it later)."""
    return DiscordEndpoints(
        api_base=discord.http.Route.BASE,
        gateway_url=str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY),
    )


def point_discord_py_at(api_base: str, gateway_url: str) -> DiscordEndpoints:
    """Point discord.py's REST base and default gateway here; return where they pointed before.

    ``api_base`` ends in ``/api/v10``; ``gateway_url`` is a ``ws://`` or ``wss://`` URL.

    Must run before the client logs in: discord.py builds each route's URL from
    ``Route.BASE`` when the request is made (webhooks and interaction follow-ups included)
    and connects to ``DEFAULT_GATEWAY`` when it does not know a resume URL yet.
    """
    previous = current_discord_py_endpoints()
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    return previous
