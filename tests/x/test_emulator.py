"""The X emulator itself, driven by the real tweepy AsyncClient through the outlet's session."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import time

import pytest
import tweepy

from bot.publishing.outlets.x import XOutlet
from bot.sandbox.x import DUPLICATE, REPLY_REFUSED, TOO_LONG, XEmulator
from bot.sandbox.x._emulator import QUOTE_OF_MISSING, REPLY_TO_MISSING
from tests.conftest import ROOT, eventually


def assert_refused(x_emulator: XEmulator, *words: str) -> None:
    """X refused one post since the last check for a broken rule, naming `words`."""
    [violation] = x_emulator.violations.take()
    assert (violation.kind, violation.method, violation.path) == ("rule", "POST", "/2/tweets")
    for word in words:
        assert word in violation.detail, violation.detail


async def test_over_280_weighted_is_refused_with_xs_403(
    outlet: XOutlet, x_emulator: XEmulator
) -> None:
    with pytest.raises(tweepy.Forbidden) as refused:
        await outlet.client.create_tweet(text="漢" * 141)  # 141 characters, 282 weighted
    assert refused.value.api_messages == [TOO_LONG]
    assert_refused(x_emulator, "280 weighted", "282")
    await outlet.client.create_tweet(text="漢" * 140)
    assert len(x_emulator.live_tweets()) == 1
    assert not x_emulator.violations


async def test_duplicates_are_refused(outlet: XOutlet, x_emulator: XEmulator) -> None:
    await outlet.client.create_tweet(text="hello")
    with pytest.raises(tweepy.Forbidden) as refused:
        await outlet.client.create_tweet(text="hello")
    assert refused.value.api_messages == [DUPLICATE]
    assert_refused(x_emulator, "repeating the text")


@pytest.mark.parametrize("how", ["reply", "quote"])
async def test_a_reply_or_quote_needs_a_post_that_exists(
    outlet: XOutlet, x_emulator: XEmulator, how: str
) -> None:
    gone = (await outlet.client.create_tweet(text="soon deleted")).data["id"]
    await outlet.client.delete_tweet(gone)
    for target, name in ((gone, "deleted"), ("1234567890", "nonexistent")):
        refers = {"in_reply_to_tweet_id": target} if how == "reply" else {"quote_tweet_id": target}
        with pytest.raises(tweepy.Forbidden) as refused:
            await outlet.client.create_tweet(text=f"about a {name} post", **refers)
        assert refused.value.response.status == 403
        expected = REPLY_TO_MISSING if how == "reply" else QUOTE_OF_MISSING
        assert refused.value.api_messages == [expected]
        assert_refused(x_emulator, f"{how} ", "does not exist or was deleted", str(target))
    assert [t.text for t in x_emulator.live_tweets()] == []


async def test_reading_a_deleted_post_answers_not_found(
    outlet: XOutlet, x_emulator: XEmulator
) -> None:
    made = await outlet.client.create_tweet(text="hello")
    tweet_id = int(made.data["id"])
    found = await outlet.client.get_tweet(tweet_id, user_auth=True)
    assert found.data is not None and found.data.text == "hello" and not found.errors
    await outlet.client.delete_tweet(tweet_id)
    gone = await outlet.client.get_tweet(tweet_id, user_auth=True)
    assert gone.data is None
    [problem] = gone.errors
    assert problem["type"].endswith("/2/problems/resource-not-found")
    assert problem["resource_id"] == str(tweet_id)
    assert await outlet.exists(tweet_id) is False


async def test_a_post_may_both_reply_and_quote(outlet: XOutlet, x_emulator: XEmulator) -> None:
    lead = int((await outlet.client.create_tweet(text="#202 lead")).data["id"])
    second = await outlet.client.create_tweet(
        text="#202 part 2", in_reply_to_tweet_id=lead, quote_tweet_id=lead
    )
    made = x_emulator.tweet(int(second.data["id"]))
    assert made is not None and (made.in_reply_to, made.quote_of) == (lead, lead)
    assert not x_emulator.violations


async def test_refused_replies_are_xs_standing_not_a_broken_rule(
    outlet: XOutlet, x_emulator: XEmulator
) -> None:
    lead = int((await outlet.client.create_tweet(text="#202 lead")).data["id"])
    x_emulator.config.refuse_replies = True
    with pytest.raises(tweepy.Forbidden) as refused:
        await outlet.client.create_tweet(text="#202 part 2", in_reply_to_tweet_id=lead)
    assert refused.value.api_messages == [REPLY_REFUSED]
    assert not x_emulator.violations, "a correct client meets it too, and goes on by quoting"


async def test_reply_settings_take_xs_values_only(outlet: XOutlet, x_emulator: XEmulator) -> None:
    made = await outlet.client.create_tweet(
        text="replies by mention", reply_settings="mentionedUsers"
    )
    tweet = x_emulator.tweet(int(made.data["id"]))
    assert tweet is not None and tweet.reply_settings == "mentionedUsers"
    with pytest.raises(tweepy.BadRequest) as refused:
        await outlet.client.create_tweet(text="replies by nobody", reply_settings="nobody")
    [error] = refused.value.api_errors
    assert "reply_settings" in str(error["message"])
    assert "'following', 'mentionedUsers', 'subscribers', 'verified'" in str(error["message"])
    answered = x_emulator.requests[-1]
    assert (answered.status, answered.path) == (400, "/2/tweets")
    # The published document lists the values, so its check refuses before X's rules run.
    [violation] = x_emulator.violations.take()
    assert (violation.kind, violation.path) == ("spec", "/2/tweets")
    assert "reply_settings" in violation.detail
    assert len(x_emulator.live_tweets()) == 1


async def test_the_cap_answers_429_with_its_headers(outlet: XOutlet, x_emulator: XEmulator) -> None:
    x_emulator.config.daily_posts = 2
    for n in range(2):
        await outlet.client.create_tweet(text=f"post {n}")
    with pytest.raises(tweepy.TooManyRequests) as limited:
        await outlet.client.create_tweet(text="one too many")
    headers = limited.value.response.headers
    assert headers["x-rate-limit-limit"] == "2"
    assert headers["x-rate-limit-remaining"] == "0"
    assert time.time() < limited.value.reset_time <= time.time() + 24 * 3600 + 1


async def test_the_cost_ledger_adds_up(outlet: XOutlet, x_emulator: XEmulator) -> None:
    await outlet.client.create_tweet(text="no link")
    await outlet.client.create_tweet(text="a link https://example.com/a")
    await outlet.client.create_tweet(text="a bare domain example.com")
    assert [c.has_url for c in x_emulator.charges] == [False, True, True]
    assert x_emulator.cost == pytest.approx(0.015 + 0.20 + 0.20)


async def test_bad_signatures_and_missing_oauth_are_refused(
    outlet: XOutlet, x_emulator: XEmulator
) -> None:
    outlet.client.consumer_secret = "not-the-secret"
    with pytest.raises(tweepy.Unauthorized):
        await outlet.client.create_tweet(text="hello")
    assert x_emulator.requests[-1].authorized is False
    assert not x_emulator.live_tweets()


async def test_timeline_is_newest_first_and_paginated(
    outlet: XOutlet, x_emulator: XEmulator
) -> None:
    for n in range(7):
        await outlet.client.create_tweet(text=f"post {n} & <more>")
    me = await outlet.user_id()
    page = await outlet.client.get_users_tweets(me, max_results=5, user_auth=True)
    assert [t.text for t in page.data][:2] == [
        "post 6 &amp; &lt;more&gt;",
        "post 5 &amp; &lt;more&gt;",
    ]
    rest = await outlet.client.get_users_tweets(
        me, max_results=5, pagination_token=page.meta["next_token"], user_auth=True
    )
    assert len(rest.data) == 2 and "next_token" not in rest.meta
    with pytest.raises(tweepy.BadRequest) as refused:
        await outlet.client.get_users_tweets(me, max_results=2, user_auth=True)
    [error] = refused.value.api_errors
    assert error["parameters"] == {"max_results": ["2"]}
    [violation] = x_emulator.violations.take()
    assert (violation.kind, violation.detail) == ("spec", "query max_results: 2 is less than 5")
    assert await outlet.find("post 0 & <more>", refers_to=None) == x_emulator.live_tweets()[0].id


async def test_a_timeline_from_a_start_time_holds_the_posts_since(
    outlet: XOutlet, x_emulator: XEmulator
) -> None:
    x_emulator.posted_earlier(["a day ago"], at=time.time() - 24 * 60 * 60)
    await outlet.client.create_tweet(text="just now")
    me, now = await outlet.user_id(), dt.datetime.now(dt.UTC)
    hour_ago = now - dt.timedelta(hours=1)
    page = await outlet.client.get_users_tweets(me, start_time=hour_ago, user_auth=True)
    assert [t.text for t in page.data] == ["just now"]
    with pytest.raises(tweepy.BadRequest) as refused:
        await outlet.client.get_users_tweets(me, start_time="2009-01-01T00:00:00Z", user_auth=True)
    [error] = refused.value.api_errors
    assert error["parameters"] == {"start_time": ["2009-01-01T00:00:00Z"]}


async def test_injected_failures_after_handling_still_post(
    outlet: XOutlet, x_emulator: XEmulator
) -> None:
    x_emulator.inject("POST", "/2/tweets", 503, after_handler=True)
    with pytest.raises(tweepy.TwitterServerError):
        await outlet.client.create_tweet(text="made anyway")
    assert [t.text for t in x_emulator.live_tweets()] == ["made anyway"]


@pytest.mark.parametrize(("status", "posted"), [(200, ["held"]), (503, [])])
async def test_a_hanging_fault_holds_a_post_until_released(
    outlet: XOutlet, x_emulator: XEmulator, status: int, posted: list[str]
) -> None:
    gate = x_emulator.inject("POST", "/2/tweets", status, hang=True)
    posting = asyncio.ensure_future(outlet.client.create_tweet(text="held"))
    await eventually(lambda: gate.hits == 1)
    assert not posting.done() and not x_emulator.live_tweets()
    gate.release()
    if status < 400:
        await posting  # a 2xx hang only delays the request: then it is served as sent
    else:
        with pytest.raises(tweepy.TwitterServerError):
            await posting
    assert [t.text for t in x_emulator.live_tweets()] == posted


def test_it_runs_standalone() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox.x", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("X emulator at http://127.0.0.1:")
        assert "NEWSBOT_X__API_BASE=" in process.stdout.readline()
        assert "NEWSBOT_X__CONSUMER_KEY=" in process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
