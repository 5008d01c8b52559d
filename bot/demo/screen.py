"""How the demo draws what a reader sees: Discord messages, embeds and names, in the
terminal."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from bot.sandbox.discord import Message, World
from bot.text import MENTION


class Screen:
    """Draws Discord messages in the terminal the way a reader's client shows them."""

    def __init__(self, world: World) -> None:
        self.world = world

    def named(self, text: str) -> str:
        """`<#id>`, `<@&id>` and `<@id>` as the names Discord would show."""

        def name(match: re.Match[str]) -> str:
            kind = match["kind"]
            if kind is None:
                return match[0]  # @everyone and @here show as written
            number = int(match["id"])
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

        return MENTION.sub(name, text)

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

    def posted(self, message: Message, *, where: str) -> RenderableType:
        """A person's message, with the reactions it got and who gave them."""
        parts: list[RenderableType] = [self.markdown(message.content)]
        for emoji, reaction in message.reactions.items():
            names = ", ".join(
                user.username
                for user_id in reaction.user_ids
                if (user := self.world.users.get(user_id)) is not None
            )
            parts.append(Text(f"{emoji} {len(reaction.user_ids)} · {names}", style="green"))
        return Panel(
            Group(*parts),
            title=f"{message.author.username} in {where}",
            title_align="left",
            border_style="green",
        )

    def embed(self, embed: dict[str, Any]) -> RenderableType:
        """An embed as a card: title (and link), description, fields and footer."""
        parts: list[RenderableType] = []
        title = Text(_UNESCAPE.sub(r"\1", self.named(str(embed.get("title", "")))), style="bold")
        if embed.get("url"):
            title.append(f"\n{embed['url']}", style="blue underline")
        parts.append(title)
        if embed.get("description"):
            parts.append(self.markdown(str(embed["description"])))
        for field_ in embed.get("fields", []):
            parts.append(Text(str(field_["name"]), style="bold magenta"))
            parts.append(self.markdown(str(field_["value"])))
        if embed.get("footer"):
            parts.append(Text(str(embed["footer"].get("text", "")), style="dim"))
        return Panel(Group(*parts), border_style="blue")


_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~|>])")
"""A markdown escape, which Discord shows as the character alone (titles are drawn as text)."""
