"""The publishing ledger in PostgreSQL: one row per step of an issue on an outlet and target."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.models import OutboxEntry, OutboxTally, StepState
from bot.store.postgres.database import PgDatabase
from bot.store.rows import claim_stamp, now_text, outbox_entry, outbox_tally, time_text


class PgLedger:
    """The outbox table: every publishing step, where it stands and what the platform said."""

    def __init__(self, database: PgDatabase) -> None:
        self._database = database

    async def entries(
        self, issue_number: int, outlet: str, target: str | None = None
    ) -> dict[str, OutboxEntry]:
        """The ledger of an issue's steps on an outlet (one target's, with `target`), by key."""
        rows = await self._database.rows(
            "SELECT * FROM outbox WHERE issue_number = %(issue)s AND outlet = %(outlet)s"
            " AND (%(target)s::text IS NULL OR target = %(target)s) ORDER BY seq",
            {"issue": issue_number, "outlet": outlet, "target": target},
        )
        return {str(row["key"]): outbox_entry(row) for row in rows}

    async def record(self, entry: OutboxEntry) -> None:
        """Write one step's ledger row (insert or replace), committed before returning."""
        await self._database.rows(
            "INSERT INTO outbox (key, issue_number, outlet, target, action, state, payload_hash,"
            " remote_id, location_id, reason, attempts, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (key) DO UPDATE SET action = excluded.action, state = excluded.state,"
            " payload_hash = excluded.payload_hash, remote_id = excluded.remote_id,"
            " location_id = excluded.location_id, reason = excluded.reason,"
            " attempts = excluded.attempts, updated_at = excluded.updated_at",
            (
                entry.key,
                entry.issue_number,
                entry.outlet,
                entry.target,
                entry.action,
                str(entry.state),
                entry.payload_hash,
                entry.remote_id,
                entry.location_id,
                entry.reason,
                entry.attempts,
                now_text(),
            ),
        )

    async def plan(self, entries: Sequence[OutboxEntry]) -> None:
        """Record planned steps as pending, all or none; steps already known are kept."""
        if not entries:
            return
        await self._database.rows(
            "INSERT INTO outbox (key, issue_number, outlet, target, action, state, attempts,"
            " updated_at) SELECT key, issue, outlet, target, action, %s, 0, %s"
            " FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[])"
            " WITH ORDINALITY AS planned (key, issue, outlet, target, action, n)"
            " ORDER BY n ON CONFLICT (key) DO NOTHING",
            (
                str(StepState.PENDING),
                now_text(),
                [e.key for e in entries],
                [e.issue_number for e in entries],
                [e.outlet for e in entries],
                [e.target for e in entries],
                [e.action for e in entries],
            ),
        )

    async def latest(self, outlet: str, target: str) -> tuple[int, dict[StepState, int]] | None:
        """The newest issue published to a target, with how many of its steps are in each state."""
        rows = await self._database.rows(
            "SELECT issue_number, state, count(*) AS n FROM outbox WHERE outlet = %(outlet)s"
            " AND target = %(target)s AND issue_number = (SELECT max(issue_number) FROM outbox"
            " WHERE outlet = %(outlet)s AND target = %(target)s) GROUP BY issue_number, state",
            {"outlet": outlet, "target": target},
        )
        if not rows:
            return None
        return int(rows[0]["issue_number"]), {StepState(r["state"]): int(r["n"]) for r in rows}

    async def published_numbers(self, outlets: Sequence[str]) -> set[int]:
        """The issues with at least one step sent on one of `outlets`."""
        if not outlets:
            return set()
        rows = await self._database.rows(
            "SELECT DISTINCT issue_number FROM outbox WHERE outlet = ANY(%s) AND state = %s",
            (list(outlets), str(StepState.SENT)),
        )
        return {int(row["issue_number"]) for row in rows}

    async def unfinished(self, outlet: str | None = None) -> list[OutboxTally]:
        """Steps not done yet (pending, sending or failed), counted per issue, outlet and target.

        Oldest issue first; each tally carries the reason of one of its failed steps, if any.
        """
        rows = await self._database.rows(
            "SELECT issue_number, outlet, target, state, count(*) AS steps, max(reason) AS reason"
            " FROM outbox WHERE state IN ('pending', 'sending', 'failed')"
            " AND (%(outlet)s::text IS NULL OR outlet = %(outlet)s)"
            " GROUP BY issue_number, outlet, target, state"
            ' ORDER BY issue_number, outlet COLLATE "C", target COLLATE "C"',
            {"outlet": outlet},
        )
        return [outbox_tally(row) for row in rows]

    async def section_thread(self, channel_id: int) -> tuple[int, str | None] | None:
        """If `channel_id` is a thread or forum post newsbot published: (issue, section slug).

        The section is None for a forum's digest post.
        """
        row = await self._database.row(
            "SELECT issue_number, key FROM outbox WHERE remote_id = %s"
            " AND action IN ('thread', 'post') AND state = %s"
            " ORDER BY issue_number DESC LIMIT 1",
            (str(channel_id), str(StepState.SENT)),
        )
        if row is None:
            return None
        parts = str(row["key"]).split("/")
        slug = parts[4] if len(parts) > 4 and parts[3] == "thread" else None
        return int(row["issue_number"]), slug

    async def sent_since(self, outlet: str, since: dt.datetime) -> int:
        """How many posts the ledger recorded as sent on `outlet` since `since` (a daily cap)."""
        row = await self._database.row(
            "SELECT count(*) AS n FROM outbox WHERE outlet = %s AND state = %s"
            " AND remote_id IS NOT NULL AND updated_at >= %s",
            (outlet, str(StepState.SENT), time_text(since)),
        )
        return int(row["n"]) if row else 0

    async def claim(
        self,
        issue_number: int,
        outlet: str,
        target: str,
        holder: str,
        until: dt.datetime,
        *,
        replacing: str = "",
    ) -> bool:
        """Take (or, held by `holder`, extend) the claim until `until`; False if another
        holder's claim has not run out.

        One statement: PostgreSQL locks the conflicting row while it decides, so two processes
        claiming at once are decided one after the other. (A `SKIP LOCKED` would make a holder
        renewing its claim while another asks look as if it had lost it.) `until` is read by
        this machine's clock and stored by the server's, which every process shares.
        """
        skew = await self._database.clock_skew()
        row = await self._database.row(
            "INSERT INTO claims (issue_number, outlet, target, holder, expires_at)"
            " VALUES (%(issue)s, %(outlet)s, %(target)s, %(holder)s, %(until)s)"
            " ON CONFLICT (issue_number, outlet, target) DO UPDATE"
            " SET holder = excluded.holder, expires_at = excluded.expires_at"
            " WHERE claims.holder IN (excluded.holder, %(replacing)s)"
            " OR claims.expires_at < %(now)s RETURNING holder",
            {
                "issue": issue_number,
                "outlet": outlet,
                "target": target,
                "holder": holder,
                "until": claim_stamp(until + skew),
                "replacing": replacing or holder,
                "now": claim_stamp(dt.datetime.now(dt.UTC) + skew),
            },
        )
        return row is not None

    async def release(self, issue_number: int, outlet: str, target: str, holder: str) -> None:
        """Give up `holder`'s claim, if it still holds it."""
        await self._database.rows(
            "DELETE FROM claims WHERE issue_number = %s AND outlet = %s AND target = %s"
            " AND holder = %s",
            (issue_number, outlet, target, holder),
        )

    async def claims(self, now: dt.datetime) -> list[tuple[int, str, str, str]]:
        """The claims not run out at `now` (by this machine's clock, read on the server's):
        (issue, outlet, target, holder)."""
        skew = await self._database.clock_skew()
        rows = await self._database.rows(
            "SELECT issue_number, outlet, target, holder FROM claims WHERE expires_at >= %s"
            ' ORDER BY issue_number, outlet COLLATE "C", target COLLATE "C"',
            (claim_stamp(now + skew),),
        )
        return [(int(r["issue_number"]), r["outlet"], r["target"], r["holder"]) for r in rows]
