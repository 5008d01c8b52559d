"""Corrections: an issue published again after its file changed edits what was posted."""

from __future__ import annotations

from bot.models import Issue, Section
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.factories import item
from tests.publishing.conftest import posted_in, text_of, text_target, threads_of
from tests.publishing.test_publish import assert_no_bad_requests, assert_published_once


def edited(issue: Issue) -> Issue:
    """#204 with a changed blurb, an added item and a removed one."""
    industry, papers = issue.sections
    first, second = industry.items
    industry = industry.model_copy(
        update={
            "items": (
                first.model_copy(update={"blurb": "A corrected blurb."}),
                second,
                item("New chip", "https://news.example/new-chip", "Just in."),
            )
        }
    )
    papers = papers.model_copy(update={"items": papers.items[:-1]})
    return issue.model_copy(update={"sections": (industry, papers)})


async def corrected_in(archive: Archive, issue: Issue) -> Issue:
    """`issue` corrected (`edited`) and ingested: the issue as the archive gives it to a
    publish."""
    await archive.issues.ingest(Issue.model_validate(edited(issue).model_dump()))
    return await archive.issues.issue(issue.number)


async def test_a_corrected_issue_is_edited_in_place(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    target = text_target(seed, seed.general)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    before = {m.id: text_of(m) for m in posted_in(emulator, seed.general)}
    threads_before = [t.id for t in threads_of(emulator, seed.general)]
    calls_before = len(emulator.requests)

    corrected = Issue.model_validate(edited(issue_204).model_dump())
    await archive_with_issues.issues.ingest(corrected)
    report = await engine.publish(await archive_with_issues.issues.issue(204), outlet, [target])
    assert report.ok, report.targets[0].error
    assert_no_bad_requests(emulator)
    assert_published_once(emulator, seed.general.id, corrected)

    after = {m.id: text_of(m) for m in posted_in(emulator, seed.general)}
    assert [t.id for t in threads_of(emulator, seed.general)] == threads_before
    assert set(after) <= set(before), "nothing posted again: every message edited in place"
    everything = "\n".join(after.values())
    assert "A corrected blurb." in everything and "A campus for" not in everything
    assert everything.count("New chip") == 2, "once in its thread, once in the digest"
    assert "Paper 4" not in everything
    calls = emulator.requests[calls_before:]
    assert {(r.method, r.route) for r in calls} <= {
        ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
        ("DELETE", "/channels/{channel_id}/messages/{message_id}"),
    }
    changed = sum(1 for key in after if after[key] != before[key])
    assert len([r for r in calls if r.method == "PATCH"]) == changed, "unchanged: no call"
    assert report.targets[0].counts[Outcome.UNCHANGED] >= 1


async def test_a_removed_section_loses_its_thread_and_a_new_one_gets_one(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    target = text_target(seed, seed.general)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    industry, _ = issue_204.sections
    learning = Section(
        name="Learning", slug="learning", items=(item("A course", "https://learn.example/1"),)
    )
    corrected = issue_204.model_copy(update={"sections": (industry, learning)})
    await archive_with_issues.issues.ingest(Issue.model_validate(corrected.model_dump()))
    report = await engine.publish(await archive_with_issues.issues.issue(204), outlet, [target])
    assert report.ok
    assert [t.name for t in threads_of(emulator, seed.general)] == [
        "#204 · Industry",
        "#204 · Learning",
    ]
    (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0]
    assert [f["name"] for f in digest.embeds[0]["fields"]] == ["Industry", "Learning"]
    assert digest.edited_at is not None
    assert_published_once(emulator, seed.general.id, corrected)
    again = await engine.publish(await archive_with_issues.issues.issue(204), outlet, [target])
    assert (
        again.targets[0].counts[Outcome.REMOVED] == 0
        and again.targets[0].counts[Outcome.POSTED] == 0
    )


async def test_a_section_renamed_in_place_keeps_its_thread_and_the_replies_in_it(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    """`## Industry news {#industry}`: the section keeps its slug, so its thread (or forum
    post) is renamed, not deleted with the readers' replies and made again."""
    targets = [text_target(seed, seed.general), text_target(seed, seed.forum)]
    assert (await engine.publish(issue_204, outlet, targets)).ok
    thread, post = threads_of(emulator, seed.general)[0], threads_of(emulator, seed.forum)[0]
    reply = await emulator.post_message(thread, seed.reader, "Great pick, thanks!")
    industry, papers = issue_204.sections
    renamed = Section(name="Industry news", slug="industry", items=industry.items)
    corrected = issue_204.model_copy(update={"sections": (renamed, papers)})
    await archive_with_issues.issues.ingest(Issue.model_validate(corrected.model_dump()))
    calls_before = len(emulator.requests)

    report = await engine.publish(await archive_with_issues.issues.issue(204), outlet, targets)

    assert report.ok
    assert_no_bad_requests(emulator)
    assert all(
        t.counts[Outcome.REMOVED] == 0 and t.counts[Outcome.POSTED] == 0 for t in report.targets
    )
    assert not [r for r in emulator.requests[calls_before:] if r.method == "DELETE"]
    assert threads_of(emulator, seed.general)[0].id == thread.id
    assert emulator.world.channel(thread.id).name == "#204 · Industry news"
    assert reply.message in emulator.messages_in(thread)
    assert emulator.world.channel(post.id).name == "#204 · Industry news"
    assert emulator.world.channel(post.id).applied_tags == [seed.forum.tag("Industry").id]
    (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0]
    assert [f["name"] for f in digest.embeds[0]["fields"]] == ["Industry news", papers.name]
