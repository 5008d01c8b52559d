"""How long a Discord call may take: rate limits are waited out only up to `max_wait`.

Without it, discord.py sleeps out any rate limit however long: one 429 with Retry-After 900 s
stopped a publish for 15 silent minutes. A 429 made nothing: the step is left `failed`, and
the next publish makes it (looking first, as for any step tried before).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import discord

from bot.publishing.outlet import CapReached

DISCORD_LEAST_WAIT = 30.0
"""discord.py waits out every rate limit up to this, whatever `max_ratelimit_timeout` says."""
RATE_LIMIT = "Discord's rate limit"


def client_options(max_wait: float | None) -> dict[str, Any]:
    """discord.Client's options for rate limits: one longer than `max_wait` seconds raises
    `discord.RateLimited` instead of being slept out (None: discord.py's own, wait it out)."""
    if max_wait is None:
        return {}
    return {"max_ratelimit_timeout": max(DISCORD_LEAST_WAIT, max_wait)}


def rate_limited(exc: discord.RateLimited, what: str) -> CapReached:
    """A rate limit too long to wait out, as the engine defers the rest of a target for."""
    reset = time.time() + exc.retry_after
    when = dt.datetime.fromtimestamp(reset, dt.UTC)
    return CapReached(
        f"{RATE_LIMIT} is reached (could not {what}; it resets at {when:%Y-%m-%d %H:%M:%S} UTC)",
        reset,
        RATE_LIMIT,
    )
