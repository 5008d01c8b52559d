"""Settings of one X emulator run; tests change them to go fast or to provoke failures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

FREE_DAILY_POSTS = 17
BASIC_DAILY_POSTS = 100
DAY = 24 * 60 * 60.0


def _key(length: int) -> str:
    return secrets.token_urlsafe(length)[:length]


@dataclass
class XEmulatorConfig:
    """What the emulator enforces, what it charges, and the keys it accepts.

    ``daily_posts`` posts are allowed per ``cap_window`` seconds (X's Free plan: 17 a day;
    Basic: 100). Prices are X's pay-per-use ones: a post, and a post containing a URL.
    ``signed_base`` is the origin the client signed its OAuth 1.0a requests for (tweepy
    signs for ``https://api.twitter.com`` whatever host it is sent to).
    """

    consumer_key: str = field(default_factory=lambda: _key(25))
    consumer_secret: str = field(default_factory=lambda: _key(50))
    access_token: str = field(default_factory=lambda: f"1500000000000000001-{_key(30)}")
    access_token_secret: str = field(default_factory=lambda: _key(45))
    user_id: int = 1500000000000000001
    username: str = "newsbot_test"
    daily_posts: int = FREE_DAILY_POSTS
    cap_window: float = DAY
    post_price: float = 0.015
    url_post_price: float = 0.20
    duplicate_window: float = DAY
    """A post with the same text as one of the account's posts this recent is refused."""
    quote_of_missing: tuple[int, str] | None = None
    """The status and wording of the refusal of a quote of a deleted post (None: 403 and the
    wording of X's answer to a reply to one; X documents none for a quote)."""
    refuse_replies: bool = False
    """Refuse replies (403), as X does since 2026 for self-serve apps not summoned."""
    verify_signatures: bool = True
    signed_base: str = "https://api.twitter.com"
    wrap_urls: bool = True
    """Return texts as X does: URLs wrapped as t.co links, `&`, `<`, `>` escaped."""
    latency: float = 0.0
    """Seconds each answer waits before it is handled (a slow X, to stop a client mid-thread)."""
