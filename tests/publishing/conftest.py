"""Fixtures: an archive with issues to publish, and a discord.py client logged in over REST."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.publishing.outlets.discord_alerts import DiscordAlerts
from bot.publishing.pacer import Pacer
from bot.publishing.plans.discord import Target
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Message
from bot.store import Archive
from tests.factories import issue, item


@pytest.fixture
def issue_204() -> Issue:
    """An issue with links, abstracts and a blurb long enough to need a second message."""
    return issue(
        204,
        {
            "Industry": [
                item("Quantum campus", "https://news.example/quantum", "A campus for @everyone."),
                item(
                    "Chips (analog)",
                    "https://news.example/chips",
                    "Analog chips.",
                    abstract="Long " * 300,
                ),
            ],
            "Papers & Publications": [
                item(f"Paper {n}", f"https://arxiv.example/{n}", f"Paper blurb {n}. " * 120)
                for n in range(5)
            ],
        },
    )


@pytest.fixture
async def archive_with_issues(
    tmp_path: Path, issue_202: Issue, issue_204: Issue
) -> AsyncIterator[Archive]:
    """An archive holding #202 and #204, in a real SQLite file."""
    archive = await Archive.open(tmp_path / "archive.db")
    await archive.issues.ingest_many([(issue_202, None), (issue_204, None)])
    try:
        yield archive
    finally:
        await archive.close()


@pytest.fixture
def outlet(client: discord.Client) -> DiscordOutlet:
    """The Discord outlet, through the logged-in client."""
    return DiscordOutlet(client, pacer=Pacer(rate=1000))


@pytest.fixture
def engine(archive_with_issues: Archive, outlet: DiscordOutlet) -> Engine:
    """The publishing engine on the archive, retrying quickly, alerting on Discord."""
    return Engine(archive_with_issues, retry_delay=0.01, alerts=DiscordAlerts(outlet))


def text_target(seed: DefaultWorld, channel: Channel, **extra: object) -> Target:
    kinds = {0: "text", 5: "announcement", 15: "forum"}
    return Target(
        guild_id=seed.guild.id,
        channel_id=channel.id,
        kind=kinds[int(channel.type)],  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def threads_of(emulator: Emulator, channel: Channel) -> list[Channel]:
    """The live threads (or forum posts) under a channel, oldest first."""
    return sorted(
        (
            c
            for c in emulator.world.channels.values()
            if c.parent_id == channel.id and not c.deleted
        ),
        key=lambda c: c.id,
    )


def posted_in(emulator: Emulator, channel: Channel) -> list[Message]:
    """Every live message in a channel and in its threads."""
    messages = list(emulator.messages_in(channel))
    for thread in threads_of(emulator, channel):
        messages += emulator.messages_in(thread)
    return [m for m in messages if m.type in (0, 19)]


def text_of(message: Message) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)
