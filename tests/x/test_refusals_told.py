"""X refusing replies is told once: the editors hear of it when X first refuses, and a report
says the thread goes on as quotes only in the publish that found it so. A later publish going
on quoting (the rest of a thread the daily cap held back), or a later issue's thread that X
refuses the same way, tells nothing new; once X takes a reply again, a refusal is news again
(the real tweepy AsyncClient against the emulator, a real SQLite archive)."""

from __future__ import annotations

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.x import x_outlet
from bot.publishing.plans.x import QUOTING
from bot.sandbox.x import XEmulator
from bot.store import Archive
from tests.factories import issue, item
from tests.x.conftest import assert_one_thread, settings_for, thread_texts
from tests.x.test_publish import Told


def stories(number: int) -> Issue:
    """Issue `number`: a thread of several posts on X, none with another issue's text."""
    return issue(
        number,
        {
            "News": [
                item(f"Story {n} of #{number}", f"https://news.example/{number}/{n}", "Why. " * 40)
                for n in range(4)
            ]
        },
    )


async def test_a_thread_going_on_as_quotes_is_told_once(
    archive_202: Archive, x_emulator: XEmulator, issue_202: Issue
) -> None:
    x_emulator.config.refuse_replies = True
    x_emulator.config.daily_posts = 100  # five issues' threads in a day
    told = Told()
    engine = Engine(archive_202, alerts=told, retry_delay=0.01)
    async with x_outlet(settings_for(x_emulator, daily_posts=3)) as outlet:
        first = await engine.publish(issue_202, outlet)
    (account,) = first.targets
    assert account.deferred and account.notes == [QUOTING]
    assert len(told.messages) == 1 and "refused a reply" in told.messages[0]

    async with x_outlet(settings_for(x_emulator, daily_posts=100)) as outlet:
        rest = await engine.publish(issue_202, outlet)
        (account,) = rest.targets
        assert rest.ok and account.notes == [], "X refused nothing this time"
        assert QUOTING not in account.summary()
        assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202), quoting_from=2)

        issue_203 = stories(203)
        await archive_202.issues.ingest(issue_203)
        refused_again = await engine.publish(issue_203, outlet)
        (account,) = refused_again.targets
        assert refused_again.ok and account.notes == [QUOTING], "said of #203's own thread"
        assert len(told.messages) == 1, "the editors know X refuses replies"

        x_emulator.config.refuse_replies = False
        issue_204 = stories(204)
        await archive_202.issues.ingest(issue_204)
        replied = await engine.publish(issue_204, outlet)
        assert replied.ok and replied.targets[0].notes == []
        x_emulator.config.refuse_replies = True
        issue_205 = stories(205)
        await archive_202.issues.ingest(issue_205)
        assert (await engine.publish(issue_205, outlet)).ok

    assert len(told.messages) == 2, "refused again after a reply went through: news again"
    assert "issue #205" in told.messages[1]
