"""Publishing to Mastodon through the engine: the real Mastodon.py against the emulator."""

from __future__ import annotations

import time

import pytest

from bot.models import Issue, StepState
from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets._threads import MOST_WAITS
from bot.publishing.outlets.mastodon import MastodonOutlet, mastodon_outlet
from bot.publishing.plans.mastodon import OUTLET, TARGET, Account, idempotency_key
from bot.publishing.plans.mastodon import plan as mastodon_plan
from bot.publishing.reports import PublishReport
from bot.sandbox.mastodon import MastodonEmulator, MastodonEmulatorConfig, Status, status_length
from bot.settings import MastodonSettings
from bot.store import Archive
from tests.factories import issue, item, story_issue
from tests.mastodon.conftest import assert_one_thread, settings_for, thread_texts


async def publish(archive: Archive, outlet: MastodonOutlet, issue: Issue) -> PublishReport:
    """Publish `issue`'s thread on Mastodon through an engine retrying quickly."""
    return await Engine(archive, retry_delay=0.01).publish(issue, outlet)


async def test_202_becomes_one_thread_and_a_second_publish_posts_nothing(
    archive_202: Archive,
    outlet: MastodonOutlet,
    mastodon_emulator: MastodonEmulator,
    issue_202: Issue,
) -> None:
    texts = thread_texts(issue_202)
    report = await publish(archive_202, outlet, issue_202)
    assert report.ok and report.count(Outcome.POSTED) == len(texts) <= 8
    assert_one_thread(mastodon_emulator.live_statuses(), texts)
    keys = [r.headers.get("Idempotency-Key") for r in mastodon_emulator.requests]
    assert [k for k in keys if k] == [
        idempotency_key(f"{issue_202.number}/mastodon/post/{n}") for n in range(1, len(texts) + 1)
    ]
    again = await publish(archive_202, outlet, issue_202)
    assert again.ok and again.count(Outcome.POSTED) == 0
    assert again.count(Outcome.UNCHANGED) == len(texts)
    assert len(mastodon_emulator.live_statuses()) == len(texts)


async def test_a_thread_posted_whole_gets_no_status_from_a_correction(
    archive: Archive,
    outlet: MastodonOutlet,
    mastodon_emulator: MastodonEmulator,
    mastodon_settings: MastodonSettings,
) -> None:
    # No status is edited: one added to a thread posted whole would repeat the one before it.
    first = await publish(archive, outlet, story_issue(2))
    made = first.count(Outcome.POSTED)
    assert first.ok and len(mastodon_plan(story_issue(4), mastodon_settings)[1]) > made
    again = await publish(archive, outlet, story_issue(4))
    assert again.ok and again.count(Outcome.POSTED) == 0
    assert again.count(Outcome.UNCHANGED) == made == len(mastodon_emulator.live_statuses())


async def test_visibility_applies_to_every_status(
    archive_202: Archive, mastodon_emulator: MastodonEmulator, issue_202: Issue
) -> None:
    settings = settings_for(mastodon_emulator, visibility="unlisted")
    async with mastodon_outlet(settings) as outlet:
        assert (await publish(archive_202, outlet, issue_202)).ok
    assert_one_thread(
        mastodon_emulator.live_statuses(), thread_texts(issue_202, settings), "unlisted"
    )


async def test_the_instances_own_limits_shape_the_thread(
    archive_202: Archive, issue_202: Issue
) -> None:
    config = MastodonEmulatorConfig(max_characters=300, characters_reserved_per_url=30)
    async with MastodonEmulator(config) as emulator:
        settings = settings_for(emulator, max_posts=20)
        async with mastodon_outlet(settings) as outlet:
            assert (await publish(archive_202, outlet, issue_202)).ok
            instance_reads = [r for r in emulator.requests if r.path == "/api/v2/instance"]
        texts = thread_texts(
            issue_202, settings, Account(max_characters=300, characters_reserved_per_url=30)
        )
        assert_one_thread(emulator.live_statuses(), texts)
    assert texts != thread_texts(issue_202, settings)
    assert len(instance_reads) == 1


@pytest.mark.parametrize(
    ("version", "limit"), [("3.5.3", 300), ("3.3.0", 500)], ids=["3.5", "before-3.4.2"]
)
async def test_a_server_older_than_4_0_is_published_to_within_its_limits(
    archive_202: Archive, issue_202: Issue, version: str, limit: int
) -> None:
    # Before 4.0 there is no /api/v2/instance: the limits are in /api/v1/instance from 3.4.2
    # on, and before that they were Mastodon's defaults.
    config = MastodonEmulatorConfig(version=version, max_characters=limit)
    async with MastodonEmulator(config) as emulator:
        settings = settings_for(emulator, max_posts=20)
        async with mastodon_outlet(settings) as outlet:
            report = await publish(archive_202, outlet, issue_202)
        account = Account(max_characters=limit)
        texts = thread_texts(issue_202, settings, account)
        assert report.ok and report.count(Outcome.POSTED) == len(texts)
        assert_one_thread(emulator.live_statuses(), texts)
        assert max(status_length(s.text) for s in emulator.live_statuses()) <= limit


async def test_a_status_deleted_before_the_thread_goes_on_is_posted_again(
    archive_202: Archive,
    outlet: MastodonOutlet,
    mastodon_emulator: MastodonEmulator,
    issue_202: Issue,
) -> None:
    # A long rate limit holds the rest of the thread, and an editor deletes its last status:
    # the next publish posts it again and replies to it, where it failed on it for ever.
    texts = thread_texts(issue_202)
    made = 0

    def limit_after_three(status: object) -> None:
        nonlocal made
        made += 1
        if made == 3:
            mastodon_emulator.inject("POST", "/api/v1/statuses", 429, times=1, reset_in=3600)

    mastodon_emulator.on_post = limit_after_three
    first = await publish(archive_202, outlet, issue_202)
    assert first.count(Outcome.POSTED) == 3 and not first.ok
    mastodon_emulator.on_post = None
    mastodon_emulator.live_statuses()[-1].deleted = True
    report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok, account.summary()
    assert "made again what was deleted on Mastodon" in account.summary()
    assert_one_thread(mastodon_emulator.live_statuses(), texts)
    # Replying to the deleted status is what told newsbot it was gone.
    (refused,) = mastodon_emulator.violations.take()
    assert "does not exist" in refused.detail


async def test_a_status_deleted_before_its_answer_is_posted_again_under_a_new_key(
    archive_202: Archive,
    outlet: MastodonOutlet,
    mastodon_emulator: MastodonEmulator,
    issue_202: Issue,
) -> None:
    # Status 3 is made, its answer lost (a 500), and an editor deletes it before the retry:
    # the retry finds it nowhere, and its idempotency key answers 404 for Mastodon's hour. It
    # is posted under another key, and the thread goes on.
    texts = thread_texts(issue_202)
    made: list[Status] = []

    def lose_the_third(status: Status) -> None:
        made.append(status)
        if len(made) == 2:
            mastodon_emulator.inject("POST", "/api/v1/statuses", 500, after_handler=True)
        if len(made) == 3:
            status.deleted = True

    mastodon_emulator.on_post = lose_the_third
    report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok, account.summary()
    assert made[2].deleted and made[3].text == made[2].text == texts[2]
    assert made[3].idempotency_key not in (None, made[2].idempotency_key)
    assert_one_thread(mastodon_emulator.live_statuses(), texts)
    again = await publish(archive_202, outlet, issue_202)
    assert again.ok and again.count(Outcome.POSTED) == 0


@pytest.mark.parametrize(
    "scopes", [{"write:statuses"}, {"write:statuses", "profile"}], ids=["post", "post-profile"]
)
async def test_a_token_that_may_only_post_is_refused_before_the_thread_starts(
    archive_202: Archive, issue_202: Issue, scopes: set[str]
) -> None:
    # With write:statuses alone, a thread would post until its first interruption, and then
    # never finish: finding the status an interrupted attempt made needs reading.
    config = MastodonEmulatorConfig(scopes=frozenset(scopes))
    async with MastodonEmulator(config) as emulator:
        async with mastodon_outlet(settings_for(emulator)) as outlet:
            report = await publish(archive_202, outlet, issue_202)
        (account,) = report.targets
        assert not report.ok and emulator.statuses == []
        summary = account.summary()
        assert "lacks a scope" in summary and "read:accounts and read:statuses" in summary
        assert config.access_token not in summary


async def test_a_5xx_after_the_write_is_found_not_repeated(
    archive_202: Archive,
    outlet: MastodonOutlet,
    mastodon_emulator: MastodonEmulator,
    issue_202: Issue,
) -> None:
    mastodon_emulator.inject("POST", "/api/v1/statuses", 503, times=2, after_handler=True)
    mastodon_emulator.inject("POST", "/api/v1/statuses", 500, times=1)
    report = await publish(archive_202, outlet, issue_202)
    (account,) = report.targets
    assert report.ok, account.summary()
    assert report.count(Outcome.RECOVERED) == 2
    assert_one_thread(mastodon_emulator.live_statuses(), thread_texts(issue_202))


async def test_a_proxys_timeout_after_the_write_is_found_past_the_keys_hour(
    archive_202: Archive, issue_202: Issue
) -> None:
    # Cloudflare's 524 (before many instances): the instance took the request and did not
    # answer in time; Mastodon.py names no 5xx past 511. The status may be made: the next
    # publish, its idempotency key forgotten by then, finds it rather than post it twice.
    config = MastodonEmulatorConfig(idempotency_window=0.0)
    async with (
        MastodonEmulator(config) as emulator,
        mastodon_outlet(settings_for(emulator)) as outlet,
    ):
        emulator.inject("POST", "/api/v1/statuses", 524, after_handler=True)
        first = await Engine(archive_202, retries=0).publish(issue_202, outlet)
        (account,) = first.targets
        assert account.error == "could not post status 1 of issue #202: Mastodon answered 524"
        assert len(emulator.statuses) == 1
        again = await Engine(archive_202, retries=0).publish(issue_202, outlet)
    assert again.ok and again.count(Outcome.RECOVERED) == 1
    assert_one_thread(emulator.live_statuses(), thread_texts(issue_202))


async def test_a_short_rate_limit_is_waited_out(
    archive_202: Archive,
    outlet: MastodonOutlet,
    mastodon_emulator: MastodonEmulator,
    issue_202: Issue,
) -> None:
    mastodon_emulator.inject("POST", "/api/v1/statuses", 429, times=2, reset_in=0.5)
    start = time.monotonic()
    report = await publish(archive_202, outlet, issue_202)
    assert report.ok
    assert time.monotonic() - start < 6
    assert_one_thread(mastodon_emulator.live_statuses(), thread_texts(issue_202))


async def test_a_rate_limit_that_outlasts_its_reset_leaves_the_rest_for_later(
    archive_202: Archive,
    outlet: MastodonOutlet,
    mastodon_emulator: MastodonEmulator,
    issue_202: Issue,
) -> None:
    # An instance still refusing once each short reset has passed holds a longer limit than its
    # headers say: a few tries, then the rest waits for the next publish.
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    outlet.sleep = sleep
    mastodon_emulator.inject("POST", "/api/v1/statuses", 429, times=50, reset_in=30)
    report = await publish(archive_202, outlet, issue_202)
    assert report.count(Outcome.DEFERRED) == len(thread_texts(issue_202))
    assert len(slept) == MOST_WAITS and mastodon_emulator.live_statuses() == []
    posts = [r for r in mastodon_emulator.requests if r.method == "POST"]
    assert len(posts) == MOST_WAITS + 1


async def test_a_long_rate_limit_leaves_the_rest_for_later(
    archive_202: Archive, mastodon_emulator: MastodonEmulator, issue_202: Issue
) -> None:
    settings = settings_for(mastodon_emulator, max_wait=1.0)
    mastodon_emulator.inject("POST", "/api/v1/statuses", 429, times=1, reset_in=300)
    async with mastodon_outlet(settings) as outlet:
        first = await publish(archive_202, outlet, issue_202)
        assert first.count(Outcome.DEFERRED) == len(thread_texts(issue_202))
        assert mastodon_emulator.live_statuses() == []
        second = await publish(archive_202, outlet, issue_202)
    assert second.ok
    assert_one_thread(mastodon_emulator.live_statuses(), thread_texts(issue_202))


@pytest.mark.violations_expected("the instance refuses a status over its limit")
async def test_a_refused_status_fails_with_mastodons_reason_and_the_next_publish_finishes(
    archive_202: Archive, issue_202: Issue
) -> None:
    texts = thread_texts(issue_202)
    async with MastodonEmulator() as emulator:
        settings = settings_for(emulator)
        async with mastodon_outlet(settings) as outlet:
            # The instance lowers its limit once status 2 is made: status 3 is refused.
            def lower(_: object) -> None:
                if len(emulator.statuses) == 2:
                    emulator.config.max_characters = 100

            emulator.on_post = lower
            report = await publish(archive_202, outlet, issue_202)
            assert not report.ok
            (account,) = report.targets
            assert account.error is not None and "\n" not in account.error
            assert account.error.endswith("Validation failed: Text character limit of 100 exceeded")
            assert len(emulator.live_statuses()) == 2
            async with await Archive.open(archive_202.path, create=False) as archive:
                ledger = await archive.ledger.entries(issue_202.number, OUTLET, TARGET)
            assert [e.state for e in ledger.values()][:3] == [
                StepState.SENT,
                StepState.SENT,
                StepState.FAILED,
            ]
            emulator.config.max_characters = 500
            emulator.on_post = None
            again = await publish(archive_202, outlet, issue_202)
        assert again.ok
        assert_one_thread(emulator.live_statuses(), texts)


async def test_statuses_with_urls_mastodon_ends_its_own_way_are_posted_whole(
    archive: Archive, outlet: MastodonOutlet, mastodon_emulator: MastodonEmulator
) -> None:
    # Mastodon ends `https://example.com/a=?q=1` before its `=`: counted as one URL, each
    # status was five characters a link longer than Mastodon counts, and a full one refused.
    items = [
        item(f"Story {n}", f"https://example.com/{n}=?q={n}", f"What story {n} says. " * 4)
        for n in range(12)
    ]
    source = issue(7, {"News": items})
    report = await publish(archive, outlet, source)
    assert report.ok, report
    rendered, _ = mastodon_plan(source, settings_for(mastodon_emulator))
    statuses = mastodon_emulator.live_statuses()
    assert_one_thread(statuses, [post.text for post in rendered.posts])
    assert [status_length(s.text) for s in statuses] == [p.weight for p in rendered.posts]
    assert max(p.weight for p in rendered.posts) > 450
