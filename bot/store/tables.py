"""The archive's tables as both backends hold them: what `newsbot archive copy` moves.

Each table is listed with the columns its rows carry from one backend to the other, in an order
that satisfies the foreign keys; what a backend derives (SQLite's CJK index columns, PostgreSQL's
tsvector, the normalised item links) is made again by the backend that loads the rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

Row: TypeAlias = dict[str, object]
"""One row of a table, by column name."""
Batches: TypeAlias = AsyncIterator[tuple[str, list[Row]]]
"""Rows of the tables, a batch at a time, each batch of one table."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "issues": (
        "number", "title", "subtitle", "date", "link", "intro", "content_hash", "source_path",
        "next_slot", "ingested_at", "updated_at", "publish_at",
    ),
    "sections": ("id", "issue_number", "slug", "name", "position"),
    "items": (
        "id", "issue_number", "section_id", "key", "position", "title", "link", "blurb",
        "abstract", "editor_note",
    ),
    "state": ("key", "value", "updated_at"),
    "subscriptions": (
        "channel_id", "guild_id", "kind", "role_id", "sections", "alerts_channel_id",
        "created_at", "updated_at", "section_names",
    ),
    "outbox": (
        "key", "issue_number", "outlet", "target", "action", "state", "payload_hash",
        "remote_id", "location_id", "reason", "attempts", "updated_at",
    ),
    "suggestions": (
        "id", "url", "status", "section", "title", "issue_number", "reviewed_by", "created_at",
        "updated_at",
    ),
    "suggestion_supporters": (
        "suggestion_id", "user_id", "name", "note", "source", "guild_id", "channel_id",
        "message_id", "created_at",
    ),
    "withdrawn_support": ("user_id", "message_id", "url", "suggested_at"),
    "replies_read": ("message_id", "scan"),
}  # fmt: skip
"""Every table a copy moves, parents first, with its columns."""

BATCH_ROWS = 2_000
"""Rows read and written at a time."""
