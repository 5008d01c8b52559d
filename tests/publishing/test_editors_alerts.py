"""Where the editors' alerts go: the issue files' problems and the other outlets' failures are
told in the deployment's own alerts channel, never in the alerts channel of a community server
that subscribed with /newsletter setup (its managers are not the editors: they would see the
editors' file paths, and the titles of an issue before it is out)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.issuefiles import format_issue
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Permission
from bot.schedule.files import UNWRITTEN_BLURBS
from bot.schedule.jobs import ScheduledPublishing
from bot.store import Archive
from tests.conftest import StartNewsbot
from tests.factories import issue, item
from tests.publishing.test_newsletter_cog import newsletter, private

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
