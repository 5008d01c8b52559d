"""Readers' suggestions in SQLite, and the normalised links of archived items they are matched
against. Primitives only: the rules of suggesting are the suggestions service's."""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Sequence

import aiosqlite

from bot.models import Suggestion, SuggestionStatus, Supporter
from bot.models.links import twins
from bot.store.interfaces import LIMIT_WINDOW, REPLIES_READ_KEPT, first_id_at
from bot.store.rows import (
    LINK_BATCH,
    REVIEWED,
    normal_or_none,
    now_text,
    read_suggestion,
    read_supporter,
    time_text,
)
from bot.store.sqlite.database import Database, all_rows, first_row


async def refresh_item_links(db: aiosqlite.Connection) -> None:
    """Normalise the links of items ingested or edited since the last look.

    Marks each suggestion whose link an archived item now carries as published in that
    item's issue. Bounded batches keep each statement small on a large archive.
    """
    while True:
        rows = list(
            await db.execute_fetchall(
                "SELECT p.item_id, i.link, i.issue_number FROM item_links_pending p"
                " JOIN items i ON i.id = p.item_id ORDER BY p.item_id LIMIT ?",
                (LINK_BATCH,),
            )
        )
        if not rows:
            await db.execute("DELETE FROM item_links_pending")
            return
        found = [
            (int(row[0]), url, int(row[2]))
            for row in rows
            if row[1] is not None and (url := normal_or_none(str(row[1]))) is not None
        ]
        ids = [int(row[0]) for row in rows]
        await db.execute(
            "INSERT INTO item_links (item_id, url) SELECT value ->> 0, value ->> 1"
            " FROM json_each(?) WHERE true"
            " ON CONFLICT (item_id) DO UPDATE SET url = excluded.url",
            (json.dumps([[item_id, url] for item_id, url, _ in found]),),
        )
        await db.execute(
            "UPDATE suggestions SET status = :published, issue_number = link.value ->> 1,"
            " updated_at = :now FROM json_each(:links) AS link"
            " WHERE suggestions.url = link.value ->> 0 AND status != :published",
            {
                "published": SuggestionStatus.PUBLISHED,
                "now": now_text(),
                "links": json.dumps([[twin, n] for _, url, n in found for twin in twins(url)]),
            },
        )
        await db.execute(
            "DELETE FROM item_links_pending WHERE item_id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )


class SqliteSuggestions:
    """The suggestion queue: each normalised link once, with every reader who suggested it."""

    def __init__(self, database: Database) -> None:
        self._db = database.db
        self._clock = database.clock

    async def add(
        self,
        url: str,
        reader: Supporter,
        *,
        at: dt.datetime,
        section: str | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        message_id: int | None = None,
    ) -> Suggestion:
        """Record `reader` as suggesting `url` at `at`: a new suggestion, or one more supporter
        of the stored one (whose section, if it has one, stays). A reader counts once."""
        stamp = time_text(at)
        row = await first_row(
            self._db,
            "INSERT INTO suggestions (url, section, created_at, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (url) DO UPDATE"
            " SET section = coalesce(suggestions.section, excluded.section) RETURNING id",
            (url, section, stamp, stamp),
        )
        assert row is not None
        suggestion_id = int(row[0])
        await self._db.execute(
            "INSERT INTO suggestion_supporters (suggestion_id, user_id, name, note, source,"
            " guild_id, channel_id, message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (
                suggestion_id,
                reader.user_id,
                reader.name,
                reader.note,
                reader.source,
                guild_id,
                channel_id,
                message_id,
                stamp,
            ),
        )
        stored = await self.get(suggestion_id)
        assert stored is not None
        return stored

    async def find(self, url: str) -> Suggestion | None:
        """The suggestion of `url` or of another spelling of its page (`twins`), or None; of
        two stored before they were one page, the nearest spelling (`url` itself first)."""
        row = await first_row(
            self._db,
            "SELECT s.id FROM json_each(?) AS twin JOIN suggestions s ON s.url = twin.value"
            " ORDER BY twin.key LIMIT 1",
            (json.dumps(twins(url)),),
        )
        return await self.get(int(row[0])) if row else None

    async def from_reply(self, message_id: int) -> builtins.list[Suggestion]:
        """The suggestions a reader's reply (by its message id) supports, whatever their
        status, oldest first."""
        rows = await all_rows(
            self._db,
            "SELECT suggestion_id FROM suggestion_supporters WHERE message_id = ?"
            " AND source = 'reply' ORDER BY suggestion_id",
            (message_id,),
        )
        found = [await self.get(int(row[0])) for row in rows]
        return [suggestion for suggestion in found if suggestion is not None]

    async def withdraw(self, suggestion_id: int, message_id: int) -> bool:
        """Take back the support a reader's reply (by its message id) gave a suggestion that is
        not published; a pending suggestion left with no supporter is deleted (True then).
        An accepted or rejected one stays as the editors left it. The support taken back still
        counts toward the reader's daily limit (`suggested_since`)."""
        await refresh_item_links(self._db)  # one published since is told apart
        # What no daily limit counts any more goes as more comes (an index range).
        await self._db.execute(
            "DELETE FROM withdrawn_support WHERE suggested_at <= ?",
            (time_text(self._clock() - LIMIT_WINDOW),),
        )
        # Kept before the support goes: stopped between the two, the support counts once.
        await self._db.execute(
            "INSERT INTO withdrawn_support (user_id, message_id, url, suggested_at)"
            " SELECT p.user_id, p.message_id, s.url, p.created_at"
            " FROM suggestion_supporters p JOIN suggestions s ON s.id = p.suggestion_id"
            " WHERE p.suggestion_id = ? AND p.message_id = ? AND p.source = 'reply'"
            " AND s.status != ? ON CONFLICT DO UPDATE"
            " SET suggested_at = max(suggested_at, excluded.suggested_at)",
            (suggestion_id, message_id, SuggestionStatus.PUBLISHED),
        )
        await self._db.execute(
            "DELETE FROM suggestion_supporters WHERE suggestion_id = ? AND message_id = ?"
            " AND source = 'reply' AND suggestion_id IN"
            " (SELECT id FROM suggestions WHERE status != ?)",
            (suggestion_id, message_id, SuggestionStatus.PUBLISHED),
        )
        row = await first_row(
            self._db,
            "DELETE FROM suggestions WHERE id = ? AND status = ? AND NOT EXISTS"
            " (SELECT 1 FROM suggestion_supporters p WHERE p.suggestion_id = suggestions.id)"
            " RETURNING id",
            (suggestion_id, SuggestionStatus.PENDING),
        )
        return row is not None

    async def reply_read(self, message_id: int) -> str | None:
        """What the bot last read in a reader's reply (as `keep_reply_read` was given it), or
        None."""
        row = await first_row(
            self._db, "SELECT scan FROM replies_read WHERE message_id = ?", (message_id,)
        )
        return str(row[0]) if row else None

    async def keep_reply_read(self, message_id: int, scan: str | None) -> None:
        """See `SuggestionStore.keep_reply_read`: old reads go as one range of the key."""
        await self._db.execute(
            "DELETE FROM replies_read WHERE message_id < ? AND message_id != ?",
            (first_id_at(self._clock() - REPLIES_READ_KEPT), message_id),
        )
        if scan is None:
            await self._db.execute("DELETE FROM replies_read WHERE message_id = ?", (message_id,))
            return
        await self._db.execute(
            "INSERT INTO replies_read (message_id, scan) VALUES (?, ?)"
            " ON CONFLICT (message_id) DO UPDATE SET scan = excluded.scan",
            (message_id, scan),
        )

    async def suggested_since(self, user_id: int, since: dt.datetime) -> int:
        """How many links the reader suggested (or supported) after `since`, counting those a
        reply of theirs took back; a link a reply took back and put back counts once."""
        row = await first_row(
            self._db,
            "SELECT count(*) FROM (SELECT s.url, p.message_id FROM suggestion_supporters p"
            " JOIN suggestions s ON s.id = p.suggestion_id"
            " WHERE p.user_id = :user AND p.created_at > :since"
            " UNION SELECT url, message_id FROM withdrawn_support"
            " WHERE user_id = :user AND suggested_at > :since)",
            {"user": user_id, "since": time_text(since)},
        )
        return int(row[0]) if row else 0

    async def suggested_times(self, user_id: int, since: dt.datetime) -> builtins.list[dt.datetime]:
        """See `SuggestionStore.suggested_times`: what `suggested_since` counts, by its time."""
        rows = await all_rows(
            self._db,
            "SELECT max(at) AS at FROM (SELECT s.url, p.message_id, p.created_at AS at"
            " FROM suggestion_supporters p JOIN suggestions s ON s.id = p.suggestion_id"
            " WHERE p.user_id = :user AND p.created_at > :since"
            " UNION ALL SELECT url, message_id, suggested_at FROM withdrawn_support"
            " WHERE user_id = :user AND suggested_at > :since)"
            " GROUP BY url, message_id ORDER BY at",
            {"user": user_id, "since": time_text(since)},
        )
        return [dt.datetime.fromisoformat(str(row["at"])) for row in rows]

    async def get(self, suggestion_id: int) -> Suggestion | None:
        """One suggestion with everyone who suggested it, or None."""
        found = await self._where(suggestion_id=suggestion_id, limit=1)
        return found[0] if found else None

    async def list(
        self,
        statuses: Sequence[SuggestionStatus] = (SuggestionStatus.PENDING,),
        *,
        limit: int | None = 25,
    ) -> builtins.list[Suggestion]:
        """Suggestions in these states, most-supported first (then oldest first); every one
        with `limit=None`."""
        return await self._where(statuses=json.dumps(builtins.list(statuses)), limit=limit)

    async def review(
        self,
        suggestion_id: int,
        status: SuggestionStatus,
        *,
        by: str | None = None,
        section: str | None = None,
        shown: SuggestionStatus | None = None,
    ) -> Suggestion | None:
        """Accept, reject or reopen a suggestion (and maybe set its section); None if unknown.

        A published suggestion stays published. With `shown`, only one that still has that
        status is reviewed: one statement checks and writes, so of two reviews at once from
        the same status (another process's too), one applies and the other finds it changed.
        """
        if status not in REVIEWED:
            raise ValueError(f"a review cannot set the status {status!r}")
        await self._db.execute(
            "UPDATE suggestions SET status = ?, reviewed_by = ?, section = coalesce(?, section),"
            " updated_at = ? WHERE id = ? AND status != ? AND (? IS NULL OR status = ?)",
            (
                status,
                by,
                section,
                now_text(),
                suggestion_id,
                SuggestionStatus.PUBLISHED,
                shown,
                shown,
            ),
        )
        return await self.get(suggestion_id)

    async def set_section(
        self,
        suggestion_id: int,
        section: str | None,
        *,
        shown: SuggestionStatus | None = None,
    ) -> Suggestion | None:
        """See `SuggestionStore.set_section`: one statement checks and writes."""
        await refresh_item_links(self._db)  # one published since keeps its section
        await self._db.execute(
            "UPDATE suggestions SET section = ?, updated_at = ?"
            " WHERE id = ? AND status != ? AND (? IS NULL OR status = ?)",
            (section, now_text(), suggestion_id, SuggestionStatus.PUBLISHED, shown, shown),
        )
        return await self.get(suggestion_id)

    async def set_title(self, suggestion_id: int, title: str) -> None:
        """Keep the page title fetched for a suggestion."""
        await self._db.execute(
            "UPDATE suggestions SET title = ?, updated_at = ? WHERE id = ?",
            (title, now_text(), suggestion_id),
        )

    async def _where(
        self, *, suggestion_id: int | None = None, statuses: str | None = None, limit: int | None
    ) -> builtins.list[Suggestion]:
        await refresh_item_links(self._db)
        rows = builtins.list(
            await self._db.execute_fetchall(
                "SELECT s.*, (SELECT count(*) FROM suggestion_supporters p"
                " WHERE p.suggestion_id = s.id) AS support FROM suggestions s"
                " WHERE (:id IS NULL OR s.id = :id) AND (:statuses IS NULL"
                " OR s.status IN (SELECT value FROM json_each(:statuses)))"
                " ORDER BY support DESC, s.id LIMIT :limit",
                {
                    "id": suggestion_id,
                    "statuses": statuses,
                    "limit": -1 if limit is None else max(0, limit),
                },
            )
        )
        if not rows:
            return []
        ids = [int(row["id"]) for row in rows]
        supporters: dict[int, builtins.list[Supporter]] = {i: [] for i in ids}
        for row in await all_rows(
            self._db,
            "SELECT * FROM suggestion_supporters WHERE suggestion_id IN"
            " (SELECT value FROM json_each(?)) ORDER BY created_at, rowid",
            (json.dumps(ids),),
        ):
            supporters[int(row["suggestion_id"])].append(read_supporter(row))
        return [read_suggestion(row, supporters[int(row["id"])]) for row in rows]
