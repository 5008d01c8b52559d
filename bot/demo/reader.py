"""The reader in the demo: slash commands, buttons, "Find related links" and replies, as a
Discord user makes them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, NamedTuple

from rich.console import Console
from rich.text import Text

from bot.demo.screen import Screen
from bot.demo.stage import ANSWER_TIMEOUT
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Message, MessageHandle

PAGED = ("search", "latest", "issue")
"""The commands whose answers newsbot pages, with buttons `COMMAND:previous` and `COMMAND:next`."""


class Paged(NamedTuple):
    """A command's answer whose pages `next` and `previous` turn."""

    command: str
    message: Message


class Reader:
    """Plays a reader in the emulated guild and prints what newsbot answers."""

    def __init__(self, emulator: Emulator, seed: DefaultWorld, console: Console) -> None:
        self.emulator = emulator
        self.seed = seed
        self.console = console
        self.screen = Screen(emulator.world)
        self.last_paged: Paged | None = None
        """The last answer of a command whose answers are paged, and that command."""

    def say(self, what: str) -> None:
        """Print what the reader does."""
        self.console.print(Text(f"\n{self.seed.reader.username} › {what}", style="bold green"))

    async def slash(self, name: str, **options: Any) -> Message:
        """Run a slash command and print newsbot's answer."""
        # As Discord's client shows them: a boolean as `true`, not as Python writes it.
        shown = " ".join(
            f"{key}:{str(value).lower() if isinstance(value, bool) else value}"
            for key, value in options.items()
        )
        self.say(f"/{name} {shown}".rstrip())
        handle = await self.emulator.run_slash_command(
            self.seed.guild, self.seed.general, self.seed.reader, name, options
        )
        answer = await handle.original(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(answer, who=self.seed.reader.username))
        if name in PAGED:
            self.last_paged = Paged(name, answer)
        return answer

    async def press(self, message: Message, custom_id: str, label: str) -> None:
        """Press a button and print the message as it is afterwards (once edited, when newsbot
        acknowledged the press first, as it does a slow one)."""
        self.say(f"presses “{label}”")
        handle = await self.emulator.press_button(message, custom_id, self.seed.reader)
        await handle.updated(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(message, who=self.seed.reader.username))

    async def related(self, text: str) -> None:
        """Post a message in #general, then use “Find related links” on it."""
        self.say(f"posts in #{self.seed.general.name}: “{text}”")
        posted = await self.emulator.post_message(self.seed.general, self.seed.reader, text)
        self.say("right-clicks it → Apps → Find related links")
        handle = await self.emulator.message_context_menu(
            "Find related links", posted.message, self.seed.reader
        )
        answer = await handle.original(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(answer, who=self.seed.reader.username))

    async def reply_in(self, thread: Channel, text: str, *, timeout: float) -> bool:  # noqa: ASYNC109
        """Post `text` in one of newsbot's threads; print how newsbot acknowledged it (a
        reaction, an answer), and whether it did within `timeout` seconds."""
        self.say(f"replies in 🧵 {thread.name}: “{text}”")
        posted = await self.emulator.post_message(thread, self.seed.reader, text)
        bot_id = self.seed.bot.id

        def answered() -> bool | None:
            reacted = any(bot_id in r.user_ids for r in posted.message.reactions.values())
            return True if reacted or _bot_replies(self.emulator, thread, posted) else None

        try:
            await self.emulator.wait_until(answered, timeout=timeout)
        except TimeoutError:
            self.console.print(self.screen.posted(posted.message, where=f"🧵 {thread.name}"))
            self.console.print(Text("  (newsbot says nothing to that)", style="dim"))
            return False
        await asyncio.sleep(0.2)  # an answer, if any, follows the reaction
        self.console.print(self.screen.posted(posted.message, where=f"🧵 {thread.name}"))
        for reply in _bot_replies(self.emulator, thread, posted):
            self.console.print(self.screen.message(reply, who=f"🧵 {thread.name}"))
        return True


def _bot_replies(emulator: Emulator, thread: Channel, posted: MessageHandle) -> list[Message]:
    bot_id = emulator.world.bot.id
    return [
        m
        for m in emulator.messages_in(thread)
        if m.id > posted.message.id and m.author.id == bot_id
    ]


def has_button(rows: Sequence[dict[str, Any]], custom_id: str) -> bool:
    return any(c.get("custom_id") == custom_id for row in rows for c in row.get("components", []))


def can_press(message: Message, custom_id: str) -> bool:
    return any(
        c.get("custom_id") == custom_id and not c.get("disabled")
        for row in message.components
        for c in row.get("components", [])
    )
