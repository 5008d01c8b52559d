"""The publishing ledger in SQLite: one row per step of an issue on an outlet and target.

Each row is written before and after its platform call, so a publish resumes where it stopped
and never sends a step twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from bot.models import OutboxEntry, OutboxTally, StepState
from bot.store.rows import claim_stamp, now_text, outbox_entry, outbox_tally, time_text
from bot.store.sqlite.database import Database, all_rows, first_row


class SqliteLedger:
    """The outbox table: every publishing step, where it stands and what the platform said."""

    def __init__(self, database: Database) -> None:
        self._db = database.db

    async def entries(
        self, issue_number: int, outlet: str, target: str | None = None
    ) -> dict[str, OutboxEntry]:
        """The ledger of an issue's steps on an outlet (one target's, with `target`), by key."""
        return {
            row["key"]: outbox_entry(row)
            for row in await all_rows(
                self._db,
                "SELECT * FROM outbox WHERE issue_number = ? AND outlet = ?"
                " AND (? IS NULL OR target = ?) ORDER BY rowid",
                (issue_number, outlet, target, target),
            )
        }

    async def record(self, entry: OutboxEntry) -> None:
        """Write one step's ledger row (insert or replace), durably, before returning."""
        await self._db.execute(
            "INSERT INTO outbox (key, issue_number, outlet, target, action, state, payload_hash,"
            " remote_id, location_id, reason, attempts, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
                entry.state,
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
        # One statement, not a transaction: publishes to many channels share this connection.
        rows = [[e.key, e.issue_number, e.outlet, e.target, e.action] for e in entries]
        await self._db.execute(
            "INSERT INTO outbox (key, issue_number, outlet, target, action, state, attempts,"
            " updated_at) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3,"
            " value ->> 4, ?, 0, ? FROM json_each(?) WHERE true"
            " ON CONFLICT (key) DO NOTHING",
            (StepState.PENDING, now_text(), json.dumps(rows)),
        )

    async def latest(self, outlet: str, target: str) -> tuple[int, dict[StepState, int]] | None:
        """The newest issue published to a target, with how many of its steps are in each state."""
        rows = await all_rows(
            self._db,
            "SELECT issue_number, state, count(*) AS n FROM outbox WHERE outlet = ?"
            " AND target = ? AND issue_number = (SELECT max(issue_number) FROM outbox"
            " WHERE outlet = ? AND target = ?) GROUP BY state",
            (outlet, target, outlet, target),
        )
        if not rows:
            return None
        return int(rows[0]["issue_number"]), {StepState(r["state"]): int(r["n"]) for r in rows}

    async def published_numbers(self, outlets: Sequence[str]) -> set[int]:
        """The issues with at least one step sent on one of `outlets`."""
        if not outlets:
            return set()
        marks = ",".join("?" * len(outlets))
        rows = await self._db.execute_fetchall(
            f"SELECT DISTINCT issue_number FROM outbox WHERE outlet IN ({marks})"  # noqa: S608
            " AND state = ?",
            (*outlets, StepState.SENT),
        )
        return {int(row[0]) for row in rows}

    async def unfinished(self, outlet: str | None = None) -> list[OutboxTally]:
        """Steps not done yet (pending, sending or failed), counted per issue, outlet and target.

        Oldest issue first; each tally carries the reason of one of its failed steps, if any.
        """
        rows = await all_rows(
            self._db,
            "SELECT issue_number, outlet, target, state, count(*) AS steps, max(reason) AS reason"
            # Written out as the partial index `outbox_unfinished` is: SQLite matches it by text.
            " FROM outbox WHERE state IN ('pending', 'sending', 'failed')"
            " AND (? IS NULL OR outlet = ?)"
            " GROUP BY issue_number, outlet, target, state ORDER BY issue_number, outlet, target",
            (outlet, outlet),
        )
        return [outbox_tally(row) for row in rows]

    async def section_thread(self, channel_id: int) -> tuple[int, str | None] | None:
        """If `channel_id` is a thread or forum post newsbot published: (issue, section slug).

        The section is None for a forum's digest post.
        """
        row = await first_row(
            self._db,
            "SELECT issue_number, key FROM outbox WHERE remote_id = ?"
            # The actions as the partial index `outbox_threads` names them, to be used.
            " AND action IN ('thread', 'post') AND state = ?"
            " ORDER BY issue_number DESC LIMIT 1",
            (str(channel_id), StepState.SENT),
        )
        if row is None:
            return None
        parts = str(row["key"]).split("/")
        slug = parts[4] if len(parts) > 4 and parts[3] == "thread" else None
        return int(row["issue_number"]), slug

    async def sent_since(self, outlet: str, since: dt.datetime) -> int:
        """How many posts the ledger recorded as sent on `outlet` since `since` (a daily cap)."""
        row = await first_row(
            self._db,
            "SELECT count(*) FROM outbox WHERE outlet = ? AND state = ?"
            " AND remote_id IS NOT NULL AND updated_at >= ?",
            (outlet, StepState.SENT, time_text(since)),
        )
        return int(row[0]) if row else 0

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
        holder's claim has not run out. One statement: SQLite's write lock makes it atomic."""
        now = claim_stamp(dt.datetime.now(dt.UTC))
        return bool(
            await all_rows(
                self._db,
                "INSERT INTO claims (issue_number, outlet, target, holder, expires_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (issue_number, outlet, target) DO UPDATE"
                " SET holder = excluded.holder, expires_at = excluded.expires_at"
                " WHERE claims.holder IN (excluded.holder, ?) OR claims.expires_at < ?"
                " RETURNING holder",
                (
                    issue_number,
                    outlet,
                    target,
                    holder,
                    claim_stamp(until),
                    replacing or holder,
                    now,
                ),
            )
        )

    async def release(self, issue_number: int, outlet: str, target: str, holder: str) -> None:
        """Give up `holder`'s claim, if it still holds it."""
        await self._db.execute(
            "DELETE FROM claims WHERE issue_number = ? AND outlet = ? AND target = ?"
            " AND holder = ?",
            (issue_number, outlet, target, holder),
        )

    async def claims(self, now: dt.datetime) -> list[tuple[int, str, str, str]]:
        """The claims not run out at `now`: (issue, outlet, target, holder)."""
        rows = await self._db.execute_fetchall(
            "SELECT issue_number, outlet, target, holder FROM claims WHERE expires_at >= ?"
            " ORDER BY issue_number, outlet, target",
            (claim_stamp(now),),
        )
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]
