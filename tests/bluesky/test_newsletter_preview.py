"""/newsletter preview shows the issue's Bluesky thread: each post against 300, as the app
shows it, when Bluesky is configured."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import Newsbot
from bot.models import Issue
from bot.publishing.outlets.bluesky import bluesky_outlet
from bot.sandbox.bluesky import BlueskyEmulator
from bot.sandbox.discord import DefaultWorld, Emulator, MessageFlag
from bot.settings import load_settings
from bot.store import Archive
from bot.wiring import build
from tests.bluesky.conftest import settings_for, thread_texts


async def test_newsletter_preview_shows_the_thread_on_bluesky(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    async with (
        BlueskyEmulator() as bluesky,
        await Archive.open(tmp_path / "a.db") as archive,
        bluesky_outlet(settings_for(bluesky)) as outlet,
    ):
        await archive.issues.ingest(issue_202)
        settings = load_settings(discord={"dev_guild": seed.guild.id})
        bot = Newsbot(settings=settings, archive=archive, guild_ready_timeout=0.05)
        bot.services = build(settings, archive, discord=bot, threads=[outlet])
        await bot.login(emulator.token)
        task = asyncio.create_task(bot.connect(reconnect=False))
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            handle = await emulator.run_slash_command(
                seed.guild,
                seed.general,
                seed.manager,
                "newsletter",
                {"issue": 202},
                subcommand="preview",
            )
            await handle.original(timeout=10)
            _, on_bluesky = await handle.followups(2, timeout=10)
        finally:
            await bot.close()
            await asyncio.wait_for(task, 5)
        assert bluesky.requests == []  # a preview asks Bluesky nothing
    assert on_bluesky.flags & int(MessageFlag.EPHEMERAL)
    (card,) = on_bluesky.embeds
    texts = thread_texts(issue_202)
    assert card["title"] == f"On Bluesky: {len(texts)} posts"
    assert [f["name"].rsplit("/", 1)[-1] for f in card["fields"]] == ["300"] * len(texts)
    assert "blurbs shortened to 40" in card["footer"]["text"]
