"""Settings read without pydantic-settings are the settings pydantic-settings reads: the same
values from the same file and variables, and the same refusal when something is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ConfigError
from bot._settings_plain import plain_environment as _plain_environment
from bot.settings import Settings, _sourced, load_settings

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
    ("", {"NEWSBOT_UNRELATED": "1", "NEWSBOT_ARCHIVE__PATH": "env.db"}, {}),
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
    for name in [n for n in os.environ if n.upper().startswith("NEWSBOT_")]:
        monkeypatch.delenv(name)
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
    _environment(monkeypatch, {"NEWSBOT_ARCHIVE__PATH": "a.db", "NEWSBOT_OTHER": "x"})
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
    forced = {k: v for k, v in os.environ.items() if not k.upper().startswith("NEWSBOT_")}
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
