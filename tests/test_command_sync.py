"""Slash commands sent again when newsbot starts with other ones than Discord has: after an
upgrade, even one started within the minute of the newsbot before it, which held the lease of
sending them when it ended."""

from __future__ import annotations

import socket
import subprocess
import sys

from bot.app import COMMANDS_HASH_KEY, COMMANDS_SYNC_LEASE, COMMANDS_SYNC_SECONDS
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.workers import kept_lease
from tests.conftest import StartNewsbot


def a_pid_that_ended() -> int:
    """The id of a process that has just ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_a_newsbot_started_within_the_minute_of_the_one_before_sends_its_commands(
    start_newsbot: StartNewsbot, emulator: Emulator, seed: DefaultWorld, archive: Archive
) -> None:
    # The newsbot before sent its own commands a moment ago, holding the lease, and ended.
    where = f"{seed.bot.id}:{seed.guild.id}"
    before = f"{socket.gethostname()}:{a_pid_that_ended()}"
    assert await archive.state.try_lease(
        f"{COMMANDS_SYNC_LEASE}:{where}", before, COMMANDS_SYNC_SECONDS
    )
    await archive.state.set(f"{COMMANDS_HASH_KEY}:{where}", "the commands before")

    await start_newsbot(archive)

    assert emulator.synced_commands(seed.guild), "this newsbot's commands reached Discord"
    assert await archive.state.get(f"{COMMANDS_HASH_KEY}:{where}") != "the commands before"
    kept = await kept_lease(archive.state, f"{COMMANDS_SYNC_LEASE}:{where}")
    assert kept is not None and kept.given_up, "given up once sent: a restart sends its own"
