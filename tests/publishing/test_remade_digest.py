"""A digest a moderator deleted is made again by the next correction without pinging the
channel's role a second time: readers were notified of the issue when it went out, and an old
issue's digest coming back is no news (Discord's Allowed Mentions: a role is pinged only when
`allowed_mentions` lets it be)."""

from __future__ import annotations

import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Message
from bot.store import Archive
from tests.publishing.conftest import text_target, threads_of
from tests.publishing.test_corrections import corrected_in


def digest_in(emulator: Emulator, channel: Channel) -> Message:
    """The digest newsbot posted in `channel`: the channel's message, or a forum's digest post's
    first message."""
    if channel.type != 15:
        (message,) = [m for m in emulator.messages_in(channel) if m.type == 0]
        return message
    (post,) = [p for p in threads_of(emulator, channel) if "Issue #" in p.name]
    return emulator.messages_in(post)[0]


def delete_digest(emulator: Emulator, seed: DefaultWorld, channel: Channel) -> None:
    """A moderator deletes the digest (a forum's digest post with it)."""
    if channel.type == 15:
        (post,) = [p for p in threads_of(emulator, channel) if "Issue #" in p.name]
        emulator.delete_channel(post)
    else:
        emulator.messaging.delete(digest_in(emulator, channel), seed.owner, check_permissions=False)


@pytest.mark.parametrize("kind", ["text", "announcement", "forum"])
async def test_a_digest_made_again_does_not_ping_the_role_again(
    kind: str,
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    channel = {"text": seed.general, "announcement": seed.announcements, "forum": seed.forum}[kind]
    role = seed.newsletter_role.id
    target = text_target(seed, channel, role_id=role)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    first = digest_in(emulator, channel)
    assert first.mention_roles == [role], "the issue's first digest pings the role"
    delete_digest(emulator, seed, channel)
    corrected = await corrected_in(archive_with_issues, issue_204)

    report = await engine.publish(corrected, outlet, [target])

    assert report.ok, report.targets[0].error
    again = digest_in(emulator, channel)
    assert again.id != first.id
    assert f"<@&{role}>" in again.content, "the digest still names the role"
    assert again.allowed_mentions == {"parse": []}, "a digest made again lets no role be pinged"
    assert again.mention_roles == []
    # The quiet digest is the step's own: the next correction finds it unchanged, not to edit.
    later = await engine.publish(corrected, outlet, [target])
    assert later.ok and later.count(Outcome.EDITED) == later.count(Outcome.POSTED) == 0


async def test_a_digest_whose_making_again_failed_does_not_ping_when_it_is_made(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    role = seed.newsletter_role.id
    target = text_target(seed, seed.general, role_id=role)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    delete_digest(emulator, seed, seed.general)
    # A correction of the intro only changes the digest: its edit finds it deleted, and
    # making it again fails (Discord down) until the next publish.
    await archive_with_issues.issues.ingest(issue_204.model_copy(update={"intro": "Corrected."}))
    corrected = await archive_with_issues.issues.issue(204)
    fault = emulator.inject(
        "POST", "/channels/{channel_id}/messages", 503, times=engine.retries.times + 1
    )
    failed = await engine.publish(corrected, outlet, [target])
    assert not failed.ok and fault.hits == engine.retries.times + 1

    report = await engine.publish(corrected, outlet, [target])

    assert report.ok, report.targets[0].error
    again = digest_in(emulator, seed.general)
    assert "Corrected." in str(again.embeds) or "Corrected." in again.content
    assert again.mention_roles == [], "the role was notified of #204 when it first went out"
