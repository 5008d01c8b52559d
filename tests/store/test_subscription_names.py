"""A subscription keeps the names its sections were chosen by, on every backend; one stored
before they were kept reads back with none, so it is told apart from one that chose none."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.models import Subscription
from bot.store import Archive
from bot.store.sqlite.database import migrations


async def test_the_names_are_kept_and_replaced_with_the_sections(archive: Archive) -> None:
    chosen = Subscription(
        guild_id=1, channel_id=2, kind="text", sections=("ai",), section_names=("AI",)
    )
    await archive.subscriptions.add(chosen)
    assert await archive.subscriptions.list() == [chosen]

    every = Subscription(guild_id=1, channel_id=2, kind="text", section_names=())
    await archive.subscriptions.add(every)
    assert await archive.subscriptions.list() == [every]


async def test_a_subscription_stored_before_the_names_has_none(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    await (await Archive.open(path)).close()
    # The archive as the newsbot before the names left it: without their column.
    before = next(m.version for m in migrations() if m.name.endswith("_subscription_names.sql"))
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("ALTER TABLE subscriptions DROP COLUMN section_names")
        db.execute(
            "INSERT INTO subscriptions (channel_id, guild_id, kind, sections, created_at,"
            " updated_at) VALUES (2, 1, 'text', '[\"section\"]', '2026-01-01', '2026-01-01')"
        )
        db.execute(f"PRAGMA user_version = {before - 1}")

    async with await Archive.open(path) as archive:
        (subscription,) = await archive.subscriptions.list()

    assert subscription.sections == ("section",)
    assert subscription.section_names is None
