"""Which OAuth scopes a token needs on the routes newsbot uses, as each method's page of the
documentation gives them (docs.joinmastodon.org/methods/…, "OAuth: User token + …"), and
Mastodon's answer to a token without one (Api::BaseController, `doorkeeper_forbidden_render`:
403, `This action is outside the authorized scopes`)."""

from __future__ import annotations

import re
from collections.abc import Collection

OUTSIDE_SCOPES = "This action is outside the authorized scopes"
DEFAULT_SCOPES = frozenset({"read", "write"})
"""What the emulated token is granted unless a test says otherwise: every read and write."""

_ROUTES: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    # Statuses › Post a new status; Delete a status: write:statuses.
    ("POST", re.compile(r"/api/v1/statuses"), ("write:statuses",)),
    ("DELETE", re.compile(r"/api/v1/statuses/[^/]+"), ("write:statuses",)),
    # Statuses › View a single status, with a token: read:statuses.
    ("GET", re.compile(r"/api/v1/statuses/[^/]+"), ("read:statuses",)),
    # Accounts › Verify account credentials: profile (4.3 and later) or read:accounts.
    ("GET", re.compile(r"/api/v1/accounts/verify_credentials"), ("profile", "read:accounts")),
    # Accounts › Get account's statuses, with a token: read:statuses.
    ("GET", re.compile(r"/api/v1/accounts/[^/]+/statuses"), ("read:statuses",)),
)


def needed(method: str, path: str) -> tuple[str, ...]:
    """The scopes of which a token needs one for this request (none: any token will do)."""
    for route_method, pattern, scopes in _ROUTES:
        if method == route_method and pattern.fullmatch(path):
            return scopes
    return ()


def allowed(granted: Collection[str], method: str, path: str) -> bool:
    """Whether a token granted `granted` may make this request: a scope counts when it is
    granted itself or as its whole family (`read` grants `read:statuses`)."""
    scopes = needed(method, path)
    return not scopes or any(s in granted or s.split(":")[0] in granted for s in scopes)
