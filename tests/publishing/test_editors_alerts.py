"""Where the editors' alerts go: the issue files' problems and the other outlets' failures are
told in the deployment's own alerts channel, never in the alerts channel of a community server
that subscribed with /newsletter setup (its managers are not the editors: they would see the
editors' file paths, and the titles of an issue before it is out)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.issuefiles import format_issue
from bot.models import Subscription
from bot.publishing.outlets.discord_alerts import where_editors_hear
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Permission
from bot.schedule.files import UNWRITTEN_BLURBS
from bot.schedule.jobs import ScheduledPublishing
from bot.schedule.owed import left_message
from bot.schedule.reports import changed_message
from bot.settings import Settings, load_settings
from bot.store import Archive
from bot.wiring import build
from tests.conftest import StartNewsbot
from tests.factories import issue, item
from tests.publishing.test_newsletter_cog import newsletter, private
from tests.test_run import newsbot_run, run_env

SECRET_TITLE = "Unannounced merger"
"""An item of an issue still to come, without a blurb yet: told to the editors by title."""


def headquarters(emulator: Emulator, seed: DefaultWorld) -> tuple[Channel, Channel]:
    """The deployment's own server, the bot in it: its #news, and its editors' #alerts."""
    world = emulator.world
    guild = world.add_guild("Newsletter HQ", owner=seed.owner)
    posting = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | Permission.EMBED_LINKS
    role = world.add_role(guild, "newsbot", permissions=int(posting), managed_by_bot=seed.bot.id)
    world.add_member(guild, seed.bot, roles=(role,))
    return world.add_channel(guild, "news"), world.add_channel(guild, "alerts")


def draft_to_come(folder: Path) -> None:
    """An issue file due next week with an item whose blurb is not written yet."""
    draft = issue(
        9,
        {"Industry": [item(SECRET_TITLE, "https://example.com/merger", blurb="")]},
        publish_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7),
    )
    (folder / "9.md").write_text(format_issue(draft), encoding="utf-8")


async def community_subscribes(emulator: Emulator, seed: DefaultWorld) -> None:
    """The seed server's manager (not an editor) subscribes #announcements, alerts in #general."""
    answer = await newsletter(
        emulator, seed, "setup", channel=seed.announcements, alerts_channel=seed.general
    )
    assert f"Problems will be reported in <#{seed.general.id}>." in private(answer)


def alerts_in(channel: Channel) -> list[str]:
    """What newsbot told in `channel` of the item without a blurb."""
    return [m.content for m in channel.live_messages() if SECRET_TITLE in m.content]


async def told_of_the_draft(
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    archive: Archive,
    tmp_path: Path,
    **discord: Any,
) -> None:
    """Start newsbot with these Discord settings, let the community server subscribe, and let
    the schedule's minutely look at the files find the draft without a blurb."""
    folder = tmp_path / "issues"
    folder.mkdir()
    bot = await start_newsbot(archive, issues={"directory": folder}, discord=discord)
    assert bot.services is not None
    await community_subscribes(emulator, seed)
    draft_to_come(folder)
    await ScheduledPublishing(bot.services).rescan()


async def test_the_declared_servers_alerts_channel_is_told_and_the_community_is_not(
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    archive: Archive,
    tmp_path: Path,
) -> None:
    news, editors = headquarters(emulator, seed)
    declared = {"guild_id": news.guild_id, "channel_id": news.id, "alerts_channel_id": editors.id}
    await told_of_the_draft(start_newsbot, emulator, seed, archive, tmp_path, targets=[declared])
    (told,) = alerts_in(editors)
    assert told.startswith(f"{UNWRITTEN_BLURBS}:\n{tmp_path / 'issues' / '9.md'}:")
    assert alerts_in(seed.general) == [], "the community's managers see no editors' alert"


async def test_the_editors_channel_setting_is_told_and_the_community_is_not(
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    archive: Archive,
    tmp_path: Path,
) -> None:
    _, editors = headquarters(emulator, seed)
    await told_of_the_draft(
        start_newsbot, emulator, seed, archive, tmp_path, alerts_channel_id=editors.id
    )
    (told,) = alerts_in(editors)
    assert told.startswith(UNWRITTEN_BLURBS)
    assert alerts_in(seed.general) == []


async def test_without_an_editors_channel_no_server_is_told(
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    archive: Archive,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await told_of_the_draft(start_newsbot, emulator, seed, archive, tmp_path)
    told = [m.content for m in emulator.world.all_messages() if SECRET_TITLE in m.content]
    assert told == []
    assert SECRET_TITLE in caplog.text, "the editors find it in the log"


async def start_log_of_run(env: dict[str, str]) -> list[str]:
    """The log of `newsbot run` in `env` up to the line saying where the editors' alerts go;
    newsbot is stopped after (perhaps before it handles SIGTERM: how it ends is not looked at)."""
    process = await newsbot_run(env, stdout=asyncio.subprocess.DEVNULL)
    assert process.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not lines or "editors' alerts" not in lines[-1]:
                lines.append((await process.stderr.readline()).decode())
                assert lines[-1], f"newsbot run ended before saying where alerts go: {lines}"
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
    return lines


async def test_run_says_at_start_that_no_channel_gets_the_editors_alerts(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    said = (await start_log_of_run(run_env(emulator, seed, tmp_path / "a.db")))[-1]
    assert "WARNING" in said
    assert "go to no Discord channel, only to the log" in said
    assert "set discord.alerts_channel_id" in said


async def test_run_says_at_start_which_channel_gets_the_editors_alerts(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    _, editors = headquarters(emulator, seed)
    env = run_env(emulator, seed, tmp_path / "a.db")
    env["NEWSBOT_DISCORD__ALERTS_CHANNEL_ID"] = str(editors.id)
    said = (await start_log_of_run(env))[-1]
    assert f"go to channel {editors.id} (discord.alerts_channel_id)" in said
    assert "WARNING" not in said


def test_the_declared_targets_alerts_channels_are_named_each_once() -> None:
    alerted = {"guild_id": 1, "channel_id": 2, "alerts_channel_id": 9}
    silent = {"guild_id": 1, "channel_id": 4}
    settings = load_settings(discord={"targets": [alerted, {**alerted, "channel_id": 3}, silent]})
    level, said = where_editors_hear(settings.discord)
    assert level == logging.INFO
    assert said.endswith(" go to channel 9 (the alerts channels of discord.targets)")


def weekly(tmp_path: Path, **discord: Any) -> Settings:
    """A weekly schedule, no catch-up, these Discord settings."""
    return load_settings(
        issues={"directory": tmp_path},
        schedule={"cron": "0 9 * * MON", "catch_up": "none"},
        publishing={"retry_delay": 0.01, "stop_grace": 0},
        discord=discord,
    )


async def test_issues_left_in_a_community_channel_are_told_to_the_editors_alone(
    archive: Archive, client: discord.Client, emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    """A community channel hidden from the bot for two weeks: its managers hear of the failure
    in their alerts channel, and only the editors, who can run `newsbot publish`, hear which
    issues were left there."""
    _, editors = headquarters(emulator, seed)
    work = ScheduledPublishing(
        build(weekly(tmp_path, alerts_channel_id=editors.id), archive, discord=client)
    )
    await archive.subscriptions.add(
        Subscription(
            seed.guild.id, seed.announcements.id, "announcement", alerts_channel_id=seed.general.id
        )
    )
    emulator.deny(seed.announcements, Permission.VIEW_CHANNEL)
    for number in (1, 2):
        await archive.issues.ingest(issue(number))
        await work.fire()

    told_editors = [m.content for m in editors.live_messages()]
    assert [text for text in told_editors if "left unsent" in text] == [
        left_message([1], f"in <#{seed.announcements.id}>")
    ]
    told_community = [m.content for m in seed.general.live_messages()]
    (failure,) = told_community
    assert failure.startswith(f"I could not publish issue #1 in <#{seed.announcements.id}>: ")
    assert not [text for text in told_community if "newsbot" in text], "no command they lack"


async def test_a_declared_channel_without_an_alerts_channel_tells_the_editors_its_failure(
    archive: Archive, client: discord.Client, emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    news, editors = headquarters(emulator, seed)
    declared = {"guild_id": news.guild_id, "channel_id": news.id}
    settings = weekly(tmp_path, alerts_channel_id=editors.id, targets=[declared])
    work = ScheduledPublishing(build(settings, archive, discord=client))
    emulator.deny(news, Permission.VIEW_CHANNEL)
    await archive.issues.ingest(issue(1))

    report = await work.fire()

    assert len(report.failures) == 1
    (told,) = [m.content for m in editors.live_messages()]
    assert told.startswith(f"I could not publish issue #1 in <#{news.id}>: the bot lacks View")


async def weekly_in_general(
    archive: Archive, client: discord.Client, seed: DefaultWorld, tmp_path: Path
) -> ScheduledPublishing:
    """The weekly schedule of issue files in `tmp_path`, #general subscribed, no editors'
    channel: what the schedule tells the editors goes to the log alone."""
    work = ScheduledPublishing(build(weekly(tmp_path), archive, discord=client))
    await archive.subscriptions.add(Subscription(seed.guild.id, seed.general.id, "text"))
    return work


def levels_logged(caplog: pytest.LogCaptureFixture, text: str) -> list[int]:
    """The level of each record logged as `text`."""
    return [record.levelno for record in caplog.records if record.getMessage() == text]


async def test_without_an_editors_channel_the_schedule_logs_what_it_tells_once(
    archive: Archive,
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    work = await weekly_in_general(archive, client, seed, tmp_path)
    emulator.deny(seed.general, Permission.VIEW_CHANNEL)
    for number in (1, 2):
        await archive.issues.ingest(issue(number))
        await work.fire()

    left = left_message([1], f"in <#{seed.general.id}>")
    assert levels_logged(caplog, left) == [logging.WARNING], "logged once, as a warning"
    assert [m for m in emulator.world.all_messages() if "left unsent" in m.content] == []


async def test_without_an_editors_channel_a_changed_published_file_is_logged_once(
    archive: Archive,
    client: discord.Client,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    work = await weekly_in_general(archive, client, seed, tmp_path)
    first = issue(1, {"News": [item("A chip", "https://news.example/chip", "Faster.")]})
    for text in (format_issue(first), format_issue(first).replace("Faster.", "Much faster.")):
        (tmp_path / "1.md").write_text(text, encoding="utf-8")
        os.utime(tmp_path / "1.md", (0, 0))  # saved long ago, not still being written
        await work.fire()

    changed = changed_message(1)
    assert levels_logged(caplog, changed) == [logging.WARNING], "logged once, as a warning"
