"""The README points only at what a clone of the repository has."""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any, Literal

import pytest
import typer.main
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
MADE_BY_SET_UP = {".venv/bin/", ".venvs/3.11", ".venvs/3.13"}
"""Paths `python3 dev.py` creates, which the README names for after the set-up."""


def _made_by_set_up(path: str) -> bool:
    """Whether `path` is one of `MADE_BY_SET_UP` or inside one (`.venvs/3.11/bin/newsbot`)."""
    return any(path == made or path.startswith(f"{made.rstrip('/')}/") for made in MADE_BY_SET_UP)


def test_every_relative_path_the_readme_names_is_in_the_repository() -> None:
    quoted = re.findall(r"`([^`\s]+)`", README)
    # A path's first part is a name (`issues/…`, `../…`), not a number (`272/280`, `202/x/…`).
    paths = [q for q in quoted if re.fullmatch(r"(\.\.?|[\w.-]*[a-z][\w.-]*)(/[\w.-]+)+/?", q)]
    assert "issues/202.md" in paths, "the README's paths are read"
    relative = [p for p in paths if not p.startswith("/") and not _made_by_set_up(p)]
    missing = [p for p in relative if not (ROOT / p).exists()]
    assert not missing, f"the README names paths a clone does not have: {missing}"
    outside = [p for p in relative if not (ROOT / p).resolve().is_relative_to(ROOT)]
    assert not outside, f"the README points outside the repository: {outside}"


def test_the_plain_text_sample_is_where_the_readme_says() -> None:
    assert "`samples/deep-learning-weekly-202.txt`" in README
    sample = ROOT / "samples" / "deep-learning-weekly-202.txt"
    assert sample.read_text(encoding="utf-8").startswith("Deep Learning Weekly")


ROOT_COMMAND = typer.main.get_command(app)
TABLE_ROW = re.compile(r"^\| `newsbot ([^`]+)` \|", re.MULTILINE)
"""A row of the README's table of commands: `| `newsbot search QUERY [--section] …` | …`."""


def _command(words: list[str]) -> Any:
    """The command `words` name (`["import", "text"]`), as `newsbot` itself finds it."""
    command: Any = ROOT_COMMAND
    for word in words:
        assert hasattr(command, "get_command"), f"`newsbot {' '.join(words)}` is no command"
        found = command.get_command(typer.Context(command), word)
        assert found is not None, f"the README names `newsbot {' '.join(words)}`: no such command"
        command = found
    return command


def _choices(command: Any, option: str) -> set[str]:
    """The values `option` of `command` takes, or an empty set when it takes any value."""
    param = next((p for p in command.params if option in p.opts), None)
    assert param is not None, f"`newsbot {command.name}` has no option {option}"
    hint = typing.get_type_hints(inspect.unwrap(command.callback))[param.name]
    return (
        {str(value) for value in typing.get_args(hint)}
        if typing.get_origin(hint) is Literal
        else set()
    )


def _rows() -> list[tuple[list[str], str]]:
    """Each row of the README's table of commands: the command's words (one row may name
    several subcommands, `suggestions list\\|accept`), and what the row writes after them."""
    rows = []
    for written in TABLE_ROW.findall(README):
        words = []
        for word in written.split():
            if not re.fullmatch(r"[a-z][a-z\\|-]*", word):
                break
            words.append(word)
        *group, last = words
        rows += [([*group, sub], written) for sub in last.split("\\|")]
    return rows


def test_the_command_table_names_each_command_with_its_own_options() -> None:
    rows = _rows()
    assert (["import", "feed"], next(w for w in TABLE_ROW.findall(README) if "feed" in w)) in rows
    for words, written in rows:
        command = _command(words)
        for option, values in re.findall(r"\[(--[a-z-]+)(?: ([^\]\s]+))?\]", written):
            choices = _choices(command, option)
            if choices and values and not values.isupper():
                assert set(values.split("\\|")) == choices, (words, option, choices)
    named = {words[0] for words, _ in rows}
    listed = set(_command([]).list_commands(typer.Context(ROOT_COMMAND)))
    assert listed <= named, f"commands the README's table leaves out: {sorted(listed - named)}"


@pytest.mark.parametrize("command", ["latest", "publish"])
def test_latest_and_publish_say_they_take_the_newest_issue_readers_can_see(command: str) -> None:
    row = next(w for w in TABLE_ROW.findall(README) if w.startswith(f"{command} "))
    assert "the newest issue readers can see" in README.split(row, 1)[1].split("\n", 1)[0]
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "the newest issue readers can see" in " ".join(result.output.split()).lower()
