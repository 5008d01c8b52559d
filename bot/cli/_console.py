"""What every `newsbot` command shares: its settings, its consoles, and how it fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Awaitable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import typer
from typer.core import TyperGroup, TyperOption

from bot.cli._views import make_console
from bot.errors import NewsbotError
from bot.models import Issue
from bot.network import connection_reason, shown_url
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.archive import Archive

T = TypeVar("T")

out = make_console()
err = make_console(stderr=True)

SQLITE_INT_MAX = 2**63 - 1
"""The largest integer SQLite stores; a larger one never matches anything in the archive."""
ISSUE_NUMBER_MAX = int(Issue.model_json_schema()["properties"]["number"]["maximum"])
"""The largest issue number an issue file may have."""
SQLITE_HEADER = b"SQLite format 3\0"


@dataclass
class CliState:
    """What the `newsbot` callback builds once for every command: the settings."""

    settings: Settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the `newsbot` callback built from --config, the environment and --db."""
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        raise RuntimeError("a newsbot command ran without the `newsbot` callback")
    return state.settings


def fail(message: str) -> typer.Exit:
    """Print `error: message` to stderr; the caller raises the returned exit (status 1)."""
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run one command's coroutine; a known failure becomes a clear message and exit 1."""
    try:
        return asyncio.run(coro)
    except NewsbotError as exc:
        raise fail(str(exc)) from None
    except sqlite3.Error as exc:
        raise fail(f"the archive database failed: {exc}") from None
    except (OSError, aiohttp.ClientError) as exc:
        raise fail(os_problem(exc)) from None


def os_problem(exc: OSError | aiohttp.ClientError) -> str:
    """What went wrong with a file or a connection, naming the file or the host."""
    reason = connection_reason(exc)
    if reason is not None:
        host = getattr(exc, "host", None)
        port = getattr(exc, "port", None)
        where = f" {host}:{port}" if host and port else ""
        return f"cannot reach{where or ' a server'}: {reason}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(getattr(exc, "strerror", None) or exc)


@contextmanager
def reaching(what: str, url: object) -> Iterator[None]:
    """Inside the block, a failed connection is `cannot reach WHAT at URL: why`."""
    try:
        yield
    except (OSError, aiohttp.ClientError) as exc:
        reason = connection_reason(exc)
        if reason is None:
            raise
        raise NewsbotError(f"cannot reach {what} at {shown_url(url)}: {reason}") from None


def archive_path(settings: Settings) -> Path:
    """The archive's file, once it is sure SQLite can open (or create) one there; otherwise a
    failure saying why. No folder is ever created for it."""
    path = settings.archive.path
    problem = None
    folder = path.parent
    if path.is_dir():
        problem = "it is a folder"
    elif not folder.exists():
        problem = f"folder {folder} does not exist"
    elif not folder.is_dir():
        problem = f"{folder} is not a folder"
    elif path.is_file() and path.stat().st_size:
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            problem = f"cannot read it: {exc.strerror or exc}"
        else:
            if header != SQLITE_HEADER:
                problem = "it is not a newsbot archive (not an SQLite database)"
    if problem is not None:
        raise fail(f"cannot open the archive {path}: {problem}")
    return path


def open_archive(settings: Settings, *, create: bool = False) -> Awaitable[Archive]:
    """Open the archive the settings name (see `archive_path`); with `create`, make the file.

    A `publish_at` without an offset is read in the schedule's timezone, as `newsbot run` reads it.
    """
    from zoneinfo import ZoneInfo

    from bot.archive import Archive

    zone = ZoneInfo(settings.schedule.timezone)
    return Archive.open(archive_path(settings), create=create, zone=zone)


def date_option(value: str | None, option: str) -> dt.date | None:
    """A `YYYY-MM-DD` option's date, or a clear failure naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} takes a date written YYYY-MM-DD, not {value!r}") from None


NO_TOKEN = (
    "no Discord token. Set NEWSBOT_DISCORD__TOKEN to your bot's token (create an application at "
    "https://discord.com/developers/applications, then Bot → Reset Token). To try newsbot "
    "without an account, run the demo: `python3 dev.py demo`."
)


def discord_token(settings: Settings) -> str:
    """The Discord token from the settings, or a failure that says how to get one."""
    token = settings.discord.token
    if token is None or not token.get_secret_value().strip():
        raise fail(NO_TOKEN)
    return token.get_secret_value().strip()


class NewsbotGroup(TyperGroup):
    """The `newsbot` command group: refuses NUL characters, and shows flags in help without a
    value (typer shows `--json <bool>`, as if a flag took one)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Refuse an argument with a NUL character before any command sees it."""
        for arg in args:
            if "\0" in arg:
                raise typer.BadParameter(
                    f"{arg!r} contains a NUL character, which no file name or text can hold"
                )
        return super().parse_args(ctx, args)

    def get_params(self, ctx: Any) -> list[Any]:
        """The group's own options, flags shown without a value."""
        params = super().get_params(ctx)
        _plain_flags(params)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A command (or group of them), its flags shown without a value."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _plain_command(command, ctx)
        return command


def _plain_command(command: Any, ctx: Any) -> None:
    _plain_flags([*command.params, command.get_help_option(ctx)])
    for sub in getattr(command, "commands", {}).values():
        _plain_command(sub, ctx)


def _plain_flags(params: list[Any]) -> None:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
