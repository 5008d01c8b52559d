"""Settings of one emulator run; tests change them to go fast or to provoke failures."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field


def _fake_bot_token() -> str:
    # Shaped like a real token (id.timestamp.hmac) so log scrubbers and parsers treat it alike.
    head = base64.urlsafe_b64encode(secrets.token_bytes(14)).decode().rstrip("=")
    return f"{head}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"


@dataclass
class EmulatorConfig:
    """What the emulator enforces and how fast its clocks run.

    ``time_scale`` multiplies every rate-limit window and ``retry_after`` (0.01 makes a
    5-second bucket last 50 ms) so tests can provoke real 429s without waiting.
    ``interaction_deadline`` is Discord's 3 s for the first callback and
    ``interaction_token_lifetime`` its 15 minutes for follow-ups; both are plain seconds.
    ``guilds_per_shard`` is the most servers one gateway session may handle: past it IDENTIFY
    is closed with 4011 (sharding required), as Discord does past 2,500.
    """

    token: str = field(default_factory=_fake_bot_token)
    rate_limits: bool = True
    time_scale: float = 1.0
    global_limit: int = 50
    interaction_deadline: float = 3.0
    interaction_token_lifetime: float = 15 * 60.0
    nonce_window: float = 5 * 60.0
    heartbeat_interval_ms: int = 41250
    guilds_per_shard: int = 2500
    attachment_size_limit: int = 10 * 1024 * 1024
