"""A loopback emulator of the X API v2 routes newsbot uses, for the unmodified tweepy.

Start it, give newsbot its ``api_base`` and keys, publish, then look at what X holds::

    async with XEmulator(XEmulatorConfig(daily_posts=17)) as x:
        env = x.env()  # NEWSBOT_X__API_BASE and the four OAuth 1.0a keys
        ...
        assert [t.in_reply_to for t in x.live_tweets()][1:] == [t.id for t in x.live_tweets()][:-1]
        print(x.cost)

Every request is in ``x.requests``; ``x.inject(...)`` makes the next ones fail; every request
X would refuse (its published API description, its documented rules) is answered as X would and
recorded in ``x.violations``.
"""

from bot.sandbox._faults import Fault

from ._config import BASIC_DAILY_POSTS, DAY, FREE_DAILY_POSTS, XEmulatorConfig
from ._emulator import (
    DUPLICATE,
    REPLY_REFUSED,
    TOO_LONG,
    Charge,
    RequestRecord,
    Tweet,
    XAPIError,
    XEmulator,
)

__all__ = [
    "BASIC_DAILY_POSTS",
    "DAY",
    "DUPLICATE",
    "FREE_DAILY_POSTS",
    "REPLY_REFUSED",
    "TOO_LONG",
    "Charge",
    "Fault",
    "RequestRecord",
    "Tweet",
    "XAPIError",
    "XEmulator",
    "XEmulatorConfig",
]
