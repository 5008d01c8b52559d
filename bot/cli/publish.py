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
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Group, RenderableType
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
from bot.cli._discord_preview import preview_view
from bot.cli._held import archived_issue, issue_to_publish
from bot.errors import NewsbotError
from bot.publishing import catalogue
from bot.publishing.catalogue import OUTLET_NAMES, THREAD_OUTLETS

if TYPE_CHECKING:
    from bot.models import Issue
    from bot.publishing.outlets.discord import Client
    from bot.publishing.pacer import Pacer
    from bot.publishing.reports import PlannedStep
    from bot.publishing.service import OutletName
    from bot.settings import Settings
    from bot.store import Archive
    from bot.wiring import Services

log = logging.getLogger(__name__)

NumberArg = Annotated[
    int | None,
    typer.Argument(
        help="The issue's number (default: the newest archived issue, held or not).",
        min=1,
        max=ISSUE_NUMBER_MAX,
        metavar="N",
    ),
]
PublishNumberArg = Annotated[
    int | None,
    typer.Argument(
        help="The issue's number (default: the newest issue readers can see; one held until"
        " its publish_at is named, not published).",
        min=1,
        max=ISSUE_NUMBER_MAX,
        metavar="N",
    ),
]
DISCORD_NOT_CONFIGURED = "Discord is not configured (set NEWSBOT_DISCORD__TOKEN)"
NOTHING_CONFIGURED = "nothing was published: no outlet is configured ({})"


async def _issue(archive: Archive, settings: Settings, number: int | None) -> Issue:
    """The issue to preview: issue N, or the newest archived, held until its time or not."""
    if number is not None:
        return await archived_issue(archive, settings, number)
    latest = await archive.issues.latest(held=True)
    if latest is None:
        raise NewsbotError("the archive has no issues yet: run `newsbot ingest issues/`")
    return latest


def preview(
    ctx: typer.Context,
    number: NumberArg = None,
    outlet: Annotated[
        Literal["discord", "x", "mastodon", "bluesky"],
        typer.Option("--outlet", help="Where the issue would be posted."),
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
            issue = await _issue(archive, settings, number)
            if outlet != "discord":
                from bot.cli import _threads
                from bot.wiring import build

                services = build(settings, archive, offline=True)
                why = catalogue.entry(outlet).not_configured
                return await _threads.preview(services, issue, outlet, why)
        target = Target(guild_id=0, channel_id=0, kind=kind, role_id=role)
        steps = plan(issue, [target])
        return preview_view(steps)

    # Panels wrap their lines; the CLI's console otherwise lets long lines run on.
    out.print(run_async(render()), soft_wrap=False)


def publish(
    ctx: typer.Context,
    number: PublishNumberArg = None,
    outlet: Annotated[
        Literal["discord", "x", "mastodon", "bluesky", "all"],
        typer.Option(
            "--outlet",
            help="Where to publish: Discord, X, Mastodon, Bluesky, or all (Discord first; one "
            "not configured is skipped).",
        ),
    ] = "all",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be posted, edited or removed.")
    ] = False,
    early: Annotated[
        bool,
        typer.Option(
            "--early", help="Publish issue N even though its own publish_at has not come yet."
        ),
    ] = False,
) -> None:
    """Publish an issue to Discord, X, Mastodon and Bluesky, each post once.

    Run it again after editing and ingesting the issue, to correct it: Discord's
    messages are edited in place, new items added, removed ones deleted; a thread
    on X, Mastodon or Bluesky, once posted, is left as it is. An interrupted run
    resumes where it stopped.
    """
    settings = settings_of(ctx)
    chosen: list[OutletName] = list(OUTLET_NAMES) if outlet == "all" else [outlet]
    if dry_run:
        failures = run_async(
            _dry_run(settings, number, chosen, explicit=outlet != "all", early=early)
        )
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
        for known in THREAD_OUTLETS:
            if known.name in chosen and not known.configured(settings):
                if outlet == known.name:
                    raise fail(known.not_configured)
                _skipped(known.not_configured)
                chosen.remove(known.name)
        if not chosen:
            raise fail(NOTHING_CONFIGURED.format(", ".join(OUTLET_NAMES.values())))
        failures = run_async(_publish(settings, number, chosen, token, early=early))
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
    settings: Settings,
    number: int | None,
    outlets: list[OutletName],
    token: str | None,
    *,
    early: bool = False,
) -> list[str]:
    """Publish an issue to each outlet in turn; what failed, as messages."""
    from bot.publishing.pacer import Pacer
    from bot.publishing.targets import all_targets
    from bot.wiring import build

    async with AsyncExitStack() as stack:
        archive = await stack.enter_async_context(await open_archive(settings))
        issue = await issue_to_publish(archive, settings, number, early=early)
        # Discord also carries the alerts of the other outlets to the editors' alerts channel.
        # It logs in only when some channel receives issues.
        discord = pacer = None
        wanted = token is not None or settings.discord.configured()
        if wanted and await all_targets(archive, settings):
            # Every request the client sends keeps to the rate the processes publishing share,
            # logging in too, once they made room for this one (else they met the global 429).
            pacer = Pacer.for_publishing(settings.publishing, archive.state)
            # Done, failed or interrupted (Ctrl-C), the process leaves the count at once: a
            # publish run again right after does not share the rate with it.
            stack.push_async_callback(pacer.close)
            discord = await stack.enter_async_context(
                _discord_client(settings, token or discord_token(settings), pacer)
            )
        threads = []
        for known in THREAD_OUTLETS:
            if known.name in outlets:
                with reaching(known.title, known.api_base(settings)):
                    threads.append(await stack.enter_async_context(known.opened(settings)))
        # Offline: Discord without a login still says that no channel receives issues. The
        # outlets not chosen are left out: each would load its platform's client for nothing.
        services = build(
            settings,
            archive,
            discord=discord,
            threads=threads,
            offline=True,
            offline_threads=False,
            pacer=pacer,
        )
        results = await services.publisher.publish(issue, outlets)
    failures = []
    for result in results:
        for line in result.lines:
            out.print(line, markup=False, highlight=False)
        if result.failure is None:
            continue
        failure = result.failure
        if result.resumable:
            again = "" if result.outlet == "discord" else f" --outlet {result.outlet}"
            failure += f"; run `newsbot publish{again}` again later"
        if len(outlets) > 1:
            failure = f"{OUTLET_NAMES[result.outlet]}: {failure}"
        failures.append(failure)
    return failures


@asynccontextmanager
async def _discord_client(settings: Settings, token: str, pacer: Pacer) -> AsyncIterator[Client]:
    """A Discord client logged in over REST only, pointed where the settings say, its requests
    kept to the rate by `pacer`."""
    from bot.app import use_endpoints
    from bot.publishing.outlets.discord_client import rest_client

    use_endpoints(str(settings.discord.api_base), str(settings.discord.gateway_url))
    async with AsyncExitStack() as stack:
        # Only logging in is reaching Discord here: what the publish does is told step by step.
        with reaching("Discord", settings.discord.api_base):
            client = await stack.enter_async_context(
                rest_client(
                    token,
                    pacer,
                    max_wait=settings.publishing.max_wait,
                    request_timeout=settings.publishing.request_timeout,
                )
            )
        yield client


async def _dry_run(
    settings: Settings,
    number: int | None,
    outlets: list[OutletName],
    *,
    explicit: bool,
    early: bool = False,
) -> list[str]:
    """Print what publishing would do on each outlet, changing nothing anywhere: no keys are
    needed, and only what the publish plans from is read (a Discord channel's kind and a
    forum's tags, with a token; a Mastodon instance's limits)."""
    from bot.publishing.reports import LogAlerts
    from bot.wiring import build

    async with await open_archive(settings) as archive:
        issue = await issue_to_publish(archive, settings, number, early=early)
        services = build(settings, archive, offline=True)

        async def run(outlet: OutletName) -> str | None:
            if outlet == "discord" and not await _discord_planned(settings, archive):
                # No token and no channel: the publish skips Discord (or fails on the token).
                _unconfigured_note(DISCORD_NOT_CONFIGURED, explicit=explicit)
            elif outlet == "discord":
                async with _reading_discord(settings, archive) as (client, pacer):
                    # Planned as the publish plans: with the channels' kinds read from Discord.
                    reading = build(
                        settings,
                        archive,
                        discord=client,
                        alerts=LogAlerts(),
                        offline=True,
                        offline_threads=False,
                        pacer=pacer,
                    )
                    out.print(await _dryrun_async(reading, issue))
                if not settings.discord.configured():
                    _unconfigured_note(DISCORD_NOT_CONFIGURED, explicit=explicit)
            else:
                from bot.cli import _threads

                out.print(await _threads.dry_run(services, issue, outlet))
                known = catalogue.entry(outlet)
                if not known.configured(settings):
                    _unconfigured_note(known.not_configured, explicit=explicit)
            return None

        return await _each(outlets, run)


async def _discord_planned(settings: Settings, archive: Archive) -> bool:
    """Whether a dry run plans Discord: with a token, or without one for the channels the
    config declares or servers subscribed, planned from what the archive knows of them."""
    from bot.publishing.targets import all_targets

    return settings.discord.configured() or bool(await all_targets(archive, settings))


@asynccontextmanager
async def _reading_discord(
    settings: Settings, archive: Archive
) -> AsyncIterator[tuple[Client | None, Pacer | None]]:
    """A Discord client (and its pacer) to read the kinds of the channels declared in the
    settings and the tags of the forums, as the publish reads them; none without a token, or
    when every kind is known and none is a forum."""
    from bot.publishing.pacer import Pacer
    from bot.publishing.targets import all_targets

    targets = await all_targets(archive, settings) if settings.discord.configured() else []
    if all(target.kind not in (None, "forum") for target in targets):
        yield None, None
        return
    pacer = Pacer.for_publishing(settings.publishing, archive.state)
    try:
        async with _discord_client(settings, discord_token(settings), pacer) as client:
            yield client, pacer
    finally:
        await pacer.close()


def _unconfigured_note(why: str, *, explicit: bool) -> None:
    would = "fail" if explicit else "skip it"
    out.print(f"{why}: a real publish would {would}.", style="yellow", markup=False)


async def _dryrun_async(services: Services, issue: Issue) -> RenderableType:
    from bot.publishing.outlet import StepError

    outlet = services.discord
    assert outlet is not None  # built offline: there is always one to plan with
    targets = await outlet.targets()
    if not targets:
        raise NewsbotError(outlet.nowhere)
    table = Table(title=f"Publishing #{issue.number} would…", show_lines=False)
    table.add_column("channel")
    table.add_column("step", overflow="fold")  # whole, on more lines in a narrow terminal
    table.add_column("does")
    unknown: list[str] = []
    renamed: dict[str, None] = {}
    for target in targets:
        channel = str(target.channel_id)
        try:
            planned = await services.engine.preview(issue, outlet, target)
        except StepError as exc:
            table.add_row(channel, "", f"fails: {exc.reason}")
            continue
        for entry in planned:
            table.add_row(channel, entry.step.key, _does(entry, target.role_id))
        renamed |= dict.fromkeys(_renamed_hints(issue, planned))
        if target.kind is None and outlet.client is None:
            unknown.append(channel)
    notes = [Text(hint, style="yellow") for hint in renamed]
    if unknown:
        notes.append(Text(UNKNOWN_KIND.format(", ".join(unknown)), style="yellow"))
    return Group(table, *notes) if notes else table


def _does(planned: PlannedStep, role_id: int | None) -> str:
    """What the dry run says a step would do; of a message to be posted in a channel whose
    digest pings a role, whom it pings (nobody, when its issue is finished late or it is
    made again after a deletion)."""
    from bot.publishing.outlet import Outcome
    from bot.publishing.plans.discord import pinged_roles

    does = planned.outcome.value
    if planned.restored:
        does = f"look for it on Discord ({planned.why_looked_for}), else {does}"
    if planned.outcome is not Outcome.POSTED or role_id is None:
        return does
    pinged = pinged_roles(planned.payload)
    if pinged:
        return f"{does}, pinging role {', '.join(map(str, pinged))}"
    return f"{does}, pinging nobody" if planned.step.key.endswith("/digest") else does


def _renamed_hints(issue: Issue, planned: list[PlannedStep]) -> list[str]:
    """What to write to keep a thread the publish would delete, when a new section's thread
    is made beside it: the section may be the old one renamed."""
    from bot.publishing.outlet import Outcome

    def thread_slug(key: str) -> str | None:
        parts = key.split("/")  # 202/discord/<channel>/thread/<slug>
        return parts[4] if len(parts) == THREAD_KEY_PARTS and parts[3] == "thread" else None

    gone = [s for p in planned if p.outcome is Outcome.REMOVED and (s := thread_slug(p.step.key))]
    new = [s for p in planned if p.outcome is Outcome.POSTED and (s := thread_slug(p.step.key))]
    names = [section.name for slug in new if (section := issue.section(slug)) is not None]
    return [
        f"The thread of section `{old}` would be deleted, with the replies in it, and one made "
        f"for “{name}”. If that is `{old}` renamed, keep its thread: write its heading as "
        f"`## {name} {{#{old}}}`."
        for name in names
        for old in gone
    ]


THREAD_KEY_PARTS = 5


UNKNOWN_KIND = (
    "Without a token the kind of channel {} is not known: each is planned as this issue was "
    "published there before, else as a text channel."
)
