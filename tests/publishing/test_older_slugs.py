"""Sections in other scripts an older newsbot gave the slug `section` (`## 業界ニュース`): an
issue published then and corrected after the upgrade edits that section's thread, the readers'
replies in it kept; a channel set up then for that section gets it in the issues after."""

from __future__ import annotations

from typing import Any

from bot.models import Issue, Subscription, ascii_slug
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.targets import all_targets
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.settings import load_settings
from bot.store import Archive
from tests.factories import issue, item
from tests.publishing.conftest import posted_in, text_of, text_target, threads_of
from tests.publishing.test_publish import assert_no_bad_requests


def as_read_today(blurb: str, number: int = 205) -> Issue:
    """An issue as its file reads now: `## 業界ニュース` under the slug `業界ニュース`."""
    return issue(
        number,
        {
            "業界ニュース": [item(f"Robots {number}", f"https://news.example/{number}", blurb)],
            "Papers": [item(f"A paper {number}", f"https://news.example/paper/{number}")],
        },
    )


def as_archived_before(today: Issue) -> Issue:
    """`today` as the older newsbot archived it: its sections under their ASCII slugs."""
    older = tuple(s.model_copy(update={"slug": ascii_slug(s.name)}) for s in today.sections)
    return today.model_copy(update={"sections": older})


async def published(
    engine: Engine, outlet: DiscordOutlet, archive: Archive, number: int, targets: list[Any]
) -> None:
    """Publish the archived issue `number` to `targets` on Discord, every target in full."""
    report = await engine.publish(await archive.issues.issue(number), outlet, targets)
    assert report.ok, [t.error for t in report.targets]


async def test_a_correction_keeps_the_thread_of_a_section_an_older_newsbot_slugged(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    archive_with_issues: Archive,
) -> None:
    await archive_with_issues.issues.ingest(as_archived_before(as_read_today("A blurb.")))
    targets = [text_target(seed, seed.general), text_target(seed, seed.forum)]
    published = await archive_with_issues.issues.issue(205)
    assert published.sections[0].slug == "section"
    assert (await engine.publish(published, outlet, targets)).ok
    thread, post = threads_of(emulator, seed.general)[0], threads_of(emulator, seed.forum)[0]
    assert thread.name == post.name == "#205 · 業界ニュース"
    reply = await emulator.post_message(thread, seed.reader, "ロボット、いいですね")
    # After the upgrade the editor corrects a blurb, and the file is ingested as read today.
    await archive_with_issues.issues.ingest(as_read_today("A corrected blurb."))
    calls_before = len(emulator.requests)

    report = await engine.publish(await archive_with_issues.issues.issue(205), outlet, targets)

    assert report.ok, [t.error for t in report.targets]
    assert_no_bad_requests(emulator)
    assert all(
        t.counts[Outcome.REMOVED] == 0 and t.counts[Outcome.POSTED] == 0 for t in report.targets
    )
    assert not [r for r in emulator.requests[calls_before:] if r.method == "DELETE"]
    assert threads_of(emulator, seed.general)[0].id == thread.id
    assert threads_of(emulator, seed.forum)[0].id == post.id
    assert reply.message in emulator.messages_in(thread)
    everything = "\n".join(text_of(m) for m in posted_in(emulator, seed.general))
    assert "A corrected blurb." in everything


async def test_a_channel_set_up_for_such_a_section_gets_it_in_the_issues_after(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    archive_with_issues: Archive,
) -> None:
    archive = archive_with_issues
    await archive.issues.ingest(as_archived_before(as_read_today("A blurb.")))
    # `/newsletter setup sections:業界ニュース` then kept the slug the section had.
    await archive.subscriptions.add(
        Subscription(
            guild_id=seed.guild.id, channel_id=seed.general.id, kind="text", sections=("section",)
        )
    )
    await archive.issues.ingest(as_read_today("A blurb.", number=206))
    targets = await all_targets(archive, load_settings())

    await published(engine, outlet, archive, 206, targets)

    assert [t.name for t in threads_of(emulator, seed.general)] == ["#206 · 業界ニュース"]


async def test_a_channel_the_config_declares_for_such_a_section_gets_it_in_older_issues(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    archive_with_issues: Archive,
) -> None:
    archive = archive_with_issues
    await archive.issues.ingest(as_archived_before(as_read_today("A blurb.")))
    declared = {"guild_id": seed.guild.id, "channel_id": seed.general.id}
    settings = load_settings(discord={"targets": [{**declared, "sections": ["業界ニュース"]}]})
    targets = await all_targets(archive, settings)

    await published(engine, outlet, archive, 205, targets)

    assert [t.name for t in threads_of(emulator, seed.general)] == ["#205 · 業界ニュース"]


async def test_a_channel_set_up_by_the_older_slug_and_the_name_gets_that_section_alone(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    archive_with_issues: Archive,
) -> None:
    archive = archive_with_issues
    papers = issue(206, {"論文": [item("A paper", "https://news.example/paper")]})
    await archive.issues.ingest(as_archived_before(as_read_today("A blurb.")))
    await archive.issues.ingest(as_archived_before(papers))
    # `/newsletter setup sections:業界ニュース` kept the older slug, with the name it was chosen
    # by, while the archive had the section under that slug alone.
    chosen = Subscription(
        guild_id=seed.guild.id,
        channel_id=seed.general.id,
        kind="text",
        sections=("section",),
        section_names=("業界ニュース",),
    )
    await archive.subscriptions.add(chosen)
    await archive.issues.ingest(as_read_today("A blurb.", number=207))
    targets = await all_targets(archive, load_settings())

    for number in (205, 206, 207):
        await published(engine, outlet, archive, number, targets)

    threads = [t.name for t in threads_of(emulator, seed.general)]
    assert threads == ["#205 · 業界ニュース", "#207 · 業界ニュース"]
