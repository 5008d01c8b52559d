"""The settings a command needs before it runs, read without pydantic when they are plain.

Every command starts by reading the settings, and most need only a few of them: where the
archive is, the timezone, how to log, the secrets to redact. When every value set (in the
config file, the environment or the command line) is plainly valid — a known key holding a
value of its kind within its bounds — `plain_settings` reads those few itself; anything
else is left to pydantic (`bot.settings.load_settings`), which says exactly what is wrong.
`KINDS` names each setting's kind; a test keeps it equal to the `Settings` models.

Both readings refuse a variable named `NEWSBOT_…` that is no setting (`check_variables`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.errors import ConfigError

ENV_PREFIX = "NEWSBOT_"
DEFAULT_CRON = "0 9 * * MON"


class Kind(NamedTuple):
    """What a setting holds, as far as reading it without pydantic goes.

    `name` is one of: path, secret, archive_url, int, float, bool, choice, timezone, cron
    (read plainly when valid), checked (left to pydantic's own checks: URLs, a handle) and
    many (a list or table, which pydantic-settings alone reads from a variable).
    """

    name: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] = ()


_PATH = Kind("path")
_SECRET = Kind("secret")
_CHECKED = Kind("checked")
_MANY = Kind("many")
_BOOL = Kind("bool")
_ID = Kind("int", gt=0)  # a Discord id (a snowflake)
_LINKS = Kind("choice", choices=("issue", "items", "none"))
_THREAD = {"max_posts": Kind("int", ge=2, le=100), "max_wait": Kind("float", ge=0)}

KINDS: dict[str, dict[str, Kind]] = {
    "archive": {"path": _PATH, "url": Kind("archive_url")},
    "issues": {"directory": _PATH},
    "discord": {
        "token": _SECRET,
        "application_id": _ID,
        "api_base": _CHECKED,
        "gateway_url": _CHECKED,
        "dev_guild": _ID,
        "targets": _MANY,
        "alerts_channel_id": _ID,
        "message_content": _BOOL,
        "guild_ready_timeout": Kind("float", gt=0, le=60),
        "shard_count": Kind("int", ge=1),
        "shard_ids": _MANY,
    },
    "publishing": {
        "requests_per_second": Kind("float", gt=0, le=50),
        "concurrency": Kind("int", ge=1),
        "retries": Kind("int", ge=0),
        "retry_delay": Kind("float", ge=0),
        "stop_grace": Kind("float", ge=0),
        "max_wait": Kind("float", ge=0),
        "request_timeout": Kind("float", gt=0),
        "step_timeout": Kind("float", gt=0),
        "share_refresh": Kind("float", gt=0, le=60),
    },
    "suggestions": {
        "per_reader_per_day": Kind("int", ge=1),
        "fetch_titles": _BOOL,
        "allow_private_fetch": _BOOL,
        "thank_suggesters": _BOOL,
    },
    "x": {
        **_THREAD,
        "consumer_key": _SECRET,
        "consumer_secret": _SECRET,
        "access_token": _SECRET,
        "access_token_secret": _SECRET,
        "api_base": _CHECKED,
        "links": _LINKS,
        "daily_posts": Kind("int", ge=1),
        "post_price": Kind("float", ge=0),
        "url_post_price": Kind("float", ge=0),
    },
    "mastodon": {
        **_THREAD,
        "access_token": _SECRET,
        "api_base": _CHECKED,
        "visibility": Kind("choice", choices=("public", "unlisted")),
        "links": _LINKS,
    },
    "bluesky": {
        **_THREAD,
        "service": _CHECKED,
        "handle": _CHECKED,
        "app_password": _SECRET,
    },
    "schedule": {
        "cron": Kind("cron"),
        "timezone": Kind("timezone"),
        "catch_up": Kind("choice", choices=("latest", "all", "none")),
        "misfire_grace_time": Kind("int", ge=1),
        "coalesce": _BOOL,
    },
    "log": {
        "level": Kind("choice", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
        "format": Kind("choice", choices=("text", "json")),
    },
}
"""Every setting by section and key, with its kind."""

SECRET_KEYS = tuple(
    f"{section}.{key}"
    for section, keys in KINDS.items()
    for key, kind in keys.items()
    if kind.name in ("secret", "archive_url")
)
"""The dotted keys of every secret setting, as `bot.settings.secret_keys` lists them."""


class PlainSecret:
    """A secret read without pydantic; shown as stars, as pydantic's `SecretStr` is."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The secret itself."""
        return self._value

    def __repr__(self) -> str:
        return "PlainSecret('**********')"


class PlainArchive(NamedTuple):
    """Where the archive is: `archive.path`, or `archive.url` when set."""

    path: Path = Path("newsbot.db")
    url: PlainSecret | None = None


class PlainSchedule(NamedTuple):
    """The schedule's timezone, in which an archived publish_at without an offset is read."""

    timezone: str = "UTC"


class PlainLog(NamedTuple):
    """How to log: `log.level` and `log.format`."""

    level: str = "INFO"
    format: str = "text"


class PlainSettings(NamedTuple):
    """The settings every command reads before it runs, valid as pydantic would find them,
    and every secret set (to redact from the logs)."""

    archive: PlainArchive
    schedule: PlainSchedule
    log: PlainLog
    secrets: tuple[str, ...]


DEV_VARIABLES = ("NEWSBOT_VENV",)
"""Variables named `NEWSBOT_…` that are not settings, and that newsbot leaves alone: dev.py's
`NEWSBOT_VENV`, the virtual environment it uses, which `python3 dev.py demo` passes on."""


def env_name(key: str) -> str:
    """The environment variable of a dotted key: `discord.token` → `NEWSBOT_DISCORD__TOKEN`."""
    return ENV_PREFIX + key.upper().replace(".", "__")


def without_settings(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without newsbot's settings: every variable named `NEWSBOT_…` in any case, as
    newsbot reads them (`newsbot_discord__token` is a setting too). For a newsbot started with
    settings of its own, such as the demo's."""
    return {name: value for name, value in env.items() if not name.upper().startswith(ENV_PREFIX)}


def check_variables() -> None:
    """Raise `ConfigError` naming each variable called `NEWSBOT_…` (in any case) that is no
    setting, and what is wrong with its name; never its value, which may be a secret."""
    problems = [
        f"{name}: unknown setting ({reason})"
        for name in sorted(os.environ)
        if name.lower().startswith(ENV_PREFIX.lower()) and (reason := _misnamed(name))
    ]
    if problems:
        raise ConfigError("\n".join(problems))


def _misnamed(name: str) -> str | None:
    """What is wrong with the name of a `NEWSBOT_…` variable; None when newsbot reads it, as
    `NEWSBOT_<SECTION>__<KEY>` or a whole section in JSON (`NEWSBOT_<SECTION>`)."""
    if name in DEV_VARIABLES:
        return None
    rest = name.lower()[len(ENV_PREFIX) :]
    section, separated, key = rest.partition("__")
    own, deeper, _ = key.partition("__")
    keys = KINDS.get(section)
    if keys is None:
        return _no_section(rest)
    if not separated:
        return None
    listed = ", ".join(keys)
    if not own:
        return f"no key after {env_name(section)}__; keys: {listed}"
    if own not in keys:
        guess = _closest(own, keys)
        hint = f"; did you mean {env_name(f'{section}.{guess}')}?" if guess else ""
        return f"no key {own!r} in section {section!r}; keys: {listed}{hint}"
    where = f"{section}.{own}"
    return f"write {env_name(where)}: {where} has no keys of its own" if deeper else None


def _no_section(rest: str) -> str:
    """What is wrong with `NEWSBOT_<rest>`, whose section (before `__`) is none of newsbot's."""
    squeezed = rest.replace("_", "")
    for known in (f"{section}.{key}" for section, keys in KINDS.items() for key in keys):
        if known.replace("_", "").replace(".", "") == squeezed:
            return f"write {env_name(known)}: two underscores between section and key"
    section, separated, key = rest.partition("__")
    listed = ", ".join(KINDS)
    if not section:
        return f"no section after {ENV_PREFIX}; sections: {listed}"
    guess = _closest(section, KINDS)
    hint = ""
    if guess is not None and (not separated or key in KINDS[guess]):
        hint = f"; did you mean {env_name(f'{guess}.{key}' if separated else guess)}?"
    return f"no section {section!r}; sections: {listed}{hint}"


def _closest(word: str, choices: dict[str, Any]) -> str | None:
    """The choice `word` most likely misspells, if any is close."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


def read_config(config: Path) -> dict[str, Any]:
    """The TOML table of a config file, or a `ConfigError` saying why it cannot be one."""
    import tomllib

    if config.is_dir():
        raise ConfigError(f"{config}: is a folder, not a config file")
    if not config.is_file():
        raise ConfigError(f"{config}: no such config file")
    try:
        text = config.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = config.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{config}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
            "save the config file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{config}: cannot read it: {exc.strerror or exc}") from None
    if text.startswith("\ufeff"):
        # Some editors (Notepad, PowerShell's Out-File) start a UTF-8 file with one; TOML
        # refuses it, and tomllib's "Invalid statement (at line 1, column 1)" hides why.
        raise ConfigError(
            f"{config}:1: starts with a byte-order mark (BOM), which TOML does not allow;"
            " save the config file as UTF-8 without a BOM"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config}: not valid TOML: {exc}") from None


def plain_environment() -> dict[str, dict[str, str]] | None:
    """The `NEWSBOT_` variables as pydantic-settings reads them, by section and key; None when
    one is other than a known key holding one value (a list, a table, a whole section, an
    unknown key, one key twice): pydantic-settings alone reads those as it does."""
    plain: dict[str, dict[str, str]] = {}
    prefix = ENV_PREFIX.lower()
    for name, value in os.environ.items():
        lowered = name.lower()
        if not any(lowered.startswith(prefix + section) for section in KINDS):
            continue  # pydantic-settings looks at no other variable
        section, _, key = lowered.removeprefix(prefix).partition("__")
        kind = KINDS.get(section, {}).get(key)
        if kind is None or kind.name == "many" or key in plain.get(section, {}):
            return None
        plain.setdefault(section, {})[key] = value
    return plain


def merged(*layers: dict[str, Any]) -> dict[str, Any]:
    """The layers' tables merged key by key, a later layer's values over an earlier one's."""
    result: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(result.get(key), dict):
                result[key] = merged(result[key], value)
            else:
                result[key] = value
    return result


def plain_settings(config: Path | None = None, **overrides: Any) -> PlainSettings | None:
    """What `load_settings(config, **overrides)` would give for the archive, the schedule's
    timezone, the logs and the secrets, when every value set is plainly valid; else None.

    Raise `ConfigError` for a config file that cannot be read, as `load_settings` does.
    """
    data: dict[str, Any] = {}
    if config is not None:
        data = read_config(config)
        if any(isinstance(data.get(s), dict) and k in data[s] for s, k in _secret_parts()):
            return None  # refused, or a URL without a password: pydantic says which
    check_variables()
    environment = plain_environment()
    if environment is None:
        return None
    values: dict[str, dict[str, Any]] = {}
    # Every value of the file and the environment is read, also one `overrides` replaces.
    for layer in (merged(data, environment), overrides):
        for section, table in layer.items():
            kinds = KINDS.get(section)
            if kinds is None or not isinstance(table, dict):
                return None
            for key, value in table.items():
                kind = kinds.get(key)
                read = _read(kind, value) if kind is not None else _UNREAD
                if read is _UNREAD:
                    return None
                values.setdefault(section, {})[key] = read
    archive, log = values.get("archive", {}), values.get("log", {})
    timezone = values.get("schedule", {}).get("timezone")
    secrets = [
        values[section][key]
        for section, key in _secret_parts()
        if values.get(section, {}).get(key) is not None
    ]
    return PlainSettings(
        archive=PlainArchive(**archive),
        schedule=PlainSchedule() if timezone is None else PlainSchedule(timezone),
        log=PlainLog(**log),
        secrets=tuple(s.get_secret_value() for s in secrets),
    )


def _secret_parts() -> list[tuple[str, str]]:
    return [(section, key) for section, _, key in (k.partition(".") for k in SECRET_KEYS)]


_UNREAD = object()
"""What `_read` gives for a value it leaves to pydantic."""
_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_FLOAT = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")
_BOOLS = {"true": True, "false": False, "1": True, "0": False}


def _read(kind: Kind, value: Any) -> Any:
    """The value as pydantic would read a setting of that kind, if it is plainly valid;
    otherwise `_UNREAD`. Only values pydantic reads the same way are read."""
    reader = _READERS.get(kind.name)
    read = reader(kind, value) if reader is not None else _UNREAD
    if isinstance(read, int | float) and not isinstance(read, bool) and not _within(kind, read):
        return _UNREAD
    return read


def _within(kind: Kind, number: float) -> bool:
    return (
        (kind.ge is None or number >= kind.ge)
        and (kind.gt is None or number > kind.gt)
        and (kind.le is None or number <= kind.le)
    )


def _path(kind: Kind, value: Any) -> Any:
    if not isinstance(value, str | Path):
        return _UNREAD
    text = str(value)
    # An empty path or a NUL: pydantic refuses them with its own words (`usable_path`).
    return Path(value) if text.strip() and "\0" not in text else _UNREAD


def _secret(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    return PlainSecret(value) if isinstance(value, str) else _UNREAD


def _archive_url(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        return _UNREAD
    text = value.strip()
    if not text:
        return None
    try:
        scheme = urlsplit(text).scheme
    except ValueError:
        return _UNREAD
    postgresql = scheme in ("postgresql", "postgres") and text.startswith(scheme + "://")
    return PlainSecret(text) if postgresql else _UNREAD


def _int(kind: Kind, value: Any) -> Any:
    if type(value) is int:
        return value
    return int(value) if isinstance(value, str) and _INT.fullmatch(value) else _UNREAD


def _float(kind: Kind, value: Any) -> Any:
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return float(value)
    return float(value) if isinstance(value, str) and _FLOAT.fullmatch(value) else _UNREAD


def _bool(kind: Kind, value: Any) -> Any:
    if type(value) is bool:
        return value
    return _BOOLS.get(value, _UNREAD) if isinstance(value, str) else _UNREAD


def _choice(kind: Kind, value: Any) -> Any:
    # A choice written in any case is the one it spells (`debug`: `DEBUG`, `JSON`: `json`).
    if isinstance(value, str):
        value = as_spelled_in(kind.choices, value)
    return value if isinstance(value, str) and value in kind.choices else _UNREAD


def as_spelled_in(choices: Sequence[str], value: str) -> str:
    """The one of `choices` that `value` is in another case (`debug`: `DEBUG`, `JSON`:
    `json`), else `value`. ASCII case only: `ınfo` (a dotless ı) is not `INFO`."""
    if value.isascii():
        for choice in choices:
            if choice.upper() == value.upper():
                return choice
    return value


def _timezone(kind: Kind, value: Any) -> Any:
    if not isinstance(value, str):
        return _UNREAD
    try:
        ZoneInfo(value)
    except Exception:  # whatever the reason, pydantic says it
        return _UNREAD
    return value


def _cron(kind: Kind, value: Any) -> Any:
    # Any other crontab is checked by apscheduler, which a plain start does not load.
    return value if value == DEFAULT_CRON else _UNREAD


_READERS = {
    "path": _path,
    "secret": _secret,
    "archive_url": _archive_url,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "choice": _choice,
    "timezone": _timezone,
    "cron": _cron,
}
