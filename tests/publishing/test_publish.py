"""Publishing end to end: the real discord.py against the emulator, a real archive ledger."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest

from bot.models import Issue, StepState
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.plans.discord import Target
from bot.render.publish import item_title, unescape
from bot.sandbox.discord import ChannelType, DefaultWorld, Emulator, MessageFlag
from bot.store import Archive
from tests.factories import issue, item
from tests.publishing.conftest import posted_in, text_of, text_target, threads_of

ANY_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)\d+>")
"""A ping, or anything that reads as one: a user, role or channel mention, @everyone, @here."""
MESSAGE_CREATING = {
    ("POST", "/channels/{channel_id}/messages"),
    ("POST", "/channels/{channel_id}/threads"),
    ("POST", "/channels/{channel_id}/messages/{message_id}/crosspost"),
}


def assert_no_bad_requests(emulator: Emulator) -> None:
    bad = [(r.method, r.path, r.status, r.response) for r in emulator.requests if r.status == 400]
    assert bad == []


def assert_published_once(emulator: Emulator, channel_id: int, issue: Issue) -> None:
    """Every item's entry is in exactly one thread message, and its blurb nowhere else."""
    channel = emulator.world.channels[channel_id]
    messages = posted_in(emulator, channel)
    in_threads = [m for m in messages if m.channel_id != channel.id]
    for section, entry in issue.items:
        heading = f"**{item_title(entry)}**"
        holders = [m for m in in_threads if heading in text_of(m)]
        assert len(holders) == 1, (section.name, entry.title, len(holders))
        blurb = unescape(entry.blurb.split(". ")[0])
        assert sum(unescape(text_of(m)).count(blurb) for m in messages) >= 1


async def test_publish_202_to_text_announcement_and_forum(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    role = seed.newsletter_role.id
    targets = [
        text_target(seed, seed.general, role_id=role),
        text_target(seed, seed.announcements),
        text_target(seed, seed.forum, role_id=role),
    ]
    report = await engine.publish(issue_202, outlet, targets)
    assert report.ok, [t.error for t in report.targets]
    assert_no_bad_requests(emulator)
    names = [f"#202 · {s.name}" for s in issue_202.sections]
    for channel in (seed.general, seed.announcements, seed.forum):
        assert_published_once(emulator, channel.id, issue_202)
        threads = threads_of(emulator, channel)
        assert [t.name for t in threads][: len(names)] == names
        for message in posted_in(emulator, channel):
            allowed = message.allowed_mentions
            assert allowed is not None and allowed.get("parse") == []
            assert set(allowed.get("roles", [])) <= {str(role)}
            assert not message.mention_everyone and not message.mentions
    # The digest comes last, links to every thread and pings the role (in #general only).
    (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0]
    assert digest.content.startswith(f"<@&{role}> New issue: **#202**")
    assert digest.mention_roles == [role]
    links = " ".join(f["value"] for f in digest.embeds[0]["fields"])
    for thread in threads_of(emulator, seed.general):
        assert f"<#{thread.id}>" in links
    assert "newsbot:notify:" + str(role) in digest.custom_ids()
    # Announcements: the digest was crossposted, and pinged no one.
    (announced,) = [m for m in emulator.messages_in(seed.announcements) if m.type == 0]
    assert announced.flags & MessageFlag.CROSSPOSTED
    assert announced.allowed_mentions == {"parse": []} and not announced.components
    # Forum: one post per section with its tag, then the digest post.
    posts = threads_of(emulator, seed.forum)
    assert [p.name for p in posts] == [*names, "#202 · Deep Learning Weekly: Issue #202"]
    for post, section in zip(posts, issue_202.sections, strict=False):
        assert post.applied_tags == [seed.forum.tag(section.name).id]


async def test_api_calls_stay_within_the_budget(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    before = len(emulator.requests)
    report = await engine.publish(issue_202, outlet, [text_target(seed, seed.general)])
    assert report.ok
    calls = emulator.requests[before:]
    assert len(calls) == 1 + 2 * len(issue_202.sections)
    assert all((r.method, r.route) in MESSAGE_CREATING for r in calls)
    again = await engine.publish(issue_202, outlet, [text_target(seed, seed.general)])
    assert again.ok and len(emulator.requests) == before + len(calls), "nothing to do: no call"
    assert again.targets[0].counts[Outcome.UNCHANGED] == len(calls)


async def test_an_issue_with_links_and_long_sections(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_204: Issue
) -> None:
    report = await engine.publish(issue_204, outlet, [text_target(seed, seed.general)])
    assert report.ok
    assert_no_bad_requests(emulator)
    assert_published_once(emulator, seed.general.id, issue_204)
    (industry, papers) = threads_of(emulator, seed.general)
    first = emulator.messages_in(industry)[0]
    assert "**[Quantum campus](https://news.example/quantum)**" in first.embeds[0]["description"]
    assert "[Read more](https://news.example/chips)" in first.embeds[0]["description"]
    assert len(emulator.messages_in(papers)) >= 2, "a long section takes more messages"


async def test_a_deleted_channel_fails_alone_and_its_server_is_told(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archive_with_issues: Archive,
) -> None:
    emulator.delete_channel(seed.announcements)
    targets = [
        text_target(seed, seed.general),
        text_target(seed, seed.announcements, alerts_channel_id=seed.general.id),
    ]
    report = await engine.publish(issue_202, outlet, targets)
    general, announcements = report.targets
    assert general.error is None and announcements.error is not None
    assert f"channel {seed.announcements.id} no longer exists on Discord" in announcements.error
    assert_published_once(emulator, seed.general.id, issue_202)
    alerts = [m for m in emulator.messages_in(seed.general) if "could not publish" in m.content]
    assert len(alerts) == 1
    assert f"<#{seed.announcements.id}>" in alerts[0].content
    assert alerts[0].allowed_mentions == {"parse": []}
    ledger = await archive_with_issues.ledger.entries(202, "discord", str(seed.announcements.id))
    assert {e.state for e in ledger.values()} <= {StepState.PENDING, StepState.FAILED}


async def test_a_send_that_discord_accepted_but_answered_500_is_not_doubled(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    fault = emulator.inject("POST", "/channels/{channel_id}/messages", 500, after_handler=True)
    emulator.inject("POST", "/channels/{channel_id}/threads", 503, times=2)
    report = await engine.publish(issue_202, outlet, [text_target(seed, seed.general)])
    assert report.ok and fault.exhausted
    assert_published_once(emulator, seed.general.id, issue_202)
    bodies = [text_of(m) for m in posted_in(emulator, seed.general)]
    assert len(bodies) == len(set(bodies)) == 1 + len(issue_202.sections)


async def test_two_publishes_of_one_issue_at_once_post_each_step_once(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    # The schedule and an editor's /newsletter publish start together, through the process's
    # one engine.
    target = text_target(seed, seed.general)
    first, second = await asyncio.gather(
        engine.publish(issue_202, outlet, [target]), engine.publish(issue_202, outlet, [target])
    )
    assert first.ok and second.ok
    assert_published_once(emulator, seed.general.id, issue_202)
    assert len(threads_of(emulator, seed.general)) == len(issue_202.sections)
    assert len([m for m in emulator.messages_in(seed.general) if m.type == 0]) == 1
    # One of them posted everything; the other found it all sent.
    posted = sorted(r.targets[0].counts[Outcome.POSTED] for r in (first, second))
    assert posted[0] == 0 and posted[1] > 0


# Readers' threads archived since, more than Discord lists at once (120): it lists the most
# recently archived first, so newsbot's own are on a later page.
@pytest.mark.parametrize("archived_since", [0, 120])
async def test_a_thread_archived_since_an_interrupted_attempt_is_found_not_made_again(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    archived_since: int,
) -> None:
    target = text_target(seed, seed.general)
    assert (await engine.publish(issue_202, outlet, [target])).ok
    # As if the process had stopped while starting the first thread (Discord made it, the
    # ledger did not learn its id), and newsbot came back after Discord archived it.
    ledger = await engine.archive.ledger.entries(202, "discord", target.name)
    entry = next(e for e in ledger.values() if e.action == "thread")
    await engine.archive.ledger.record(
        replace(entry, state=StepState.SENDING, remote_id=None, location_id=None, attempts=1)
    )
    for thread in threads_of(emulator, seed.general):
        thread.archived = True
    for n in range(archived_since):
        chat = emulator.messaging.thread_without_message(
            seed.general, seed.reader, {"name": f"chat {n}", "type": 11}
        )
        chat.archived = True
    again = await engine.publish(issue_202, outlet, [target])
    assert again.ok and again.targets[0].counts[Outcome.RECOVERED] == 1, "found, not made"
    assert again.targets[0].counts[Outcome.POSTED] == 0
    own = [t for t in threads_of(emulator, seed.general) if t.owner_id == seed.bot.id]
    assert len(own) == len(issue_202.sections)
    assert_published_once(emulator, seed.general.id, issue_202)


async def test_each_kind_of_channel_gets_the_threads_discord_takes_there(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    # Discord takes only announcement threads (10) in an announcement channel, public ones (11)
    # in a text channel, and forum posts (a thread with its first message, no type) in a forum.
    targets = [text_target(seed, c) for c in (seed.general, seed.announcements, seed.forum)]
    report = await engine.publish(issue_202, outlet, targets)
    assert report.ok, [t.error for t in report.targets]
    assert not emulator.violations, [str(v) for v in emulator.violations]
    asked: dict[str, list[tuple[object, bool]]] = {}
    for request in emulator.requests_to("POST", "/channels/{channel_id}/threads"):
        made = (request.json.get("type"), "message" in request.json)
        asked.setdefault(request.path, []).append(made)
    sections = len(issue_202.sections)
    assert asked[f"/channels/{seed.general.id}/threads"] == [(11, False)] * sections
    assert asked[f"/channels/{seed.announcements.id}/threads"] == [(10, False)] * sections
    assert asked[f"/channels/{seed.forum.id}/threads"] == [(None, True)] * (sections + 1)
    for channel, kind in (
        (seed.general, ChannelType.PUBLIC_THREAD),
        (seed.announcements, ChannelType.ANNOUNCEMENT_THREAD),
        (seed.forum, ChannelType.PUBLIC_THREAD),
    ):
        assert {t.type for t in threads_of(emulator, channel)} == {kind}
    (digest,) = [m for m in emulator.messages_in(seed.announcements) if m.type == 0]
    assert digest.flags & MessageFlag.CROSSPOSTED


HOSTILE = "@everyone <@111111111111111111> <@!111111111111111111> <#333333333333333333> @here"


def _strings(value: object) -> list[str]:
    """Every string in a JSON body: names, contents, titles, labels, option labels…"""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


async def test_mentions_in_an_issue_reach_discord_defused_everywhere(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld
) -> None:
    role = seed.newsletter_role.id
    loud = f"{HOSTILE} <@&{role}>"
    hostile = issue(
        205,
        {f"Industry {loud}": [item(f"A title {loud}", "https://a.example/1", f"Blurb {loud}")]},
        title=f"Weekly {loud}",
    )
    targets = [
        text_target(seed, c, role_id=role) for c in (seed.general, seed.announcements, seed.forum)
    ]
    report = await engine.publish(hostile, outlet, targets)
    assert report.ok, [t.error for t in report.targets]
    assert not emulator.violations, [str(v) for v in emulator.violations]
    sent = [s for r in emulator.requests if r.method in ("POST", "PATCH") for s in _strings(r.json)]
    assert any("A title" in s for s in sent) and any("Industry" in s for s in sent)
    live = [m.group(0) for s in sent for m in ANY_MENTION.finditer(s)]
    # What is left is newsbot's own: the digest's ping of the channel's role, one per channel,
    # and the digest's links to the threads it made.
    threads = {f"<#{c.id}>" for c in emulator.world.channels.values() if c.is_thread}
    assert sorted(m for m in live if m not in threads) == [f"<@&{role}>"] * len(targets)
    names = [c.name for c in emulator.world.channels.values() if c.is_thread]
    assert names and not [n for n in names if ANY_MENTION.search(n)]


async def test_a_media_channel_named_in_the_config_is_published_to_as_a_forum(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    # Discord's threads topic, "Media Channels": threads in a GUILD_MEDIA (16) channel behave as
    # in a forum, with the same endpoints. /newsletter setup takes one (discord.py reads it as
    # a ForumChannel); a target the config file declares, its kind read at publish, was refused.
    media = emulator.world.add_channel(
        seed.guild, "newsletter-media", ChannelType.GUILD_MEDIA, tags=("Industry",)
    )
    declared = Target(guild_id=seed.guild.id, channel_id=media.id)  # as the config gives it
    report = await engine.publish(issue_202, outlet, [declared])
    assert report.ok, [t.error for t in report.targets]
    assert_no_bad_requests(emulator)
    assert_published_once(emulator, media.id, issue_202)
    posts = threads_of(emulator, media)
    names = [f"#202 · {s.name}" for s in issue_202.sections]
    assert [p.name for p in posts] == [*names, "#202 · Deep Learning Weekly: Issue #202"]
    assert posts[0].applied_tags == [media.tag("Industry").id]
