"""The words of a refused setting: which key, what is wrong, and where it is set (the config
file and line, or the `NEWSBOT_…` variable), never the value of a secret."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot._settings_lines import inline_entry_line, table_entry_line
from bot._settings_plain import ENV_PREFIX, env_name

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails
    from pydantic_settings import SettingsError


def environment_problem(exc: SettingsError) -> str:
    """Which `NEWSBOT_…` variable pydantic-settings could not parse, and what it expects."""
    match = re.search(r'field "(\w+)"', str(exc))
    section = match.group(1) if match else None
    names = sorted(n for n in os.environ if n.startswith(ENV_PREFIX))
    if section is not None:
        names = [n for n in names if n.startswith(env_name(section))] or names
    shown = ", ".join(names) or "a NEWSBOT_ variable"
    return (
        f"{shown}: not a value newsbot can read; a list or a table is written as JSON, "
        'e.g. NEWSBOT_DISCORD__TARGETS=\'[{"guild_id": 1, "channel_id": 2}]\''
    )


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _in_section_variable(loc: tuple[int | str, ...]) -> bool:
    """Whether the key at `loc` is set in its whole section's variable, `NEWSBOT_DISCORD`
    holding a JSON table."""
    if len(loc) < 2:
        return False
    try:
        table = json.loads(os.environ.get(env_name(str(loc[0])), "null"))
    except ValueError:
        return False
    return isinstance(table, dict) and str(loc[1]) in table


def file_line(config: Path, loc: tuple[int | str, ...]) -> str:
    """`newsbot.toml, line 7`: where in the file a refused setting is written (the line of its
    key under its `[section]`, or of an entry of a list of tables and its key:
    `discord.targets.1.guild_id`); the file alone when it cannot be told."""
    section, key = (str(loc[0]), str(loc[1])) if len(loc) > 1 else ("", str(loc[0]))
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]", re.I) if section else None
    assigned = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    # A section that is no setting (`[archiv]`) is refused whole: at its header.
    table = re.compile(rf"^\s*\[\s*\"?{re.escape(key)}\"?\s*\]") if header is None else None
    inside = header is None
    try:
        lines = config.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return str(config)
    entry = loc[2] if len(loc) > 2 and isinstance(loc[2], int) else None
    field = str(loc[3]) if entry is not None and len(loc) > 3 else ""
    if entry is not None:
        number = table_entry_line(lines, section, key, entry, field)
        if number:
            return f"{config}, line {number}"
    for number, line in enumerate(lines, start=1):
        if table is not None and table.match(line):
            return f"{config}, line {number}"
        if line.lstrip().startswith("["):
            inside = header is not None and header.match(line) is not None
        elif inside and assigned.match(line):
            if entry is not None:
                number = inline_entry_line(lines, number, entry, field) or number
            return f"{config}, line {number}"
    return str(config)


def _as_list(error: ErrorDetails, env: str, where: str) -> str:
    """How the value pydantic refused is written as a list where it was set: `shard_ids = 1`
    as `shard_ids = [1]`, `NEWSBOT_DISCORD__SHARD_IDS=0,1` as `…='[0, 1]'`."""
    value = error["input"]
    items: list[Any]
    if isinstance(value, str):
        words = [w for w in re.split(r"[\s,]+", value.strip()) if w]
        numbers = all(re.fullmatch(r"-?\d+", w) for w in words)
        items = [int(w) for w in words] if numbers else [w.strip() for w in value.split(",")]
    else:
        items = [value]
    key = str(error["loc"][-1])
    if where != env:  # the config file: TOML
        return f"{key} = [{', '.join(_toml(item) for item in items)}]"
    if len(error["loc"]) == 2 and env == env_name(_where(error["loc"])):
        return f"{env}='{json.dumps(items)}'"
    return f'"{key}": {json.dumps(items)}'  # inside the JSON of a section or a list


def _toml(value: object) -> str:
    """A value as TOML writes it inline (JSON's numbers, strings and lists are TOML's)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def problems(exc: ValidationError, config: Path | None) -> str:
    """A line per setting pydantic refused: its key, what is wrong, and where it is set."""
    found = []
    for error in exc.errors():
        key = _where(error["loc"])
        env = env_name(_where(error["loc"][:2]))  # a target's key is in its section's list
        if env not in os.environ and _in_section_variable(error["loc"]):
            env = env_name(str(error["loc"][0]))  # a whole section as JSON: NEWSBOT_DISCORD
        where = env if env in os.environ or not config else file_line(config, error["loc"])
        if error["type"] == "extra_forbidden":
            reason = "unknown setting; config.example.toml lists every setting"
        elif error["type"] in ("tuple_type", "list_type"):
            reason = f"not a list: write it in brackets, {_as_list(error, env, where)}"
        elif error["type"] == "path_type":
            reason = f"not a path: write it as text in quotes, not {error['input']!r}"
        else:
            reason = str(error["msg"]).removeprefix("Value error, ")
        found.append(f"{key}: {reason} (from {where})")
    return "\n".join(found)
