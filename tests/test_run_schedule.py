"""`newsbot run` on a schedule, as its own process, against the Discord and X emulators.

The cron fires every second (a sixth, seconds field): #202 goes out once to a channel and
as a thread on X, and later firings send nothing more; stopped with SIGTERM in the middle of a
publish and started again, the issue ends complete with nothing twice; started after a firing
was missed, it catches up as `schedule.catch_up` says.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import pytest

from bot.models import Issue, Subscription
from bot.sandbox.discord import Channel, DefaultWorld, Emulator
from bot.sandbox.x import XEmulator
from bot.schedule.triggers import LAST_FIRING_KEY
from bot.store import Archive
from tests.conftest import ISSUES, eventually
from tests.newsbot_process import Process, newsbot_process
from tests.publishing.conftest import posted_in, threads_of
from tests.publishing.test_publish import assert_published_once
from tests.test_scheduled import saved_a_while_ago
from tests.x.conftest import assert_one_thread, thread_texts, x_env

pytestmark = pytest.mark.usefixtures("x_emulator")

EVERY_SECOND = "* * * * * *"  # a sixth field, in front: seconds
ONCE_A_YEAR = "0 9 1 1 *"  # its last firing is always in the past: something to catch up on


@pytest.fixture
def issues_dir(tmp_path: Path) -> Path:
    """The editors' folder with #202 in it (not ingested: each firing re-reads the folder),
    saved a while ago: the first firing reads it without waiting for the save to settle."""
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    saved_a_while_ago(folder / "202.md")
    return folder


async def subscribed_archive(path: Path, channel: Channel, seed: DefaultWorld) -> Path:
    """An archive with no issue yet and one channel subscribed to receive them."""
    async with await Archive.open(path) as archive:
        await archive.subscriptions.add(
            Subscription(guild_id=seed.guild.id, channel_id=channel.id, kind="text")
        )
    return path


def last_run(db: Path) -> dict[str, Any] | None:
    """What the schedule's last run recorded, read as another process would."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        row = connection.execute(
            "SELECT value FROM state WHERE key = ?", (LAST_FIRING_KEY,)
        ).fetchone()
    return json.loads(row[0]) if row else None


class Running:
    """A `newsbot run` process and what it has logged so far, read as it runs."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.log = ""
        self.reading = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.log += line.decode(errors="replace")

    async def stop(self) -> str:
        """SIGTERM, then its exit code must be 0; returns everything it logged."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 60)
        await asyncio.wait_for(self.reading, 10)
        assert self.process.returncode == 0, self.log
        assert "Traceback" not in self.log, self.log
        return self.log


@asynccontextmanager
async def newsbot_run(
    emulator: Emulator,
    x_emulator: XEmulator,
    db: Path,
    issues: Path,
    extra: dict[str, str] | None = None,
    **schedule: str,
) -> AsyncIterator[Running]:
    """`newsbot run` with both emulators and this schedule (and `extra` environment)."""
    env = x_env(x_emulator, emulator) | {
        "NEWSBOT_ARCHIVE__PATH": str(db),
        "NEWSBOT_ISSUES__DIRECTORY": str(issues),
        "NEWSBOT_PUBLISHING__REQUESTS_PER_SECOND": "20",
        **{f"NEWSBOT_SCHEDULE__{key.upper()}": value for key, value in schedule.items()},
        **(extra or {}),
    }
    process = await newsbot_process(
        "run",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Running(process)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        running.reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running.reading


async def wait_for(done: Callable[[], bool], running: Running) -> None:
    """Until `done()`, failing early if the process died."""

    def alive() -> None:
        if running.process.returncode is not None:
            raise AssertionError(f"`newsbot run` exited with {running.process.returncode}")

    await eventually(done, alive=alive)


def assert_everywhere_once(
    emulator: Emulator, x_emulator: XEmulator, channel: Channel, issue: Issue
) -> None:
    """The issue is in `channel` and on X, each message, thread and post exactly once."""
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue))
    assert_published_once(emulator, channel.id, issue)
    names = [t.name for t in threads_of(emulator, channel)]
    assert names == [f"#{issue.number} · {section.name}" for section in issue.sections]
    assert len([m for m in emulator.messages_in(channel) if m.embeds]) == 1, "one digest"


async def test_each_firing_publishes_the_new_issue_once_to_discord_and_x(
    emulator: Emulator,
    seed: DefaultWorld,
    x_emulator: XEmulator,
    tmp_path: Path,
    issues_dir: Path,
    issue_202: Issue,
) -> None:
    db = await subscribed_archive(tmp_path / "archive.db", seed.general, seed)
    published = "firing done: Discord: #202; X: #202"

    def firings() -> list[str]:
        """What each firing did, from the log: a later one may be recorded a moment after
        (one that came while the publish ran), so the archive's last run is no witness."""
        return [line for line in running.log.splitlines() if "firing done:" in line]

    async with newsbot_run(
        emulator, x_emulator, db, issues_dir, cron=EVERY_SECOND, catch_up="none"
    ) as running:
        await wait_for(lambda: any(published in line for line in firings()), running)
        # Two more firings after the publish: they find it in the ledger and send nothing.
        after = len(firings())
        await wait_for(lambda: len(firings()) >= after + 2, running)
        log = await running.stop()
    done = firings()
    (first,) = [n for n, line in enumerate(done) if published in line]
    assert all(line.endswith("firing done: nothing to publish") for line in done[first + 1 :])
    assert len(done) >= first + 3
    assert_everywhere_once(emulator, x_emulator, seed.general, issue_202)
    assert "X is not configured" not in log
    assert "newsbot stopped" in log


async def test_sigterm_in_the_middle_of_a_publish_then_a_restart_completes_it_once(
    emulator: Emulator,
    seed: DefaultWorld,
    x_emulator: XEmulator,
    tmp_path: Path,
    issues_dir: Path,
    issue_202: Issue,
) -> None:
    db = await subscribed_archive(tmp_path / "archive.db", seed.general, seed)
    thread = thread_texts(issue_202)
    # Four calls a second and no grace: the stop cuts the publish of #202 short.
    slow = {"NEWSBOT_PUBLISHING__REQUESTS_PER_SECOND": "4", "NEWSBOT_PUBLISHING__STOP_GRACE": "0"}
    async with newsbot_run(
        emulator, x_emulator, db, issues_dir, slow, cron=EVERY_SECOND, catch_up="none"
    ) as running:
        await wait_for(lambda: len(threads_of(emulator, seed.general)) >= 2, running)
        log = await running.stop()
    assert "stopped in the middle of a publish" in log
    assert len(threads_of(emulator, seed.general)) < len(issue_202.sections)
    assert not x_emulator.live_tweets()
    async with newsbot_run(
        emulator, x_emulator, db, issues_dir, cron=EVERY_SECOND, catch_up="none"
    ) as running:
        await wait_for(lambda: len(x_emulator.live_tweets()) == len(thread), running)
        await running.stop()
    assert_everywhere_once(emulator, x_emulator, seed.general, issue_202)


@pytest.mark.parametrize("policy", ["latest", "none"])
async def test_a_firing_missed_while_down_is_caught_up_per_the_policy(
    emulator: Emulator,
    seed: DefaultWorld,
    x_emulator: XEmulator,
    tmp_path: Path,
    issues_dir: Path,
    issue_202: Issue,
    policy: str,
) -> None:
    db = await subscribed_archive(tmp_path / "archive.db", seed.general, seed)
    # #202 was in the folder before the firing newsbot missed (1 January, 09:00).
    before = dt.datetime(2025, 12, 31, tzinfo=dt.UTC).timestamp()
    os.utime(issues_dir / "202.md", (before, before))
    async with newsbot_run(
        emulator, x_emulator, db, issues_dir, cron=ONCE_A_YEAR, catch_up=policy
    ) as running:
        await wait_for(lambda: last_run(db) is not None, running)
        if policy == "latest":
            thread = thread_texts(issue_202)
            await wait_for(lambda: len(x_emulator.live_tweets()) == len(thread), running)
        await running.stop()
    caught_up = last_run(db)
    assert caught_up is not None and caught_up["kind"] == "catch-up"
    if policy == "latest":
        assert caught_up["published"] == {"discord": [202], "x": [202]}
        assert_everywhere_once(emulator, x_emulator, seed.general, issue_202)
    else:
        assert caught_up["published"] == {}
        assert not x_emulator.live_tweets()
        assert not posted_in(emulator, seed.general)
    # Either way the catch-up ingested the folder: readers can find #202.
    async with await Archive.open(db, create=False) as archive:
        assert (await archive.issues.issue(202)).title == issue_202.title
