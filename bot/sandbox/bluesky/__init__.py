"""A loopback emulator of a Bluesky PDS (the XRPC methods newsbot uses), for atproto's client.

Start it, give newsbot its service, handle and app password, publish, then look at the posts::

    async with BlueskyEmulator() as bsky:
        env = bsky.env()  # NEWSBOT_BLUESKY__SERVICE, __HANDLE, __APP_PASSWORD
        ...
        posts = bsky.posts()
        assert all(p.reply["parent"]["uri"] == q.uri for q, p in itertools.pairwise(posts))

Every request is in ``bsky.requests``; ``bsky.inject(...)`` makes the next calls fail; every
request the PDS would refuse (the vendored lexicons in ``spec/``) and every post the app would
show broken is recorded in ``bsky.violations``.
"""

from ._config import ACCESS_LIFETIME, BlueskyEmulatorConfig
from ._emulator import (
    INTERNAL,
    POST,
    BlueskyEmulator,
    Fault,
    Record,
    RequestRecord,
    XrpcError,
)

__all__ = [
    "ACCESS_LIFETIME",
    "INTERNAL",
    "POST",
    "BlueskyEmulator",
    "BlueskyEmulatorConfig",
    "Fault",
    "Record",
    "RequestRecord",
    "XrpcError",
]
