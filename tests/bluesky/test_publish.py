"""Publishing to Bluesky end to end: atproto's real AsyncClient against the emulator."""

from __future__ import annotations

import time

import pytest

from bot.models import Issue, StepState
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets._threads import LEAST_WAIT, MOST_WAITS
from bot.publishing.outlets.bluesky import BlueskyOutlet, bluesky_outlet
from bot.publishing.plans.bluesky import ACCOUNT, OUTLET, RecordRef
from bot.publishing.plans.bluesky import plan as bluesky_plan
from bot.publishing.reports import PublishReport
from bot.render.bluesky import short_url
from bot.sandbox.bluesky import BlueskyEmulator, BlueskyEmulatorConfig
from bot.settings import BlueskySettings
from bot.store import Archive
from tests.bluesky.conftest import assert_one_thread, settings_for, thread_texts
from tests.factories import issue, item, story_issue

CREATE = "com.atproto.repo.createRecord"
LIST = "com.atproto.repo.listRecords"


async def publish(archive: Archive, outlet: BlueskyOutlet, issue: Issue) -> PublishReport:
    """Publish `issue`'s thread on Bluesky through an engine retrying quickly."""
    return await Engine(archive, retry_delay=0.01).publish(issue, outlet)


async def test_202_becomes_one_thread_and_publishing_again_posts_nothing(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    rendered, steps = bluesky_plan(issue_202, BlueskySettings())
    report = await publish(archive_202, outlet, issue_202)
    assert report.ok and report.count(Outcome.POSTED) == len(steps) == 8
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))
    assert rendered.notes == ("blurbs shortened to 40 characters (15 items)",)
    again = await publish(archive_202, outlet, issue_202)
    assert again.ok and again.count(Outcome.POSTED) == 0
    assert again.count(Outcome.UNCHANGED) == len(steps)
    assert len(bluesky.posts()) == len(steps)
    # Logged in once for both publishes, and the ledger holds each post's strong reference.
    assert len(bluesky.logins) == 1
    entries = await archive_202.ledger.entries(202, "bluesky", "account")
    refs = [RecordRef.from_id(int(e.remote_id or 0)) for e in entries.values()]
    assert [(r.rkey, r.cid) for r in refs] == [(p.rkey, p.cid) for p in bluesky.posts()]


async def test_a_thread_posted_whole_gets_no_post_from_a_correction(
    archive: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator
) -> None:
    first = await publish(archive, outlet, story_issue(2))
    made = first.count(Outcome.POSTED)
    assert first.ok and len(bluesky_plan(story_issue(4), BlueskySettings())[1]) > made
    again = await publish(archive, outlet, story_issue(4))
    assert again.ok and again.count(Outcome.POSTED) == 0
    assert again.count(Outcome.UNCHANGED) == made == len(bluesky.posts())


async def test_every_url_is_a_link_facet_on_its_short_form(
    tmp_path: object, archive: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator
) -> None:
    long = "https://example.com/articles/2026/a-long-path-for-a-story?utm=1"
    source = issue(
        31,
        {"News": [item("A story by @someone.bsky.social #AI", blurb=f"Read [it]({long}).")]},
    )
    source = source.model_copy(update={"link": "https://news.example/issues/31"})
    await archive.issues.ingest(source)
    settings = settings_for(bluesky)
    report = await Engine(archive, retry_delay=0.01).publish(source, outlet)
    assert report.ok
    facets = [(p.text, f) for p in bluesky.posts() for f in p.value.get("facets", [])]
    assert [f["features"][0]["uri"] for _, f in facets] == ["https://news.example/issues/31"]
    for text, facet in facets:
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        shown = text.encode()[start:end].decode()
        assert shown == short_url(facet["features"][0]["uri"]) == "news.example/issues/31"
        assert [f["$type"] for f in facet["features"]] == ["app.bsky.richtext.facet#link"]
    # The handle and the hashtag are text: no facet names them.
    assert any("@someone.bsky.social #AI" in p.text for p in bluesky.posts())
    assert settings.configured()


async def test_a_500_after_the_write_is_found_not_posted_again(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    bluesky.inject(CREATE, 500, times=2, after_handler=True)
    bluesky.inject(CREATE, 502, times=1)
    report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok, account.summary()
    assert report.count(Outcome.RECOVERED) == 2
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))


async def test_a_short_rate_limit_is_waited_out(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    bluesky.inject(CREATE, 429, times=1, reset_in=0.5)
    start = time.monotonic()
    report = await publish(archive_202, outlet, issue_202)
    assert report.ok and time.monotonic() - start < 5
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))


async def test_a_long_rate_limit_leaves_the_rest_for_the_next_publish(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    bluesky.inject(CREATE, 429, times=1, reset_in=3600)
    report = await publish(archive_202, outlet, issue_202)
    assert not report.ok and bluesky.posts() == []
    again = await publish(archive_202, outlet, issue_202)
    assert again.ok
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))


async def three_posts_then_a_long_rate_limit(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    """Publish #202 until a long rate limit holds the rest of its thread after three posts."""
    made = 0

    def limit_after_three(record: object) -> None:
        nonlocal made
        made += 1
        if made == 3:
            bluesky.inject(CREATE, 429, times=1, reset_in=3600)

    bluesky.on_post = limit_after_three
    first = await publish(archive_202, outlet, issue_202)
    assert first.count(Outcome.POSTED) == 3 and not first.ok
    bluesky.on_post = None


async def test_a_post_deleted_before_the_thread_goes_on_is_posted_again(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    # A long rate limit holds the rest of the thread, and an editor deletes its last post: the
    # PDS would take a reply to it, which the app shows cut off from the thread. The next
    # publish posts it again and replies to it.
    await three_posts_then_a_long_rate_limit(archive_202, outlet, bluesky, issue_202)
    bluesky.posts()[-1].deleted = True
    report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok, account.summary()
    assert "made again what was deleted on Bluesky" in account.summary()
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))


async def test_a_first_post_deleted_before_the_thread_goes_on_takes_its_replies_along(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    # A long rate limit holds the rest of the thread, and an editor deletes its first post: the
    # replies already sent name it as their root, and a next reply naming the first post made
    # again would disagree with its parent's root (the app shows it cut off). The next publish
    # deletes those replies and posts the whole thread again, under the new first post.
    await three_posts_then_a_long_rate_limit(archive_202, outlet, bluesky, issue_202)
    lead, *replies = bluesky.posts()
    lead.deleted = True
    report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok, account.summary()
    assert "made again what was deleted on Bluesky" in account.summary()
    assert all(reply.deleted for reply in replies)
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))
    again = await publish(archive_202, outlet, issue_202)
    assert again.ok and again.count(Outcome.POSTED) == 0


async def test_a_rate_limit_past_its_reset_is_not_hammered(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    # A `ratelimit-reset` already past by this machine's clock (one running ahead of the
    # PDS's): a second at least between tries, and a few tries only.
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    outlet.sleep = sleep
    bluesky.inject(CREATE, 429, times=50, reset_in=-5)
    report = await publish(archive_202, outlet, issue_202)
    assert not report.ok and report.count(Outcome.DEFERRED) > 0 and bluesky.posts() == []
    assert slept == [LEAST_WAIT] * MOST_WAITS
    assert len([r for r in bluesky.requests if r.nsid == CREATE]) == MOST_WAITS + 1


async def test_a_refused_post_stops_the_thread_with_one_line_and_the_next_publish_ends_it(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    def refuse_the_third(_: object) -> None:
        if len(bluesky.posts()) == 2:
            bluesky.inject(CREATE, 400)

    bluesky.on_post = refuse_the_third
    report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert not report.ok and account.error is not None
    assert "Bluesky refused to post 202/bluesky/post/3" in account.error
    assert "300 graphemes" in account.error and "\n" not in account.error
    assert len(bluesky.posts()) == 2
    # The PDS's refusal made nothing (the outlet says so): no attempt to look for after.
    ledger = await archive_202.ledger.entries(202, OUTLET, ACCOUNT.name)
    assert [e.attempts for e in ledger.values() if e.state == StepState.FAILED] == [0]
    bluesky.on_post = None
    again = await publish(archive_202, outlet, issue_202)
    assert again.ok and again.count(Outcome.POSTED) == 6
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))


@pytest.mark.parametrize("bluesky_config", [BlueskyEmulatorConfig(access_lifetime=60)])
async def test_the_session_is_refreshed_never_logged_in_again(
    archive_202: Archive, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    async with bluesky_outlet(settings_for(bluesky)) as outlet:
        report = await publish(archive_202, outlet, issue_202)
    assert report.ok
    assert len(bluesky.logins) == 1 and bluesky.refreshes >= 8


async def test_a_token_the_pds_calls_expired_is_refreshed(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    # Expire the session after the lead: the PDS answers 400 ExpiredToken to the first reply.
    bluesky.on_post = lambda _: bluesky.expire_access_tokens() if not bluesky.refreshes else None
    report = await publish(archive_202, outlet, issue_202)
    assert report.ok
    assert len(bluesky.logins) == 1 and bluesky.refreshes == 1
    assert any(r.error == "ExpiredToken" for r in bluesky.requests)
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))


async def test_a_wrong_app_password_is_one_line(
    archive_202: Archive, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    settings = settings_for(bluesky, app_password="wrong-wrong-wrong-wrong")
    async with bluesky_outlet(settings) as outlet:
        report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert not report.ok and account.error is not None
    assert "Bluesky refused the login" in account.error and "\n" not in account.error
    assert bluesky.posts() == []


async def test_a_thread_dense_in_bytes_is_posted_whole(
    archive: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator
) -> None:
    # 300 graphemes of a letter with combining marks are 12,000 bytes: the PDS refuses a post
    # over 3000 bytes whatever its graphemes.
    dense = ("Z" + "\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359\u035a" * 2 + " ") * 150
    source = issue(7, {"News": [item("Dense", blurb=dense.strip())]})
    settings = BlueskySettings(max_posts=20)
    async with bluesky_outlet(settings_for(bluesky, max_posts=20)) as dense_outlet:
        report = await publish(archive, dense_outlet, source)
    assert report.ok, report
    assert_one_thread(bluesky.posts(), thread_texts(source, settings))
    assert all(len(p.text.encode()) <= 3000 for p in bluesky.posts())
    assert not bluesky.violations
