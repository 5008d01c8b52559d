"""A loopback emulator of the Mastodon REST routes newsbot uses, for the unmodified Mastodon.py.

Start it, give newsbot its ``api_base`` and token, publish, then look at what the instance
holds::

    async with MastodonEmulator(MastodonEmulatorConfig(max_characters=500)) as m:
        env = m.env()  # NEWSBOT_MASTODON__API_BASE and NEWSBOT_MASTODON__ACCESS_TOKEN
        ...
        assert [s.in_reply_to_id for s in m.live_statuses()][1:] == [
            s.id for s in m.live_statuses()
        ][:-1]

Every request is in ``m.requests``; ``m.inject(...)`` makes the next ones fail; every request
Mastodon would refuse by its documented rules is answered as Mastodon would and recorded in
``m.violations``. ``_rules`` holds the server's own counting, mention and hashtag rules.
"""

from bot.sandbox._faults import Fault

from ._config import IDEMPOTENCY_WINDOW, MastodonEmulatorConfig
from ._emulator import (
    BLANK,
    REPLY_NOT_FOUND,
    TOO_LONG,
    MastodonAPIError,
    MastodonEmulator,
    RequestRecord,
    Status,
    render_content,
)
from ._rules import (
    CHARACTERS_RESERVED_PER_URL,
    MAX_CHARACTERS,
    hashtags,
    mentions,
    status_length,
    url_spans,
)

__all__ = [
    "BLANK",
    "CHARACTERS_RESERVED_PER_URL",
    "IDEMPOTENCY_WINDOW",
    "MAX_CHARACTERS",
    "REPLY_NOT_FOUND",
    "TOO_LONG",
    "Fault",
    "MastodonAPIError",
    "MastodonEmulator",
    "MastodonEmulatorConfig",
    "RequestRecord",
    "Status",
    "hashtags",
    "mentions",
    "render_content",
    "status_length",
    "url_spans",
]
