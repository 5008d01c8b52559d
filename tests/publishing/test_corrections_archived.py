"""Corrections to old issues: Discord archives a thread after a quiet week, and a moderator may
lock one; a correction still edits an archived thread, and says why it cannot edit a locked one."""

from __future__ import annotations

import pytest

from bot.models import Issue, Section
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from bot.store import Archive
from tests.publishing.conftest import posted_in, text_of, text_target, threads_of
from tests.publishing.test_corrections import edited

THREAD_ROUTE = "/channels/{channel_id}"


def corrected(issue: Issue) -> Issue:
    """#204 `edited`, and its Industry section renamed in place (its thread renamed)."""
    industry, papers = edited(issue).sections
    renamed = Section(name="Industry news", slug="industry", items=industry.items)
    changed = issue.model_copy(update={"sections": (renamed, papers)})
    return Issue.model_validate(changed.model_dump())


async def test_a_correction_after_the_threads_archived_unarchives_what_it_changes(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    targets = [text_target(seed, seed.general), text_target(seed, seed.forum)]
    assert (await engine.publish(issue_204, outlet, targets)).ok
    threads = threads_of(emulator, seed.general) + threads_of(emulator, seed.forum)
    for thread in threads:
        thread.archived = True  # a week later
    await archive_with_issues.issues.ingest(corrected(issue_204))
    calls_before = len(emulator.requests)

    report = await engine.publish(await archive_with_issues.issues.issue(204), outlet, targets)

    assert report.ok, [t.error for t in report.targets]
    assert threads_of(emulator, seed.general) + threads_of(emulator, seed.forum) == threads
    industry, post = threads_of(emulator, seed.general)[0], threads_of(emulator, seed.forum)[0]
    assert industry.name == post.name == "#204 · Industry news"
    for channel in (seed.general, seed.forum):
        everything = "\n".join(text_of(m) for m in posted_in(emulator, channel))
        assert "A corrected blurb." in everything and "A campus for" not in everything
        assert "New chip" in everything and "Paper 4" not in everything
    calls = emulator.requests[calls_before:]
    refused = [(r.status, r.response["code"]) for r in calls if r.status >= 400]
    assert refused and set(refused) == {(400, 50083)}, "only 'Thread is archived', then retried"
    unarchived = [
        r.path for r in calls if r.route == THREAD_ROUTE and r.json == {"archived": False}
    ]
    assert len(unarchived) == len(refused) == len(set(unarchived)), "each thread unarchived once"
    assert {f"/channels/{industry.id}", f"/channels/{post.id}"} <= set(unarchived)
    assert not industry.archived and not post.archived


@pytest.mark.parametrize("archived", [True, False], ids=["archived", "active"])
@pytest.mark.parametrize("where", ["thread", "forum post"])
async def test_a_thread_a_moderator_locked_fails_in_words_the_editors_can_act_on(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
    archived: bool,
    where: str,
) -> None:
    channel = seed.forum if where == "forum post" else seed.general
    # The invite's Manage Threads is taken away in the channel, and a moderator locks a thread.
    emulator.deny(channel, int(Permission.MANAGE_THREADS))
    target = text_target(seed, channel, alerts_channel_id=seed.announcements.id)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    industry = threads_of(emulator, channel)[0]
    industry.locked, industry.archived = True, archived
    before = [text_of(m) for m in emulator.messages_in(industry)]
    await archive_with_issues.issues.ingest(corrected(issue_204))

    report = await engine.publish(await archive_with_issues.issues.issue(204), outlet, [target])

    (failed,) = report.targets
    error = failed.error or ""
    said = f"a moderator locked the {where} “#204 · Industry”"
    assert said in error, error
    assert "Manage Threads" in error and "Unlock it" in error, error
    assert "50083" not in error and "160005" not in error and "Discord answered" not in error
    (alert,) = [m for m in emulator.messages_in(seed.announcements) if m.type == 0]
    assert said in alert.content
    assert (industry.name, industry.locked, industry.archived) == (
        "#204 · Industry",
        True,
        archived,
    )
    assert [text_of(m) for m in emulator.messages_in(industry)] == before


async def test_a_message_left_in_a_locked_archived_thread_is_reported_not_deleted(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
    archive_with_issues: Archive,
) -> None:
    # Deleting is what an archived thread still takes, but not one a moderator also locked.
    emulator.deny(seed.general, int(Permission.MANAGE_THREADS))
    target = text_target(seed, seed.general)
    assert (await engine.publish(issue_204, outlet, [target])).ok
    papers_thread = threads_of(emulator, seed.general)[1]
    papers_thread.locked = papers_thread.archived = True
    messages = emulator.messages_in(papers_thread)
    industry, papers = issue_204.sections
    # Its last two papers fill the thread's second message, which the correction removes.
    fewer = papers.model_copy(update={"items": papers.items[:3]})
    shorter = issue_204.model_copy(update={"sections": (industry, fewer)})
    await archive_with_issues.issues.ingest(Issue.model_validate(shorter.model_dump()))

    report = await engine.publish(await archive_with_issues.issues.issue(204), outlet, [target])

    error = report.targets[0].error or ""
    assert error.startswith("could not remove a message the issue no longer has: "), error
    assert "a moderator locked the thread “#204 · Papers & Publications”" in error, error
    assert emulator.messages_in(papers_thread) == messages
