"""What `newsbot preview --outlet discord` shows of an issue's Discord plan: each thread's name
and each message as Discord would show it, with its sizes against Discord's limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.cli._threads import size

if TYPE_CHECKING:
    from bot.publishing.plans.discord import Target
    from bot.publishing.steps import Payload, Step


def message_sizes(message: Payload) -> Table:
    """A message's sizes against Discord's limits."""
    from bot.render.discord import CONTENT_MAX, EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX, EMBEDS_MAX

    embeds = message.get("embeds", [])
    total = 0
    for embed in embeds:
        total += len(embed.get("title", "")) + len(embed.get("description", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    longest = max((len(e.get("description", "")) for e in embeds), default=0)
    table = Table.grid(padding=(0, 2))
    table.add_row(
        Text("content"),
        size(len(message.get("content", "")), CONTENT_MAX),
        Text("embeds"),
        size(len(embeds), EMBEDS_MAX),
        Text("embed text"),
        size(total, EMBED_TOTAL_MAX),
        Text("longest description"),
        size(longest, EMBED_DESCRIPTION_MAX),
    )
    return table


def _message_text(message: Payload) -> Text:
    text = Text()
    if message.get("content"):
        text.append(message["content"] + "\n")
    for embed in message.get("embeds", []):
        if embed.get("title"):
            text.append(embed["title"] + "\n", style="bold")
        if embed.get("description"):
            text.append(embed["description"] + "\n")
        for field in embed.get("fields", []):
            text.append(field["name"] + "\n", style="bold")
            text.append(field["value"] + "\n")
    for row in message.get("components", []):
        labels = ", ".join(c.get("label", "") for c in row.get("components", []))
        text.append(f"[button: {labels}]\n", style="cyan")
    return text


def preview_view(steps: list[Step[Target]]) -> RenderableType:
    """Every step of a plan: thread names and each message, with its sizes."""
    from bot.publishing.plans.discord import Action
    from bot.render.discord import THREAD_NAME_MAX

    parts: list[RenderableType] = []
    messages = sum(1 for s in steps if s.action in (Action.MESSAGE, Action.POST))
    threads = sum(1 for s in steps if s.action in (Action.THREAD, Action.POST))
    parts.append(
        Text(
            f"{len(steps)} API calls: {messages} messages, {threads} threads or posts",
            style="bold",
        )
    )
    for step in steps:
        payload = step.payload({})
        key = step.key.split("/", 3)[-1]
        if step.action == Action.THREAD:
            name = payload["name"]
            parts.append(Text.assemble(("thread ", "bold"), name, "  ", size(len(name), 100)))
            continue
        if step.action == Action.CROSSPOST:
            parts.append(Text("crosspost the digest to following servers", style="bold"))
            continue
        message = payload.get("message", payload)
        title = key
        if step.action == Action.POST:
            title = f"{key} — forum post “{payload['name']}” tags {payload['tags']}"
            parts.append(size(len(payload["name"]), THREAD_NAME_MAX))
        parts.append(Panel(Group(message_sizes(message), _message_text(message)), title=title))
    return Group(*parts)
