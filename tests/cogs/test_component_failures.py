"""A button that fails is answered privately, never with "This interaction failed" and
nothing said: as its command would answer the same failure, and a bug of newsbot's with an
apology, logged."""

from __future__ import annotations

import logging

import pytest

from bot.app import SORRY, Newsbot
from bot.models import Issue
from bot.render.discord import CONTENT_MAX
from bot.render.text import literal_but_code
from bot.sandbox.discord import CallbackType, DefaultWorld, Emulator, Message
from bot.store import Archive
from bot.store.postgres.database import UNREACHABLE_FOR_READERS
from tests.cogs.test_newsletter_roles import published_digest
from tests.cogs.test_reader import assert_private_and_silent, slash
from tests.cogs.test_reader_pages import shown
from tests.conftest import StartNewsbot
from tests.pg_server import PgServer
from tests.publishing.test_newsletter_cog import newsletter, private


def logged(caplog: pytest.LogCaptureFixture, custom_id: str) -> logging.LogRecord:
    return next(r for r in caplog.records if f"component {custom_id!r} failed" in r.getMessage())


async def apology(emulator: Emulator, message: Message, custom_id: str, user: object) -> Message:
    handle = await emulator.press_button(message, custom_id, user)  # type: ignore[arg-type]
    return await handle.original(timeout=5)


async def test_a_failing_notify_me_is_apologised_for(
    newsbot: Newsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    filled_archive: Archive,
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer = await newsletter(
        emulator, seed, "setup", channel=seed.general, role=seed.newsletter_role
    )
    assert private(answer).startswith("Done:")
    digest = await published_digest(emulator, seed)
    custom_id = f"newsbot:notify:{seed.newsletter_role.id}"
    await filled_archive.close()
    with caplog.at_level(logging.ERROR, logger="cogs.components"):
        answer = await apology(emulator, digest, custom_id, seed.reader)
    assert_private_and_silent(answer)
    assert answer.content == SORRY
    assert logged(caplog, custom_id).exc_info is not None


async def test_a_page_turned_while_the_archive_is_out_of_reach_says_so(
    pg_server: PgServer,
    pg_url: str,
    issue_203: Issue,
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest(issue_203)
        await start_newsbot(archive)
        first = await slash(emulator, seed, "search", query="torch")
        # Less time to answer than Discord's 3 s, less than the archive's server is waited
        # for (2 s): as a loaded machine may leave. The press is acknowledged meanwhile.
        emulator.config.interaction_deadline = 1.0
        with pg_server.down(), caplog.at_level(logging.ERROR, logger="cogs.components"):
            pressed = await emulator.press_button(first, "search:next", seed.reader)
            # Acknowledged, then told in a follow-up, the page not turned.
            assert (await pressed.updated()).type == CallbackType.DEFERRED_UPDATE_MESSAGE
            (answer,) = pressed.interaction.followups
        assert_private_and_silent(answer)
        # As /search itself says it (`test_postgres_outage`), not an apology for a bug.
        assert answer.content == literal_but_code(UNREACHABLE_FOR_READERS, CONTENT_MAX)
        assert not caplog.records, "an outage is no bug of newsbot's"
        assert shown(first)[0] == "Results 1–5 · more on the next page", "the page stays"


async def test_notify_me_pressed_while_the_archive_is_out_of_reach_says_so_in_time(
    pg_server: PgServer,
    pg_url: str,
    issue_202: Issue,
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
) -> None:
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest(issue_202)
        await start_newsbot(archive)
        await newsletter(emulator, seed, "setup", channel=seed.general, role=seed.newsletter_role)
        digest = await published_digest(emulator, seed)
        with pg_server.down():
            # Within Discord's 3 s: not after the 30 s publishing waits out an outage, when
            # Discord has long shown "This interaction failed".
            answer = await apology(emulator, digest, f"newsbot:notify:{seed.newsletter_role.id}",
                                   seed.reader)  # fmt: skip
        assert_private_and_silent(answer)
        assert answer.content == literal_but_code(UNREACHABLE_FOR_READERS, CONTENT_MAX)
        assert seed.newsletter_role.id not in seed.guild.members[seed.reader.id].roles
