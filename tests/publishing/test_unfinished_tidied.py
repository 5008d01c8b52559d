"""What a moderator tidied away while a publish was left unfinished: what was deleted (an
empty section thread, whose messages were refused; a digest not yet crossposted) is made again
by the next publish, not refused by it for ever; a thread locked is named, with what to do."""

from __future__ import annotations

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator, MessageFlag, Permission
from tests.publishing.conftest import text_target, threads_of
from tests.publishing.test_publish import assert_no_bad_requests, assert_published_once


async def test_an_empty_thread_a_moderator_deleted_is_made_again(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
) -> None:
    target = text_target(seed, seed.general)
    emulator.deny(seed.general, Permission.SEND_MESSAGES_IN_THREADS)
    (refused,) = (await engine.publish(issue_204, outlet, [target])).targets
    assert refused.error is not None and "Send Messages in Threads" in refused.error
    (empty,) = threads_of(emulator, seed.general)
    emulator.delete_channel(empty)  # a moderator tidies the thread left empty
    emulator.allow(seed.general, Permission.SEND_MESSAGES_IN_THREADS)

    (channel,) = (await engine.publish(issue_204, outlet, [target])).targets

    assert channel.error is None
    assert f"made again what was deleted in <#{seed.general.id}>" in channel.summary()
    assert empty.id not in {t.id for t in threads_of(emulator, seed.general)}
    assert_published_once(emulator, seed.general.id, issue_204)
    assert_no_bad_requests(emulator)


async def test_a_digest_a_moderator_deleted_before_its_crosspost_is_posted_again(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
) -> None:
    target = text_target(seed, seed.announcements)
    emulator.inject("POST", "/channels/{channel_id}/messages/{message_id}/crosspost", 403)
    (refused,) = (await engine.publish(issue_204, outlet, [target])).targets
    assert refused.error is not None
    (uncrossposted,) = [m for m in emulator.messages_in(seed.announcements) if m.type == 0]
    emulator.messaging.delete(uncrossposted, seed.owner, check_permissions=False)

    (channel,) = (await engine.publish(issue_204, outlet, [target])).targets

    assert channel.error is None
    (digest,) = [m for m in emulator.messages_in(seed.announcements) if m.type == 0]
    assert digest.id != uncrossposted.id
    assert digest.flags & MessageFlag.CROSSPOSTED


async def test_an_empty_thread_a_moderator_locked_is_named_with_what_to_do(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
) -> None:
    # The invite's Manage Threads is taken away in the channel, as a server may.
    emulator.deny(seed.general, Permission.MANAGE_THREADS | Permission.SEND_MESSAGES_IN_THREADS)
    target = text_target(seed, seed.general, alerts_channel_id=seed.announcements.id)
    assert (await engine.publish(issue_204, outlet, [target])).targets[0].error
    (empty,) = threads_of(emulator, seed.general)
    empty.locked = True  # a moderator locks the thread left empty
    emulator.allow(seed.general, Permission.SEND_MESSAGES_IN_THREADS)

    (channel,) = (await engine.publish(issue_204, outlet, [target])).targets

    said = "could not send a message: a moderator locked the thread “#204 · Industry”"
    assert channel.error is not None and said in channel.error, channel.error
    assert "Unlock it" in channel.error and "Discord answered" not in channel.error
    assert said in emulator.messages_in(seed.announcements)[-1].content
