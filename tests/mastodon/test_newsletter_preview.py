"""/newsletter preview shows the issue's Mastodon thread, within the instance's limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import Newsbot
from bot.models import Issue
from bot.publishing.outlets.mastodon import mastodon_outlet
from bot.publishing.plans.mastodon import Account
from bot.sandbox.discord import DefaultWorld, Emulator, MessageFlag
from bot.sandbox.mastodon import MastodonEmulator, MastodonEmulatorConfig
from bot.settings import MastodonSettings, load_settings
from bot.store import Archive
from bot.wiring import build
from tests.mastodon.conftest import settings_for, thread_texts


async def test_newsletter_preview_shows_the_thread_on_mastodon(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    config = MastodonEmulatorConfig(max_characters=400)
    async with (
        MastodonEmulator(config) as mastodon,
        await Archive.open(tmp_path / "a.db") as archive,
        mastodon_outlet(settings_for(mastodon)) as outlet,
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
            _, on_mastodon = await handle.followups(2, timeout=10)
        finally:
            await bot.close()
            await asyncio.wait_for(task, 5)
        assert mastodon.statuses == []
    assert on_mastodon.flags & int(MessageFlag.EPHEMERAL)
    (card,) = on_mastodon.embeds
    texts = thread_texts(issue_202, MastodonSettings(), Account(max_characters=400))
    assert card["title"] == f"On Mastodon: {len(texts)} posts"
    assert [f["name"].rsplit("/", 1)[-1] for f in card["fields"]] == ["400"] * len(texts)
    assert "Condensed" in card["footer"]["text"]
