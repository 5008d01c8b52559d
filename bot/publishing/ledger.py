"""The engine's ledger: every publishing step's row in the archive, and the claims that let one
process at a time publish an issue to a target (a crashed holder's claim is taken over)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections.abc import Sequence

from bot.models import OutboxEntry, Suggestion, SuggestionStatus
from bot.store import Archive

THANKED_MAX = 500
"""The most published suggestions looked at when thanking their suggesters."""

CLAIM_LEASE = dt.timedelta(seconds=60)
"""How long a claim to publish to a target lasts unless renewed (each step renews it): a
crashed process's publish is taken over by another within this."""
CLAIM_POLL = 0.25
"""Seconds between two looks at a claim another process holds."""


def utc_now() -> dt.datetime:
    """Now, in UTC: the engine's clock unless a test gives it another."""
    return dt.datetime.now(dt.UTC)


def gone(holder: str) -> bool:
    """Whether a claim's or a lease's holder (`host:pid`, maybe with more after a colon) was a
    process of this host that has ended (crashed, killed)."""
    host, _, rest = holder.partition(":")
    pid = rest.split(":", 1)[0]
    is_pid = pid.isascii() and pid.isdigit()
    if host != socket.gethostname() or not is_pid or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def new_holder() -> str:
    """This engine's name in the claims: which host and process, and which engine in it."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Ledger:
    """The engine's view of the archive's outbox ledger: the only place it reads or writes it."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    async def entries(self, issue_number: int, outlet: str, target: str) -> dict[str, OutboxEntry]:
        """One target's ledger of an issue on an outlet, by step key."""
        return await self.archive.ledger.entries(issue_number, outlet, target)

    async def record(self, entry: OutboxEntry) -> None:
        """Write one step's row, durably, before returning."""
        await self.archive.ledger.record(entry)

    async def plan(self, entries: Sequence[OutboxEntry]) -> None:
        """Record planned steps as pending; steps already known are kept."""
        await self.archive.ledger.plan(entries)

    async def newest(self, outlet: str, target: str) -> int | None:
        """The newest issue whose publish began at the target, if any."""
        latest = await self.archive.ledger.latest(outlet, target)
        return None if latest is None else latest[0]

    async def sent_since(self, outlet: str, since: dt.datetime) -> int:
        """How many steps `outlet` made since `since` (for its daily cap)."""
        return await self.archive.ledger.sent_since(outlet, since)

    async def claim(
        self, issue_number: int, outlet: str, target: str, holder: str, replacing: str = ""
    ) -> bool:
        """Take or extend `holder`'s claim to publish an issue to a target, for `CLAIM_LEASE`
        (from `replacing`, a holder known to be gone, at once)."""
        until = utc_now() + CLAIM_LEASE
        return await self.archive.ledger.claim(
            issue_number, outlet, target, holder, until, replacing=replacing
        )

    async def holder(self, issue_number: int, outlet: str, target: str) -> str | None:
        """Who holds the claim to publish an issue to a target now, if anyone."""
        for claim in await self.archive.ledger.claims(utc_now()):
            if claim[:3] == (issue_number, outlet, target):
                return claim[3]
        return None

    async def release(self, issue_number: int, outlet: str, target: str, holder: str) -> None:
        """Give up `holder`'s claim."""
        await self.archive.ledger.release(issue_number, outlet, target, holder)

    async def published_suggestions(self) -> list[Suggestion]:
        """The suggestions whose links an archived issue carries (to thank their suggesters)."""
        return await self.archive.suggestions.list((SuggestionStatus.PUBLISHED,), limit=THANKED_MAX)
