"""A correction that drops a section deletes its thread, which Discord lets only Manage Threads
do (threads.mdx › Editing & Deleting Threads): a server whose bot role lacks it is told so."""

from __future__ import annotations

import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from bot.store import Archive
from tests.publishing.conftest import text_target, threads_of


@pytest.mark.parametrize("forum", [False, True], ids=["thread", "forum post"])
async def test_a_section_s_thread_left_for_want_of_manage_threads_is_named(
    forum: bool,
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    channel = seed.forum if forum else seed.general
    emulator.deny(channel, Permission.MANAGE_THREADS)
    target = text_target(seed, channel)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    industry, _papers = issue_204.sections
    corrected = Issue.model_validate(
        issue_204.model_copy(update={"sections": (industry,)}).model_dump()
    )
    await archive_with_issues.issues.ingest(corrected)

    (refused,) = (await engine.publish(corrected, outlet, [target])).targets

    assert refused.error == (
        f"the bot lacks Manage Threads in channel {channel.id}: give the bot's role Manage "
        "Threads there (the channel's settings → Permissions), then publish again"
    )
    emulator.allow(channel, Permission.MANAGE_THREADS)
    (done,) = (await engine.publish(corrected, outlet, [target])).targets
    assert done.ok and done.counts[Outcome.REMOVED] == 1
    assert "#204 · Papers & Publications" not in {t.name for t in threads_of(emulator, channel)}
