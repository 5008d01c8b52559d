"""`newsbot run|sync-commands|invite-url|demo`: newsbot on Discord, and the demo on emulators.

discord.py and the emulators load inside these commands only.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli._console import (
    archive_location,
    discord_token,
    err,
    fail,
    out,
    reaching,
    run_async,
    settings_of,
)
from bot.errors import NewsbotError


def run(ctx: typer.Context) -> None:
    """Run the Discord bot, the schedule and publishing until stopped (Ctrl-C, SIGTERM)."""
    from bot.app import run_bot  # discord.py loads only for the commands that need it

    settings = settings_of(ctx)
    token = discord_token(settings)
    archive_location(settings)  # its file checked first; with archive.url, no file is used

    async def run_until_stopped() -> None:
        with reaching("Discord", settings.discord.api_base):
            await run_bot(settings, token)

    # A long-running server answering bursts of readers: uvloop's loop costs less per request.
    run_async(run_until_stopped(), uvloop=True)


def sync_commands(ctx: typer.Context) -> None:
    """Send newsbot's slash commands to Discord now, even if they look unchanged."""
    from bot.app import sync_only

    settings = settings_of(ctx)
    token = discord_token(settings)
    archive_location(settings)  # its file checked first; with archive.url, no file is used

    async def sync() -> int:
        with reaching("Discord", settings.discord.api_base):
            return await sync_only(settings, token)

    count = run_async(sync())
    out.print(f"synced {count} command(s).")


def demo(
    ctx: typer.Context,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Afterwards, leave it all running and let you play the reader (and review "
            "the suggestions as the editor).",
        ),
    ] = False,
) -> None:
    """Run newsbot on the bundled platform emulators and play an editor and a reader.

    It needs no account and nothing beyond 127.0.0.1, and works from any folder.
    """
    # The emulators, and the archive commands' issue-file reading, load only for the demo.
    from bot.cli.archive import load_issue_files, report_problems
    from bot.demo.runner import run_demo
    from bot.demo.stage import bundled_issues

    try:
        folder = bundled_issues()
    except NewsbotError as exc:
        raise fail(str(exc)) from None
    result = load_issue_files([folder])
    if result.errors:
        report_problems(result)
        raise fail("the bundled issue files are invalid")
    code = run_async(run_demo(folder, result, keep=keep))
    if code:
        raise typer.Exit(code)


NO_ID_HELP = (
    "The application id is the Application ID on your application's General Information page "
    "at https://discord.com/developers/applications"
)
NO_APPLICATION_ID = (
    f"no application id: pass --client-id ID or set discord.application_id. {NO_ID_HELP}"
)
SNOWFLAKE_MAX = 2**64 - 1


def invite_url(
    ctx: typer.Context,
    client_id: Annotated[
        int | None,
        typer.Option(
            "--client-id",
            help="The application's id (default: discord.application_id).",
            min=1,
            metavar="ID",
        ),
    ] = None,
    announcements: Annotated[
        bool,
        typer.Option(
            "--announcements",
            help="Issues go to an announcement channel: crosspost the digest (Send Messages).",
        ),
    ] = False,
    roles: Annotated[
        bool,
        typer.Option(
            "--roles", help="A digest pings a role readers take with Notify me (Manage Roles)."
        ),
    ] = False,
) -> None:
    """Print the link that adds newsbot to a server, with the permissions its features need."""
    from bot import invite

    settings = settings_of(ctx)
    application = client_id or settings.discord.application_id
    if application is None:
        raise fail(NO_APPLICATION_ID)
    if application > SNOWFLAKE_MAX:
        raise fail(f"{application} is not a Discord id (it is too large). {NO_ID_HELP}")
    wanted = invite.needs(settings, announcements=announcements, roles=roles)
    out.print(invite.invite_url(application, wanted), markup=False, highlight=False)
    err.print("It asks for:", markup=False, highlight=False)
    for need in wanted:
        err.print(
            f"  {', '.join(need.permissions)}: to {need.feature}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if not announcements:
        err.print("  (--announcements: to crosspost in an announcement channel)", style="dim")
    if invite.NOTIFY_ME not in wanted:
        err.print("  (--roles: to give readers the role a digest pings)", style="dim")
    if invite.REPLIES not in wanted:
        err.print(
            "  (discord.message_content = true: to take links in replies as suggestions)",
            style="dim",
        )
    else:
        err.print(invite.intent_reminder(application), markup=False, highlight=False)
