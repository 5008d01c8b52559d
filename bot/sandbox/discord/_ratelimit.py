"""Discord's rate limits: per-route buckets, the global limit, and the 429 they answer.

Buckets are fixed windows keyed by bot token, bucket and major parameter (channel, guild or
webhook), as Discord documents. Every window and ``retry_after`` is multiplied by the
configured ``time_scale`` so a test can hit a real limit in milliseconds.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ._config import EmulatorConfig

JSON = dict[str, Any]

_MESSAGES = "/channels/{channel_id}/messages"
_MESSAGE = "/channels/{channel_id}/messages/{message_id}"
_OWN_REACTION = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
_MEMBER_ROLE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
_WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"


@dataclass(frozen=True)
class BucketRule:
    """A bucket: ``limit`` requests per ``per`` seconds (before scaling)."""

    name: str
    limit: int
    per: float

    @cached_property
    def hash(self) -> str:
        """The opaque ``X-RateLimit-Bucket`` value, stable for the bucket."""
        return hashlib.sha1(self.name.encode()).hexdigest()[:32]


_SEND = BucketRule("channel-message-create", 5, 5.0)
_EDIT = BucketRule("channel-message-edit", 5, 5.0)
_DELETE = BucketRule("channel-message-delete", 5, 1.0)
_REACT = BucketRule("channel-message-reaction", 1, 0.25)
_THREADS = BucketRule("channel-threads-create", 10, 10.0)
_ROLES = BucketRule("guild-member-role", 10, 10.0)
_WEBHOOKS = BucketRule("webhook", 5, 2.0)
_COMMANDS = BucketRule("application-commands", 5, 20.0)
DEFAULT_RULE = BucketRule("default", 10, 1.0)

RULES: dict[tuple[str, str], BucketRule] = {
    ("POST", _MESSAGES): _SEND,
    ("PATCH", _MESSAGE): _EDIT,
    ("DELETE", _MESSAGE): _DELETE,
    ("PUT", _OWN_REACTION): _REACT,
    ("DELETE", _OWN_REACTION): _REACT,
    ("POST", _MESSAGE + "/crosspost"): BucketRule("channel-message-crosspost", 10, 3600.0),
    ("POST", _MESSAGE + "/threads"): _THREADS,
    ("POST", "/channels/{channel_id}/threads"): _THREADS,
    ("PUT", _MEMBER_ROLE): _ROLES,
    ("DELETE", _MEMBER_ROLE): _ROLES,
    ("PUT", "/applications/{application_id}/commands"): _COMMANDS,
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): _COMMANDS,
    ("POST", _WEBHOOK): _WEBHOOKS,
    ("GET", _WEBHOOK + "/messages/{message_id}"): _WEBHOOKS,
    ("PATCH", _WEBHOOK + "/messages/{message_id}"): _WEBHOOKS,
    ("DELETE", _WEBHOOK + "/messages/{message_id}"): _WEBHOOKS,
    ("POST", "/interactions/{webhook_id}/{webhook_token}/callback"): BucketRule(
        "interaction-callback", 5, 5.0
    ),
}

_MAJOR = ("channel_id", "guild_id", "webhook_id", "webhook_token")


def _exempt_from_global(route: str) -> bool:
    # Interaction callbacks and interaction webhooks do not count towards the bot's global limit.
    return route.startswith(("/interactions/", "/webhooks/"))


@dataclass
class Rejection:
    """A 429 (or injected failure): status, JSON body (None: a bare 204) and headers to answer
    with."""

    status: int
    body: JSON | None
    headers: dict[str, str]


@dataclass
class Decision:
    """The limiter's verdict: headers for the answer, and a rejection if it is a 429."""

    headers: dict[str, str]
    rejection: Rejection | None = None


class _Window:
    __slots__ = ("count", "resets_at")

    def __init__(self) -> None:
        self.count = 0
        self.resets_at = 0.0


def too_many_requests(retry_after: float, *, is_global: bool, scope: str) -> Rejection:
    """Build Discord's 429: ``Via`` and ``Retry-After`` headers, ``retry_after`` in the body."""
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Scope": scope,
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    body: JSON = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
    }
    if is_global:
        body["code"] = 0
    return Rejection(429, body, headers)


class RateLimiter:
    """Counts requests per bucket and globally; says when to answer 429.

    Every count is the bot token's, whichever connection or process the request came from:
    several processes of one bot share one global budget, as on Discord.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._windows: dict[tuple[str, str, str], _Window] = {}
        self._global: dict[str, _Window] = {}
        self.rejections = 0
        self.requests_by_token: Counter[str] = Counter()
        """Requests counted per bot token (those a 429 refused included)."""
        self.rejections_by_token: Counter[str] = Counter()
        """429s answered per bot token, global and per bucket."""

    def rule_for(self, method: str, route: str) -> BucketRule:
        """Return the bucket a route belongs to."""
        return RULES.get((method, route), DEFAULT_RULE)

    def check(self, method: str, route: str, params: Mapping[str, str], token: str) -> Decision:
        """Count one request; return its rate-limit headers, or a 429 rejection."""
        if not self.config.rate_limits:
            return Decision(headers={})
        self.requests_by_token[token] += 1
        now = time.monotonic()
        scale = self.config.time_scale
        if not _exempt_from_global(route):
            window = self._global.setdefault(token, _Window())
            if now >= window.resets_at:
                window.count, window.resets_at = 0, now + 1.0 * scale
            if window.count >= self.config.global_limit:
                self._reject(token)
                return Decision(
                    headers={},
                    rejection=too_many_requests(
                        window.resets_at - now, is_global=True, scope="global"
                    ),
                )
            window.count += 1
        rule = self.rule_for(method, route)
        major = "+".join(params[k] for k in _MAJOR if k in params)
        window = self._windows.setdefault((token, rule.name, major), _Window())
        if now >= window.resets_at:
            window.count, window.resets_at = 0, now + rule.per * scale
        reset_after = max(window.resets_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Bucket": rule.hash,
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        }
        if window.count >= rule.limit:
            headers["X-RateLimit-Remaining"] = "0"
            rejection = too_many_requests(reset_after, is_global=False, scope="user")
            rejection.headers.update(headers)
            self._reject(token)
            return Decision(headers=headers, rejection=rejection)
        window.count += 1
        headers["X-RateLimit-Remaining"] = str(rule.limit - window.count)
        return Decision(headers=headers)

    def _reject(self, token: str) -> None:
        self.rejections += 1
        self.rejections_by_token[token] += 1

    def reset(self) -> None:
        """Forget every window (a fresh minute for every bucket)."""
        self._windows.clear()
        self._global.clear()
