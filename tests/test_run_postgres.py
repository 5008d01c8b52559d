"""`newsbot run` on an archive in PostgreSQL, as a process of its own: it answers readers and
stops cleanly (exit status 0) on SIGTERM, as `systemctl stop` sends it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Subscription
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.sandbox.x import XEmulator
from bot.store import Archive
from tests.test_run_schedule import newsbot_run, wait_for

pytestmark = pytest.mark.usefixtures("x_emulator")


async def test_run_on_postgresql_answers_then_stops_cleanly(
    emulator: Emulator, seed: DefaultWorld, x_emulator: XEmulator, tmp_path: Path, pg_url: str
) -> None:
    async with await Archive.open(pg_url) as archive:
        await archive.subscriptions.add(
            Subscription(guild_id=seed.guild.id, channel_id=seed.general.id, kind="text")
        )
    issues = tmp_path / "issues"
    issues.mkdir()
    env = {"NEWSBOT_ARCHIVE__URL": pg_url}
    # The archive is the URL's: no file is made at `archive.path`.
    unused = tmp_path / "unused.db"
    async with newsbot_run(emulator, x_emulator, unused, issues, env, catch_up="none") as running:
        await wait_for(lambda: "next firing" in running.log, running)
        handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
        answer = await handle.original(timeout=30)
        assert "no issue" in answer.content.lower(), answer.content
        log = await running.stop()  # exit status 0, or it fails here
    assert "unexpected error" not in log
    assert not unused.exists()
