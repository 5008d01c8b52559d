"""An issue an older newsbot archived and published, whose section in another script it gave
the slug `section` (its thread keyed so in the ledger), corrected after the upgrade: the
correction edits that thread, and the readers' replies in it stay."""

from __future__ import annotations

from bot.models import Issue, ascii_slug
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.factories import issue, item
from tests.publishing.conftest import posted_in, text_of, text_target, threads_of
from tests.publishing.test_publish import assert_no_bad_requests


def as_read_today(blurb: str) -> Issue:
    """Issue 205 as its file reads now: `## 業界ニュース` under the slug `業界ニュース`."""
    return issue(
        205,
        {
            "業界ニュース": [item("Robots", "https://news.example/robots", blurb)],
            "Papers": [item("A paper", "https://news.example/paper")],
        },
    )


async def test_a_correction_keeps_the_thread_of_a_section_an_older_newsbot_slugged(
    engine: Engine,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    archive_with_issues: Archive,
) -> None:
    first = as_read_today("A blurb.")
    older = tuple(s.model_copy(update={"slug": ascii_slug(s.name)}) for s in first.sections)
    await archive_with_issues.issues.ingest(first.model_copy(update={"sections": older}))
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
