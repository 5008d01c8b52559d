"""Fixtures: newsbot's real Bot, with its archive, logged in to the Discord emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import Newsbot
from bot.models import Issue
from bot.store import Archive
from tests.conftest import StartNewsbot
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
    await archive.issues.ingest_many([(issue_202, None), (issue_203, None)])
    try:
        yield archive
    finally:
        await archive.close()


@pytest.fixture
def start_bot(start_newsbot: StartNewsbot, filled_archive: Archive) -> StartBot:
    """Start newsbot against the emulator, with the filled archive."""
    return lambda: start_newsbot(filled_archive)


@pytest.fixture
async def newsbot(start_bot: StartBot) -> Newsbot:
    """newsbot, logged in and ready."""
    return await start_bot()
