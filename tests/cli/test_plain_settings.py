"""Settings read without pydantic-settings are the settings pydantic-settings reads: the same
values from the same file and variables, and the same refusal when something is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner

from bot._settings_plain import (
    KINDS,
    SECRET_KEYS,
    PlainArchive,
    PlainLog,
    PlainSchedule,
    PlainSettings,
    plain_settings,
)
from bot._settings_plain import plain_environment as _plain_environment
from bot.cli import app
from bot.errors import ConfigError
from bot.settings import Settings, _sourced, load_settings, secret_keys
from tests.conftest import ISSUES, clear_settings
from tests.newsbot_process import without_settings

TOML = """
[archive]
path = "from-file.db"
[schedule]
timezone = "Europe/Berlin"
cron = "0 8 * * TUE"
[discord]
shard_count = 4
targets = [{ guild_id = 1, channel_id = 2 }]
[log]
level = "DEBUG"
"""

CASES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("", {}, {}),
    ("", {"NEWSBOT_ARCHIVE__PATH": "env.db"}, {}),
    ("", {"newsbot_archive__path": "lower.db"}, {}),
    (TOML, {}, {}),
    (TOML, {"NEWSBOT_ARCHIVE__PATH": "env.db", "NEWSBOT_LOG__FORMAT": "json"}, {}),
    (TOML, {"NEWSBOT_ARCHIVE__URL": "postgresql://u:pw@h/db"}, {}),
    (
        TOML,
        {"NEWSBOT_ARCHIVE__URL": "postgresql://u:pw@h/db"},
        {"archive": {"path": Path("a.db"), "url": None}},
    ),
    ("", {"NEWSBOT_DISCORD__TOKEN": " tok ", "NEWSBOT_DISCORD__MESSAGE_CONTENT": "true"}, {}),
    ("", {"NEWSBOT_DISCORD__APPLICATION_ID": "123", "NEWSBOT_PUBLISHING__RETRIES": "0"}, {}),
    ("", {"NEWSBOT_X__CONSUMER_KEY": "k", "NEWSBOT_X__API_BASE": "http://127.0.0.1:9"}, {}),
    ("", {"NEWSBOT_BLUESKY__HANDLE": "@news.example.com", "NEWSBOT_SCHEDULE__CATCH_UP": "all"}, {}),
    ("", {"NEWSBOT_ARCHIVE__URL": ""}, {}),
    # dev.py's, not a setting: left alone.
    ("", {"NEWSBOT_VENV": "/tmp/venv", "NEWSBOT_ARCHIVE__PATH": "env.db"}, {}),
    # Read by pydantic-settings alone: a list, a whole section.
    ("", {"NEWSBOT_DISCORD__SHARD_COUNT": "2", "NEWSBOT_DISCORD__SHARD_IDS": "[0, 1]"}, {}),
    ("", {"NEWSBOT_ARCHIVE": '{"path": "json.db"}'}, {}),
]


def _file(tmp_path: Path, text: str) -> Path | None:
    if not text:
        return None
    config = tmp_path / "newsbot.toml"
    config.write_text(text, encoding="utf-8")
    return config


def _environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    clear_settings(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(("toml", "env", "overrides"), CASES)
def test_the_settings_are_those_pydantic_settings_reads(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    toml: str,
    env: dict[str, str],
    overrides: dict[str, Any],
) -> None:
    monkeypatch.chdir(tmp_path)
    config = _file(tmp_path, toml)
    _environment(monkeypatch, env)
    expected = Settings.model_validate(_sourced(config)(**overrides).model_dump())
    assert load_settings(config, **overrides) == expected


def test_plain_variables_are_read_without_pydantic_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _environment(monkeypatch, {"NEWSBOT_ARCHIVE__PATH": "a.db", "NEWSBOT_VENV": "x"})
    assert _plain_environment() == {"archive": {"path": "a.db"}}
    for many in ({"NEWSBOT_DISCORD__TARGETS": "[]"}, {"NEWSBOT_ARCHIVE": "{}"}):
        _environment(monkeypatch, many)
        assert _plain_environment() is None


BAD: list[tuple[str, dict[str, str]]] = [
    ("[archive]\npath = 3\n", {}),
    ("[archvie]\npath = 'a.db'\n", {}),
    ("", {"NEWSBOT_ARCHIVE__URL": "mysql://h/db"}),
    ("", {"NEWSBOT_ARCHIVE__PATHS": "a.db"}),
    ("", {"NEWSBOT_SCHEDULE__TIMEZONE": "Mars/Olympus"}),
    ("", {"NEWSBOT_DISCORD__SHARD_IDS": "[0]"}),
    ("", {"NEWSBOT_DISCORD__TARGETS": "not json"}),
    ("[discord]\nshard_count = 0\n", {"NEWSBOT_PUBLISHING__REQUESTS_PER_SECOND": "99"}),
    # Variables that are no setting, however they are written.
    ("", {"NEWSBOT_DICSORD__TOKEN": "x"}),
    ("", {"NEWSBOT_DISCORD_TOKEN": "x", "NEWSBOT_ARCHIVE__PATH": "a.db"}),
    ("", {"newsbot_nosuch__key": "1"}),
    ("[archive]\npath = 'a.db'\n", {"NEWSBOT_UNRELATED": ""}),
    ("", {"NEWSBOT_ARCHIVE__PATH__X": "a.db"}),
    # Discord's ids are positive.
    ("[discord]\ndev_guild = 0\n", {}),
    ("", {"NEWSBOT_DISCORD__APPLICATION_ID": "-5"}),
    ("[[discord.targets]]\nguild_id = 1\nchannel_id = 0\n", {}),
]


@pytest.mark.parametrize(("toml", "env"), BAD)
def test_bad_settings_are_refused_as_pydantic_settings_refuses_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, env: dict[str, str]
) -> None:
    config = _file(tmp_path, toml)
    _environment(monkeypatch, env)
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert str(refused.value) == _refusal(config, env)
    # The plain reading refuses them in the same words, or leaves them to pydantic.
    assert isinstance(_outcome(plain_settings, config), ConfigError | None)
    _same_outcome(config)


def _outcome(
    read: Callable[[Path | None], PlainSettings | Settings | None], config: Path | None
) -> PlainSettings | Settings | ConfigError | None:
    """What `read` gives for `config`, or the `ConfigError` it raises."""
    try:
        return read(config)
    except ConfigError as exc:
        return exc


def _same_outcome(config: Path | None, case: object = None) -> bool:
    """Check the plain reading gives what pydantic gives, refuses as it does, or leaves the
    settings to it; whether the plain reading read them."""
    plain, full = _outcome(plain_settings, config), _outcome(load_settings, config)
    if isinstance(plain, ConfigError):
        assert isinstance(full, ConfigError) and str(full) == str(plain), case
    elif plain is not None:
        assert isinstance(plain, PlainSettings) and isinstance(full, Settings), (case, full)
        assert _plain_shown(plain) == _shown(full), case
    return isinstance(plain, PlainSettings)


DB = {"archive": {"path": Path("x.db"), "url": None}}
"""What `newsbot --db x.db` overrides."""


@pytest.mark.parametrize(
    ("toml", "env"),
    [
        ("archive = 5\n", {}),
        ("archive = 'x.db'\n", {}),
        ("[archive]\npath = 3\n", {}),
        ("[archive]\nurl = 'mysql://h/db'\n", {}),
        ("", {"NEWSBOT_ARCHIVE__URL": "mysql://h/db"}),
        ("", {"NEWSBOT_ARCHIVE__PATH": " "}),
    ],
)
def test_a_bad_setting_is_refused_whatever_the_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, env: dict[str, str]
) -> None:
    """`--db` replaces archive.path and archive.url; a bad value there is refused all the same,
    in the words used without `--db`, by both readings."""
    config = _file(tmp_path, toml)
    _environment(monkeypatch, env)
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    with pytest.raises(ConfigError) as overridden:
        load_settings(config, **DB)
    assert str(overridden.value) == str(refused.value)
    plain = _outcome(lambda where: plain_settings(where, **DB), config)
    assert plain is None or (isinstance(plain, ConfigError) and str(plain) == str(refused.value))


def _refusal(config: Path | None, env: dict[str, str]) -> str:
    """What `load_settings` said before it read plain variables itself: pydantic-settings's
    reading, forced by a variable only it reads."""
    code = (
        "import json, sys; from pathlib import Path; from bot.settings import load_settings\n"
        "from bot.errors import ConfigError\n"
        "try:\n"
        "    load_settings(Path(sys.argv[1]) if sys.argv[1] else None)\n"
        "except ConfigError as exc:\n"
        "    print(json.dumps(str(exc)))\n"
    )
    forced = without_settings(os.environ)
    # A whole section as JSON: only pydantic-settings reads it; `{}` adds nothing.
    forced |= env | {"NEWSBOT_BLUESKY": "{}"}
    done = subprocess.run(
        [sys.executable, "-P", "-c", code, str(config or "")],
        capture_output=True,
        text=True,
        env=forced,
        check=True,
    )
    refusal = json.loads(done.stdout)
    assert isinstance(refusal, str)
    return refusal


# --- the settings a command reads first, without pydantic ---------------------------------


def _holds_many(kind: Any) -> bool:
    """Whether pydantic-settings reads a variable for a value of `kind` as JSON."""
    if get_origin(kind) in (list, tuple, set, frozenset, dict):
        return True
    if isinstance(kind, type) and issubclass(kind, BaseModel | dict | list | tuple | set):
        return True
    return any(_holds_many(arg) for arg in get_args(kind))


def _validated(model: type[BaseModel], key: str) -> bool:
    """Whether a field of a settings model has a validator of its own."""
    return any(
        key in d.info.fields for d in model.__pydantic_decorators__.field_validators.values()
    )


def _plain_kind(model: type[BaseModel], key: str) -> str:
    """The `Kind.name` a field of a settings model has, read from the model itself."""
    kind = model.model_fields[key].annotation
    validated = _validated(model, key)
    if _holds_many(kind):
        return "many"
    if "SecretStr" in str(kind):
        return "archive_url" if validated else "secret"
    if kind is Path:
        return "path"
    if get_origin(kind) is Literal:
        return "choice"  # read in any case, by every section (`Section`)
    if validated:
        return {"timezone": "timezone", "cron": "cron"}.get(key, "checked")
    plain: dict[object, str] = {bool: "bool", int: "int", float: "float", int | None: "int"}
    return plain.get(kind, "checked")


def test_every_setting_has_its_kind_and_bounds() -> None:
    for section, info in Settings.model_fields.items():
        model = info.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        assert list(KINDS[section]) == list(model.model_fields), section
        for key, field in model.model_fields.items():
            kind = KINDS[section][key]
            assert kind.name == _plain_kind(model, key), f"{section}.{key}"
            bounds = {
                name: getattr(meta, name)
                for meta in field.metadata
                for name in ("ge", "gt", "le")
                if hasattr(meta, name)
            }
            assert {
                n: v for n, v in kind._asdict().items() if n in ("ge", "gt", "le") and v is not None
            } == bounds
            if kind.name == "choice":
                assert kind.choices == get_args(field.annotation)
    assert list(KINDS) == list(Settings.model_fields)
    assert list(SECRET_KEYS) == secret_keys()
    defaults = Settings()
    assert _shown(defaults) == _plain_shown(
        PlainSettings(PlainArchive(), PlainSchedule(), PlainLog(), ())
    )


def _shown(settings: Settings) -> tuple[object, ...]:
    """What a command reads first of full settings: the archive, the timezone, the logs, the
    secrets set."""
    secrets = []
    for key in secret_keys():
        value: Any = settings
        for part in key.split("."):
            value = getattr(value, part)
        if value is not None:
            secrets.append(value.get_secret_value())
    url = settings.archive.url
    return (
        settings.archive.path,
        None if url is None else url.get_secret_value(),
        settings.schedule.timezone,
        settings.log.level,
        settings.log.format,
        tuple(secrets),
    )


def _plain_shown(plain: PlainSettings) -> tuple[object, ...]:
    url = plain.archive.url
    return (
        plain.archive.path,
        None if url is None else url.get_secret_value(),
        plain.schedule.timezone,
        plain.log.level,
        plain.log.format,
        plain.secrets,
    )


@pytest.mark.parametrize(("toml", "env", "overrides"), CASES)
def test_plain_settings_are_what_pydantic_reads(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    toml: str,
    env: dict[str, str],
    overrides: dict[str, Any],
) -> None:
    monkeypatch.chdir(tmp_path)
    config = _file(tmp_path, toml.replace('cron = "0 8 * * TUE"\n', ""))
    _environment(monkeypatch, env)
    plain = plain_settings(config, **overrides)
    full = load_settings(config, **overrides)
    assert plain is None or _plain_shown(plain) == _shown(full)


def test_the_common_settings_are_read_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config file and the secrets in the environment, as a deployment has them."""
    config = _file(tmp_path, '[archive]\npath = "a.db"\n[schedule]\ntimezone = "Europe/Berlin"\n')
    _environment(
        monkeypatch, {"NEWSBOT_DISCORD__TOKEN": "a-token-of-length", "NEWSBOT_LOG__FORMAT": "json"}
    )
    plain = plain_settings(config, archive={"path": Path("b.db"), "url": None})
    assert plain is not None
    assert _plain_shown(plain) == (
        Path("b.db"),
        None,
        "Europe/Berlin",
        "INFO",
        "json",
        ("a-token-of-length",),
    )


@pytest.mark.parametrize(
    ("written", "env", "level"),
    [
        ("debug", {}, "DEBUG"),
        ("Info", {}, "INFO"),
        ("ERROR", {"NEWSBOT_LOG__LEVEL": "warning"}, "WARNING"),
    ],
)
def test_a_log_level_in_any_case_is_read_as_logging_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str, env: dict[str, str], level: str
) -> None:
    """`debug` is what operators write as often as `DEBUG`: both readings take it."""
    config = _file(tmp_path, f'[log]\nlevel = "{written}"\n')
    _environment(monkeypatch, env)
    plain = plain_settings(config)
    assert plain is not None, "read without pydantic, as an upper-case level is"
    assert plain.log.level == load_settings(config).log.level == level


@pytest.mark.parametrize(
    ("written", "env", "log_format"),
    [
        ("JSON", {}, "json"),
        ("Text", {}, "text"),
        ("text", {"NEWSBOT_LOG__FORMAT": "Json"}, "json"),
    ],
)
def test_a_log_format_in_any_case_is_read_as_its_name(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    written: str,
    env: dict[str, str],
    log_format: str,
) -> None:
    """`JSON` was refused (`log.format: Input should be 'text' or 'json'`) where `debug` is
    read as `DEBUG`: both readings take a format in any case, as they take a level."""
    config = _file(tmp_path, f'[log]\nformat = "{written}"\n')
    _environment(monkeypatch, env)
    plain = plain_settings(config)
    assert plain is not None, "read without pydantic, as a lower-case format is"
    assert plain.log.format == load_settings(config).log.format == log_format
    result = CliRunner().invoke(app, ["--config", str(config), "check", str(ISSUES)])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("section", "key", "written", "read"),
    [
        ("schedule", "catch_up", "Latest", "latest"),
        ("x", "links", "ITEMS", "items"),
        ("mastodon", "visibility", "Unlisted", "unlisted"),
        ("mastodon", "links", "None", "none"),
    ],
)
def test_every_choice_is_read_in_any_case(
    tmp_path: Path, section: str, key: str, written: str, read: str
) -> None:
    """Every setting with choices reads them as the log's do, whichever reading reads it."""
    config = _file(tmp_path, f'[{section}]\n{key} = "{written}"\n')
    assert getattr(getattr(load_settings(config), section), key) == read
    result = CliRunner().invoke(app, ["--config", str(config), "check", str(ISSUES)])
    assert result.exit_code == 0, result.stderr


def test_a_log_format_that_is_none_is_refused_with_the_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(monkeypatch, {})
    for written in ("jsonl", "\u0237son"):  # a dotless ȷ is not j, whatever its case
        config = _file(tmp_path, f'[log]\nformat = "{written}"\n')
        assert plain_settings(config) is None
        with pytest.raises(ConfigError) as refused:
            load_settings(config)
        assert str(refused.value) == (
            f"log.format: Input should be 'text' or 'json' (from {config}, line 2)"
        )


def test_a_log_level_that_is_none_is_refused_with_the_levels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(monkeypatch, {})
    for written in ("verbose", "ınfo"):  # a dotless ı upper-cases to I: not INFO all the same
        config = _file(tmp_path, f'[log]\nlevel = "{written}"\n')
        assert plain_settings(config) is None
        with pytest.raises(ConfigError) as refused:
            load_settings(config)
        assert str(refused.value) == (
            "log.level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"
            f" (from {config}, line 2)"
        )


TRICKY = [
    "",
    " ",
    "0",
    "1",
    "2",
    "-1",
    "+1",
    "007",
    " 5",
    "5 ",
    "1_0",
    "1e3",
    "0.5",
    "0.0",
    "50",
    "50.0",
    "50.01",
    "99",
    "100",
    "101",
    "nan",
    "inf",
    "٣",
    "true",
    "false",
    "True",
    "yes",
    "on",
    "t",
    "UTC",
    "utc",
    "Europe/Berlin",
    "Mars/Olympus",
    "../etc",
    "text",
    "json",
    "JSON",
    "DEBUG",
    "debug",
    "latest",
    "all",
    "public",
    "items",
    "postgresql://u:p@h/db",
    " postgres://h/db ",
    "postgresql:/h",
    "postgresql://[::1",
    "mysql://h/db",
    "0 9 * * MON",
    "0 8 * * TUE",
    "a.db",
    "a\0b",
    "[]",
    "{}",
    "@news.example.com",
    "http://127.0.0.1:9",
]
"""Values that are plainly valid for some settings and not for others, or not at all."""

_KEYS = [(section, key) for section, keys in KINDS.items() for key in keys]
MISNAMED = [
    "NEWSBOT_DICSORD__TOKEN",
    "NEWSBOT_DISCORD_TOKEN",
    "newsbot_archive__paht",
    "NEWSBOT_ARCHIVE__PATH__X",
    "NEWSBOT_X",
    "NEWSBOT_VENV",
]
"""Variables named `NEWSBOT_…` that are no setting, and two that are not misnamed: a whole
section as JSON, and dev.py's `NEWSBOT_VENV`."""


@given(
    st.lists(
        st.tuples(st.sampled_from(_KEYS), st.sampled_from(TRICKY) | st.text(max_size=6)),
        max_size=3,
    ),
    st.lists(
        st.tuples(
            st.sampled_from(_KEYS),
            st.sampled_from(TRICKY) | st.integers(-2, 200) | st.floats() | st.booleans(),
        ),
        max_size=2,
    ),
    st.lists(st.sampled_from(MISNAMED), max_size=1),
)
def test_what_is_read_plainly_pydantic_reads_the_same(
    variables: list[tuple[tuple[str, str], str]],
    file_values: list[tuple[tuple[str, str], object]],
    misnamed: list[str],
) -> None:
    """Whatever the values and names, a plain reading is pydantic's, a refusal is pydantic's,
    and anything else is left to pydantic."""
    env = without_settings(os.environ)
    env |= {f"NEWSBOT_{s.upper()}__{k.upper()}": v for (s, k), v in variables if "\0" not in v}
    env |= dict.fromkeys(misnamed, "{}")
    table: dict[str, dict[str, object]] = {}
    for (section, key), value in file_values:
        table.setdefault(section, {})[key] = value
    with tempfile.TemporaryDirectory() as folder, mock.patch.dict(os.environ, env, clear=True):
        config = Path(folder) / "newsbot.toml"
        config.write_text(_toml(table), encoding="utf-8")
        _same_outcome(config)


def _toml(table: dict[str, dict[str, object]]) -> str:
    lines = []
    for section, values in table.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    text = "\n".join(lines) + "\n"
    return text.replace("NaN", "nan").replace("-Infinity", "-inf").replace("Infinity", "inf")


def test_each_setting_alone_is_read_plainly_only_as_pydantic_reads_it(tmp_path: Path) -> None:
    """Every tricky value in every setting, from the environment and from the file."""
    config = tmp_path / "newsbot.toml"
    env = without_settings(os.environ)
    # A file holds typed values: a string of each kind, and numbers and booleans.
    strings = ["", "a.db", "UTC", "Mars/Olympus", "JSON", "DEBUG", "all", "unlisted", "5", "0.5"]
    strings += ["true", "0 9 * * MON", "postgresql://u:p@h/db", "@news.example.com"]
    in_file: list[object] = [*strings, 0, 1, 2, -1, 50, 101, 0.5, 50.5, 1e300, True, False]
    read = 0

    def same(where: Path | None, case: object) -> None:
        nonlocal read
        read += _same_outcome(where, case)

    with mock.patch.dict(os.environ, env, clear=True):
        for section, key in _KEYS:
            name = f"NEWSBOT_{section}__{key}".upper()
            for value in TRICKY:
                if "\0" not in value:
                    os.environ[name] = value
                    same(None, (name, value))
            os.environ.pop(name, None)
            for item in in_file:
                toml = _toml({section: {key: item}})
                config.write_text(toml, encoding="utf-8")
                same(config, toml)
    assert read > 100, "plainly valid values are read plainly"
