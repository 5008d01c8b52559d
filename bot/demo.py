"""The demo: the Discord emulator on loopback, the real `newsbot run` process, and a reader.

Nothing here needs an account or the network beyond 127.0.0.1. It prints, with rich, what a
reader sees in Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from bot.archive import Archive
from bot.issuefiles import LoadResult
from bot.sandbox.discord import (
    Channel,
    DefaultWorld,
    Emulator,
    EmulatorConfig,
    Message,
    World,
)
from bot.settings import Settings

BOT_START_TIMEOUT = 60.0
ANSWER_TIMEOUT = 10.0
PUBLISH_TIMEOUT = 60.0


class Screen:
    """Draws Discord messages in the terminal the way a reader's client shows them."""

    def __init__(self, world: World) -> None:
        self.world = world

    def named(self, text: str) -> str:
        """`<#id>`, `<@&id>` and `<@id>` as the names Discord would show."""

        def name(match: re.Match[str]) -> str:
            kind, number = match.group(1), int(match.group(2))
            if kind == "#":
                channel = self.world.channels.get(number)
                return f"#{channel.name}" if channel else match.group(0)
            if kind == "@&":
                for guild in self.world.guilds.values():
                    if number in guild.roles:
                        return f"@{guild.roles[number].name}"
                return match.group(0)
            user = self.world.users.get(number)
            return f"@{user.username}" if user else match.group(0)

        return _MENTION.sub(name, text)

    def markdown(self, text: str) -> Markdown:
        """Markdown rendered like Discord does, where a single newline is a line break."""
        return Markdown(self.named(text).replace("\n", "  \n"), hyperlinks=False)

    def message(self, message: Message, *, who: str) -> RenderableType:
        """A message as a reader sees it: text, then each embed as a card, then buttons."""
        parts: list[RenderableType] = []
        if message.content:
            parts.append(self.markdown(message.content))
        parts.extend(self.embed(embed) for embed in message.embeds)
        buttons = [c for row in message.components for c in row.get("components", [])]
        if buttons:
            labels = "  ".join(
                f"[{b.get('label', '?')}{' (disabled)' if b.get('disabled') else ''}]"
                for b in buttons
            )
            parts.append(Text(labels, style="cyan"))
        private = " · only you can see this" if message.flags & 64 else ""
        return Panel(Group(*parts), title=f"newsbot → {who}{private}", title_align="left")

    def embed(self, embed: dict[str, Any]) -> RenderableType:
        """An embed as a card: title (and link), description, fields and footer."""
        parts: list[RenderableType] = []
        title = Text(self.named(str(embed.get("title", ""))), style="bold")
        if embed.get("url"):
            title.append(f"\n{embed['url']}", style="blue underline")
        parts.append(title)
        if embed.get("description"):
            parts.append(self.markdown(str(embed["description"])))
        for field in embed.get("fields", []):
            parts.append(Text(str(field["name"]), style="bold magenta"))
            parts.append(self.markdown(str(field["value"])))
        if embed.get("footer"):
            parts.append(Text(str(embed["footer"].get("text", "")), style="dim"))
        return Panel(Group(*parts), border_style="blue")


_MENTION = re.compile(r"<(#|@&|@!?)(\d+)>")


@contextlib.asynccontextmanager
async def bot_process(
    settings: Settings, emulator: Emulator, seed: DefaultWorld, db: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`newsbot run` in its own process, pointed at the emulator; stopped with SIGTERM."""
    env = {
        **os.environ,
        "NEWSBOT_DISCORD__TOKEN": emulator.token,
        "NEWSBOT_DISCORD__API_BASE": emulator.api_base,
        "NEWSBOT_DISCORD__GATEWAY_URL": emulator.gateway_url,
        "NEWSBOT_DISCORD__DEV_GUILD": str(seed.guild.id),
        "NEWSBOT_ARCHIVE__PATH": str(db),
        "NEWSBOT_ISSUES__DIRECTORY": str(settings.issues.directory),
        "NEWSBOT_LOG__LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, stdin=asyncio.subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


class Editor:
    """Plays the server's manager: subscribes channels and publishes an issue."""

    def __init__(self, emulator: Emulator, seed: DefaultWorld, console: Console) -> None:
        self.emulator = emulator
        self.seed = seed
        self.console = console
        self.screen = Screen(emulator.world)

    async def newsletter(self, sub: str, **options: Any) -> Message:
        """Run `/newsletter sub …` as the manager and print newsbot's answer."""
        shown = " ".join(f"{key}:{_shown(value)}" for key, value in options.items())
        who = self.seed.manager.username
        self.console.print(Text(f"\n{who} (editor) › /newsletter {sub} {shown}", style="bold cyan"))
        handle = await self.emulator.run_slash_command(
            self.seed.guild,
            self.seed.general,
            self.seed.manager,
            "newsletter",
            options,
            subcommand=sub,
        )
        answer = await handle.original(timeout=PUBLISH_TIMEOUT)
        self.console.print(self.screen.message(answer, who=who))
        return answer

    def show_channel(self, channel: Channel) -> None:
        """Print what a reader finds in a channel: its messages, then each thread or post."""
        self.console.rule(f"#{channel.name}, as a reader sees it")
        world = self.emulator.world
        for message in self.emulator.messages_in(channel):
            if message.embeds:  # the digest; "started a thread" notices are Discord's own
                self.console.print(self.screen.message(message, who=f"#{channel.name}"))
        threads = [
            c for c in world.channels.values() if c.parent_id == channel.id and not c.deleted
        ]
        tags = {tag.id: tag.name for tag in channel.available_tags}
        for thread in threads:
            messages = self.emulator.messages_in(thread)
            labels = ", ".join(tags[t] for t in thread.applied_tags if t in tags)
            items = sum(len(m.embeds) for m in messages)
            self.console.print(
                Text(f"  🧵 {thread.name}", style="bold")
                + Text(f"  {len(messages)} message(s), {items} item card(s)", style="dim")
                + Text(f"  [{labels}]" if labels else "", style="magenta")
            )

    def show_thread(self, channel: Channel, name: str) -> None:
        """Print the messages of one of a channel's threads."""
        for thread in self.emulator.world.channels.values():
            if thread.parent_id == channel.id and thread.name == name and not thread.deleted:
                self.console.rule(f"🧵 {name}, opened")
                for message in self.emulator.messages_in(thread):
                    self.console.print(self.screen.message(message, who=name))


def _shown(value: Any) -> str:
    name = getattr(value, "name", None)
    return f"#{name}" if isinstance(name, str) else str(value)


class Reader:
    """Plays a reader in the emulated guild and prints what newsbot answers."""

    def __init__(self, emulator: Emulator, seed: DefaultWorld, console: Console) -> None:
        self.emulator = emulator
        self.seed = seed
        self.console = console
        self.screen = Screen(emulator.world)

    def say(self, what: str) -> None:
        """Print what the reader does."""
        self.console.print(Text(f"\n{self.seed.reader.username} › {what}", style="bold green"))

    async def slash(self, name: str, **options: Any) -> Message:
        """Run a slash command and print newsbot's answer."""
        shown = " ".join(f"{key}:{value}" for key, value in options.items())
        self.say(f"/{name} {shown}".rstrip())
        handle = await self.emulator.run_slash_command(
            self.seed.guild, self.seed.general, self.seed.reader, name, options
        )
        answer = await handle.original(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(answer, who=self.seed.reader.username))
        return answer

    async def press(self, message: Message, custom_id: str, label: str) -> None:
        """Press a button and print the message as it is afterwards."""
        self.say(f"presses “{label}”")
        handle = await self.emulator.press_button(message, custom_id, self.seed.reader)
        await handle.response(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(message, who=self.seed.reader.username))

    async def related(self, text: str) -> None:
        """Post a message, then use “Find related links” on it."""
        self.say(f"posts in #{self.seed.general.name}: “{text}”")
        posted = await self.emulator.post_message(self.seed.general, self.seed.reader, text)
        self.say("right-clicks it → Apps → Find related links")
        handle = await self.emulator.message_context_menu(
            "Find related links", posted.message, self.seed.reader
        )
        answer = await handle.original(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(answer, who=self.seed.reader.username))


async def run_demo(settings: Settings, issues: LoadResult) -> None:
    """Ingest the issues, start the emulator and `newsbot run`, then play a reader."""
    console = Console(highlight=False)
    with tempfile.TemporaryDirectory(prefix="newsbot-demo-") as scratch:
        db = Path(scratch) / "archive.db"
        async with await Archive.open(db) as archive:
            await archive.ingest_many([(issue, path) for path, issue in issues.issues])
            stats = await archive.stats()
        console.rule("newsbot demo")
        console.print(
            f"Archived {stats.items} items from {stats.issues} issue(s). Starting the Discord "
            "emulator on 127.0.0.1 and `newsbot run` against it…"
        )
        async with Emulator(config=EmulatorConfig()) as emulator:
            seed = emulator.seed
            assert seed is not None
            async with bot_process(settings, emulator, seed, db) as process:
                await _wait_for_commands(emulator, seed, process)
                console.print(
                    f"newsbot is online in “{seed.guild.name}” with its commands: "
                    + ", ".join(sorted(c.name for c in emulator.synced_commands(seed.guild)))
                )
                editor = Editor(emulator, seed, console)
                await publish(editor)
                await play(Reader(emulator, seed, console))
        console.rule("done")


async def _wait_for_commands(
    emulator: Emulator, seed: DefaultWorld, process: asyncio.subprocess.Process
) -> None:
    def ready() -> bool | None:
        if process.returncode is not None:
            raise RuntimeError(f"`newsbot run` exited early with code {process.returncode}")
        return True if emulator.synced_commands(seed.guild) else None

    await emulator.wait_until(ready, timeout=BOT_START_TIMEOUT)


async def publish(editor: Editor) -> None:
    """What the demo's editor does: subscribe two channels, publish #202, look at them."""
    seed = editor.seed
    await editor.newsletter("setup", channel=seed.announcements, role=seed.newsletter_role)
    await editor.newsletter("setup", channel=seed.forum)
    await editor.newsletter("publish", issue=202)
    editor.show_channel(seed.announcements)
    editor.show_thread(seed.announcements, "#202 · Papers & Publications")
    editor.show_channel(seed.forum)


async def play(reader: Reader) -> None:
    """What the demo's reader does, in order."""
    await reader.slash("latest")
    await reader.slash("latest", section="papers-publications")
    await reader.slash("search", query="knowledge distillation")
    first = await reader.slash("search", query="learning")
    if _has_button(first.components, "search:next"):
        await reader.press(first, "search:next", "Next")
    await reader.related("Does anyone have a good intro to federated learning on IoT devices?")
    await reader.slash("issue", number=7)


def _has_button(rows: Sequence[dict[str, Any]], custom_id: str) -> bool:
    return any(c.get("custom_id") == custom_id for row in rows for c in row.get("components", []))
