"""A `newsbot publish` started while `newsbot restore` replaces an archive on PostgreSQL: it
waits until the restored archive is in place, then publishes from it, looking for what the
backup lost instead of taking the old archive's word for it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from bot.models import Issue
from bot.publishing.plans.x import plan as x_plan
from bot.sandbox.x import XEmulator, XEmulatorConfig
from bot.settings import XSettings
from bot.store import Archive
from tests.conftest import ISSUES, eventually
from tests.pg_server import PgServer, shimmed
from tests.test_restore import issue_203
from tests.x.conftest import Run, run_newsbot, x_env

GATED_PG_DUMP = """#!/bin/sh
# Under PG_DUMP_GATE, waits for the test to let it go before it dumps.
if [ -n "$PG_DUMP_GATE" ]; then
    touch "$PG_DUMP_GATE.reached"
    while [ ! -e "$PG_DUMP_GATE.open" ]; do sleep 0.05; done
fi
exec {real} "$@"
"""
"""pg_dump, held at its start while the test acts: the restore keeps the archive it replaces
with it, between its checks and its load."""


@pytest.fixture
def x_config() -> XEmulatorConfig:
    """X's own refusal of a repeated post off: the ledger alone must keep each post single."""
    return XEmulatorConfig(duplicate_window=0.0)


def gated_path(tools: Path) -> str:
    """A PATH whose pg_dump is `GATED_PG_DUMP`."""
    return shimmed(tools, "pg_dump", GATED_PG_DUMP)


def waiting_on_a_lock(admin_url: str, url: str) -> bool:
    """Whether a session of the database at `url` waits for a lock another holds."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (url.rpartition("/")[2],),
        ).fetchone()
    return bool(row and row[0])


def ongoing(task: asyncio.Task[Run]) -> Callable[[], None]:
    """A check that `task` still runs, failing with what it did if it ended."""

    def alive() -> None:
        assert not task.done(), task.result()

    return alive


async def gated_env(x_emulator: XEmulator, url: str, tmp_path: Path) -> dict[str, str]:
    """The environment newsbot runs with on the archive at `url`, publishing to `x_emulator`,
    its issue folder `tmp_path`/issues (made here), its pg_dump `GATED_PG_DUMP`."""
    folder = tmp_path / "issues"
    folder.mkdir()
    return x_env(x_emulator) | {
        "NEWSBOT_ARCHIVE__URL": url,
        "NEWSBOT_ISSUES__DIRECTORY": str(folder),
        "PATH": await asyncio.to_thread(gated_path, tmp_path / "bin"),
    }


async def published_during_restore(
    pg_server: PgServer, url: str, dump: Path, env: dict[str, str], number: int
) -> Run:
    """`newsbot publish NUMBER --outlet x` started once a restore of `dump` into the archive at
    `url` has checked that nothing publishes and keeps the archive it replaces: checked to wait
    for the restore, which then succeeds; the publish, once done."""
    gate = dump.parent / "gate"
    restoring = asyncio.create_task(
        run_newsbot("restore", str(dump), env=env | {"PG_DUMP_GATE": str(gate)})
    )
    try:
        await eventually(Path(f"{gate}.reached").exists, alive=ongoing(restoring))
        # A publish starting now must not send from the archive about to be replaced.
        publishing = asyncio.create_task(
            run_newsbot("publish", str(number), "--outlet", "x", env=env)
        )
        await eventually(lambda: publishing.done() or waiting_on_a_lock(pg_server.admin_url, url))
        assert not publishing.done(), publishing.result()
    finally:
        await asyncio.to_thread(Path(f"{gate}.open").touch)  # the restore goes on, whatever
        restored = await restoring
    assert restored.returncode == 0, restored.stderr
    again = await publishing
    assert again.returncode == 0, again.stderr
    return again


async def test_a_publish_started_during_a_restore_publishes_from_the_restored_archive(
    pg_server: PgServer,
    pg_url: str,
    tmp_path: Path,
    x_emulator: XEmulator,
    issue_202: Issue,
) -> None:
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest(issue_202)
    env = await gated_env(x_emulator, pg_url, tmp_path)
    dump = tmp_path / "newsbot-Mon.dump"
    assert (await run_newsbot("backup", str(dump), env=env)).returncode == 0
    published = await run_newsbot("publish", "202", "--outlet", "x", env=env)
    assert published.returncode == 0, published.stderr
    _, steps = x_plan(issue_202, XSettings())
    assert len(x_emulator.live_tweets()) == len(steps)

    again = await published_during_restore(pg_server, pg_url, dump, env, 202)
    # The restored archive's ledger never knew of the posts: found on X, not made again.
    assert f"#202 → X: 0 posted, {len(steps)} recovered" in again.stdout, again.stdout
    assert len(x_emulator.live_tweets()) == len(steps)


async def test_a_publish_waiting_on_a_restore_looks_for_an_issue_only_the_old_archive_knew(
    pg_server: PgServer, pg_url: str, tmp_path: Path, x_emulator: XEmulator
) -> None:
    """#203, ingested from outside the issue folder after the backup and published, is newer
    than anything the backup or the folder holds: a publish of it that waited for the restore
    finds its posts on X instead of posting them again."""
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    env = await gated_env(x_emulator, pg_url, tmp_path)
    assert (await run_newsbot("ingest", str(ISSUES / "202.md"), env=env)).returncode == 0
    dump = tmp_path / "newsbot-Mon.dump"
    assert (await run_newsbot("backup", str(dump), env=env)).returncode == 0
    later = issue_203(drafts / "203.md")
    assert (await run_newsbot("ingest", str(later), env=env)).returncode == 0
    first = await run_newsbot("publish", "203", "--outlet", "x", env=env)
    assert first.returncode == 0, first.stderr
    made = len(x_emulator.live_tweets())
    assert made > 0

    again = await published_during_restore(pg_server, pg_url, dump, env, 203)
    assert f"#203 → X: 0 posted, {made} recovered" in again.stdout, again.stdout
    assert len(x_emulator.live_tweets()) == made
