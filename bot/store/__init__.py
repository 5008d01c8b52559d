"""The archive: every issue, the publishing ledger, subscriptions, suggestions and kept state.

`Archive` is the one object the rest of newsbot holds; each aggregate is an attribute typed
by its protocol in `bot.store.interfaces`. All SQL lives in `bot.store.sqlite`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Self

from bot.models import ArchiveStats
from bot.store.interfaces import IssueStore, Ledger, StateStore, SubscriptionStore, SuggestionStore
from bot.store.sqlite.database import Database, open_database
from bot.store.sqlite.held import Clock
from bot.store.sqlite.issues import SqliteIssues
from bot.store.sqlite.ledger import SqliteLedger
from bot.store.sqlite.state import SqliteState
from bot.store.sqlite.subscriptions import SqliteSubscriptions
from bot.store.sqlite.suggestions import SqliteSuggestions

__all__ = ["Archive", "Clock"]


class Archive:
    """The newsletter's archive in one SQLite file. Open with `await Archive.open(path)`.

    What readers see through `issues` leaves out an issue whose own publish_at is still ahead
    by `clock`, unless part of it was already sent; editors and publishing pass `held=True`.
    """

    issues: IssueStore
    ledger: Ledger
    subscriptions: SubscriptionStore
    suggestions: SuggestionStore
    state: StateStore

    def __init__(self, database: Database) -> None:
        self._database = database
        self.path = database.path
        self.issues = SqliteIssues(database)
        self.ledger = SqliteLedger(database)
        self.subscriptions = SqliteSubscriptions(database)
        self.suggestions = SqliteSuggestions(database)
        self.state = SqliteState(database)

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
        database = await open_database(path, create=create, migrate=migrate, clock=clock, zone=zone)
        return cls(database)

    async def close(self) -> None:
        """Close the database; the archive cannot be used afterwards."""
        await self._database.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The version of the last migration applied."""
        return await self._database.schema_version()

    async def backup(self, destination: Path) -> ArchiveStats:
        """Copy the archive into the new, empty file `destination`; return what the copy holds.

        SQLite's online backup copies one consistent snapshot, even while other connections
        write. The copy is one self-contained file. Raise `NewsbotError` if it fails SQLite's
        integrity check.
        """
        copy = await self._database.backup_to(destination)
        try:
            return await SqliteIssues(copy).stats()
        finally:
            await copy.close()
