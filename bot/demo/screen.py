"""How the demo draws what a reader sees: Discord messages, embeds and names, in the
terminal."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from markdown_it.token import Token
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
                return channel_name(channel.name) if channel else match.group(0)
            if kind == "@&":
                for guild in self.world.guilds.values():
                    if number in guild.roles:
                        return f"@{guild.roles[number].name}"
                return match.group(0)
            user = self.world.users.get(number)
            return f"@{user.username}" if user else match.group(0)

        return MENTION.sub(name, text)

    def markdown(self, text: str) -> Markdown:
        """Markdown rendered like Discord does, where a single newline is a line break. A
        masked link shows its text, then its address; one whose text is its address, once."""
        shown = Markdown(self.named(text).replace("\n", "  \n"), hyperlinks=False)
        _link_once(shown.parsed)
        return shown

    def message(self, message: Message, *, who: str) -> RenderableType:
        """A message as a reader sees it: text, then each embed as a card, then buttons."""
        parts: list[RenderableType] = []
        if message.content:
            parts.append(self.markdown(message.content))
        parts.extend(self.embed(embed) for embed in message.embeds)
        for row in message.components:
            shown = "  ".join(component(c) for c in row.get("components", []))
            if shown:
                parts.append(Text(shown, style="cyan"))
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
        if title:  # without a title, Discord draws no line for it (and its url goes unseen)
            if embed.get("url") and embed["url"] != title.plain:
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


def channel_name(name: str) -> str:
    """A channel or thread as its mention shows: `#general`; a thread named `#202 · Industry`
    keeps its one `#`."""
    return name if name.startswith("#") else f"#{name}"


def component(component: dict[str, Any]) -> str:
    """A button as its label; a select menu as Discord shows it closed, by its placeholder (or
    the options chosen), then the options it opens to."""
    disabled = " (disabled)" if component.get("disabled") else ""
    if component.get("type") in SELECT_MENUS:
        options = [str(option.get("label", "")) for option in component.get("options", [])]
        chosen = [
            str(option.get("label", ""))
            for option in component.get("options", [])
            if option.get("default")
        ]
        shown = ", ".join(chosen) or str(component.get("placeholder") or "Make a selection")
        return f"[{shown} ▾{disabled}]" + (f" {' · '.join(options)}" if options else "")
    label = component.get("label") or (component.get("emoji") or {}).get("name") or "?"
    return f"[{label}{disabled}]"


SELECT_MENUS = frozenset({3, 5, 6, 7, 8})
"""Discord's component types of a select menu: of strings, users, roles, mentionables and
channels."""


def _link_once(tokens: list[Token]) -> None:
    """Drop the link marks around a link whose text is its address, so that it shows once
    (rich shows a link as `text (address)` without hyperlinks)."""
    for token in tokens:
        children = token.children or []
        for at, child in enumerate(children):
            if child.type != "link_open":
                continue
            close = next(i for i in range(at, len(children)) if children[i].type == "link_close")
            text = "".join(c.content for c in children[at + 1 : close])
            if text in {child.attrs.get("href"), unquote(str(child.attrs.get("href")))}:
                child.type = children[close].type = "text"
                child.content = children[close].content = ""
