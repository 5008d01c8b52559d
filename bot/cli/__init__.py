"""The `newsbot` command line: one module per group of commands, all of them listed here.

Building the app loads no command's module: each loads when its command runs, so `newsbot
--help` reads none and a search reads only `bot.cli.search`. The platforms' clients, the
scheduler and the feed parser load further inside the commands that use them. `newsbot --help`
lists every command by name and the first line of its help, kept here (a test keeps them equal
to the commands' own).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from bot.cli._console import CliState, failed, out, settings_of
from bot.errors import NewsbotError


@dataclass(frozen=True)
class LazyCommand:
    """A command, the function `attribute` of `module`, or with `group` a group of commands
    (typer's `attribute` there); loaded when first used. `help` is what `newsbot --help` lists:
    the first line of the command's own help."""

    module: str
    attribute: str
    help: str
    group: bool = False
    words: bool = False
    """Whether its arguments are words that may start with `-` (a search's `-trick`, which
    leaves out what holds it), taken as words, not refused as unknown options."""

    def load(self, name: str) -> Any:
        """The command as `newsbot` runs it, named `name` (typer's own `command`/`add_typer`)."""
        loaded = getattr(importlib.import_module(self.module), self.attribute)
        holder = typer.Typer()
        if self.group:
            holder.add_typer(loaded, name=name, help=self.help)
        else:
            holder.callback()(_holder)
            words = {"ignore_unknown_options": True} if self.words else None
            holder.command(name, context_settings=words)(loaded)
        return typer.main.get_group(holder).commands[name]

    def listed(self, name: str) -> Any:
        """The command as `newsbot --help` lists it, without loading it."""
        kind = TyperGroup if self.group else TyperCommand
        return kind(name=name, help=self.help)


def _holder() -> None:
    """Makes a typer app of one command a group, so that the command keeps its name."""


class NewsbotGroup(TyperGroup):
    """The `newsbot` command group: refuses NUL characters, shows flags in help without a
    value (typer shows `--json <bool>`, as if a flag took one), takes plain values without
    pydantic (`bot.cli._values`), and loads each of its `COMMANDS` only when it is used (its
    help lists them by name and help alone)."""

    COMMANDS: ClassVar[dict[str, LazyCommand]] = {
        # In the order `newsbot --help` lists them.
        "check": LazyCommand(
            "bot.cli.archive",
            "check",
            "Validate issue files; report every problem in every file as path:line.",
        ),
        "ingest": LazyCommand(
            "bot.cli.archive",
            "ingest",
            "Store issue files in the archive; if any file is invalid, nothing is stored.",
        ),
        "latest": LazyCommand(
            "bot.cli.archive",
            "latest",
            "Show the newest issue readers can see (not one held for its publish_at).",
        ),
        "issue": LazyCommand("bot.cli.archive", "show_issue", "Show one archived issue."),
        "search": LazyCommand(
            "bot.cli.search",
            "search",
            "Search every archived item; best matches first.",
            words=True,
        ),
        "schema": LazyCommand(
            "bot.cli.archive",
            "schema",
            "Write the issue JSON schema into the issues folder (or check that it is current).",
        ),
        "backup": LazyCommand(
            "bot.cli.archive",
            "backup",
            "Copy the archive into FILE, checked; safe while `newsbot run` is writing to it.",
        ),
        "restore": LazyCommand(
            "bot.cli.archive",
            "restore",
            "Put a backup in the archive's place; what it lost of later publishes is not sent "
            "twice.",
        ),
        "schedule": LazyCommand(
            "bot.cli.schedule",
            "show_schedule",
            "Show when `newsbot run` will publish next, and which issue each firing would send.",
        ),
        "run": LazyCommand(
            "bot.cli.run",
            "run",
            "Run the Discord bot, the schedule and publishing until stopped (Ctrl-C, SIGTERM).",
        ),
        "sync-commands": LazyCommand(
            "bot.cli.run",
            "sync_commands",
            "Send newsbot's slash commands to Discord now, even if they look unchanged.",
        ),
        "demo": LazyCommand(
            "bot.cli.run",
            "demo",
            "Run newsbot on the bundled platform emulators and play an editor and a reader.",
        ),
        "invite-url": LazyCommand(
            "bot.cli.run",
            "invite_url",
            "Print the link that adds newsbot to a server, with the permissions its features need.",
        ),
        "preview": LazyCommand(
            "bot.cli.publish",
            "preview",
            "Print exactly what publishing an issue posts: every message or post, with its sizes.",
        ),
        "status": LazyCommand(
            "bot.cli.status",
            "status",
            "Show the last publish per outlet and channel, the next firing, unfinished steps, "
            "the archive.",
        ),
        "publish": LazyCommand(
            "bot.cli.publish",
            "publish",
            "Publish an issue to Discord, X, Mastodon and Bluesky, each post once.",
        ),
        "import": LazyCommand(
            "bot.cli.imports", "import_app", "Bring issues in from other formats.", group=True
        ),
        "suggestions": LazyCommand(
            "bot.cli.suggestions",
            "suggestions_app",
            "Links readers suggested for the next issue.",
            group=True,
        ),
        "archive": LazyCommand(
            "bot.cli.copy",
            "archive_app",
            "Move the archive between an SQLite file and a PostgreSQL database.",
            group=True,
        ),
    }
    _listing = False

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
        take_plain_values(params)
        return params

    def list_commands(self, ctx: Any) -> list[str]:
        """Every command and group, in the order of `COMMANDS`."""
        return [*super().list_commands(ctx), *self.COMMANDS]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help, which lists the commands without loading them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A command (or group of them), its flags shown without a value."""
        command = super().get_command(ctx, cmd_name)
        lazy = self.COMMANDS.get(cmd_name)
        if command is None and lazy is not None:
            if self._listing:
                return lazy.listed(cmd_name)
            command = lazy.load(cmd_name)
            self.add_command(command, cmd_name)
        if command is not None:
            _plain_command(command, ctx)
        return command


def _plain_command(command: Any, ctx: Any) -> None:
    params = [*command.params, command.get_help_option(ctx)]
    _plain_flags(params)
    take_plain_values(params)
    for sub in getattr(command, "commands", {}).values():
        _plain_command(sub, ctx)


def take_plain_values(params: list[Any]) -> None:
    """Let `params` take plainly valid values without loading pydantic (`bot.cli._values`)."""
    try:
        from bot.cli._values import take_plain_values as take
    except ImportError:  # a typer without pydantic checks: its own checks are light
        return
    take(params)


def _plain_flags(params: list[Any]) -> None:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""


app = typer.Typer(
    cls=NewsbotGroup,
    name="newsbot",
    help="newsbot: a newsletter's issues, archived, searchable and published.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def version_line() -> str:
    """`newsbot <version>`, the version installed (from the package's metadata)."""
    from importlib import metadata

    try:
        return f"newsbot {metadata.version('newsbot')}"
    except metadata.PackageNotFoundError:
        return "newsbot (version unknown: it is not installed; run `python3 dev.py test` once)"


def _show_version(value: bool) -> None:
    if value:
        out.print(version_line(), markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="A TOML settings file.", metavar="FILE")
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="The archive file (overrides archive.path and archive.url).",
            metavar="FILE",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print newsbot's version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    # Here, not at the top: `newsbot --help` never reads the settings.
    from bot._settings_plain import plain_settings

    overrides: dict[str, Any] = {}
    if db is not None:
        overrides["archive"] = {"path": db, "url": None}
    state = CliState(config, overrides)
    try:
        state.plain = plain_settings(config, **overrides)
    except NewsbotError as exc:
        raise failed(exc) from None
    ctx.obj = state
    if state.plain is None:
        from bot.logs import configure_logging

        # Not plain: pydantic reads them now, and says what is wrong before any command runs.
        configure_logging(settings_of(ctx), verbose=verbose)
    else:
        from bot.logs import log_to_stderr, secret_spellings

        log = state.plain.log
        secrets = secret_spellings(state.plain.secrets)
        log_to_stderr(level=log.level, form=log.format, secrets=secrets, verbose=verbose)


def main() -> None:
    """Entry point of the `newsbot` console script."""
    app()
