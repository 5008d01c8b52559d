"""A button that fails is apologised for, privately, and logged: never "This interaction
failed" with nothing said."""

from __future__ import annotations

import logging

import pytest

from bot.app import SORRY, Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, Message
from bot.store import Archive
from tests.cogs.test_newsletter_roles import published_digest
from tests.cogs.test_reader import assert_private_and_silent
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
