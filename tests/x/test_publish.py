"""Publishing to X end to end: the real tweepy AsyncClient against the emulator."""

from __future__ import annotations

import asyncio
import time

from bot.models import Issue
from bot.publishing.outlets.x import XOutlet, comparable
from bot.publishing.x_publish import XPublisher, x_plan
from bot.sandbox.x import XEmulator
from bot.settings import XSettings
from bot.store import Archive
from tests.x.conftest import assert_one_thread, settings_for


async def test_202_becomes_one_thread(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    rendered, steps = x_plan(issue_202, x_settings)
    report = await XPublisher(archive_202, outlet, x_settings).publish(issue_202)
    assert report.ok and report.posted == len(steps) <= 8
    assert_one_thread(x_emulator.live_tweets(), [s.text for s in steps])
    # Every item is in the thread, or the plan said what was condensed.
    posted = "".join(t.text for t in x_emulator.live_tweets())
    for _, item in issue_202.items:
        assert item.title.replace("’", "’") in posted or item.key in rendered.omitted
    assert rendered.notes == ("titles only: blurbs left out",)
    assert all(r.status < 300 and r.authorized for r in x_emulator.requests)
    assert round(x_emulator.cost, 3) == round(rendered.cost(0.015, 0.20), 3)
    # Publishing again posts nothing.
    again = await XPublisher(archive_202, outlet, x_settings).publish(issue_202)
    assert again.ok and again.posted == 0 and again.unchanged == len(steps)
    assert len(x_emulator.live_tweets()) == len(steps)


async def test_a_5xx_after_the_post_is_reconciled_not_repeated(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    x_emulator.inject("POST", "/2/tweets", 503, times=2, after_handler=True)
    x_emulator.inject("POST", "/2/tweets", 500, times=1)
    publisher = XPublisher(archive_202, outlet, x_settings, retry_delay=0.01)
    report = await publisher.publish(issue_202)
    _, steps = x_plan(issue_202, x_settings)
    assert report.ok, report.summary()
    assert report.recovered == 2
    assert_one_thread(x_emulator.live_tweets(), [s.text for s in steps])


async def test_a_short_rate_limit_is_waited_out(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    x_emulator.inject("POST", "/2/tweets", 429, times=1, reset_in=0.5)
    start = time.monotonic()
    report = await XPublisher(archive_202, outlet, x_settings).publish(issue_202)
    assert report.ok
    assert time.monotonic() - start < 3
    _, steps = x_plan(issue_202, x_settings)
    assert_one_thread(x_emulator.live_tweets(), [s.text for s in steps])


async def test_refused_replies_go_on_as_quotes_and_alert(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    x_settings: XSettings,
    issue_202: Issue,
) -> None:
    x_emulator.config.refuse_replies = True
    alerts: list[str] = []

    async def alert(text: str) -> None:
        alerts.append(text)

    report = await XPublisher(archive_202, outlet, x_settings, alert=alert).publish(issue_202)
    assert report.ok and report.quoted
    _, steps = x_plan(issue_202, x_settings)
    assert_one_thread(x_emulator.live_tweets(), [s.text for s in steps], quoting_from=2)
    assert len(alerts) == 1 and "refused a reply" in alerts[0]


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
    async with x_outlet(settings) as outlet:
        first = await XPublisher(archive_202, outlet, settings).publish(issue_202)
        assert first.deferred == len(steps) - 3 and not first.ok
        assert "left for the next publish" in first.summary()
        assert x_emulator.requests[-1].status == 429
        await asyncio.sleep(1.1)
        second = await XPublisher(archive_202, outlet, settings).publish(issue_202)
        assert second.posted == 3
        await asyncio.sleep(1.1)
        await XPublisher(archive_202, outlet, settings).publish(issue_202)
        await asyncio.sleep(1.1)
        last = await XPublisher(archive_202, outlet, settings).publish(issue_202)
    assert last.ok
    assert_one_thread(x_emulator.live_tweets(), [s.text for s in steps])


async def test_the_ledger_cap_is_known_before_asking_x(
    archive_202: Archive,
    outlet: XOutlet,
    x_emulator: XEmulator,
    issue_202: Issue,
) -> None:
    settings = settings_for(x_emulator, daily_posts=4)
    report = await XPublisher(archive_202, outlet, settings).publish(issue_202)
    assert report.posted == 4 and report.deferred > 0
    assert all(r.status < 300 for r in x_emulator.requests)


def test_texts_compare_as_x_returns_them() -> None:
    assert comparable("a &amp; b https://t.co/abc") == comparable("a & b https://example.com/x")
