"""Fixtures: newsbot's real Bot, with its archive, logged in to the Discord emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import Newsbot
from bot.archive import Archive
from bot.models import Issue
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.settings import load_settings
from tests.factories import issue, item

StartBot = Callable[[], Awaitable[Newsbot]]

TORCH_ITEMS = [
    item(f"Torch trick number {n}", f"https://torch.example/{n}", f"A torch blurb {n}.")
    for n in range(12)
]


@pytest.fixture
def issue_203() -> Issue:
    """An issue with links and enough `torch` items to fill several pages of results."""
    return issue(
        203,
        {
            "Libraries & Code": TORCH_ITEMS,
            "Learning": [
                item(
                    "Distilling knowledge into small students",
                    "https://distil.example/a",
                    "A gentle guide to knowledge distillation for compact models.",
                )
            ],
        },
    )


@pytest.fixture
async def filled_archive(
    tmp_path: Path, issue_202: Issue, issue_203: Issue
) -> AsyncIterator[Archive]:
    """An archive holding #202 and #203, in a real SQLite file."""
    archive = await Archive.open(tmp_path / "archive.db")
    await archive.ingest_many([(issue_202, None), (issue_203, None)])
    try:
        yield archive
    finally:
        await archive.close()


@pytest.fixture
async def start_bot(
    emulator: Emulator, seed: DefaultWorld, filled_archive: Archive
) -> AsyncIterator[StartBot]:
    """Start newsbot's Bot against the emulator (commands synced to the seed guild)."""
    running: list[tuple[Newsbot, asyncio.Task[None]]] = []

    async def start() -> Newsbot:
        settings = load_settings(discord={"dev_guild": seed.guild.id})
        bot = Newsbot(settings=settings, archive=filled_archive, guild_ready_timeout=0.05)
        await bot.login(emulator.token)
        task = asyncio.create_task(bot.connect(reconnect=False))
        running.append((bot, task))
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        await asyncio.wait_for(task, 5)


@pytest.fixture
async def newsbot(start_bot: StartBot) -> Newsbot:
    """newsbot, logged in and ready."""
    return await start_bot()
