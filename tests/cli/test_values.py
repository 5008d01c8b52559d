"""The command line takes its values without pydantic, exactly as typer's own checks take them:
the same value, or the same refusal with the same message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from bot.cli import NewsbotGroup, app
from bot.cli._values import PlainValues

RAW = (
    "0",
    "1",
    "7",
    "007",
    "-1",
    "+5",
    " 5",
    "5 ",
    "1_000",
    "10.0",
    "1e3",
    "100",
    "101",
    "999999",
    "1000000",
    "99999999999999999999999",
    "٣",
    "",
    "abc",
    "discord",
    "Discord",
    "x",
    "all",
    "forum",
    "issues/",
    "a b/c.md",
    "caf\udcc3\udca9",
    "-",
)
"""What a person may type for any option or argument: numbers, near-numbers, choices, paths,
and text with undecodable bytes."""

ALSO = (None, True, False, 10, (), ("issues", "more/"), ["a.md"], ("ok", "bad\udcff"))
"""What click hands over besides one typed word: defaults, flags and lists of arguments."""


def _commands() -> list[tuple[str, Any, Any]]:
    """Every (command path, command, context) of `newsbot`, lazily loaded groups included."""
    group = typer.main.get_group(app)
    assert isinstance(group, NewsbotGroup)
    ctx = group.make_context("newsbot", ["--help"], resilient_parsing=True)
    found = [("newsbot", group, ctx)]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        found.append((name, command, ctx))
        for sub in getattr(command, "commands", {}).values():
            found.append((f"{name} {sub.name}", sub, ctx))
    return found


def _outcome(coerce: Any, value: object, param: Any, ctx: Any) -> tuple[str, object]:
    try:
        return "value", coerce(value, param=param, ctx=ctx)
    except BadParameter as exc:
        return "refused", exc.message


def test_every_value_is_taken_as_typer_takes_it() -> None:
    checked = 0
    for where, command, ctx in _commands():
        params = command.get_params(ctx)
        for param in params:
            ours = param._runtime_param
            if not isinstance(ours, PlainValues):
                continue
            typers = build_runtime_param(param.type_descriptor)
            for value in (*RAW, *ALSO):
                expected = _outcome(typers.coerce, value, param, ctx)
                assert _outcome(ours.coerce, value, param, ctx) == expected, (where, param.name)
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize("command", ["search", "ingest", "publish", "preview", "newsbot"])
def test_every_value_of_the_common_commands_is_taken_without_pydantic(command: str) -> None:
    for where, found, ctx in _commands():
        if where == command:
            params = found.get_params(ctx)
            assert params
            assert all(isinstance(p._runtime_param, PlainValues) for p in params), where


def test_a_path_stays_a_path(tmp_path: Path) -> None:
    """`--db FILE` still gives the callback a Path, as typer did."""
    for where, command, ctx in _commands():
        if where == "newsbot":
            db = next(p for p in command.get_params(ctx) if p.name == "db")
            assert db._runtime_param.coerce(str(tmp_path), param=db, ctx=ctx) == tmp_path
