"""`newsbot restore FILE` of a file that is a database but no newsbot backup, or one the
server refuses part of: refused with one clear line, the archive left as it was."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.test_restore import backed_up, latest_in, names_in, newsbot


def other_database(file: Path, user_version: int) -> None:
    """An SQLite database of another program: a table of invoices, at `user_version`."""
    with closing(sqlite3.connect(file)) as other:
        other.execute("CREATE TABLE invoices (number INTEGER PRIMARY KEY, total INTEGER)")
        other.execute("INSERT INTO invoices VALUES (1, 100)")
        other.execute(f"PRAGMA user_version = {user_version}")
        other.commit()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "issues"
    made.mkdir()
    return made


@pytest.fixture
def env(folder: Path) -> dict[str, str]:
    return {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}


@pytest.mark.parametrize(
    ("user_version", "said"),
    [
        (0, "it has no schema version"),
        (3, "it has no table issues, items, outbox, sections, state, subscriptions"),
    ],
)
async def test_restore_of_an_sqlite_file_that_is_no_newsbot_backup_is_refused(
    tmp_path: Path, env: dict[str, str], user_version: int, said: str
) -> None:
    """Nothing is replaced: the archive stays in its place, not only kept beside it."""
    db, backup = tmp_path / "newsbot.db", tmp_path / "newsbot-Mon.db"
    await backed_up(db, env, backup)
    other = tmp_path / "other.db"
    await asyncio.to_thread(other_database, other, user_version)
    code, out, err = await newsbot("--db", str(db), "restore", str(other), env=env)
    assert code == 1, out
    assert " ".join(err.split()) == (
        f"error: {other} is not a newsbot backup: {said}; the archive is left as it was"
    )
    assert names_in(tmp_path) == ["issues", "newsbot-Mon.db", "newsbot.db", "other.db"]
    assert latest_in(db) == 203
