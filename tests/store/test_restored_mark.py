"""A backup knows it is one, and the archive never does; a backup found in the archive's place
is marked restored, once, through the highest issue number it or the issue folder knows."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.backup import back_up
from bot.issuefiles import write_issue
from bot.publishing.restored import RESTORED, TAKEN, backup_state, restored_through
from bot.store import Archive
from tests.factories import issue, item


async def test_a_backup_is_marked_as_one_and_the_archive_is_not(
    archive: Archive, sqlite_archive: Archive, tmp_path: Path
) -> None:
    await archive.issues.ingest(issue(7, {"News": [item("A", "https://a.example")]}))
    copy = tmp_path / "copy.db"
    await back_up(tmp_path / "archive.db", copy)
    assert await archive.state.get(TAKEN) is None
    async with await Archive.open(copy, create=False) as backup:
        assert await backup.state.get(TAKEN) is not None


async def test_a_restored_backup_is_marked_through_the_newest_issue_once(
    archive: Archive, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await archive.issues.ingest(issue(7, {"News": [item("A", "https://a.example")]}))
    folder = tmp_path / "issues"
    write_issue(issue(9, {"News": [item("B", "https://b.example")]}), folder / "9.md")
    assert await restored_through(archive, folder) is None  # never a backup: no lookups
    assert await archive.state.get(RESTORED) is None

    for key, value in backup_state(dt.datetime.now(dt.UTC)).items():
        await archive.state.set(key, value)  # as the backup's copy holds it, restored
    with caplog.at_level(logging.WARNING):
        assert await restored_through(archive, folder) == 9
    assert "up to #9 is looked for" in caplog.text
    assert await archive.state.get(TAKEN) is None
    # Issues written later are not counted in: the mark stays where the restore put it.
    write_issue(issue(10, {"News": [item("C", "https://c.example")]}), folder / "10.md")
    caplog.clear()
    assert await restored_through(archive, folder) == 9
    assert caplog.text == ""
