"""What every `newsbot` command shares: its settings, its consoles, and how it fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import typer

from bot.console import make_console
from bot.errors import NewsbotError
from bot.settings import Settings

T = TypeVar("T")

out = make_console()
err = make_console(stderr=True)


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
    except OSError as exc:
        raise fail(f"{exc.filename or 'a file'}: {exc.strerror or exc}") from None


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
