"""Readers asking while the archive's PostgreSQL server is down: each is told at once that the
archive is out of reach, not kept behind "thinking…" until the pool gives up, and answered as
usual once the server is back."""

from __future__ import annotations

import time

import pytest

from bot.models import Issue
from bot.render.discord import CONTENT_MAX
from bot.render.text import literal_but_code
from bot.sandbox.discord import DefaultWorld, Emulator, InteractionHandle, User
from bot.store import Archive
from bot.store.postgres.database import READER_WAIT, UNREACHABLE_FOR_READERS, WORK_WAIT
from tests.conftest import StartNewsbot
from tests.pg_server import PgServer

TOLD_WITHIN = WORK_WAIT / 2
"""Seconds the answer may take here: far more than `READER_WAIT`, for a loaded machine, and far
less than the wait that kept readers until the pool gave up."""
ATTEMPTS = 4
"""Attempts to connect the pool makes while the server is down, readers asking all along: the
pool's own pauses between two, doubling from 1 s, would make its fourth 7 s in and its next 15 s
in, 8 s after the server is back, far past `READER_WAIT`; newsbot's attempts, made as readers
ask, reach four in about 3 s."""
BUSY = 1.2
"""Seconds the bot's event loop is kept from reading an interaction Discord has sent."""
Typed = list[tuple[User, str, dict[str, str], str, str | None]]
"""Options typed: who, into which command, with what, the focused option, the subcommand."""


async def typed_at_once(
    emulator: Emulator, seed: DefaultWorld, typed: Typed
) -> list[InteractionHandle]:
    """Each of `typed` sent one right after another, none waiting for the choices of those
    before: their waits for the archive overlap, as two people's typing at once does."""
    return [
        await emulator.autocomplete(
            seed.guild, seed.general, user, command, options, focused, subcommand=subcommand
        )
        for user, command, options, focused, subcommand in typed
    ]


async def test_a_reader_asking_during_an_outage_is_told_the_archive_is_out_of_reach(
    pg_server: PgServer,
    pg_url: str,
    issue_202: Issue,
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert READER_WAIT < 3  # Discord's deadline for the first answer
    told = literal_but_code(UNREACHABLE_FOR_READERS, CONTENT_MAX)  # shown as written

    def attempts() -> int:
        """The pool's failed attempts to connect so far, each as it was made."""
        return sum("error connecting in" in r.getMessage() for r in caplog.records)

    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest(issue_202)
        await start_newsbot(archive)
        with pg_server.down():
            asked, questions = ["latest", "search"], 0
            while asked:
                command = asked.pop(0)
                if not asked and attempts() < ATTEMPTS:
                    asked.append("latest")  # readers go on asking until the server is back
                questions += 1
                assert questions <= 30, f"{attempts()} attempts to connect in 30 questions"
                options = {"query": "learning"} if command == "search" else None
                handle = await emulator.run_slash_command(
                    seed.guild, seed.general, seed.reader, command, options
                )
                answer = await handle.original(timeout=TOLD_WITHIN)
                assert answer.content == told, (command, answer.content)
        handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
        answer = await handle.original(timeout=TOLD_WITHIN)
        (embed,) = answer.embeds
        assert embed["title"].startswith("#202 · "), embed


async def test_typing_an_option_during_an_outage_offers_nothing_in_time_and_logs_no_trace(
    pg_server: PgServer,
    pg_url: str,
    issue_202: Issue,
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Discord waits 3 s for the choices of an option being typed, and no later (the emulator
    refuses a late answer): a reader's and an editor's (who may wait longer for the archive)
    alike get none in time while the server is down, told in the log without a traceback, and
    the choices once it is back. tests/cogs/test_choices.py checks every option is guarded."""
    typed: Typed = [
        (seed.reader, "issue", {"number": "20"}, "number", None),
        (seed.manager, "newsletter", {"issue": ""}, "issue", "publish"),
    ]
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest(issue_202)
        await start_newsbot(archive)
        with pg_server.down():
            handles = await typed_at_once(emulator, seed, typed)
            for handle, (_, command, *_) in zip(handles, typed, strict=True):
                assert await handle.choices(timeout=TOLD_WITHIN) == [], command
        assert not [r for r in caplog.records if r.exc_info], "no traceback for an outage"
        offered = [r.getMessage() for r in caplog.records if "no choices offered" in r.getMessage()]
        assert len(offered) == len(typed), offered
        for user, command, options, focused, subcommand in typed:
            handle = await emulator.autocomplete(
                seed.guild, seed.general, user, command, options, focused, subcommand=subcommand
            )
            assert await handle.choices(timeout=TOLD_WITHIN), command


async def test_choices_read_late_by_a_busy_bot_still_come_within_discords_3_s(
    pg_server: PgServer,
    pg_url: str,
    issue_202: Issue,
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
) -> None:
    """Discord's 3 s count from when it sent the interaction: one the bot reads a second late
    (its event loop busy) has that much less time, not the whole wait again."""
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest(issue_202)
        await start_newsbot(archive)
        with pg_server.down():
            typed: Typed = [
                (seed.reader, "issue", {"number": "20"}, "number", None),
                (seed.manager, "newsletter", {"issue": ""}, "issue", "publish"),
            ]
            # Both sent before the bot's loop is kept busy: each is read that much late.
            handles = await typed_at_once(emulator, seed, typed)
            time.sleep(BUSY)  # noqa: ASYNC251 - the bot's loop is this one: it is kept busy
            for handle, (_, command, *_) in zip(handles, typed, strict=True):
                assert await handle.choices(timeout=TOLD_WITHIN) == [], command
