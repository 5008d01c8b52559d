"""Settings: config.example.toml documents every setting there is, with its default."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from bot.cli import app
from bot.cli._console import CONFIG_EXIT
from bot.errors import ConfigError
from bot.settings import Settings, env_name, load_settings, secret_keys
from tests.conftest import ROOT, clear_settings

EXAMPLE = ROOT / "config.example.toml"


def fields_of(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            keys |= fields_of(kind, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def keys_of(table: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in table.items():
        if isinstance(value, dict):
            keys |= keys_of(value, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def test_the_example_config_documents_every_setting() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    # Optional settings are documented as commented-out `# key = value` lines.
    uncommented = re.sub(r"(?m)^# (\w+ = )", r"\1", text)
    documented = keys_of(tomllib.loads(uncommented))
    secrets = set(secret_keys())
    assert secrets, "newsbot has secrets; this test must see them"
    assert documented == fields_of(Settings) - secrets
    for key in secrets:
        assert env_name(key) in text, f"{key} must say which variable sets it"


def test_a_secret_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "secret.toml"
    config.write_text('[discord]\ntoken = "abc.def"\n')
    with pytest.raises(ConfigError, match="NEWSBOT_DISCORD__TOKEN") as caught:
        load_settings(config)
    assert "abc.def" not in str(caught.value)


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("[Discord]", "discord.token", '"abc.def.ghi"'),
        ("[X]", "x.consumer_secret", '"abc.def.ghi"'),
        ("[ARCHIVE]", "archive.url", '"postgresql://newsbot:abc.def.ghi@db/newsbot"'),
    ],
)
def test_a_secret_under_its_section_in_another_case_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, table: str, key: str, value: str
) -> None:
    """The file's sections are read without case, as the variables are: `[Discord]` is
    `[discord]`, so a token written there would be used, were it not refused."""
    clear_settings(monkeypatch)
    config = tmp_path / "secret.toml"
    config.write_text(f"# settings\n{table}\n{key.partition('.')[2]} = {value}\n")
    with pytest.raises(ConfigError, match=env_name(key)) as caught:
        load_settings(config)
    assert str(caught.value).startswith(f"{config}, line 3: {key} is a secret")
    assert "abc.def.ghi" not in str(caught.value)


def test_a_section_that_is_no_setting_is_named_at_its_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clear_settings(monkeypatch)
    config = tmp_path / "newsbot.toml"
    config.write_text('# settings\n[archiv]\npath = "newsbot.db"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        f"archiv: unknown section; did you mean [archive]? (from {config}, line 2)"
    )


def test_secrets_come_from_the_environment_and_never_print(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_DISCORD__TOKEN", "very.secret.token")
    settings = load_settings()
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == "very.secret.token"
    assert "very.secret.token" not in repr(settings) + str(settings.model_dump())


def test_the_example_config_loads_and_gives_the_defaults() -> None:
    assert load_settings(EXAMPLE) == load_settings()


def test_an_environment_variable_that_is_not_json_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_DISCORD__TARGETS", "#general")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(
        "NEWSBOT_DISCORD__TARGETS: not a value newsbot can read; a list or a table is written "
        "as JSON"
    )


def test_a_secret_never_shows_in_an_environment_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_DISCORD__TOKEN", "very.secret.token")
    monkeypatch.setenv("NEWSBOT_DISCORD", "not json")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "NEWSBOT_DISCORD" in str(caught.value)
    assert "very.secret.token" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is empty: give a file or folder name"),
        ("  ", "is empty: give a file or folder name"),
        ("a\\u0000b.db", "contains a NUL character, which no file name can hold"),
    ],
)
def test_paths_that_name_no_file_are_refused(tmp_path: Path, value: str, reason: str) -> None:
    config = tmp_path / "paths.toml"
    config.write_text(f'[archive]\npath = "{value}"\n[issues]\ndirectory = "{value}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        f"archive.path: {reason} (from {config}, line 2)\n"
        f"issues.directory: {reason} (from {config}, line 4)"
    )


def test_a_refused_setting_is_said_to_come_from_where_it_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clear_settings(monkeypatch)
    config = tmp_path / "newsbot.toml"
    config.write_text('# newsbot\n[discord]\ncron = 1\n\n[schedule]\ncron = "61 * * * *"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).endswith(f"(from {config}, line 6)")
    assert str(caught.value).startswith("discord.cron: unknown setting")
    monkeypatch.setenv("NEWSBOT_SCHEDULE__CRON", "0 61 * * *")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).endswith("(from NEWSBOT_SCHEDULE__CRON)")


def test_a_config_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes(b'# settings\n[archive]\npath = "caf\xe9.db"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        f"{config}:3: not UTF-8 text (byte 0xe9); save the config file as UTF-8"
    )


def test_a_config_file_saved_with_a_byte_order_mark_is_told_so(tmp_path: Path) -> None:
    config = tmp_path / "notepad.toml"
    config.write_bytes(b'\xef\xbb\xbf[schedule]\ntimezone = "Europe/Berlin"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        f"{config}:1: starts with a byte-order mark (BOM), which TOML does not allow;"
        " save the config file as UTF-8 without a BOM"
    )


def test_a_section_written_twice_in_another_case_is_refused(tmp_path: Path) -> None:
    # Section names are read without case: one of the two tables would be dropped unread.
    config = tmp_path / "newsbot.toml"
    config.write_text(
        '[schedule]\ncron = "0 9 * * MON"\n\n[Schedule]\ntimezone = "Europe/Berlin"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        f"{config}, line 4: [Schedule] is the section [schedule] again (section names are read"
        " without case): move its settings into [schedule]"
    )


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_a_number_setting_that_is_not_finite_is_refused(tmp_path: Path, value: str) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(f"[publishing]\nstop_grace = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        f"publishing.stop_grace: Input should be a finite number (from {config}, line 2)"
    )


SECTIONS = "archive, issues, discord, publishing, suggestions, x, mastodon, bluesky, schedule, log"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("NEWSBOT_NOSUCH__KEY", f"no section 'nosuch'; sections: {SECTIONS}"),
        (
            "NEWSBOT_DICSORD__TOKEN",
            f"no section 'dicsord'; sections: {SECTIONS}; did you mean NEWSBOT_DISCORD__TOKEN?",
        ),
        (
            "NEWSBOT_DISCORD_TOKEN",
            "write NEWSBOT_DISCORD__TOKEN: two underscores between section and key",
        ),
        (
            "newsbot_discord_application_id",
            "write NEWSBOT_DISCORD__APPLICATION_ID: two underscores between section and key",
        ),
        (
            "NEWSBOT_ARCHIVE__PAHT",
            "no key 'paht' in section 'archive'; keys: path, url; "
            "did you mean NEWSBOT_ARCHIVE__PATH?",
        ),
        ("NEWSBOT_ARCHIVE__", "no key after NEWSBOT_ARCHIVE__; keys: path, url"),
        (
            "NEWSBOT_DISCORD__TARGETS__0__GUILD_ID",
            "write NEWSBOT_DISCORD__TARGETS: discord.targets has no keys of its own",
        ),
        ("NEWSBOT_", f"no section after NEWSBOT_; sections: {SECTIONS}"),
    ],
)
def test_a_variable_that_is_no_setting_is_named_without_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, reason: str
) -> None:
    clear_settings(monkeypatch)
    monkeypatch.setenv(name, "very.secret.token")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == f"{name}: unknown setting ({reason})"


def test_every_misnamed_variable_is_named_and_a_command_stops(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clear_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBOT_DISCORD_TOKEN", "very.secret.token")
    monkeypatch.setenv("NEWSBOT_UNRELATED", "1")
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == CONFIG_EXIT
    assert result.stderr == (
        "error: NEWSBOT_DISCORD_TOKEN: unknown setting (write NEWSBOT_DISCORD__TOKEN: two "
        "underscores between section and key)\n"
        f"NEWSBOT_UNRELATED: unknown setting (no section 'unrelated'; sections: {SECTIONS})\n"
    )


def test_dev_pys_variable_is_no_setting_and_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """`NEWSBOT_VENV` names the environment dev.py uses, and reaches `python3 dev.py demo`."""
    clear_settings(monkeypatch)
    monkeypatch.setenv("NEWSBOT_VENV", "/tmp/venv")
    assert load_settings() == Settings()


def _not_positive(key: str, where: str) -> str:
    return f"discord.{key}: Input should be greater than 0 (from {where})"


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"NEWSBOT_DISCORD__APPLICATION_ID": "-5"}, "application_id"),
        ({"NEWSBOT_DISCORD__APPLICATION_ID": "0"}, "application_id"),
        ({"NEWSBOT_DISCORD__DEV_GUILD": "-1"}, "dev_guild"),
        ({"NEWSBOT_DISCORD__TARGETS": '[{"guild_id": 0, "channel_id": 2}]'}, "targets.0.guild_id"),
        (
            {"NEWSBOT_DISCORD__TARGETS": '[{"guild_id": 1, "channel_id": -2}]'},
            "targets.0.channel_id",
        ),
    ],
)
def test_a_discord_id_that_is_not_positive_is_refused_by_key(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], problem: str
) -> None:
    """Discord's ids (snowflakes) are positive; 0 or -5 is a typo, and no server has it."""
    clear_settings(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (variable,) = env
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == _not_positive(problem, variable)


def test_the_ids_of_a_target_in_the_file_are_positive(tmp_path: Path) -> None:
    config = tmp_path / "targets.toml"
    config.write_text(
        "[[discord.targets]]\nguild_id = 1\nchannel_id = 2\nrole_id = 3\n"
        "[[discord.targets]]\nguild_id = 1\nchannel_id = 2\nrole_id = 0\nalerts_channel_id = -4\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        f"{_not_positive('targets.1.role_id', f'{config}, line 8')}\n"
        f"{_not_positive('targets.1.alerts_channel_id', f'{config}, line 9')}"
    )


def test_a_section_of_the_wrong_type_is_refused_whatever_the_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`--db` sets archive.path and archive.url over the file's; `archive = 5` is still wrong."""
    clear_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "newsbot.toml"
    config.write_text("archive = 5\n")
    runner = CliRunner()
    plainly = runner.invoke(app, ["--config", str(config), "status"])
    overridden = runner.invoke(app, ["--config", str(config), "--db", "x.db", "status"])
    assert plainly.exit_code == overridden.exit_code == CONFIG_EXIT
    assert plainly.stderr.startswith("error: archive: ")
    assert f"(from {config}, line 1)" in plainly.stderr
    assert overridden.stderr == plainly.stderr


def test_a_key_refused_in_a_whole_sections_variable_names_that_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`NEWSBOT_DISCORD` holds the section as JSON: a bad key there is said to come from it,
    not from a `NEWSBOT_DISCORD__SHARD_COUNT` nobody set, nor from the config file."""
    clear_settings(monkeypatch)
    config = tmp_path / "newsbot.toml"
    config.write_text("[discord]\nmessage_content = true\n")
    monkeypatch.setenv("NEWSBOT_DISCORD", '{"shard_count": 0}')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        "discord.shard_count: Input should be greater than or equal to 1 (from NEWSBOT_DISCORD)"
    )
    # Set in the file, beside a variable holding other keys of the section: the file's line.
    config.write_text("[discord]\nshard_count = 0\n")
    monkeypatch.setenv("NEWSBOT_DISCORD", '{"message_content": true}')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).endswith(f"(from {config}, line 2)")
