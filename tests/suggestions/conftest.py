"""Fixtures: an archive with linked issues, and newsbot on the emulator with suggestions on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import Newsbot
from bot.models import Issue
from bot.publishing.plans.discord import Target
from bot.sandbox.discord import Channel, DefaultWorld, Emulator
from bot.store import Archive
from tests.conftest import StartNewsbot
from tests.factories import issue, item

StartBot = Callable[..., Awaitable[Newsbot]]


@pytest.fixture
def issue_205() -> Issue:
    """An issue with links (#202 has none), in sections the archive knows."""
    return issue(
        205,
        {
            "Industry": [item("Chips, analog", "https://news.example/chips?utm_source=rss")],
            "Learning": [item("A course", "https://learn.example/course")],
        },
        title="Deep Learning Weekly: Issue #205",
    )


@pytest.fixture
async def linked_archive(
    tmp_path: Path, issue_202: Issue, issue_205: Issue
) -> AsyncIterator[Archive]:
    archive = await Archive.open(tmp_path / "archive.db")
    await archive.issues.ingest_many([(issue_202, None), (issue_205, None)])
    try:
        yield archive
    finally:
        await archive.close()


@pytest.fixture
def start_bot(start_newsbot: StartNewsbot, linked_archive: Archive, tmp_path: Path) -> StartBot:
    """newsbot with the message content intent, a small daily limit and a scratch issues folder."""

    def start(**settings: object) -> Awaitable[Newsbot]:
        settings.setdefault("discord", {"message_content": True})
        settings.setdefault("suggestions", {"per_reader_per_day": 5})
        settings.setdefault("issues", {"directory": tmp_path / "issues"})
        return start_newsbot(linked_archive, **settings)

    return start


@pytest.fixture
async def newsbot(start_bot: StartBot) -> Newsbot:
    return await start_bot()


async def publish_threads(
    bot: Newsbot, emulator: Emulator, seed: DefaultWorld, number: int = 205
) -> dict[str, Channel]:
    """Publish an issue to #general through the bot's engine; its section threads by slug."""
    cog = bot.get_cog("Newsletter")
    assert cog is not None
    found = await bot.archive.issues.issue(number)
    target = Target(guild_id=seed.guild.id, channel_id=seed.general.id, kind="text")
    report = await cog.engine.publish(found, cog.outlet, [target])  # type: ignore[attr-defined]
    assert report.ok
    entries = await bot.archive.ledger.entries(number, "discord")
    prefix = f"{number}/discord/{seed.general.id}/thread/"
    return {
        key.removeprefix(prefix): emulator.world.channel(int(entry.remote_id or 0))
        for key, entry in entries.items()
        if key.startswith(prefix) and "/message/" not in key
    }
