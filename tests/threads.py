"""What the tests of the thread outlets (X, Mastodon, Bluesky) share: killing a publishing run
right after a post, and asking for a `/newsletter preview`."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.app import Newsbot
from bot.models import Issue, Subscription
from bot.sandbox.discord import Channel, DefaultWorld, Emulator
from bot.settings import load_settings
from bot.store import Archive
from bot.wiring import build
from tests.x.conftest import archive_file


class Killer:
    """SIGKILLs the publishing process as soon as the emulator holds `at` posts.

    It hooks the emulator's `on_post`, which runs synchronously before the answer is written:
    the platform has the post, the ledger does not.
    """

    def __init__(self, emulator: Any, posts: Callable[[], int]) -> None:
        self.posts = posts
        self.at = 0
        self.pid: int | None = None
        self.killed = False
        emulator.on_post = self.on_post

    def arm(self, at: int) -> None:
        self.at, self.pid, self.killed = at, None, False

    def started(self, pid: int) -> None:
        self.pid = pid

    def on_post(self, _post: object) -> None:
        if self.pid is not None and not self.killed and self.posts() == self.at:
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True


async def newsletter_preview(
    archive: Archive, outlet: Any, emulator: Emulator, seed: DefaultWorld, issue: Issue
) -> Any:
    """The follow-up `/newsletter preview` of `issue` sends about the thread on `outlet`, with
    the issue in `archive` and newsbot connected to the Discord emulator."""
    await archive.issues.ingest(issue)
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
            {"issue": issue.number},
            subcommand="preview",
        )
        await handle.original(timeout=10)
        _, on_outlet = await handle.followups(2, timeout=10)
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)
    return on_outlet


async def announced_archive(
    path: Path, issue: Issue, seed: DefaultWorld, *, alerts: bool = False
) -> Path:
    """An archive file holding `issue`, the seed guild's announcements channel subscribed (with
    `alerts`, failures told in its #general)."""
    subscription = Subscription(
        guild_id=seed.guild.id,
        channel_id=seed.announcements.id,
        kind="announcement",
        alerts_channel_id=seed.general.id if alerts else None,
    )
    return await archive_file(path, issue, subscription)


def editors_alerts(emulator: Emulator) -> tuple[Channel, dict[str, str]]:
    """The editors' alerts channel, added to the seed server, and the setting that names it:
    where the other outlets' failures are told (never a subscription's alerts channel)."""
    assert emulator.seed is not None
    editors = emulator.world.add_channel(emulator.seed.guild, "editors")
    return editors, {"NEWSBOT_DISCORD__ALERTS_CHANNEL_ID": str(editors.id)}


def assert_skipped_once(stderr: str, missing: str) -> None:
    """A publish to every outlet said once that it skipped the one `missing` names."""
    skipped = [line for line in stderr.splitlines() if missing in line]
    assert len(skipped) == 1 and skipped[0].endswith("): skipped")
