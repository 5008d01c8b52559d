"""What a moderator deleted on Discord is made again by the next correction: a digest, a
section's thread (with its messages, the digest linking the new one), a message in a thread, a
forum post. A deleted channel is named, with how to stop publishing to it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.plans.discord import Target
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from bot.store import Archive
from tests.publishing.conftest import text_target, threads_of
from tests.publishing.test_corrections import edited
from tests.publishing.test_publish import assert_no_bad_requests, assert_published_once

Deletion = Callable[[Emulator, DefaultWorld], None]


def digest(emulator: Emulator, seed: DefaultWorld) -> None:
    (message,) = [m for m in emulator.messages_in(seed.general) if m.type == 0]
    emulator.messaging.delete(message, seed.owner, check_permissions=False)


def thread(emulator: Emulator, seed: DefaultWorld) -> None:
    emulator.delete_channel(threads_of(emulator, seed.general)[1])


def message_in_thread(emulator: Emulator, seed: DefaultWorld) -> None:
    first, *_ = emulator.messages_in(threads_of(emulator, seed.general)[0])
    emulator.messaging.delete(first, seed.owner, check_permissions=False)


@pytest.mark.parametrize("deletion", [digest, thread, message_in_thread], ids=lambda d: d.__name__)
async def test_a_correction_makes_again_what_a_moderator_deleted(
    deletion: Deletion,
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    target = text_target(seed, seed.general)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    deletion(emulator, seed)
    corrected = Issue.model_validate(edited(issue_204).model_dump())
    await archive_with_issues.issues.ingest(corrected)

    report = await engine.publish(await archive_with_issues.issues.issue(204), outlet, [target])

    (channel,) = report.targets
    assert report.ok, channel.error
    assert channel.counts[Outcome.POSTED] >= 1
    assert f"made again what was deleted in <#{seed.general.id}>" in channel.summary()
    assert_no_bad_requests(emulator)
    assert_published_once(emulator, seed.general.id, corrected)
    (live_digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0]
    linked = {f"<#{t.id}>" for t in threads_of(emulator, seed.general)}
    assert all(link in str(live_digest.embeds) for link in linked), "the digest links each thread"
    again = await engine.publish(await archive_with_issues.issues.issue(204), outlet, [target])
    assert again.ok and again.targets[0].counts[Outcome.POSTED] == 0


async def test_a_deleted_forum_post_is_posted_again_by_a_correction(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    target = text_target(seed, seed.forum)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    gone = threads_of(emulator, seed.forum)[0]
    emulator.delete_channel(gone)
    corrected = Issue.model_validate(edited(issue_204).model_dump())
    await archive_with_issues.issues.ingest(corrected)

    report = await engine.publish(await archive_with_issues.issues.issue(204), outlet, [target])

    assert report.ok, report.targets[0].error
    posts = threads_of(emulator, seed.forum)
    assert gone.id not in {p.id for p in posts}
    # The deleted section's post is made again, after the digest's.
    assert [p.name for p in posts] == [
        "#204 · Papers & Publications",
        "#204 · Test Weekly: Issue #204",
        "#204 · Industry",
    ]
    assert_published_once(emulator, seed.forum.id, corrected)


@pytest.mark.parametrize("deleted", [True, False], ids=["deleted", "hidden"])
async def test_a_channel_out_of_reach_is_named_and_its_publish_left_unfinished(
    deleted: bool,
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    # Its kind is asked of Discord, as for a channel declared in the config file.
    target = Target(guild_id=seed.guild.id, channel_id=seed.announcements.id)
    if deleted:
        emulator.delete_channel(seed.announcements)
        reason = (
            f"channel {seed.announcements.id} no longer exists on Discord: take it out of "
            "discord.targets if the config file declares it; one set up with /newsletter is "
            "forgotten once `newsbot run` is connected"
        )
    else:
        emulator.deny(seed.announcements, Permission.VIEW_CHANNEL)
        reason = (
            f"the bot lacks View Channel in channel {seed.announcements.id}: give the bot's "
            "role View Channel there (the channel's settings → Permissions), then publish again"
        )
    report = await engine.publish(issue_204, outlet, [target])
    (channel,) = report.targets
    assert channel.error == reason
    # `newsbot status` lists the publish as unfinished, with the reason.
    (failed,) = [t for t in await archive_with_issues.ledger.unfinished() if t.state == "failed"]
    assert (failed.issue_number, failed.target, failed.reason) == (204, target.name, reason)
