"""Readers' suggestions in PostgreSQL, and the normalised links of archived items they are
matched against. Primitives only: the rules of suggesting are the suggestions service's."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence

from bot.models import Suggestion, SuggestionStatus, Supporter
from bot.models.links import twins
from bot.store.interfaces import LIMIT_WINDOW, REPLIES_READ_KEPT, first_id_at
from bot.store.postgres.database import PgDatabase
from bot.store.rows import (
    LINK_BATCH,
    REVIEWED,
    normal_or_none,
    now_text,
    read_suggestion,
    read_supporter,
    time_text,
)


async def refresh_item_links(database: PgDatabase) -> None:
    """Normalise the links of items ingested or edited since the last look.

    Marks each suggestion whose link an archived item now carries as published in that
    item's issue. Bounded batches keep each statement small on a large archive; processes
    sharing the archive each take other batches (SKIP LOCKED).
    """
    while True:
        async with database.transaction() as conn:
            cursor = await conn.execute(
                "SELECT p.item_id, i.link, i.issue_number FROM item_links_pending p"
                " JOIN items i ON i.id = p.item_id ORDER BY p.item_id LIMIT %s"
                " FOR UPDATE OF p SKIP LOCKED",
                (LINK_BATCH,),
            )
            rows = await cursor.fetchall()
            if not rows:
                await conn.execute(
                    "DELETE FROM item_links_pending p WHERE NOT EXISTS"
                    " (SELECT 1 FROM items i WHERE i.id = p.item_id AND i.link IS NOT NULL)"
                )
                return
            found = [
                (int(row["item_id"]), url, int(row["issue_number"]))
                for row in rows
                if row["link"] is not None and (url := normal_or_none(str(row["link"])))
            ]
            await conn.execute(
                "INSERT INTO item_links (item_id, url) SELECT * FROM unnest(%s::bigint[],"
                " %s::text[]) ON CONFLICT (item_id) DO UPDATE SET url = excluded.url",
                ([item_id for item_id, _, _ in found], [url for _, url, _ in found]),
            )
            links = [(twin, number) for _, url, number in found for twin in twins(url)]
            await conn.execute(
                "UPDATE suggestions SET status = %(published)s, issue_number = link.number,"
                " updated_at = %(now)s FROM unnest(%(urls)s::text[], %(numbers)s::bigint[])"
                " AS link (url, number)"
                " WHERE suggestions.url = link.url AND status != %(published)s",
                {
                    "published": str(SuggestionStatus.PUBLISHED),
                    "now": now_text(),
                    "urls": [url for url, _ in links],
                    "numbers": [number for _, number in links],
                },
            )
            await conn.execute(
                "DELETE FROM item_links_pending WHERE item_id = ANY(%s)",
                ([int(row["item_id"]) for row in rows],),
            )


class PgSuggestions:
    """The suggestion queue: each normalised link once, with every reader who suggested it."""

    def __init__(self, database: PgDatabase) -> None:
        self._database = database

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
        async with self._database.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO suggestions (url, section, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (url) DO UPDATE"
                " SET section = coalesce(suggestions.section, excluded.section) RETURNING id",
                (url, section, stamp, stamp),
            )
            row = await cursor.fetchone()
            assert row is not None
            suggestion_id = int(row["id"])
            await conn.execute(
                "INSERT INTO suggestion_supporters (suggestion_id, user_id, name, note, source,"
                " guild_id, channel_id, message_id, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
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
        row = await self._database.row(
            "SELECT id FROM suggestions WHERE url = ANY(%(twins)s)"
            " ORDER BY array_position(%(twins)s, url) LIMIT 1",
            {"twins": twins(url)},
        )
        return await self.get(int(row["id"])) if row else None

    async def from_reply(self, message_id: int) -> builtins.list[Suggestion]:
        """The suggestions a reader's reply (by its message id) supports, whatever their
        status, oldest first."""
        rows = await self._database.rows(
            "SELECT suggestion_id FROM suggestion_supporters WHERE message_id = %s"
            " AND source = 'reply' ORDER BY suggestion_id",
            (message_id,),
        )
        found = [await self.get(int(row["suggestion_id"])) for row in rows]
        return [suggestion for suggestion in found if suggestion is not None]

    async def withdraw(self, suggestion_id: int, message_id: int) -> bool:
        """Take back the support a reader's reply (by its message id) gave a suggestion that is
        not published; a pending suggestion left with no supporter is deleted (True then).
        An accepted or rejected one stays as the editors left it. The support taken back still
        counts toward the reader's daily limit (`suggested_since`)."""
        await refresh_item_links(self._database)  # one published since is told apart
        async with self._database.transaction() as conn:
            # What no daily limit counts any more goes as more comes (an index range).
            await conn.execute(
                "DELETE FROM withdrawn_support WHERE suggested_at <= %s",
                (time_text(self._database.clock() - LIMIT_WINDOW),),
            )
            # Kept before the support goes: stopped between the two, the support counts once.
            await conn.execute(
                "INSERT INTO withdrawn_support (user_id, message_id, url, suggested_at)"
                " SELECT p.user_id, p.message_id, s.url, p.created_at"
                " FROM suggestion_supporters p JOIN suggestions s ON s.id = p.suggestion_id"
                " WHERE p.suggestion_id = %s AND p.message_id = %s AND p.source = 'reply'"
                " AND s.status != %s ON CONFLICT (user_id, message_id, url) DO UPDATE"
                " SET suggested_at = greatest(withdrawn_support.suggested_at,"
                " excluded.suggested_at)",
                (suggestion_id, message_id, str(SuggestionStatus.PUBLISHED)),
            )
            await conn.execute(
                "DELETE FROM suggestion_supporters WHERE suggestion_id = %s AND message_id = %s"
                " AND source = 'reply' AND suggestion_id IN"
                " (SELECT id FROM suggestions WHERE status != %s)",
                (suggestion_id, message_id, str(SuggestionStatus.PUBLISHED)),
            )
            cursor = await conn.execute(
                "DELETE FROM suggestions WHERE id = %s AND status = %s AND NOT EXISTS"
                " (SELECT 1 FROM suggestion_supporters p WHERE p.suggestion_id = suggestions.id)"
                " RETURNING id",
                (suggestion_id, str(SuggestionStatus.PENDING)),
            )
            return await cursor.fetchone() is not None

    async def reply_read(self, message_id: int) -> str | None:
        """What the bot last read in a reader's reply (as `keep_reply_read` was given it), or
        None."""
        row = await self._database.row(
            "SELECT scan FROM replies_read WHERE message_id = %s", (message_id,)
        )
        return str(row["scan"]) if row else None

    async def keep_reply_read(self, message_id: int, scan: str | None) -> None:
        """See `SuggestionStore.keep_reply_read`: old reads go as one range of the key."""
        async with self._database.transaction() as conn:
            await conn.execute(
                "DELETE FROM replies_read WHERE message_id < %s AND message_id != %s",
                (first_id_at(self._database.clock() - REPLIES_READ_KEPT), message_id),
            )
            if scan is None:
                await conn.execute("DELETE FROM replies_read WHERE message_id = %s", (message_id,))
                return
            await conn.execute(
                "INSERT INTO replies_read (message_id, scan) VALUES (%s, %s)"
                " ON CONFLICT (message_id) DO UPDATE SET scan = excluded.scan",
                (message_id, scan),
            )

    async def suggested_since(self, user_id: int, since: dt.datetime) -> int:
        """How many links the reader suggested (or supported) after `since`, counting those a
        reply of theirs took back; a link a reply took back and put back counts once."""
        row = await self._database.row(
            "SELECT count(*) AS n FROM (SELECT s.url, p.message_id"
            " FROM suggestion_supporters p JOIN suggestions s ON s.id = p.suggestion_id"
            " WHERE p.user_id = %(user)s AND p.created_at > %(since)s"
            " UNION SELECT url, message_id FROM withdrawn_support"
            " WHERE user_id = %(user)s AND suggested_at > %(since)s) AS given",
            {"user": user_id, "since": time_text(since)},
        )
        return int(row["n"]) if row else 0

    async def suggested_times(self, user_id: int, since: dt.datetime) -> builtins.list[dt.datetime]:
        """See `SuggestionStore.suggested_times`: what `suggested_since` counts, by its time."""
        rows = await self._database.rows(
            "SELECT max(at) AS at FROM (SELECT s.url, p.message_id, p.created_at AS at"
            " FROM suggestion_supporters p JOIN suggestions s ON s.id = p.suggestion_id"
            " WHERE p.user_id = %(user)s AND p.created_at > %(since)s"
            " UNION ALL SELECT url, message_id, suggested_at FROM withdrawn_support"
            " WHERE user_id = %(user)s AND suggested_at > %(since)s) AS given"
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
        return await self._where(statuses=[str(s) for s in statuses], limit=limit)

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
        status is reviewed: one statement checks and writes (the row locked by the first),
        so of two reviews at once from the same status, one applies and the other finds it
        changed.
        """
        if status not in REVIEWED:
            raise ValueError(f"a review cannot set the status {status!r}")
        await self._database.rows(
            "UPDATE suggestions SET status = %(status)s, reviewed_by = %(by)s,"
            " section = coalesce(%(section)s, section), updated_at = %(now)s"
            " WHERE id = %(id)s AND status != %(published)s"
            " AND (%(shown)s::text IS NULL OR status = %(shown)s)",
            {
                "status": str(status),
                "by": by,
                "section": section,
                "now": now_text(),
                "id": suggestion_id,
                "published": str(SuggestionStatus.PUBLISHED),
                "shown": None if shown is None else str(shown),
            },
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
        await refresh_item_links(self._database)  # one published since keeps its section
        await self._database.rows(
            "UPDATE suggestions SET section = %(section)s, updated_at = %(now)s"
            " WHERE id = %(id)s AND status != %(published)s"
            " AND (%(shown)s::text IS NULL OR status = %(shown)s)",
            {
                "section": section,
                "now": now_text(),
                "id": suggestion_id,
                "published": str(SuggestionStatus.PUBLISHED),
                "shown": None if shown is None else str(shown),
            },
        )
        return await self.get(suggestion_id)

    async def set_title(self, suggestion_id: int, title: str) -> None:
        """Keep the page title fetched for a suggestion."""
        await self._database.rows(
            "UPDATE suggestions SET title = %s, updated_at = %s WHERE id = %s",
            (title, now_text(), suggestion_id),
        )

    async def _where(
        self,
        *,
        suggestion_id: int | None = None,
        statuses: builtins.list[str] | None = None,
        limit: int | None,
    ) -> builtins.list[Suggestion]:
        await refresh_item_links(self._database)
        rows = await self._database.rows(
            "SELECT s.*, (SELECT count(*) FROM suggestion_supporters p"
            " WHERE p.suggestion_id = s.id) AS support FROM suggestions s"
            " WHERE (%(id)s::bigint IS NULL OR s.id = %(id)s) AND (%(statuses)s::text[] IS NULL"
            " OR s.status = ANY(%(statuses)s)) ORDER BY support DESC, s.id LIMIT %(limit)s",
            {
                "id": suggestion_id,
                "statuses": statuses,
                "limit": None if limit is None else max(0, limit),
            },
        )
        if not rows:
            return []
        ids = [int(row["id"]) for row in rows]
        supporters: dict[int, builtins.list[Supporter]] = {i: [] for i in ids}
        for row in await self._database.rows(
            "SELECT * FROM suggestion_supporters WHERE suggestion_id = ANY(%s)"
            " ORDER BY created_at, seq",
            (ids,),
        ):
            supporters[int(row["suggestion_id"])].append(read_supporter(row))
        return [read_suggestion(row, supporters[int(row["id"])]) for row in rows]
