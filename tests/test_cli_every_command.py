"""Every `newsbot` command, read from the typer app (so a command added later is covered too):
with hostile arguments it answers or fails clearly, never with a traceback; its help shows
each option's value by name and a flag without one.

Each parameter gets, in turn, the hostile values of its kind — numbers beyond SQLite's 64
bits, empty strings, NUL bytes, folders where files are expected, files that are not UTF-8,
missing files, dates that are not dates — while the others keep ordinary values. Then each
command runs with hostile global options: an archive or a config that cannot be one.
"""

from __future__ import annotations

import inspect
import re
import shutil
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from bot.cli import app
from bot.cli._console import CONFIG_EXIT
from tests.conftest import ISSUES, clear_settings

HUGE = str(2**63)
"""One past SQLite's largest integer."""
NOT_UTF8 = b"\xff\xfe\x00title = \xe9\n"
CLOSED = "http://127.0.0.1:9/feed"
"""A URL nothing answers at (the discard port), for commands that fetch."""

STARTS_SERVERS = {"demo": "it starts both emulators and `newsbot run`; test_demo.py runs it"}
"""Commands run only with the hostile global options that stop them before they start."""


@dataclass(frozen=True)
class Param:
    """A command's parameter: its kind of value, and how it is given."""

    name: str
    kind: str
    option: str | None
    """The option (`--issue`), or None for an argument."""
    required: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """A command of the app (`suggestions export`) and its parameters."""

    words: tuple[str, ...]
    params: tuple[Param, ...]

    @property
    def name(self) -> str:
        return " ".join(self.words)


def _kind(annotation: Any, name: str) -> tuple[str, tuple[str, ...]]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is list:
        return _kind(typing.get_args(annotation)[0], name)
    if typing.get_origin(annotation) is typing.Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    kinds = {bool: "flag", int: "int", float: "float", Path: "path"}
    if annotation in kinds:
        return kinds[annotation], ()
    return ("date" if name in {"since", "until", "date"} else "str"), ()


def _commands(group: Any, words: tuple[str, ...] = ()) -> Iterator[Command]:
    # Asked of the group, as `newsbot` itself asks: some groups load only when asked for.
    ctx = typer.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if hasattr(command, "list_commands"):
            yield from _commands(command, (*words, name))
            continue
        hints = typing.get_type_hints(inspect.unwrap(command.callback))
        params = []
        for param in command.params:
            kind, choices = _kind(hints[param.name], param.name)
            option = None
            if param.param_type_name == "option":
                option = next(o for o in param.opts if o.startswith("--"))
            params.append(Param(param.name, kind, option, bool(param.required), choices))
        yield Command((*words, name), tuple(params))


ROOT_COMMAND = typer.main.get_command(app)
COMMANDS = list(_commands(ROOT_COMMAND))


@dataclass(frozen=True)
class Scene:
    """What the hostile values point at, beside an archive that holds #202."""

    db: Path
    folder: Path
    missing: Path
    not_utf8: Path
    issue_file: Path


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scene:
    # No token or keys: `run`, `sync-commands` and `publish` stop at their checks.
    clear_settings(monkeypatch)
    monkeypatch.setenv("NEWSBOT_ISSUES__DIRECTORY", str(tmp_path / "issues"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "issues").mkdir()
    issue_file = tmp_path / "issues" / "202.md"
    shutil.copy(ISSUES / "202.md", issue_file)
    db = tmp_path / "archive.db"
    ingested = CliRunner().invoke(app, ["--db", str(db), "ingest"])
    assert ingested.exit_code == 0, ingested.stderr
    not_utf8 = tmp_path / "latin1.md"
    not_utf8.write_bytes(NOT_UTF8)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return Scene(db, folder, tmp_path / "no" / "such.md", not_utf8, issue_file)


def ordinary(param: Param, scene: Scene) -> list[str]:
    """A value that gets the command past its own checks; nothing for an optional one."""
    if not param.required:
        return []
    value = {
        "int": "202",
        "float": "1",
        "path": str(scene.issue_file),
        "date": "2021-06-16",
        "str": "learning",
        "choice": param.choices[0] if param.choices else "x",
    }[param.kind]
    return [param.option, value] if param.option else [value]


def hostile(param: Param, scene: Scene) -> list[str]:
    """What a careless or hostile user might give a parameter of this kind."""
    return {
        "int": [HUGE, "-" + HUGE, "-1", "0", "1" * 30, ""],
        "float": ["1e400", "nan", "-inf", "0", ""],
        "path": [str(scene.folder), str(scene.missing), str(scene.not_utf8), "", "a\0b"],
        "date": ["2021-02-30", "99999-01-01", "", "\0"],
        "str": ["", " ", "\0", "a\0b", "💥" * 300, "-1", CLOSED],
        "choice": ["nope", ""],
        "flag": [],
    }[param.kind]


def argument_cases(command: Command, scene: Scene) -> Iterator[list[str]]:
    """The command with every flag on, then with each parameter hostile in turn."""
    flags = [p.option for p in command.params if p.kind == "flag" and p.option]
    base = [arg for p in command.params for arg in ordinary(p, scene)]
    yield [*command.words, *base, *flags]
    for param in command.params:
        others = [arg for p in command.params if p is not param for arg in ordinary(p, scene)]
        for value in hostile(param, scene):
            given = [param.option, value] if param.option else [value]
            yield [*command.words, *others, *given]


def global_cases(scene: Scene) -> Iterator[list[str]]:
    """Global options naming an archive or a config that cannot be one."""
    wrong_types = scene.folder.parent / "types.toml"
    wrong_types.write_text('[archive]\npath = 5\n[schedule]\ncron = ""\n', encoding="utf-8")
    not_a_db = scene.folder.parent / "not-a-db.db"
    not_a_db.write_bytes(NOT_UTF8 * 100)
    yield ["--db", str(scene.folder)]
    yield ["--db", str(scene.missing.parent / "a.db")]
    yield ["--db", str(not_a_db)]
    yield ["--db", ""]
    yield ["--config", str(scene.not_utf8)]
    yield ["--config", str(scene.folder)]
    yield ["--config", str(scene.missing)]
    yield ["--config", str(wrong_types)]


def what_went_wrong(args: list[str]) -> str | None:
    """How `newsbot ARGS` misbehaved (an exception, a traceback, an odd exit), or None."""
    result = CliRunner().invoke(app, args)
    shown = f"newsbot {' '.join(map(repr, args))}\n{result.stdout}{result.stderr}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"{shown}raised {result.exception!r}"
    expected = (0, 1, 2, CONFIG_EXIT)  # CONFIG_EXIT: a setting to change, not a retry
    if "Traceback" in result.stdout + result.stderr or result.exit_code not in expected:
        return f"{shown}exit {result.exit_code}"
    return None


def test_every_command_is_driven() -> None:
    names = {command.name for command in COMMANDS}
    assert {"search", "suggestions export", "import feed", "run", "demo"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_no_argument_gives_a_traceback(command: Command, scene: Scene) -> None:
    if command.name in STARTS_SERVERS:
        pytest.skip(STARTS_SERVERS[command.name])
    failures = [
        failure
        for args in argument_cases(command, scene)
        if (failure := what_went_wrong(["--db", str(scene.db), *args]))
    ]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_no_global_option_gives_a_traceback(command: Command, scene: Scene) -> None:
    base = [arg for p in command.params for arg in ordinary(p, scene)]
    failures = [
        failure
        for options in global_cases(scene)
        # The demo keeps its own scratch archive: only a bad config stops it before it starts.
        if not (command.name in STARTS_SERVERS and options[0] == "--db")
        if (failure := what_went_wrong([*options, *command.words, *base]))
    ]
    assert not failures, "\n\n".join(failures)


_TYPE_SHOWN = re.compile(r"<(bool|str|int|float|path)[^>]*>")
"""How typer shows a value when it has no name: `<bool>`, `<str>`, `<int range>`…"""


@pytest.mark.parametrize("words", [(), *(c.words for c in COMMANDS)], ids=" ".join)
def test_help_names_values_and_shows_flags_bare(words: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    options = result.stdout.split("─ Options ─", 1)[1].split("─ Commands ─", 1)[0]
    assert "--help" in options
    assert not _TYPE_SHOWN.search(options), options
