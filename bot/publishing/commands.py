"""`newsbot preview` and `newsbot publish`: see what an issue will post, then post it.

The lead registers them in `bot/cli.py` (`app.command("publish")(publish)` …); they read the
settings from the root command's `CliState`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.commandline import discord_token, fail, out, run_async, settings_of
from bot.errors import NewsbotError
from bot.publishing.outbox import PublishReport
from bot.publishing.plan import Action, Payload, Step, Target, plan
from bot.render.discord import (
    CONTENT_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    THREAD_NAME_MAX,
)

if TYPE_CHECKING:
    from bot.archive import Archive
    from bot.models import Issue
    from bot.settings import Settings

NumberArg = Annotated[
    int | None, typer.Argument(help="The issue's number (default: the newest archived issue).")
]
NO_TARGETS = (
    "no channel receives issues yet: run /newsletter setup in your server, or declare "
    "discord.targets in the config file"
)


async def _issue(archive: Archive, number: int | None) -> Issue:
    if number is not None:
        return await archive.issue(number)
    latest = await archive.latest()
    if latest is None:
        raise NewsbotError("the archive has no issues yet: run `newsbot ingest issues/`")
    return latest


def preview(
    ctx: typer.Context,
    number: NumberArg = None,
    outlet: Annotated[
        Literal["discord"], typer.Option("--outlet", help="Where the issue would be posted.")
    ] = "discord",
    kind: Annotated[
        Literal["text", "announcement", "forum"],
        typer.Option("--kind", help="The kind of channel to preview for."),
    ] = "text",
    role: Annotated[
        int | None, typer.Option("--role", help="A role id the digest would ping.")
    ] = None,
) -> None:
    """Print exactly what publishing an issue posts: every message, with its sizes."""
    from bot.archive import Archive

    settings = settings_of(ctx)

    async def render() -> RenderableType:
        async with await Archive.open(settings.archive.path, create=False) as archive:
            issue = await _issue(archive, number)
        target = Target(guild_id=0, channel_id=0, kind=kind, role_id=role)
        steps = plan(issue, [target])
        return preview_view(steps)

    # Panels wrap their lines; the CLI's console otherwise lets long lines run on.
    out.print(run_async(render()), soft_wrap=False)


def publish(
    ctx: typer.Context,
    number: NumberArg = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be posted, edited or removed.")
    ] = False,
) -> None:
    """Publish an issue to every subscribed channel, each message exactly once.

    Run it again after editing (and ingesting) the issue: posted messages are edited in
    place, new items added, removed ones deleted. Interrupted runs resume where they stopped.
    """
    settings = settings_of(ctx)
    token = None if dry_run else discord_token(settings)
    report = run_async(_publish(settings, number, token))
    if report is None:
        return
    if isinstance(report, Table):
        out.print(report)
        return
    for target in report.targets:
        out.print(
            f"#{report.issue_number} → channel {target.target.channel_id}: {target.summary()}"
        )
    if not report.ok:
        raise fail("some channels did not get the issue; run `newsbot publish` again later")


async def _publish(settings: Settings, number: int | None, token: str | None) -> Any:
    """Publish (or, without a token, dry-run) an issue; log in to Discord over REST only."""
    from bot.app import use_endpoints
    from bot.archive import Archive
    from bot.publishing.outbox import Outbox
    from bot.publishing.outlets.discord_outlet import DiscordOutlet, Pacer, rest_client
    from bot.publishing.targets import all_targets

    use_endpoints(str(settings.discord.api_base), str(settings.discord.gateway_url))
    async with await Archive.open(settings.archive.path, create=False) as archive:
        issue = await _issue(archive, number)
        targets = await all_targets(archive, settings)
        if not targets:
            raise NewsbotError(NO_TARGETS)
        if token is None:
            return await _dryrun_async(archive, issue, targets)
        async with rest_client(token) as client:
            outlet = DiscordOutlet(client, pacer=Pacer(settings.publishing.requests_per_second))
            outbox = Outbox(
                archive,
                outlet,
                concurrency=settings.publishing.concurrency,
                retries=settings.publishing.retries,
                retry_delay=settings.publishing.retry_delay,
            )
            result: PublishReport = await outbox.publish(issue, targets)
            return result


async def _dryrun_async(archive: Archive, issue: Issue, targets: list[Target]) -> Table:
    from bot.publishing.outbox import PlannedStep, preview_steps

    table = Table(title=f"Publishing #{issue.number} would…", show_lines=False)
    for column in ("channel", "step", "does"):
        table.add_column(column)
    for target in targets:
        planned: list[PlannedStep] = await preview_steps(archive, issue, target)
        for entry in planned:
            table.add_row(str(target.channel_id), entry.step.key, entry.outcome.value)
    return table


def _size(used: int, limit: int) -> Text:
    style = "red bold" if used > limit else ("yellow" if used > limit * 0.9 else "green")
    return Text(f"{used}/{limit}", style=style)


def message_sizes(message: Payload) -> Table:
    """A message's sizes against Discord's limits."""
    embeds = message.get("embeds", [])
    total = 0
    for embed in embeds:
        total += len(embed.get("title", "")) + len(embed.get("description", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    longest = max((len(e.get("description", "")) for e in embeds), default=0)
    table = Table.grid(padding=(0, 2))
    table.add_row(
        Text("content"),
        _size(len(message.get("content", "")), CONTENT_MAX),
        Text("embeds"),
        _size(len(embeds), EMBEDS_MAX),
        Text("embed text"),
        _size(total, EMBED_TOTAL_MAX),
        Text("longest description"),
        _size(longest, EMBED_DESCRIPTION_MAX),
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


def preview_view(steps: list[Step]) -> RenderableType:
    """Every step of a plan: thread names and each message, with its sizes."""
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
            parts.append(Text.assemble(("thread ", "bold"), name, "  ", _size(len(name), 100)))
            continue
        if step.action == Action.CROSSPOST:
            parts.append(Text("crosspost the digest to following servers", style="bold"))
            continue
        message = payload.get("message", payload)
        title = key
        if step.action == Action.POST:
            title = f"{key} — forum post “{payload['name']}” tags {payload['tags']}"
            parts.append(_size(len(payload["name"]), THREAD_NAME_MAX))
        parts.append(Panel(Group(message_sizes(message), _message_text(message)), title=title))
    return Group(*parts)
