"""Settings of one Mastodon emulator run; tests change them to go fast or to provoke failures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from ._rules import CHARACTERS_RESERVED_PER_URL, MAX_CHARACTERS
from ._scopes import DEFAULT_SCOPES

IDEMPOTENCY_WINDOW = 60 * 60.0
"""Mastodon keeps an `Idempotency-Key` for an hour (docs: POST /api/v1/statuses)."""


@dataclass
class MastodonEmulatorConfig:
    """The instance's limits, the account and its token, and how long keys are remembered."""

    access_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    scopes: frozenset[str] = DEFAULT_SCOPES
    """The OAuth scopes the token was granted (`_scopes.py`: what each route needs)."""
    account_id: int = 109_000_000_000_000_001
    username: str = "newsbot"
    domain: str = "mastodon.test"
    max_characters: int = MAX_CHARACTERS
    characters_reserved_per_url: int = CHARACTERS_RESERVED_PER_URL
    idempotency_window: float = IDEMPOTENCY_WINDOW
    rate_limit: int = 300
    """Requests an account may make per 5 minutes (docs: Rate limits); past it, 429."""
    delete_limit: int = 30
    """Statuses an account may delete per 30 minutes (docs: Rate limits); past it, 429."""
    version: str = "4.3.0"
    """The Mastodon version the instance runs. Before 4.0.0 it has no `GET /api/v2/instance`
    (docs: Instance › View server information, "4.0.0 - added"), only `GET /api/v1/instance`,
    whose `configuration` holds the limits from 3.4.2 on (docs: V1_Instance entity); before
    that the limits were fixed at 500 characters and 23 a URL."""
    latency: float = 0.0
    """Seconds each answer waits before it is handled (a slow server, to stop a client)."""
