"""The schedule's work when the archive's database refuses writes as a firing starts (a
failover to a standby, not yet promoted): the firing fails, logged and told to the editors as
any failed firing is, and the next one, the database back, publishes."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from bot.models import Issue
from bot.publishing.outlets.x import x_outlet
from bot.sandbox.x import XEmulator
from bot.store import Archive
from tests.conftest import ISSUES, eventually
from tests.pg_server import PgServer
from tests.test_scheduled import Told, saved_a_while_ago, scheduled_on, settings_for
from tests.x.conftest import assert_one_thread, thread_texts


async def test_a_firing_the_database_refuses_is_told_and_the_next_publishes(
    pg_server: PgServer,
    pg_url: str,
    x_emulator: XEmulator,
    tmp_path: Path,
    issue_202: Issue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    saved_a_while_ago(folder / "202.md")
    settings = settings_for(x_emulator, folder)
    told = Told()
    async with await Archive.open(pg_url) as archive, x_outlet(settings.x) as x:
        await archive.issues.ingest(issue_202)
        work = scheduled_on(archive, settings, x, told)
        pg_server.read_only(pg_url, True)
        await work.on_firing()  # as the scheduler runs it: nothing may escape to it
        assert "the scheduled firing failed" in caplog.text
        assert told.messages == [
            "The scheduled firing failed (ReadOnlySqlTransaction); see the log."
        ]
        assert not x_emulator.live_tweets()
        pg_server.read_only(pg_url, False)
        await work.on_firing()
        assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202))


async def test_a_publish_finishing_as_the_database_fails_over_is_told_as_it_ended(
    pg_server: PgServer,
    pg_url: str,
    x_emulator: XEmulator,
    tmp_path: Path,
    issue_202: Issue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The thread's last post is made as the database fails over: recording it fails. The
    publish is tried again once the database answers, finds from the ledger (and X) that
    everything went out, and nothing is told as failed."""
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    saved_a_while_ago(folder / "202.md")
    settings = settings_for(x_emulator, folder)
    told = Told()
    posts = thread_texts(issue_202)
    async with await Archive.open(pg_url) as archive, x_outlet(settings.x) as x:
        await archive.issues.ingest(issue_202)
        work = scheduled_on(archive, settings, x, told)
        # Every post but the last goes out as usual; the last is held until the failover.
        x_emulator.inject("POST", "/2/tweets", 200, times=len(posts) - 1, hang=True).release()
        last = x_emulator.inject("POST", "/2/tweets", 200, hang=True)
        firing = asyncio.create_task(work.on_firing())
        await eventually(lambda: last.hits == 1)
        pg_server.read_only(pg_url, True)
        last.release()
        # Until the publish is tried again (or, given up, the firing ends).
        retrying = "the archive failed under the publish of #202"
        await eventually(lambda: retrying in caplog.text or firing.done())
        pg_server.read_only(pg_url, False)
        await firing
        assert told.messages == []
        assert "the scheduled firing failed" not in caplog.text
        assert "publishing #202 to X failed" not in caplog.text
        assert_one_thread(x_emulator.live_tweets(), posts)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_publish_the_database_refuses_for_its_schema_is_told_at_once(
    backend: str,
    request: pytest.FixtureRequest,
    x_emulator: XEmulator,
    tmp_path: Path,
    issue_202: Issue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The archive's ledger lacks a column newsbot writes (a mismatch, a bug): no outage, and
    no waiting will mend it. The firing fails at once, said so, not tried again for seconds as
    if the database were restarting."""
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    saved_a_while_ago(folder / "202.md")
    settings = settings_for(x_emulator, folder)
    told = Told()
    location: Path | str = (
        request.getfixturevalue("pg_url") if backend == "postgres" else tmp_path / "archive.db"
    )
    async with await Archive.open(location) as archive, x_outlet(settings.x) as x:
        await archive.issues.ingest(issue_202)
        _rename_ledger_column(location)
        work = scheduled_on(archive, settings, x, told)
        await work.on_firing()
        assert "the archive failed under the publish" not in caplog.text
        assert "publishing #202 to X failed" in caplog.text
        refused = "UndefinedColumn" if backend == "postgres" else "OperationalError"
        assert f"#202 on X: publishing failed unexpectedly ({refused})" in caplog.text


def _rename_ledger_column(location: Path | str) -> None:
    """Rename a column of the ledger that each step records, behind newsbot's back."""
    statement = "ALTER TABLE outbox RENAME COLUMN payload_hash TO hash_of_another_version"
    if isinstance(location, Path):
        with closing(sqlite3.connect(location)) as db:
            db.execute(statement)
            db.commit()
    else:
        with psycopg.connect(location, autocommit=True) as db:
            db.execute(statement)
