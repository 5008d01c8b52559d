"""A connection to the SQLite archive whose opening is cancelled (a search asked as newsbot
stops, a command interrupted) is closed, not left open until it is collected."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import Archive


class Tracked(sqlite3.Connection):
    """A connection that knows whether it was closed."""

    closed = False

    def close(self) -> None:
        self.closed = True
        super().close()


class Opening:
    """SQLite's connect, held at the point where the file is being opened until released."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.opened = threading.Event()
        self.made: list[Tracked] = []
        self._connect = sqlite3.connect  # the real one, taken before the fixture replaces it

    def connect(self, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        self.started.set()
        assert self.release.wait(10), "the test never let the open go on"
        made = self._connect(*args, **kwargs, factory=Tracked)
        assert isinstance(made, Tracked)
        self.made.append(made)
        self.opened.set()
        return made

    def still_open(self) -> list[Tracked]:
        return [made for made in self.made if not made.closed]


@pytest.fixture
def opening(monkeypatch: pytest.MonkeyPatch) -> Iterator[Opening]:
    held = Opening()
    monkeypatch.setattr(sqlite3, "connect", held.connect)  # aiosqlite calls sqlite3.connect
    yield held
    held.release.set()


async def cancel_while_opening(opening: Opening, work: asyncio.Task[Any]) -> None:
    assert await asyncio.to_thread(opening.started.wait, 10), "nothing was opened"
    work.cancel()
    opening.release.set()
    with pytest.raises(asyncio.CancelledError):
        await work
    assert await asyncio.to_thread(opening.opened.wait, 10), "the file was never opened"


async def test_an_archive_open_cancelled_leaves_no_connection_open(
    tmp_path: Path, opening: Opening
) -> None:
    opening.release.set()
    await (await Archive.open(tmp_path / "archive.db")).close()  # the file exists already
    before = len(opening.made)
    opening.started.clear()
    opening.release.clear()
    opening.opened.clear()
    await cancel_while_opening(opening, asyncio.create_task(Archive.open(tmp_path / "archive.db")))
    assert len(opening.made) == before + 1, "the cancelled open made its connection"
    assert opening.still_open() == []


async def test_a_search_cancelled_while_its_reader_opens_leaves_it_closed(
    tmp_path: Path, opening: Opening
) -> None:
    opening.release.set()
    archive = await Archive.open(tmp_path / "archive.db")
    try:
        before = len(opening.made)
        opening.started.clear()
        opening.release.clear()
        opening.opened.clear()
        await cancel_while_opening(opening, asyncio.create_task(archive.issues.search("robots")))
        (reader,) = opening.made[before:]
        assert reader.closed
        # The next search opens a reader of its own and is answered.
        opening.release.set()
        assert (await archive.issues.search("robots")).hits == ()
    finally:
        await archive.close()
    assert opening.still_open() == []
