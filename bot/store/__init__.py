"""The archive: every issue, the publishing ledger, subscriptions, suggestions and kept state.

`Archive` is the one object the rest of newsbot holds; each aggregate is an attribute typed
by its protocol in `bot.store.interfaces`. All SQL lives in `bot.store.sqlite`; another
database is one more backend giving the same `Stores`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Self

from bot.models import ArchiveStats
from bot.store.interfaces import (
    Connection,
    IssueStore,
    Ledger,
    StateStore,
    Stores,
    SubscriptionStore,
    SuggestionStore,
)
from bot.store.sqlite import open_sqlite
from bot.store.sqlite.held import Clock

__all__ = ["Archive", "Clock"]


class Archive:
    """The newsletter's archive. Open with `await Archive.open(path)`.

    What readers see through `issues` leaves out an issue whose own publish_at is still ahead
    by `clock`, unless part of it was already sent; editors and publishing pass `held=True`.
    """

    def __init__(self, stores: Stores) -> None:
        self._connection: Connection = stores.connection
        self.issues: IssueStore = stores.issues
        self.ledger: Ledger = stores.ledger
        self.subscriptions: SubscriptionStore = stores.subscriptions
        self.suggestions: SuggestionStore = stores.suggestions
        self.state: StateStore = stores.state

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        create: bool = True,
        migrate: bool = True,
        clock: Clock | None = None,
        zone: dt.tzinfo | None = None,
    ) -> Self:
        """Open (and with `create`, create) the archive at `path`, migrated to this version.

        Without `migrate` an older archive is left as it is (a backup copies it unchanged).
        `clock` tells readers' queries the time (default: the system's); `zone` is the one a
        publish_at without an offset is read in (the schedule's; unknown, it is read where it
        comes last).
        """
        return cls(await open_sqlite(path, create=create, migrate=migrate, clock=clock, zone=zone))

    @property
    def path(self) -> Path:
        """Where the archive is."""
        return self._connection.path

    async def close(self) -> None:
        """Close the database; the archive cannot be used afterwards."""
        await self._connection.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The version of the last migration applied."""
        return await self._connection.schema_version()

    async def backup(self, destination: Path) -> ArchiveStats:
        """Copy the archive into the new, empty file `destination`; return what the copy holds.

        The copy is one consistent snapshot, even while the archive is written. Raise
        `NewsbotError` if the copy fails the database's integrity check.
        """
        return await self._connection.backup(destination)
