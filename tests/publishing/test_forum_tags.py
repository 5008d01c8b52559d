"""Forum tags: each section's post gets the tag named like the section; in a forum that
requires a tag on every post (Discord's REQUIRE_TAG flag) the digest, and a section with no tag
of its name, get the forum's "Digest" or "Newsletter" tag, and without one nothing is posted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.models import Issue, Subscription
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import Channel, DefaultWorld, Emulator
from bot.sandbox.discord._models import ChannelFlag, ForumTag
from tests.factories import issue, item
from tests.publishing.cli_harness import newsbot_env
from tests.publishing.conftest import text_target, threads_of
from tests.publishing.test_dry_run import rows_of
from tests.x.conftest import archive_file, run_newsbot

LACKING = (
    "the forum #newsletter-forum requires a tag on every post and has none for the digest: "
    "create a tag named “Newsletter” (or “Digest”) there"
)


@pytest.fixture
def robotics() -> Issue:
    """An issue with a section the forum has a tag for, and one it has none for."""
    return issue(
        205,
        {
            "Industry": [item("A chip", "https://news.example/chip")],
            "Robotics": [item("A robot", "https://news.example/robot")],
        },
    )


def add_tags(emulator: Emulator, forum: Channel, *names: str) -> None:
    forum.available_tags += [ForumTag(id=emulator.world.snowflakes.next(), name=n) for n in names]


def tags_of(forum: Channel, post: Channel) -> list[str]:
    by_id = {t.id: t.name for t in forum.available_tags}
    return [by_id[t] for t in post.applied_tags]


async def test_a_forum_that_requires_a_tag_tags_the_digest_and_an_untagged_section(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    robotics: Issue,
) -> None:
    seed.forum.flags |= ChannelFlag.REQUIRE_TAG
    add_tags(emulator, seed.forum, "Newsletter", "Digest")
    await engine.archive.issues.ingest(robotics)
    report = await engine.publish(robotics, outlet, [text_target(seed, seed.forum)])
    assert report.ok, [t.error for t in report.targets]
    industry, robots, digest = threads_of(emulator, seed.forum)
    assert [tags_of(seed.forum, p) for p in (industry, robots, digest)] == [
        ["Industry"],
        ["Newsletter"],
        ["Digest"],
    ]
    # A correction edits the posts: they keep the tags a post there must carry.
    corrected = robotics.model_copy(update={"subtitle": "Corrected"})
    await engine.archive.issues.ingest(corrected)
    again = await engine.publish(corrected, outlet, [text_target(seed, seed.forum)])
    assert again.ok, [t.error for t in again.targets]
    assert tags_of(seed.forum, digest) == ["Digest"]
    assert tags_of(seed.forum, robots) == ["Newsletter"]
    assert not emulator.violations, [str(v) for v in emulator.violations]


async def test_a_forum_without_the_flag_tags_as_before(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    robotics: Issue,
) -> None:
    add_tags(emulator, seed.forum, "Newsletter", "Digest")
    await engine.archive.issues.ingest(robotics)
    report = await engine.publish(robotics, outlet, [text_target(seed, seed.forum)])
    assert report.ok
    posts = threads_of(emulator, seed.forum)
    assert [tags_of(seed.forum, p) for p in posts] == [["Industry"], [], []]


async def test_a_forum_requiring_a_tag_it_lacks_gets_nothing_until_the_tag_exists(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    robotics: Issue,
) -> None:
    seed.forum.flags |= ChannelFlag.REQUIRE_TAG
    await engine.archive.issues.ingest(robotics)
    report = await engine.publish(robotics, outlet, [text_target(seed, seed.forum)])
    [target] = report.targets
    assert target.error is not None and target.error.startswith(LACKING), target.error
    assert not target.resumable, "publishing again as it is would fail the same way"
    assert threads_of(emulator, seed.forum) == [], "no section's post without its digest"
    assert not [r for r in emulator.requests if r.status >= 400]
    # The managers create the tag: the next publish, by the same running bot, sees it.
    add_tags(emulator, seed.forum, "Newsletter")
    again = await engine.publish(robotics, outlet, [text_target(seed, seed.forum)])
    assert again.ok, [t.error for t in again.targets]
    posts = threads_of(emulator, seed.forum)
    assert [tags_of(seed.forum, p) for p in posts] == [["Industry"], ["Newsletter"], ["Newsletter"]]


async def test_the_dry_run_and_the_publish_name_the_forum_and_the_tag_it_lacks(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, robotics: Issue
) -> None:
    seed.forum.flags |= ChannelFlag.REQUIRE_TAG
    subscribed = Subscription(guild_id=seed.guild.id, channel_id=seed.forum.id, kind="forum")
    db = await archive_file(tmp_path / "a.db", robotics, subscribed)
    env = newsbot_env(emulator) | {"NEWSBOT_DISCORD__TARGETS": json.dumps([])}
    dry = await run_newsbot("--db", str(db), "publish", "--outlet", "discord", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    [(channel, step, does)] = rows_of(dry.stdout)
    assert (channel, step) == (str(seed.forum.id), "")
    # The table folds the text onto more lines: compared without its spaces.
    assert "".join(does.split()).startswith("".join(f"fails: {LACKING}".split())), does
    run = await run_newsbot("--db", str(db), "publish", "--outlet", "discord", env=env)
    assert run.returncode == 1
    said = " ".join(run.stderr.split())
    assert f"error: channel {seed.forum.id} did not get the whole issue ({LACKING}" in said
    assert "again later" not in said, "publishing again as it is would fail the same way"
    assert not emulator.requests_to("POST", "/channels/{channel_id}/threads")
