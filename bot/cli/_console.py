"""What every `newsbot` command shares: its settings, its consoles, and how it fails.

aiohttp loads only with the commands that connect somewhere; a failure of it is told here too.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from bot.errors import ArchiveVersionError, ConfigError, NewsbotError

if TYPE_CHECKING:
    from bot._settings_plain import PlainSettings
    from bot.settings import Settings
    from bot.store import Archive

T = TypeVar("T")


def make_console(*, stderr: bool = False) -> Console:
    """A console that also renders sensibly when output is not a terminal."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


out = make_console()
err = make_console(stderr=True)

SQLITE_INT_MAX = 2**63 - 1
"""The largest integer SQLite stores; a larger one never matches anything in the archive."""
ISSUE_NUMBER_MAX = 999_999
"""The largest issue number an issue file may have: `Issue.number`'s, which a test keeps equal
(written out so that building the command line loads no pydantic)."""
SEARCH_OFFSET_MAX = ISSUE_NUMBER_MAX << 20
"""The most items an archive holds, so the most results a search may skip: an item's id is
`issue << SLOT_BITS | slot`, 20 bits of slots (a test keeps them equal)."""
SQLITE_HEADER = b"SQLite format 3\0"

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@dataclass
class CliState:
    """What the `newsbot` callback builds once for every command: where the settings come
    from, and the settings themselves: `plain` ones when every value is plainly valid (read
    without pydantic), the full `settings` once a command asks for them (`settings_of`)."""

    config: Path | None
    overrides: dict[str, Any]
    plain: PlainSettings | None = None
    settings: Settings | None = None


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class _ArchivePlace(Protocol):
    @property
    def path(self) -> Path: ...

    @property
    def url(self) -> _Secret | None: ...


class _Schedule(Protocol):
    @property
    def timezone(self) -> str: ...


class OpeningSettings(Protocol):
    """What opening the archive reads of the settings: `archive.path`, `archive.url` and
    `schedule.timezone`, of the full `Settings` or of plain ones."""

    @property
    def archive(self) -> _ArchivePlace: ...

    @property
    def schedule(self) -> _Schedule: ...


def _state(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        raise RuntimeError("a newsbot command ran without the `newsbot` callback")
    return state


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the `newsbot` callback found in --config, the environment and --db."""
    state = _state(ctx)
    if state.settings is None:
        from bot.settings import load_settings

        try:
            state.settings = load_settings(state.config, **state.overrides)
        except NewsbotError as exc:
            raise failed(exc) from None
    return state.settings


def opening_settings_of(ctx: typer.Context) -> OpeningSettings:
    """What opening the archive reads of the settings; plain ones (no pydantic) when they are."""
    state = _state(ctx)
    return state.plain if state.plain is not None else settings_of(ctx)


CONFIG_EXIT = 78
"""The exit status of a problem no retry can mend: the settings (an archive path that can be
no archive among them), a token or intent Discord refuses, or an archive a newer newsbot has
migrated (EX_CONFIG in sysexits.h). The systemd units do not restart newsbot after it."""


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` to stderr; the caller raises the returned exit (status `code`)."""
    # The message is text, not markup: a path or a section named `[draft]` is shown as written.
    err.print(f"[red]error:[/red] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def failed(exc: NewsbotError) -> typer.Exit:
    """`fail` with a known failure's message: status `CONFIG_EXIT` for one only a change of
    settings or of version mends."""
    return fail(str(exc), CONFIG_EXIT if isinstance(exc, ConfigError | ArchiveVersionError) else 1)


def run_async(coro: Coroutine[Any, Any, T], *, uvloop: bool = False) -> T:
    """Run one command's coroutine (`run_loop`: Ctrl-C and SIGTERM cancel it); a known failure
    becomes a clear message and exit 1."""
    # Here, not at the top: `newsbot --help` runs no coroutine.
    import sqlite3

    from bot.cli._stopping import run_loop

    try:
        return run_loop(coro, uvloop=uvloop)
    except NewsbotError as exc:
        raise failed(exc) from None
    except sqlite3.Error as exc:
        raise fail(f"the archive database failed: {exc}") from None
    except _connection_errors() as exc:
        raise fail(os_problem(exc)) from None


def _connection_errors() -> tuple[type[Exception], ...]:
    """OSError, and aiohttp's errors once aiohttp is loaded (nothing raises them before)."""
    loaded = sys.modules.get("aiohttp")
    return (OSError,) if loaded is None else (OSError, loaded.ClientError)


def os_problem(exc: Exception) -> str:
    """What went wrong with a file or a connection (an OSError or an aiohttp error), naming the
    file or the host."""
    from bot.network import connection_reason

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
    from bot.network import connection_reason, shown_url

    try:
        yield
    except _connection_errors() as exc:
        reason = connection_reason(exc)
        if reason is None:
            raise
        raise NewsbotError(f"cannot reach {what} at {shown_url(url)}: {reason}") from None


def archive_path(settings: OpeningSettings, *, replaced: bool = False) -> Path:
    """The archive's file the settings name, checked as `archive_file` checks it: one that can
    be no archive (`--db /no/such/folder/a.db`) is a setting to change, `CONFIG_EXIT`."""
    return archive_file(settings.archive.path, wrong=CONFIG_EXIT, replaced=replaced)


def archive_file(path: Path, *, wrong: int = 1, replaced: bool = False) -> Path:
    """`path`, once it is sure SQLite can open (or create) an archive there; otherwise a
    failure saying why, with status `wrong` when the path can be no archive (its folder
    missing, a folder, another kind of file) and 1 when reading it failed, which may pass.
    No folder is ever created for it. With `replaced` (a backup is put in its place) a file
    that is no SQLite database is taken as well: a damaged archive is what a restore mends."""
    problem = None
    code = wrong
    folder = path.parent
    if path.is_dir():
        problem = "it is a folder"
    elif not folder.exists():
        problem = f"folder {folder} does not exist"
    elif not folder.is_dir():
        problem = f"{folder} is not a folder"
    elif path.is_file() and path.stat().st_size and not replaced:
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            problem, code = f"cannot read it: {exc.strerror or exc}", 1
        else:
            if header != SQLITE_HEADER:
                problem = "it is not a newsbot archive (not an SQLite database)"
    if problem is not None:
        raise fail(f"cannot open the archive {path}: {problem}", code)
    return path


def archive_location(settings: OpeningSettings, *, replaced: bool = False) -> Path | str:
    """The archive's PostgreSQL URL if `archive.url` is set, else its file, checked as
    `archive_path` checks it (with `replaced`, for a restore)."""
    if settings.archive.url is not None:
        return settings.archive.url.get_secret_value()
    return archive_path(settings, replaced=replaced)


def open_archive(settings: OpeningSettings, *, create: bool = False) -> Awaitable[Archive]:
    """Open the archive the settings name (see `archive_location`); with `create`, make the file.

    A `publish_at` without an offset is read in the schedule's timezone, as `newsbot run` reads it.
    """
    from zoneinfo import ZoneInfo

    from bot.store import Archive

    zone = ZoneInfo(settings.schedule.timezone)
    return Archive.open(archive_location(settings), create=create, zone=zone)


async def with_archive(settings: OpeningSettings, use: Callable[[Archive], Awaitable[T]]) -> T:
    """What `use` makes of the archive the settings name, opened for it and closed after."""
    async with await open_archive(settings) as archive:
        return await use(archive)


def date_option(value: str | None, option: str) -> dt.date | None:
    """A `YYYY-MM-DD` option's date, or a clear failure naming the option: a date written
    right that does not exist is said so, in the words an issue file's date gets."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        # Here, not at the top: it loads the issue files' reading, and a right date needs none.
        from bot.issuefiles import missing_date

        missing = missing_date(value)
        if missing is not None:
            raise fail(f"{option} {value} does not exist: {missing}")
    from bot.text import shorten

    raise fail(f"{option} takes a date written YYYY-MM-DD, not {shorten(value, 40)!r}")


def searchable_query(ctx: typer.Context, query: str) -> str:
    """`query` if it names something to find; a search of only `-words` is refused with how
    to write it, as `/search` answers it, not answered as if the archive held none of them."""
    from bot.store.query import only_excluded

    if only_excluded(query):
        raise typer.BadParameter(
            "A -word leaves out the items holding it: add a word to find, like: "
            "newsbot search torch -trick",
            ctx=ctx,
            param_hint="'QUERY'",
        )
    return query


NO_TOKEN = (
    "no Discord token. Set NEWSBOT_DISCORD__TOKEN to your bot's token (create an application at "
    "https://discord.com/developers/applications, then Bot → Reset Token). To try newsbot "
    "without an account, run the demo: `python3 dev.py demo`."
)


def discord_token(settings: Settings) -> str:
    """The Discord token from the settings, or a failure that says how to get one."""
    token = settings.discord.token
    if token is None or not token.get_secret_value().strip():
        raise fail(NO_TOKEN, CONFIG_EXIT)
    return token.get_secret_value().strip()
