"""Subscriptions in PostgreSQL: the Discord channels that receive each issue."""

from __future__ import annotations

import builtins

from bot.models import Subscription
from bot.store.postgres.database import PgDatabase
from bot.store.rows import now_text, read_subscription, subscription_columns


class PgSubscriptions:
    """One row per subscribed channel, with how it wants each issue."""

    def __init__(self, database: PgDatabase) -> None:
        self._database = database

    async def add(self, subscription: Subscription) -> None:
        """Store a channel's subscription, replacing any earlier one for that channel."""
        await self._database.rows(
            "INSERT INTO subscriptions (channel_id, guild_id, kind, role_id, sections,"
            " alerts_channel_id, created_at, updated_at, section_names)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id,"
            " kind = excluded.kind, role_id = excluded.role_id, sections = excluded.sections,"
            " alerts_channel_id = excluded.alerts_channel_id, updated_at = excluded.updated_at,"
            " section_names = excluded.section_names",
            subscription_columns(subscription, now_text()),
        )

    async def remove(self, channel_id: int) -> bool:
        """Forget a channel's subscription; return whether there was one."""
        gone = await self._database.rows(
            "DELETE FROM subscriptions WHERE channel_id = %s RETURNING channel_id", (channel_id,)
        )
        return bool(gone)

    async def list(self, *, guild_id: int | None = None) -> builtins.list[Subscription]:
        """The stored subscriptions (of one server, with `guild_id`), oldest first."""
        rows = await self._database.rows(
            "SELECT * FROM subscriptions WHERE %(guild)s::bigint IS NULL OR guild_id = %(guild)s"
            " ORDER BY created_at, channel_id",
            {"guild": guild_id},
        )
        return [read_subscription(row) for row in rows]
