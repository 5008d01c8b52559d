"""`newsbot preview` and `newsbot publish`: see what an issue will post, then post it.

`bot.cli` registers them; they read the settings the root command built (see
`bot.cli._console`). Discord and X are the outlets: `publish` does
both by default (Discord first), skipping one whose keys are not set; `--outlet` picks one.
The publishing code, the renderers and the platforms' clients load inside the commands.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.cli._console import (
    ISSUE_NUMBER_MAX,
    discord_token,
    err,
    fail,
    open_archive,
    out,
    reaching,
    run_async,
    settings_of,
)
from bot.errors import NewsbotError

if TYPE_CHECKING:
    from bot.models import Issue
    from bot.publishing.outlets.discord import Client
    from bot.publishing.plans.discord import Target
    from bot.publishing.reports import PlannedStep
    from bot.publishing.service import OutletName
    from bot.publishing.steps import Payload, Step
    from bot.render.x import XThread
    from bot.settings import Settings
    from bot.store import Archive
    from bot.wiring import Services

log = logging.getLogger(__name__)

NumberArg = Annotated[
    int | None,
    typer.Argument(
        help="The issue's number (default: the newest archived issue).",
        min=1,
        max=ISSUE_NUMBER_MAX,
        metavar="N",
    ),
]
DISCORD_NOT_CONFIGURED = "Discord is not configured (set NEWSBOT_DISCORD__TOKEN)"
X_NOT_CONFIGURED = (
    "X is not configured (set NEWSBOT_X__CONSUMER_KEY, NEWSBOT_X__CONSUMER_SECRET, "
    "NEWSBOT_X__ACCESS_TOKEN and NEWSBOT_X__ACCESS_TOKEN_SECRET)"
)
NOTHING_CONFIGURED = "nothing was published: neither Discord nor X is configured"


async def _issue(archive: Archive, number: int | None) -> Issue:
    if number is not None:
        return await archive.issues.issue(number, held=True)
    latest = await archive.issues.latest(held=True)
    if latest is None:
        raise NewsbotError("the archive has no issues yet: run `newsbot ingest issues/`")
    return latest


def preview(
    ctx: typer.Context,
    number: NumberArg = None,
    outlet: Annotated[
        Literal["discord", "x"], typer.Option("--outlet", help="Where the issue would be posted.")
    ] = "discord",
    kind: Annotated[
        Literal["text", "announcement", "forum"],
        typer.Option("--kind", help="The kind of Discord channel to preview for."),
    ] = "text",
    role: Annotated[
        int | None,
        typer.Option(
            "--role", help="A role id the Discord digest would ping.", min=1, metavar="ID"
        ),
    ] = None,
) -> None:
    """Print exactly what publishing an issue posts: every message or post, with its sizes."""
    settings = settings_of(ctx)

    async def render() -> RenderableType:
        from bot.publishing.plans.discord import Target, plan

        async with await open_archive(settings) as archive:
            issue = await _issue(archive, number)
            if outlet == "x":
                from bot.wiring import build

                return await _x_preview(build(settings, archive, offline=True), issue)
        target = Target(guild_id=0, channel_id=0, kind=kind, role_id=role)
        steps = plan(issue, [target])
        return preview_view(steps)

    # Panels wrap their lines; the CLI's console otherwise lets long lines run on.
    out.print(run_async(render()), soft_wrap=False)


def publish(
    ctx: typer.Context,
    number: NumberArg = None,
    outlet: Annotated[
        Literal["discord", "x", "all"],
        typer.Option(
            "--outlet",
            help="Where to publish: Discord, X, or all (Discord first; one not configured "
            "is skipped).",
        ),
    ] = "all",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be posted, edited or removed.")
    ] = False,
) -> None:
    """Publish an issue to every subscribed channel and as a thread on X, each post once.

    Run it again after editing (and ingesting) the issue: posted Discord messages are edited
    in place, new items added, removed ones deleted (X posts cannot be edited). Interrupted
    runs resume where they stopped.
    """
    settings = settings_of(ctx)
    chosen: list[OutletName] = ["discord", "x"] if outlet == "all" else [outlet]
    if dry_run:
        failures = run_async(_dry_run(settings, number, chosen, explicit=outlet != "all"))
    else:
        token = None
        if "discord" in chosen:
            if outlet == "discord":
                token = discord_token(settings)  # asked for by name: no token is an error
            elif settings.discord.configured():
                token = discord_token(settings)
            else:
                _skipped(DISCORD_NOT_CONFIGURED)
                chosen.remove("discord")
        if "x" in chosen and not settings.x.configured():
            if outlet == "x":
                raise fail(X_NOT_CONFIGURED)
            _skipped(X_NOT_CONFIGURED)
            chosen.remove("x")
        if not chosen:
            raise fail(NOTHING_CONFIGURED)
        failures = run_async(_publish(settings, number, chosen, token))
    for failure in failures:
        fail(failure)
    if failures:
        raise typer.Exit(1)


def _skipped(why: str) -> None:
    err.print(f"{why}: skipped", style="yellow", markup=False, highlight=False, soft_wrap=True)


async def _each(
    outlets: list[OutletName], run: Callable[[OutletName], Awaitable[str | None]]
) -> list[str]:
    """Run each outlet in turn; a failure of one is reported and does not stop the next."""
    from bot.publishing.service import OUTLET_NAMES

    failures: list[str] = []
    for outlet in outlets:
        try:
            failure = await run(outlet)
        except NewsbotError as exc:
            failure = str(exc) if len(outlets) == 1 else f"{OUTLET_NAMES[outlet]}: {exc}"
        except Exception as exc:
            if len(outlets) == 1:
                raise
            log.exception("publishing to %s failed", OUTLET_NAMES[outlet])
            failure = (
                f"{OUTLET_NAMES[outlet]}: publishing failed unexpectedly ({exc!r}); see the log"
            )
        if failure is not None:
            failures.append(failure)
    return failures


async def _publish(
    settings: Settings, number: int | None, outlets: list[OutletName], token: str | None
) -> list[str]:
    """Publish an issue to each outlet in turn; what failed, as messages."""
    from bot.publishing.outlets.x import x_outlet
    from bot.publishing.service import OUTLET_NAMES
    from bot.publishing.targets import all_targets
    from bot.wiring import build

    async with AsyncExitStack() as stack:
        archive = await stack.enter_async_context(await open_archive(settings))
        issue = await _issue(archive, number)
        # Discord also carries the alerts of the other outlets to the servers' alerts channels.
        # It logs in only when some channel receives issues.
        discord = None
        wanted = token is not None or settings.discord.configured()
        if wanted and await all_targets(archive, settings):
            discord = await stack.enter_async_context(
                _discord_client(settings, token or discord_token(settings))
            )
        x = None
        if "x" in outlets:
            with reaching("X", settings.x.api_base):
                x = await stack.enter_async_context(x_outlet(settings.x))
        # Offline: Discord without a login still says that no channel receives issues.
        services = build(settings, archive, discord=discord, x=x, offline=True)
        results = await services.publisher.publish(issue, outlets)
    failures = []
    for result in results:
        for line in result.lines:
            out.print(line, markup=False, highlight=False)
        if result.failure is None:
            continue
        failure = result.failure
        if result.resumable:
            again = "" if result.outlet == "discord" else " --outlet x"
            failure += f"; run `newsbot publish{again}` again later"
        if len(outlets) > 1:
            failure = f"{OUTLET_NAMES[result.outlet]}: {failure}"
        failures.append(failure)
    return failures


@asynccontextmanager
async def _discord_client(settings: Settings, token: str) -> AsyncIterator[Client]:
    """A Discord client logged in over REST only, pointed where the settings say."""
    from bot.app import use_endpoints
    from bot.publishing.outlets.discord import rest_client

    use_endpoints(str(settings.discord.api_base), str(settings.discord.gateway_url))
    async with AsyncExitStack() as stack:
        # Only logging in is reaching Discord here: what the publish does is told step by step.
        with reaching("Discord", settings.discord.api_base):
            client = await stack.enter_async_context(rest_client(token))
        yield client


async def _dry_run(
    settings: Settings, number: int | None, outlets: list[OutletName], *, explicit: bool
) -> list[str]:
    """Print what publishing would do on each outlet, without keys or requests."""
    from bot.wiring import build

    async with await open_archive(settings) as archive:
        issue = await _issue(archive, number)
        services = build(settings, archive, offline=True)

        async def run(outlet: OutletName) -> str | None:
            if outlet == "discord":
                out.print(await _dryrun_async(services, issue))
                if not settings.discord.configured():
                    _unconfigured_note(DISCORD_NOT_CONFIGURED, explicit=explicit)
            else:
                out.print(await _x_dry_run(services, issue))
                if not settings.x.configured():
                    _unconfigured_note(X_NOT_CONFIGURED, explicit=explicit)
            return None

        return await _each(outlets, run)


def _unconfigured_note(why: str, *, explicit: bool) -> None:
    would = "fail" if explicit else "skip it"
    out.print(f"{why}: a real publish would {would}.", style="yellow", markup=False)


async def _dryrun_async(services: Services, issue: Issue) -> Table:
    outlet = services.discord
    assert outlet is not None  # built offline: there is always one to plan with
    targets = await outlet.targets()
    if not targets:
        raise NewsbotError(outlet.nowhere)
    table = Table(title=f"Publishing #{issue.number} would…", show_lines=False)
    for column in ("channel", "step", "does"):
        table.add_column(column)
    for target in targets:
        for entry in await services.engine.preview(issue, outlet, target):
            table.add_row(str(target.channel_id), entry.step.key, entry.outcome.value)
    return table


# --- X ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prices:
    post: float
    url_post: float

    def of(self, rendered: XThread) -> Text:
        """The thread's estimated cost, and what makes it up."""
        with_url = sum(1 for p in rendered.posts if p.has_url)
        plain = len(rendered.posts) - with_url
        cost = rendered.cost(self.post, self.url_post)
        parts = []
        if with_url:
            parts.append(f"{with_url} with a link at ${self.url_post:.3f}")
        if plain:
            parts.append(f"{plain} without at ${self.post:.3f}")
        return Text(f"estimated cost: ${cost:.3f} ({', '.join(parts)})")


async def _x_planned(services: Services, issue: Issue) -> tuple[XThread, list[PlannedStep]]:
    """The issue's thread on X, and what publishing would do with each post (from the ledger)."""
    from bot.publishing.plans.x import ACCOUNT, plan

    outlet = services.x
    assert outlet is not None  # built offline: there is always one to plan with
    rendered, _ = plan(issue, services.settings.x)
    return rendered, await services.engine.preview(issue, outlet, ACCOUNT)


def _x_does(planned: PlannedStep) -> str:
    """What publishing would do with one post, in words."""
    from bot.publishing.outlet import Outcome
    from bot.publishing.plans.x import Action

    if planned.outcome == Outcome.UNCHANGED:
        changed = " (its text changed since: X posts cannot be edited)" if planned.changed else ""
        return f"already on X{changed}"
    if planned.outcome == Outcome.DEFERRED:
        return "left for a later publish (today's cap)"
    if planned.step.action == Action.POST:
        does = "post the first post"
    elif planned.step.action == Action.QUOTE:
        does = "post, quoting the first post (X refused replies)"
    else:
        does = "post, replying to the one before"
    if planned.look_first:
        does = f"look for it on X (an attempt was interrupted), else {does}"
    return does


async def _x_dry_run(services: Services, issue: Issue) -> RenderableType:
    from bot.publishing.outlet import Outcome

    x = services.settings.x
    rendered, planned = await _x_planned(services, issue)
    table = Table(title=f"Publishing #{issue.number} on X would…", show_lines=False)
    for column in ("step", "weight", "does"):
        table.add_column(column)
    for entry, post in zip(planned, rendered.posts, strict=True):
        table.add_row(entry.step.key, f"{post.weight}/280", _x_does(entry))
    making = [
        post
        for entry, post in zip(planned, rendered.posts, strict=True)
        if entry.outcome == Outcome.POSTED
    ]
    cost = sum(p.cost(x.post_price, x.url_post_price) for p in making)
    summary = Text(f"{len(making)} of {len(planned)} posts to make, estimated ${cost:.3f}")
    return Group(table, summary, *_x_notes(rendered, issue))


async def _x_preview(services: Services, issue: Issue) -> RenderableType:
    """The issue's thread on X: every post with its weighted length, the cost, the cap."""
    from bot.publishing.outlet import Outcome
    from bot.render.x_text import POST_MAX

    settings = services.settings
    rendered, planned = await _x_planned(services, issue)
    prices = _Prices(settings.x.post_price, settings.x.url_post_price)
    total = len(rendered.posts)
    parts: list[RenderableType] = [
        Text(f"#{issue.number} on X: a thread of {total} posts", style="bold"),
        prices.of(rendered),
        *_x_notes(rendered, issue),
    ]
    for number, post in enumerate(rendered.posts, start=1):
        title = Text.assemble(f"post {number}/{total} · ", _size(post.weight, POST_MAX))
        if post.has_url:
            title.append(" · link")
        parts.append(Panel(Text(post.text), title=title, title_align="left"))
    if settings.x.configured() and services.x is not None:
        left = await services.engine.remaining_today(services.x) or 0
        needed = sum(1 for e in planned if e.outcome != Outcome.UNCHANGED)
        verdict = "it fits" if needed <= left else f"{needed - left} wait for a later publish"
        parts.append(
            Text(
                f"X's daily cap: {left} of {settings.x.daily_posts} posts left today; "
                f"this thread needs {needed} ({verdict})"
            )
        )
    else:
        parts.append(Text(f"{X_NOT_CONFIGURED}: today's cap is not checked", style="dim"))
    return Group(*parts)


def _x_notes(rendered: XThread, issue: Issue) -> list[Text]:
    """What the renderer condensed or left out, in words."""
    if not rendered.condensed:
        return [Text("every item is in the thread, whole")]
    lines = [Text(f"condensed: {note}", style="yellow") for note in rendered.notes]
    titles = {item.key: item.title for _, item in issue.items}
    if rendered.shortened:
        lines.append(Text(f"{len(rendered.shortened)} items shortened", style="yellow"))
    for key in rendered.omitted:
        lines.append(Text(f"left out: {titles.get(key, key)}", style="yellow"))
    return lines


# --- Discord ----------------------------------------------------------------------------------


def _size(used: int, limit: int) -> Text:
    style = "red bold" if used > limit else ("yellow" if used > limit * 0.9 else "green")
    return Text(f"{used}/{limit}", style=style)


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
