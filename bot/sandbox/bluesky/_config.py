"""Settings of one Bluesky emulator run; tests change them to go fast or to provoke failures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

ACCESS_LIFETIME = 120 * 60.0
"""The PDS's access token lifetime: 120 minutes (`createAccessToken`, packages/pds)."""
REFRESH_LIFETIME = 90 * 24 * 60 * 60.0
"""The PDS's refresh token lifetime: 90 days (`createRefreshToken`, packages/pds)."""
SESSIONS_PER_WINDOW = 30
SESSION_WINDOW = 5 * 60.0
"""createSession is limited to 30 per 5 minutes per account (bsky.social's published limits)."""


def _app_password() -> str:
    return "-".join(secrets.token_hex(2) for _ in range(4))


@dataclass
class BlueskyEmulatorConfig:
    """The account the emulator hosts, its tokens' lifetimes and its limits.

    ``access_lifetime`` is configurable so a test sees the session refreshed: atproto's client
    refreshes 15 minutes before the access token expires, so a lifetime under that makes it
    refresh before every request.
    """

    handle: str = "newsbot-test.bsky.social"
    did: str = "did:plc:newsbottest0000000000000"
    app_password: str = field(default_factory=_app_password)
    access_lifetime: float = ACCESS_LIFETIME
    refresh_lifetime: float = REFRESH_LIFETIME
    sessions_per_window: int = SESSIONS_PER_WINDOW
    session_window: float = SESSION_WINDOW
    latency: float = 0.0
    """Seconds each answer waits before it is handled (to stop a client mid-thread)."""
