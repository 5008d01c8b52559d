"""Subscriptions in SQLite: the Discord channels that receive each issue."""

from __future__ import annotations

import builtins

from bot.models import Subscription
from bot.store.rows import now_text, read_subscription, subscription_columns
from bot.store.sqlite.database import Database, all_rows


class SqliteSubscriptions:
    """One row per subscribed channel, with how it wants each issue."""

    def __init__(self, database: Database) -> None:
        self._db = database.db

    async def add(self, subscription: Subscription) -> None:
        """Store a channel's subscription, replacing any earlier one for that channel."""
        await self._db.execute(
            "INSERT INTO subscriptions (channel_id, guild_id, kind, role_id, sections,"
            " alerts_channel_id, created_at, updated_at, section_names)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id,"
            " kind = excluded.kind, role_id = excluded.role_id, sections = excluded.sections,"
            " alerts_channel_id = excluded.alerts_channel_id, updated_at = excluded.updated_at,"
            " section_names = excluded.section_names",
            subscription_columns(subscription, now_text()),
        )

    async def remove(self, channel_id: int) -> bool:
        """Forget a channel's subscription; return whether there was one."""
        gone = await all_rows(
            self._db,
            "DELETE FROM subscriptions WHERE channel_id = ? RETURNING channel_id",
            (channel_id,),
        )
        return bool(gone)

    async def list(self, *, guild_id: int | None = None) -> builtins.list[Subscription]:
        """The stored subscriptions (of one server, with `guild_id`), oldest first."""
        return [
            read_subscription(row)
            for row in await all_rows(
                self._db,
                "SELECT * FROM subscriptions WHERE ? IS NULL OR guild_id = ?"
                " ORDER BY created_at, channel_id",
                (guild_id, guild_id),
            )
        ]
