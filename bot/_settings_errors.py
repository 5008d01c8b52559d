"""The words of a refused setting: which key, what is wrong, and where it is set (the config
file and line, or the `NEWSBOT_…` variable), never the value of a secret."""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from bot._settings_lines import inline_entry_line, table_entry_line
from bot._settings_plain import ENV_PREFIX, SECRET_KEYS, env_name

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError
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


def _model_of(kind: object) -> type[BaseModel] | None:
    """The settings model a field holds: itself, or the entries of a tuple of them."""
    from pydantic import BaseModel

    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return kind
    return next(filter(None, map(_model_of, get_args(kind))), None)


def _unknown(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    """Why the key at `loc` is refused, naming the key it most likely misspells: one of its
    own section (`tokn`: `discord.token`), or the same key of another section (`[discord]
    cron`: `schedule.cron`)."""
    *path, name = loc
    inner: type[BaseModel] | None = model
    for part in path:
        if inner is not None and isinstance(part, str):
            # Sections are read without case (`[Discord]`), keys with it.
            field = inner.model_fields.get(part) or inner.model_fields.get(part.lower())
            inner = _model_of(field.annotation) if field is not None else None
    known = list(inner.model_fields) if inner is not None else []
    close = difflib.get_close_matches(str(name).lower(), known, n=1)
    if not path:  # a whole section: `[dicsord]`
        hint = f"did you mean [{close[0]}]?" if close else "config.example.toml lists them"
        return f"unknown section; {hint}"
    guess = _where((*path, close[0])) if close else None
    if guess is None and len(path) == 1:
        sections = model.model_fields.items()
        others = [s for s, f in sections if name in getattr(f.annotation, "model_fields", {})]
        guess = f"{others[0]}.{name}" if others else None
    if guess is None:
        return "unknown setting; config.example.toml lists every setting"
    secret = f", a secret read only from {env_name(guess)}" if guess in SECRET_KEYS else ""
    return f"unknown setting; did you mean {guess}{secret}?"


def problems(exc: ValidationError, config: Path | None, model: type[BaseModel]) -> str:
    """A line per setting of `model` pydantic refused: its key, what is wrong, and where it
    is set."""
    found = []
    for error in exc.errors():
        key = _where(error["loc"])
        env = env_name(_where(error["loc"][:2]))  # a target's key is in its section's list
        if env not in os.environ and _in_section_variable(error["loc"]):
            env = env_name(str(error["loc"][0]))  # a whole section as JSON: NEWSBOT_DISCORD
        where = env if env in os.environ or not config else file_line(config, error["loc"])
        if error["type"] == "extra_forbidden":
            reason = _unknown(error["loc"], model)
        elif error["type"] in ("tuple_type", "list_type"):
            reason = f"not a list: write it in brackets, {_as_list(error, env, where)}"
        elif error["type"] == "path_type":
            reason = f"not a path: write it as text in quotes, not {error['input']!r}"
        else:
            reason = str(error["msg"]).removeprefix("Value error, ")
        found.append(f"{key}: {reason} (from {where})")
    return "\n".join(found)
