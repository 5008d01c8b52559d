"""/newsletter preview shows the issue's Mastodon thread, within the instance's limits."""

from __future__ import annotations

from pathlib import Path

from bot.models import Issue
from bot.publishing.outlets.mastodon import mastodon_outlet
from bot.publishing.plans.mastodon import Account
from bot.sandbox.discord import DefaultWorld, Emulator, MessageFlag
from bot.sandbox.mastodon import MastodonEmulator, MastodonEmulatorConfig
from bot.settings import MastodonSettings
from bot.store import Archive
from tests.mastodon.conftest import settings_for, thread_texts
from tests.threads import newsletter_preview


async def test_newsletter_preview_shows_the_thread_on_mastodon(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    config = MastodonEmulatorConfig(max_characters=400)
    async with (
        MastodonEmulator(config) as mastodon,
        await Archive.open(tmp_path / "a.db") as archive,
        mastodon_outlet(settings_for(mastodon)) as outlet,
    ):
        on_mastodon = await newsletter_preview(archive, outlet, emulator, seed, issue_202)
        assert mastodon.statuses == []
    assert on_mastodon.flags & int(MessageFlag.EPHEMERAL)
    (card,) = on_mastodon.embeds
    texts = thread_texts(issue_202, MastodonSettings(), Account(max_characters=400))
    assert card["title"] == f"On Mastodon: {len(texts)} posts"
    assert [f["name"].rsplit("/", 1)[-1] for f in card["fields"]] == ["400"] * len(texts)
    assert "Condensed" in card["footer"]["text"]
