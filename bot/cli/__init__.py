"""The `newsbot` command line: one module per group of commands, all of them listed here.

Building the app loads no platform client: discord.py, aiohttp, tweepy, apscheduler and
feedparser load inside the commands that use them. The `import` and `suggestions` groups load
when one of their commands runs: the importers' option defaults come from the importers, which
bring feedparser and aiohttp, and both groups open the archive.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

import typer
from typer.core import TyperGroup, TyperOption

from bot.cli import archive, publish, run, schedule, status
from bot.cli._console import CliState, fail, out
from bot.cli._values import take_plain_values
from bot.errors import NewsbotError


@dataclass(frozen=True)
class LazyGroup:
    """A group of commands in `module`, as typer's `attribute` there; loaded when first used."""

    module: str
    attribute: str
    help: str

    def load(self, name: str) -> Any:
        """The group as `newsbot` runs it, named `name` (typer's own `add_typer`)."""
        holder = typer.Typer()
        holder.add_typer(
            getattr(importlib.import_module(self.module), self.attribute), name=name, help=self.help
        )
        return typer.main.get_group(holder).commands[name]


class NewsbotGroup(TyperGroup):
    """The `newsbot` command group: refuses NUL characters, shows flags in help without a
    value (typer shows `--json <bool>`, as if a flag took one), takes plain values without
    pydantic (`bot.cli._values`), and loads its `LAZY_GROUPS` only when one is used (its help
    lists them by name and help alone)."""

    LAZY_GROUPS: ClassVar[dict[str, LazyGroup]] = {
        "import": LazyGroup("bot.cli.imports", "import_app", "Bring issues in from other formats."),
        "suggestions": LazyGroup(
            "bot.cli.suggestions",
            "suggestions_app",
            "Links readers suggested for the next issue.",
        ),
        "archive": LazyGroup(
            "bot.cli.copy",
            "archive_app",
            "Move the archive between an SQLite file and a PostgreSQL database.",
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
        """The commands in the order they were added, then the groups loaded when used."""
        return [*super().list_commands(ctx), *self.LAZY_GROUPS]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help, which lists the lazily loaded groups without loading them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A command (or group of them), its flags shown without a value."""
        command = super().get_command(ctx, cmd_name)
        lazy = self.LAZY_GROUPS.get(cmd_name)
        if command is None and lazy is not None:
            if self._listing:
                return TyperGroup(name=cmd_name, help=lazy.help)
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
    from bot.logs import configure_logging
    from bot.settings import load_settings

    overrides: dict[str, Any] = {}
    if db is not None:
        overrides["archive"] = {"path": db, "url": None}
    try:
        settings = load_settings(config, **overrides)
    except NewsbotError as exc:
        raise fail(str(exc)) from None
    configure_logging(settings, verbose=verbose)
    ctx.obj = CliState(settings)


# In the order `newsbot --help` lists them; `NewsbotGroup.LAZY_GROUPS` come last.
app.command()(archive.check)
app.command()(archive.ingest)
app.command()(archive.latest)
app.command("issue")(archive.show_issue)
app.command()(archive.search)
app.command()(archive.schema)
app.command()(archive.backup)
app.command("schedule")(schedule.show_schedule)
app.command()(run.run)
app.command("sync-commands")(run.sync_commands)
app.command()(run.demo)
app.command("invite-url")(run.invite_url)
app.command("preview")(publish.preview)
app.command("status")(status.status)
app.command("publish")(publish.publish)


def main() -> None:
    """Entry point of the `newsbot` console script."""
    app()
