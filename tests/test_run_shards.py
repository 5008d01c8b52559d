"""Two `newsbot run` processes splitting a bot's servers by shard, on one SQLite archive.

Each identifies with its own shard and answers the readers of its servers; the schedule fires
in both and the issue still goes out once overall; the slash commands are synced by one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.models import Issue, Subscription
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Permission
from bot.sandbox.x import XEmulator
from bot.store import Archive
from tests.conftest import ISSUES
from tests.publishing.conftest import threads_of
from tests.test_run_schedule import (
    EVERY_SECOND,
    assert_everywhere_once,
    last_run,
    newsbot_run,
    subscribed_archive,
    wait_for,
)
from tests.test_scheduled import saved_a_while_ago
from tests.x.conftest import thread_texts

pytestmark = pytest.mark.usefixtures("x_emulator")

SHARDS = 2
COMMANDS = "/applications/{application_id}/commands"
PUBLISHING = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.CREATE_PUBLIC_THREADS
    | Permission.SEND_MESSAGES_IN_THREADS
    | Permission.READ_MESSAGE_HISTORY
    | Permission.MANAGE_THREADS
    | Permission.MANAGE_MESSAGES
)


@pytest.fixture
def issues_dir(tmp_path: Path) -> Path:
    """The editors' folder with #202 in it, for the schedule to ingest and publish, saved a
    while ago: the first firing reads it without waiting for the save to settle."""
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    saved_a_while_ago(folder / "202.md")
    return folder


def server_on_the_other_shard(emulator: Emulator, seed: DefaultWorld) -> Channel:
    """A second readers' server with newsbot in it, on the shard the seed server is not on;
    returns its channel for issues."""
    world = emulator.world
    shard = 1 - (seed.guild.id >> 22) % SHARDS
    guild = world.add_guild("Second Readers", owner=seed.owner, shard=(shard, SHARDS))
    role = world.add_role(guild, "newsbot", permissions=int(PUBLISHING), managed_by_bot=seed.bot.id)
    world.add_member(guild, seed.bot, roles=(role,))
    world.add_member(guild, seed.reader)
    return world.add_channel(guild, "issues")


def shard_env(shard: int) -> dict[str, str]:
    return {
        "NEWSBOT_DISCORD__SHARD_COUNT": str(SHARDS),
        "NEWSBOT_DISCORD__SHARD_IDS": f"[{shard}]",
    }


async def test_two_processes_on_their_own_shards_publish_once_and_both_answer(
    emulator: Emulator,
    seed: DefaultWorld,
    x_emulator: XEmulator,
    tmp_path: Path,
    issues_dir: Path,
    issue_202: Issue,
) -> None:
    elsewhere = server_on_the_other_shard(emulator, seed)
    db = await subscribed_archive(tmp_path / "archive.db", seed.general, seed)
    async with await Archive.open(db) as archive:
        await archive.subscriptions.add(
            Subscription(
                guild_id=emulator.world.guild_of(elsewhere).id, channel_id=elsewhere.id, kind="text"
            )
        )
    schedule = {"cron": EVERY_SECOND, "catch_up": "none"}
    thread = thread_texts(issue_202)
    sections = len(issue_202.sections)
    # The first sync is held in flight until the other process has started: it must not sync too.
    held = emulator.inject("PUT", COMMANDS, status=500, hang=True)
    async with (
        newsbot_run(emulator, x_emulator, db, issues_dir, shard_env(0), **schedule) as zero,
        newsbot_run(emulator, x_emulator, db, issues_dir, shard_env(1), **schedule) as one,
    ):
        await wait_for(lambda: held.hits == 1 and len(emulator.gateway.ready_sessions) == 1, zero)
        held.release()  # answered 500: discord.py sends it again

        def everywhere() -> bool:
            return len(x_emulator.live_tweets()) == len(thread) and all(
                len(threads_of(emulator, c)) == sections for c in (seed.general, elsewhere)
            )

        for running in (zero, one):
            await wait_for(everywhere, running)
        # More firings: the process holding the publishing lease finds #202 in the ledger and
        # sends nothing; the other, firing at the same moment, leaves the firing to it. (Until
        # one such firing is seen: on a loaded machine, the two may not meet at every one.)
        published = last_run(db)
        assert published is not None
        await wait_for(lambda: (last_run(db) or {})["at"] > published["at"], zero)

        def left() -> bool:
            return any("left to another newsbot process" in r.log for r in (zero, one))

        await wait_for(left, one)
        # Each server's reader is answered, by the process holding that server's shard.
        for guild, channel in (
            (seed.guild, seed.general),
            (emulator.world.guild_of(elsewhere), elsewhere),
        ):
            handle = await emulator.run_slash_command(guild, channel, seed.reader, "latest")
            answer = await handle.original(timeout=10)
            assert "202" in str(answer.embeds), answer.embeds
        logs = [await zero.stop(), await one.stop()]
    assert sorted(p["shard"] for p in emulator.gateway.identify_payloads) == [[0, 2], [1, 2]]
    for channel in (seed.general, elsewhere):
        assert_everywhere_once(emulator, x_emulator, channel, issue_202)
    syncs = [r for r in emulator.requests_to("PUT", COMMANDS) if r.status == 200]
    assert len(syncs) == 1, "one process syncs the commands"
    assert sum("another newsbot process is syncing" in log for log in logs) == 1
    assert any("left to another newsbot process" in log for log in logs), "one publishes"
    assert emulator.rate_limit_tally()[1] == 0, "no 429 between them"
