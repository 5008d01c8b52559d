"""The store's tests run against every backend: `archive` here is opened by each in turn.

A backend is a name in `BACKENDS` and a function that opens an empty archive for one test.
Tests that read the SQLite file itself (migrations, the raw index) ask for `sqlite_archive`
or open a file of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.store import Archive

OpenStore = Callable[[Path], Awaitable[Archive]]


async def _open_sqlite(folder: Path) -> Archive:
    return await Archive.open(folder / "archive.db")


BACKENDS: dict[str, OpenStore] = {"sqlite": _open_sqlite}
"""Each backend the store tests run against, by name."""


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test (each store test runs once per backend)."""
    name: str = request.param
    return name


@pytest.fixture
def open_store(backend: str) -> OpenStore:
    """Opens an empty archive on the backend under test."""
    return BACKENDS[backend]


@pytest.fixture
async def archive(open_store: OpenStore, tmp_path: Path) -> AsyncIterator[Archive]:
    """An empty archive on the backend under test."""
    opened = await open_store(tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def sqlite_archive(archive: Archive, backend: str) -> Archive:
    """`archive`, for a test that also reads its SQLite file; other backends skip the test."""
    if backend != "sqlite":
        pytest.skip("reads the SQLite file itself")
    return archive
