"""Publishing to X end to end: the real tweepy AsyncClient against the emulator."""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import unquote

import pytest

from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot.models import Issue, StepState
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets._threads import LEAST_WAIT, MOST_WAITS
from bot.publishing.outlets.x import XOutlet, comparable, x_outlet
from bot.publishing.plans.x import ACCOUNT, OUTLET, QUOTING
from bot.publishing.plans.x import plan as x_plan
from bot.publishing.reports import LogAlerts, PublishReport
from bot.sandbox.x import XEmulator
from bot.settings import XSettings
from bot.store import Archive
from tests import factories
from tests.factories import story_issue
from tests.x.conftest import assert_one_thread, settings_for, thread_texts
from tests.x.test_render import HASHTAG


async def publish(
    archive: Archive, outlet: XOutlet, issue: Issue, engine: Engine | None = None
) -> PublishReport:
    """Publish `issue`'s thread on X through the engine (one retrying quickly by default)."""
    return await (engine or Engine(archive, retry_delay=0.01)).publish(issue, outlet)


async def test_202_becomes_one_thread(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    rendered, steps = x_plan(issue_202, x_settings)
    report = await publish(archive_202, outlet, issue_202)
    assert report.ok and report.count(Outcome.POSTED) == len(steps) <= 8
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202, x_settings))
    # Every item is in the thread, or the plan said what was condensed.
    posted = "".join(t.text for t in x_emulator.live_tweets())
    for _, item in issue_202.items:
        assert item.title.replace("’", "’") in posted or item.key in rendered.omitted
    assert rendered.notes == ("titles only: blurbs left out",)
    assert all(r.status < 300 and r.authorized for r in x_emulator.requests)
    assert round(x_emulator.cost, 3) == round(rendered.cost(0.015, 0.20), 3)
    # Publishing again posts nothing.
    again = await publish(archive_202, outlet, issue_202)
    assert again.ok and again.count(Outcome.POSTED) == 0
    assert again.count(Outcome.UNCHANGED) == len(steps)
    assert len(x_emulator.live_tweets()) == len(steps)


async def test_a_thread_posted_whole_gets_no_post_from_a_correction(
    archive: Archive, outlet: XOutlet, x_emulator: XEmulator, x_settings: XSettings
) -> None:
    # X refuses a post that repeats the one before: a correction must not add one, or every
    # later publish fails on it.
    first = await publish(archive, outlet, story_issue(2))
    made = first.count(Outcome.POSTED)
    assert first.ok and len(x_plan(story_issue(4), x_settings)[1]) > made
    again = await publish(archive, outlet, story_issue(4))
    assert again.ok and again.count(Outcome.POSTED) == 0
    assert again.count(Outcome.UNCHANGED) == made == len(x_emulator.live_tweets())


async def test_a_5xx_after_the_post_is_reconciled_not_repeated(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    x_emulator.inject("POST", "/2/tweets", 503, times=2, after_handler=True)
    x_emulator.inject("POST", "/2/tweets", 500, times=1)
    report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok, account.summary()
    assert report.count(Outcome.RECOVERED) == 2
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202, x_settings))


async def test_a_refused_post_is_no_attempt_to_look_for_after(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    # X's refusal (403) made nothing, as the outlet says: the next publish posts the lead
    # without first reading the account's recent posts for it.
    x_emulator.inject("POST", "/2/tweets", 403)
    first = await publish(archive_202, outlet, issue_202)
    assert not first.ok and x_emulator.live_tweets() == []
    ledger = await archive_202.ledger.entries(202, OUTLET, ACCOUNT.name)
    assert [e.attempts for e in ledger.values() if e.state == StepState.FAILED] == [0]
    again = await publish(archive_202, outlet, issue_202)
    assert again.ok and again.count(Outcome.POSTED) == len(thread_texts(issue_202, x_settings))
    assert not [r for r in x_emulator.requests if r.method == "GET" and "/tweets" in r.path]


async def test_a_short_rate_limit_is_waited_out(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    x_emulator.inject("POST", "/2/tweets", 429, times=1, reset_in=0.5)
    start = time.monotonic()
    report = await publish(archive_202, outlet, issue_202)
    assert report.ok
    assert time.monotonic() - start < 3
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202, x_settings))


async def test_a_rate_limit_past_its_reset_is_not_hammered(
    archive_202: Archive, outlet: XOutlet, x_emulator: XEmulator
) -> None:
    # A reset already past by this machine's clock (one running ahead of X's), or X still
    # refusing once it has passed (its 24-hour cap): a second at least between tries, and a few
    # tries only before the rest waits for the next publish.
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    outlet.sleep = sleep
    x_emulator.inject("POST", "/2/tweets", 429, times=50, reset_in=-5)
    report = await publish(archive_202, outlet, story_issue(2))
    (account,) = report.targets
    assert not report.ok and account.deferred > 0 and x_emulator.live_tweets() == []
    assert slept == [LEAST_WAIT] * MOST_WAITS
    assert len([r for r in x_emulator.requests if r.method == "POST"]) == MOST_WAITS + 1


async def test_revoked_keys_are_named_and_never_shown(
    archive_202: Archive, x_emulator: XEmulator, issue_202: Issue
) -> None:
    settings = settings_for(x_emulator)
    x_emulator.config.access_token_secret = "regenerated on X"
    async with x_outlet(settings) as outlet:
        report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    summary = account.summary()
    assert not report.ok and x_emulator.live_tweets() == []
    assert "X refused the keys" in summary and "ACCESS_TOKEN_SECRET" in summary
    for secret in settings.consumer_secret, settings.access_token_secret:
        assert secret is not None and secret.get_secret_value() not in summary


async def test_a_post_deleted_before_the_thread_goes_on_is_posted_again(
    archive_202: Archive, x_emulator: XEmulator, issue_202: Issue
) -> None:
    # The daily cap holds the rest of the thread, and an editor deletes its last post on X: the
    # next publish posts it again and replies to it, rather than taking X for refusing replies.
    texts = thread_texts(issue_202)
    async with x_outlet(settings_for(x_emulator, daily_posts=3)) as outlet:
        first = await publish(archive_202, outlet, issue_202)
    assert first.count(Outcome.POSTED) == 3 and not first.ok
    x_emulator.live_tweets()[-1].deleted = True
    told = Told()
    async with x_outlet(settings_for(x_emulator, daily_posts=100)) as outlet:
        report = await publish(archive_202, outlet, issue_202, Engine(archive_202, alerts=told))
    (account,) = report.targets
    assert report.ok and QUOTING not in account.notes and told.messages == []
    assert "made again what was deleted on X" in account.summary()
    assert_one_thread(x_emulator.live_tweets(), texts)
    # Replying to the deleted post is what told newsbot it was gone.
    (refused,) = x_emulator.violations.take()
    assert "deleted" in refused.detail


async def test_a_deleted_first_post_that_quotes_refer_to_is_posted_again(
    archive_202: Archive, x_emulator: XEmulator, issue_202: Issue
) -> None:
    # X refuses replies, so the thread quotes its first post; an editor deletes that one while
    # the daily cap holds the rest. It is posted again, and the rest quotes it.
    x_emulator.config.refuse_replies = True
    async with x_outlet(settings_for(x_emulator, daily_posts=3)) as outlet:
        first = await publish(archive_202, outlet, issue_202)
    assert first.count(Outcome.POSTED) == 3
    x_emulator.live_tweets()[0].deleted = True
    async with x_outlet(settings_for(x_emulator, daily_posts=100)) as outlet:
        report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok and "made again what was deleted on X" in account.summary()
    texts = thread_texts(issue_202)
    lead, *rest = x_emulator.live_tweets()[2:]
    assert lead.text == texts[0] and [t.text for t in rest] == texts[3:]
    assert all(t.quote_of == lead.id for t in rest)
    (refused,) = x_emulator.violations.take()
    assert "deleted" in refused.detail


@pytest.mark.parametrize(
    "answer",
    [(403, "This post cannot be quoted."), (400, "The `quote_tweet_id` parameter is invalid.")],
)
async def test_a_deleted_first_post_is_known_gone_whatever_x_says_to_its_quote(
    archive_202: Archive, x_emulator: XEmulator, issue_202: Issue, answer: tuple[int, str]
) -> None:
    # X documents no answer to a quote of a deleted post: whatever its status and wording, the
    # quoted post is read, and X not finding it means it is posted again (not a failed thread).
    x_emulator.config.refuse_replies = True
    x_emulator.config.quote_of_missing = answer
    async with x_outlet(settings_for(x_emulator, daily_posts=3)) as outlet:
        first = await publish(archive_202, outlet, issue_202)
    assert first.count(Outcome.POSTED) == 3
    deleted = x_emulator.live_tweets()[0]
    deleted.deleted = True
    async with x_outlet(settings_for(x_emulator, daily_posts=100)) as outlet:
        report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok, account.summary()
    assert "made again what was deleted on X" in account.summary()
    lead, *rest = x_emulator.live_tweets()[2:]
    assert lead.text == deleted.text and rest and all(t.quote_of == lead.id for t in rest)
    assert f"/2/tweets/{deleted.id}" in {r.path for r in x_emulator.requests if r.method == "GET"}
    (refused,) = x_emulator.violations.take()
    assert "deleted" in refused.detail


class Told:
    """What the engine told the editors."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def tell(self, text: str, target: object = None, *, logged: bool = False) -> None:
        self.messages.append(text)


async def test_refused_replies_go_on_as_quotes_and_alert(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    x_emulator.config.refuse_replies = True
    told = Told()
    report = await publish(archive_202, outlet, issue_202, Engine(archive_202, alerts=told))
    (account,) = report.targets
    assert report.ok and account.notes == [QUOTING]
    assert QUOTING in account.summary()
    texts = thread_texts(issue_202, x_settings)
    assert_one_thread(x_emulator.live_tweets(), texts, quoting_from=2)
    assert len(told.messages) == 1 and "refused a reply" in told.messages[0]
    # A later run goes on quoting without asking X for a reply again.
    before = len(x_emulator.requests)
    again = await publish(archive_202, outlet, issue_202, Engine(archive_202, alerts=told))
    assert again.ok and len(x_emulator.requests) == before and len(told.messages) == 1


async def test_the_daily_cap_defers_the_rest_to_the_next_publish(
    archive_202: Archive,
    x_emulator: XEmulator,
    issue_202: Issue,
) -> None:
    from bot.publishing.outlets.x import x_outlet

    x_emulator.config.daily_posts = 3
    x_emulator.config.cap_window = 1.0
    settings = settings_for(x_emulator, daily_posts=100, max_wait=0)
    _, steps = x_plan(issue_202, settings)

    def a_window_passes() -> None:
        # The emulator reads its clock only against each post's created_at: moving those back
        # past the window is what sleeping it out does, without the test waiting for it.
        for tweet in x_emulator.tweets:
            tweet.created_at -= 1.1

    async with x_outlet(settings) as outlet:
        first = await publish(archive_202, outlet, issue_202)
        (account,) = first.targets
        assert account.deferred == len(steps) - 3 and not first.ok
        assert "left for the next publish" in account.summary()
        assert x_emulator.requests[-1].status == 429
        a_window_passes()
        second = await publish(archive_202, outlet, issue_202)
        assert second.count(Outcome.POSTED) == 3
        a_window_passes()
        await publish(archive_202, outlet, issue_202)
        a_window_passes()
        last = await publish(archive_202, outlet, issue_202)
    assert last.ok
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202, settings))


async def test_the_ledger_cap_is_known_before_asking_x(
    archive_202: Archive,
    x_emulator: XEmulator,
    issue_202: Issue,
) -> None:
    from bot.publishing.outlets.x import x_outlet

    settings = settings_for(x_emulator, daily_posts=4)
    async with x_outlet(settings) as outlet:
        report = await publish(archive_202, outlet, issue_202)
    assert report.count(Outcome.POSTED) == 4 and report.count(Outcome.DEFERRED) > 0
    assert all(r.status < 300 for r in x_emulator.requests)


async def test_two_publishes_of_one_issue_at_once_post_the_thread_once(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    # The schedule and an editor start the same publish together, through the one engine: X
    # has no idempotency key (and its duplicate check is off here), so only the engine's lock
    # keeps the thread single.
    x_emulator.config.duplicate_window = 0.0
    engine = Engine(archive_202, retry_delay=0.01)
    first, second = await asyncio.gather(
        publish(archive_202, outlet, issue_202, engine),
        publish(archive_202, outlet, issue_202, engine),
    )
    assert first.ok and second.ok
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202, x_settings))


def test_texts_compare_as_x_returns_them() -> None:
    assert comparable("a &amp; b https://t.co/abc") == comparable("a & b https://example.com/x")


async def test_domains_and_hashtags_in_issue_text_post_no_link_and_no_tag(
    archive: Archive, outlet: XOutlet, x_emulator: XEmulator, x_settings: XSettings
) -> None:
    # The issue's link in the first post is the thread's only link: a domain written without
    # its scheme would be a second link X bills for, a `#word` a hashtag.
    source = factories.issue(
        7,
        {
            "Tools #dev": [
                factories.item(
                    "ASP.NET 9 and README.md #AI",
                    "https://example.com/asp",
                    blurb="See docs.python.org/3/ or example.com, ＃タグ #️⃣.",
                )
            ]
        },
    )
    source = source.model_copy(update={"link": "https://example.com/issues/7"})
    report = await publish(archive, outlet, source)
    assert report.ok
    tweets = x_emulator.live_tweets()
    assert_one_thread(tweets, thread_texts(source, x_settings))
    assert [bool(extract_urls_with_indices(t.text)) for t in tweets] == [True, False]
    assert round(x_emulator.cost, 3) == 0.215
    assert not HASHTAG.search(tweets[1].text), tweets[1].text
    assert tweets[1].text.replace("\u200b", "") == (
        "Tools #dev:\n• ASP.NET 9 and README.md #AI — See docs.python.org/3/ or example.com, "
        "＃タグ #️⃣."
    )


async def test_an_items_link_ending_in_a_dot_is_linked_whole_by_x(
    archive: Archive, x_emulator: XEmulator
) -> None:
    # X ends a link before a last `.`: readers of `…/Washington,_D.C.` landed on
    # `…/Washington,_D.C`, with the `.` shown after the t.co link.
    address = "https://en.wikipedia.org/wiki/Washington,_D.C."
    source = factories.issue(9, {"Places": [factories.item("Capital", address, "A page.")]})
    settings = settings_for(x_emulator, links="items")
    async with x_outlet(settings) as items_outlet:
        assert (await publish(archive, items_outlet, source)).ok
    tweets = x_emulator.live_tweets()
    assert_one_thread(tweets, thread_texts(source, settings))
    (url,) = [e["url"] for t in tweets for e in extract_urls_with_indices(t.text)]
    assert unquote(url) == address
    # X shows the post with its t.co link last, nothing after it.
    assert re.search(r"A page\. https://t\.co/\d+$", tweets[1].shown_text), tweets[1].shown_text


async def test_refused_replies_are_logged_once_when_the_editors_hear_only_the_log(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    issue_202: Issue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    x_emulator.config.refuse_replies = True
    report = await publish(archive_202, outlet, issue_202, Engine(archive_202, alerts=LogAlerts()))
    assert report.ok
    refused = [r for r in caplog.records if "refused a reply" in r.getMessage()]
    assert len(refused) == 1, [r.getMessage() for r in refused]
