"""/newsletter preview shows the issue's Bluesky thread: each post against 300, as the app
shows it, when Bluesky is configured."""

from __future__ import annotations

from pathlib import Path

from bot.models import Issue
from bot.publishing.outlets.bluesky import bluesky_outlet
from bot.sandbox.bluesky import BlueskyEmulator
from bot.sandbox.discord import DefaultWorld, Emulator, MessageFlag
from bot.store import Archive
from tests.bluesky.conftest import settings_for, thread_texts
from tests.threads import newsletter_preview


async def test_newsletter_preview_shows_the_thread_on_bluesky(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    async with (
        BlueskyEmulator() as bluesky,
        await Archive.open(tmp_path / "a.db") as archive,
        bluesky_outlet(settings_for(bluesky)) as outlet,
    ):
        on_bluesky = await newsletter_preview(archive, outlet, emulator, seed, issue_202)
        assert bluesky.requests == []  # a preview asks Bluesky nothing
    assert on_bluesky.flags & int(MessageFlag.EPHEMERAL)
    (card,) = on_bluesky.embeds
    texts = thread_texts(issue_202)
    assert card["title"] == f"On Bluesky: {len(texts)} posts"
    assert [f["name"].rsplit("/", 1)[-1] for f in card["fields"]] == ["300"] * len(texts)
    assert "blurbs shortened to 40" in card["footer"]["text"]
