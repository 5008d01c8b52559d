"""The store's tests run against every backend: `archive` here is opened by each in turn.

A backend is a name in `BACKENDS`: "sqlite" is a file in the test's folder, "postgres" a
database of its own on the session's throwaway server (skipped, said loudly, where the
machine has no PostgreSQL).
Tests that read the SQLite file itself (migrations, the raw index) ask for `sqlite_archive`
or open a file of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.store import Archive

OpenStore = Callable[[], Awaitable[Archive]]


BACKENDS = ["postgres", "sqlite"]
"""Each backend the store tests run against, by name."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test (each store test runs once per backend)."""
    name: str = request.param
    return name


@pytest.fixture
def open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    """Opens the one empty archive of the test on the backend under test (again, after a close:
    the same archive)."""
    location: str | Path = (
        request.getfixturevalue("pg_url") if backend == "postgres" else tmp_path / "archive.db"
    )

    async def opened() -> Archive:
        return await Archive.open(location)

    return opened


@pytest.fixture
async def archive(open_store: OpenStore) -> AsyncIterator[Archive]:
    """An empty archive on the backend under test."""
    opened = await open_store()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def sqlite_archive(backend: str, request: pytest.FixtureRequest) -> Archive:
    """`archive`, for a test that also reads its SQLite file; other backends skip the test
    before a database is made for it."""
    if backend != "sqlite":
        pytest.skip("reads the SQLite file itself")
    archive: Archive = request.getfixturevalue("archive")
    return archive
