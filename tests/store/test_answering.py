"""Work done while a person waits on Discord (`Archive.answering`): answered as usual on either
backend; on PostgreSQL, a server out of reach is said to be within the readers' short wait,
whatever the work, an editor's write included."""

from __future__ import annotations

import time

import pytest

from bot.models import SuggestionStatus
from bot.store import Archive
from bot.store.postgres.database import (
    UNREACHABLE_FOR_READERS,
    WORK_WAIT,
    ArchiveUnreachable,
)
from tests.pg_server import PgServer


async def test_work_while_a_person_waits_is_done_as_usual(archive: Archive) -> None:
    async with archive.answering():
        await archive.state.set("asked", "answered")
        assert await archive.state.get("asked") == "answered"


async def test_a_server_out_of_reach_is_said_to_be_within_the_readers_wait(
    pg_server: PgServer, pg_url: str
) -> None:
    async with await Archive.open(pg_url) as archive:
        with pg_server.down():
            started = time.monotonic()
            with pytest.raises(ArchiveUnreachable) as told:
                async with archive.answering():
                    await archive.suggestions.review(1, SuggestionStatus.ACCEPTED)
            waited = time.monotonic() - started
    assert str(told.value) == UNREACHABLE_FOR_READERS
    assert waited < WORK_WAIT / 2, "not the wait of publishing's work"
