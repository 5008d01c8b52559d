"""Fixtures: a Discord emulator on 127.0.0.1 and a real discord.py bot logged in to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.sandbox._openapi import Operation
from bot.sandbox._violations import ViolationKind
from bot.sandbox.discord import Emulator
from bot.sandbox.discord._rest import API_PREFIX

NO_PINGS = discord.AllowedMentions.none()


def assert_refused(
    emulator: Emulator, method: str, path: str, *words: str, kind: ViolationKind = "rule"
) -> None:
    """The emulator recorded one violation since the last check: this request, naming `words`.

    A rule is checked by the route; the published document (kind "spec") is checked before it,
    on the path as Discord serves it (under ``/api/v10``).
    """
    [violation] = emulator.violations.take()
    where = path if kind == "rule" else API_PREFIX + path
    assert (violation.kind, violation.method, violation.path) == (kind, method, where)
    for word in words:
        assert word in violation.detail, violation.detail


def counted_verdicts(operation: Operation, part: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The values the compiled check of ``operation``'s ``part`` is asked about until the
    test ends."""
    asked: list[Any] = []
    operation._valid(part, None)  # compiled once, before it is watched
    verdict = operation._verdicts[part]
    assert verdict is not None

    def watched(value: Any) -> bool:
        asked.append(value)
        return verdict(value)

    monkeypatch.setitem(operation._verdicts, part, watched)
    return asked


SECTIONS = ["Industry", "Mobile & Edge", "Learning", "Libraries & Code", "Papers & Publications"]
ISSUE_TITLES = ["Deep Learning Weekly 200", "Deep Learning Weekly 201", "Deep Learning Weekly 202"]


class SubscribeView(discord.ui.View):
    """A button and a select, like a newsletter opt-in message."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Subscribe", custom_id="subscribe:newsletter")
    async def subscribe(
        self, interaction: discord.Interaction, button: discord.ui.Button[SubscribeView]
    ) -> None:
        await interaction.response.send_message(
            "Subscribed", ephemeral=True, allowed_mentions=NO_PINGS
        )

    @discord.ui.select(
        custom_id="subscribe:sections",
        max_values=3,
        options=[discord.SelectOption(label=s, value=s) for s in SECTIONS],
    )
    async def sections(
        self, interaction: discord.Interaction, select: discord.ui.Select[SubscribeView]
    ) -> None:
        await interaction.response.edit_message(content=f"Sections: {', '.join(select.values)}")


class FeedbackModal(discord.ui.Modal, title="Feedback on the issue"):
    """A modal with one text input."""

    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="What should we cover?", custom_id="feedback:text"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Thanks: {self.text.value}", ephemeral=True, allowed_mentions=NO_PINGS
        )


class EmulatedBot(commands.Bot):
    """A small bot with the kinds of app commands newsbot has, synced to the seed guild."""

    def __init__(self, guild_id: int, *, intents: discord.Intents) -> None:
        super().__init__(
            command_prefix="!",
            intents=intents,
            guild_ready_timeout=0.05,
            allowed_mentions=NO_PINGS,
        )
        self.guild_id = guild_id
        self.seen: list[discord.Message] = []
        self.errors: list[BaseException] = []
        self.late_delay = 0.0
        self.message_seen = asyncio.Event()
        self.error_seen = asyncio.Event()

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)
        for command in _commands(self):
            self.tree.add_command(command, guild=guild)
        self.tree.add_command(_suggest_menu(), guild=guild)
        await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message) -> None:
        if message.author == self.user:
            return
        self.seen.append(message)
        self.message_seen.set()
        if message.content == "!ping":
            await message.reply("pong", mention_author=False, allowed_mentions=NO_PINGS)


def _commands(bot: EmulatedBot) -> list[app_commands.Command[Any, ..., None] | app_commands.Group]:
    @app_commands.command(description="Show the latest issue")
    async def latest(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Deep Learning Weekly 202", description="This week in DL")
        await interaction.response.send_message("Issue 202", embed=embed, allowed_mentions=NO_PINGS)

    @app_commands.command(description="Think, then answer with a follow-up")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("Done thinking", allowed_mentions=NO_PINGS)

    @app_commands.command(description="Answer only the asker")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "Only you", ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(description="Answer, then edit the answer")
    async def edited(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Draft", allowed_mentions=NO_PINGS)
        await interaction.edit_original_response(content="Final")

    @app_commands.command(description="Answer too late")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(bot.late_delay)
        try:
            await interaction.response.send_message("Too late", allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            bot.errors.append(exc)
            bot.error_seen.set()

    @app_commands.command(description="Search the archive")
    @app_commands.describe(query="Words to look for")
    async def search(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(f"Results for {query}", allowed_mentions=NO_PINGS)

    @search.autocomplete("query")
    async def search_complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=title, value=title)
            for title in ISSUE_TITLES
            if current.lower() in title.lower()
        ][:25]

    @app_commands.command(description="Choose sections to follow")
    async def subscribe(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "Pick sections", view=SubscribeView(), allowed_mentions=NO_PINGS
        )

    @app_commands.command(description="Tell us what to cover")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @app_commands.command(description="Show one issue")
    @app_commands.describe(number="Issue number", section="Only this section")
    @app_commands.choices(section=[app_commands.Choice(name=s, value=s) for s in SECTIONS])
    async def issue(
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1, 999],
        section: str | None = None,
    ) -> None:
        suffix = f" ({section})" if section else ""
        await interaction.response.send_message(
            f"Issue {number}{suffix}", allowed_mentions=NO_PINGS
        )

    manage = app_commands.Group(
        name="manage",
        description="Editors only",
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @manage.command(description="Publish an issue")
    @app_commands.describe(number="Issue number")
    async def publish(interaction: discord.Interaction, number: int) -> None:
        await interaction.response.send_message(
            f"Published {number}", ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(description="Fetch, follow up, then delete the answer")
    async def roundtrip(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("First", allowed_mentions=NO_PINGS)
        original = await interaction.original_response()
        await interaction.followup.send(
            f"Original was {original.content}", ephemeral=True, allowed_mentions=NO_PINGS
        )
        await interaction.delete_original_response()

    @app_commands.command(description="Think, remove the placeholder, then follow up")
    async def vanished(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.delete_original_response()
        try:
            await interaction.followup.send("Too late", allowed_mentions=NO_PINGS)
        except discord.NotFound as exc:
            bot.errors.append(exc)
            bot.error_seen.set()

    return [
        latest,
        slow,
        secret,
        edited,
        late,
        search,
        subscribe,
        feedback,
        issue,
        manage,
        roundtrip,
        vanished,
    ]


def _suggest_menu() -> app_commands.ContextMenu:
    async def suggest(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(
            f"Suggested {message.id}: {message.content}", ephemeral=True, allowed_mentions=NO_PINGS
        )

    return app_commands.ContextMenu(name="Suggest for newsletter", callback=suggest)


BotFactory = Callable[..., Awaitable[EmulatedBot]]


@pytest.fixture
async def make_bot(emulator: Emulator) -> AsyncIterator[BotFactory]:
    """Start logged-in bots on demand (``await make_bot(intents=...)``); close them all after."""
    started: list[tuple[EmulatedBot, asyncio.Task[None]]] = []

    async def start(intents: discord.Intents | None = None) -> EmulatedBot:
        if intents is None:
            intents = discord.Intents.default()
            intents.message_content = True
        assert emulator.seed is not None
        bot = EmulatedBot(emulator.seed.guild.id, intents=intents)
        await bot.login(emulator.token)
        task = asyncio.create_task(bot.connect(reconnect=True))
        started.append((bot, task))
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        return bot

    yield start
    for bot, task in started:
        await bot.close()
        await asyncio.wait_for(task, 5)


@pytest.fixture
async def bot(make_bot: BotFactory) -> EmulatedBot:
    """One bot with the default intents plus message content."""
    return await make_bot()
