"""`newsbot run` on an archive in PostgreSQL, as a process of its own: it answers readers and
stops cleanly (exit status 0) on SIGTERM, as `systemctl stop` sends it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import psycopg
import pytest

from bot.cli._console import CONFIG_EXIT
from bot.models import Subscription
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.sandbox.x import XEmulator
from bot.store import Archive
from bot.store.postgres.database import WORK_WAIT, migrations
from tests.pg_server import PgServer
from tests.test_run import newsbot_run as newsbot_process_run
from tests.test_run import run_env
from tests.test_run_schedule import newsbot_run, wait_for
from tests.x.conftest import run_newsbot

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
    # The archive is the URL's: `archive.path` is not looked at (its folder, a data mount of
    # the SQLite days, is gone here), and no file is made there.
    unused = tmp_path / "not-mounted" / "unused.db"
    async with newsbot_run(emulator, x_emulator, unused, issues, env, catch_up="none") as running:
        await wait_for(lambda: "next firing" in running.log, running)
        handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
        answer = await handle.original(timeout=30)
        assert "no issue" in answer.content.lower(), answer.content
        log = await running.stop()  # exit status 0, or it fails here
    assert "unexpected error" not in log
    assert not unused.parent.exists()


async def test_sync_commands_on_postgresql_leaves_the_unused_archive_path_alone(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path, pg_url: str
) -> None:
    """It stopped with status 78, `cannot open the archive …: folder … does not exist`, for
    the file of an `archive.path` that the URL set beside it makes unused."""
    unused = tmp_path / "not-mounted" / "unused.db"
    env = {**run_env(emulator, seed, unused), "NEWSBOT_ARCHIVE__URL": pg_url}
    done = await run_newsbot("sync-commands", env=env)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"synced [0-9]+ command\(s\)\.\n", done.stdout), done.stdout
    assert emulator.synced_commands(seed.guild), "the commands reached Discord"
    assert not unused.parent.exists()


async def test_run_on_an_archive_a_newer_newsbot_migrated_stops_for_good(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path, pg_url: str
) -> None:
    """A machine not yet upgraded, its newsbot started again after another's has migrated the
    archive: the exit status tells systemd that restarting cannot help (contrib/newsbot.service),
    instead of a start every ten seconds that can only fail again."""
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE newsbot_schema SET version = 999")
    env = {**run_env(emulator, seed, tmp_path / "unused.db"), "NEWSBOT_ARCHIVE__URL": pg_url}
    process = await newsbot_process_run(env, stdout=asyncio.subprocess.DEVNULL)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == CONFIG_EXIT, log
    assert "Traceback" not in log, log
    assert log.splitlines()[-1].endswith(
        f"has schema version 999, but this newsbot knows only {len(migrations())}: upgrade newsbot"
    )


async def test_run_on_postgresql_stops_cleanly_after_an_outage(
    emulator: Emulator,
    seed: DefaultWorld,
    x_emulator: XEmulator,
    tmp_path: Path,
    pg_url: str,
    pg_server: PgServer,
) -> None:
    """The server down a moment while newsbot runs (a restart): readers are told meanwhile,
    answered once it is back, and `systemctl stop` afterwards still ends it with status 0, not
    on an unexpected error."""
    issues = tmp_path / "issues"
    issues.mkdir()
    env = {"NEWSBOT_ARCHIVE__URL": pg_url}
    async with newsbot_run(
        emulator, x_emulator, tmp_path / "unused.db", issues, env, catch_up="none"
    ) as running:
        await wait_for(lambda: "next firing" in running.log, running)
        with pg_server.down():
            handle = await emulator.run_slash_command(
                seed.guild, seed.general, seed.reader, "latest"
            )
            answer = await handle.original(timeout=WORK_WAIT / 2)
            assert "cannot be reached right now" in answer.content, answer.content
        handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
        answer = await handle.original(timeout=WORK_WAIT / 2)
        assert "no issue" in answer.content.lower(), answer.content
        log = await running.stop()  # exit status 0, or it fails here
    assert "unexpected error" not in log
