"""A refused setting is shown where it is written: the line of an entry of `discord.targets`
and of its key, and how a list is written when a single value was given."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli._console import CONFIG_EXIT
from bot.errors import ConfigError
from bot.settings import load_settings
from tests.conftest import clear_settings


def _refused(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    return str(caught.value).splitlines()


def test_a_bad_target_in_an_inline_list_is_shown_at_its_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Entries are told apart past the commas, braces and `#` that names and comments hold."""
    clear_settings(monkeypatch)
    config = tmp_path / "newsbot.toml"
    config.write_text(
        "[discord]\n"
        "# the channels\n"
        "targets = [\n"
        "  { guild_id = 1, channel_id = 2, sections = [\"a, {b}\", 'c#'] },  # { guild_id = 0 }\n"
        '  { guild_id = 1,channel_id = 2 }, { guild_id = 3, channel_id = -2, "role_id" = 0 },\n'
        "  { channel_id = 5 },\n"
        "  5,\n"
        "]\n"
    )
    assert _refused(config) == [
        f"discord.targets.2.channel_id: Input should be greater than 0 (from {config}, line 5)",
        f"discord.targets.2.role_id: Input should be greater than 0 (from {config}, line 5)",
        f"discord.targets.3.guild_id: Field required (from {config}, line 6)",
        "discord.targets.4: Input should be a valid dictionary or instance of TargetSettings"
        f" (from {config}, line 7)",
    ]


def test_a_bad_key_of_a_target_table_is_shown_at_its_line(tmp_path: Path) -> None:
    """In `[[discord.targets]]` tables, the key's own line; a missing key: its table's."""
    config = tmp_path / "newsbot.toml"
    config.write_text(
        "[discord]\nmessage_content = true\n\n"
        "[[discord.targets]]\nguild_id = 1\nchannel_id = 2\n\n"
        "[[ discord.targets ]]\nchannel_id = 2\nguild_id = 0\n\n"
        "[[discord.targets]]\nguild_id = 1\n\n[log]\nchannel_id = 7\n"
    )
    assert _refused(config)[:3] == [
        f"discord.targets.1.guild_id: Input should be greater than 0 (from {config}, line 10)",
        f"discord.targets.2.channel_id: Field required (from {config}, line 12)",
        f"log.channel_id: unknown setting; config.example.toml lists every setting"
        f" (from {config}, line 16)",
    ]


@pytest.mark.parametrize(
    ("value", "written"),
    [("1", "'[1]'"), ("0,1", "'[0, 1]'"), ("0 1", "'[0, 1]'"), ('"1"', "'[1]'")],
)
def test_a_list_setting_given_one_value_in_a_variable_says_how_to_write_it(
    monkeypatch: pytest.MonkeyPatch, value: str, written: str
) -> None:
    clear_settings(monkeypatch)
    monkeypatch.setenv("NEWSBOT_DISCORD__SHARD_COUNT", "2")
    monkeypatch.setenv("NEWSBOT_DISCORD__SHARD_IDS", value)
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == CONFIG_EXIT
    assert (
        "discord.shard_ids: not a list: write it in brackets, "
        f"NEWSBOT_DISCORD__SHARD_IDS={written} (from NEWSBOT_DISCORD__SHARD_IDS)"
    ) in result.output


def test_every_list_setting_says_how_to_write_it_where_it_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """discord.targets, discord.shard_ids and a target's sections are the list settings; the
    example is in the words of the file (TOML) or of the variable (JSON) that set them."""
    clear_settings(monkeypatch)
    config = tmp_path / "newsbot.toml"
    config.write_text(
        "[discord]\nshard_count = 2\nshard_ids = 1\ntargets = { guild_id = 1, channel_id = 2 }\n"
    )
    assert sorted(_refused(config)) == [
        "discord.shard_ids: not a list: write it in brackets, shard_ids = [1]"
        f" (from {config}, line 3)",
        "discord.targets: not a list: write it in brackets,"
        f" targets = [{{ guild_id = 1, channel_id = 2 }}] (from {config}, line 4)",
    ]
    monkeypatch.setenv(
        "NEWSBOT_DISCORD__TARGETS", '[{"guild_id": 1, "channel_id": 2, "sections": "a, Big news"}]'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        'discord.targets.0.sections: not a list: write it in brackets, "sections": '
        '["a", "Big news"] (from NEWSBOT_DISCORD__TARGETS)'
    )
    monkeypatch.setenv("NEWSBOT_DISCORD__TARGETS", '{"guild_id": 1, "channel_id": 2}')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "discord.targets: not a list: write it in brackets, "
        'NEWSBOT_DISCORD__TARGETS=\'[{"guild_id": 1, "channel_id": 2}]\''
        " (from NEWSBOT_DISCORD__TARGETS)"
    )


def test_a_misspelt_key_or_section_is_named_with_the_one_meant_at_its_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The nearest known key of its section, that of another section it belongs to, and a
    secret's variable (never the file) when the one meant is a secret."""
    clear_settings(monkeypatch)
    config = tmp_path / "newsbot.toml"
    config.write_text(
        "[Dicsord]\nmessage_content = true\n\n"
        '[discord]\ntokn = "abc.def"\ncron = "0 9 * * MON"\napp_id = 5\n'
        "targets = [{ guild_id = 1, channel_id = 2, rol_id = 3 }]\n\n"
        '[log]\nlevle = "INFO"\nzzz = 1\n\n[wholly_unknown]\nkey = 1\n'
    )
    assert sorted(_refused(config)) == [
        f"Dicsord: unknown section; did you mean [discord]? (from {config}, line 1)",
        "discord.app_id: unknown setting; did you mean discord.application_id?"
        f" (from {config}, line 7)",
        f"discord.cron: unknown setting; did you mean schedule.cron? (from {config}, line 6)",
        "discord.targets.0.rol_id: unknown setting; did you mean discord.targets.0.role_id?"
        f" (from {config}, line 8)",
        "discord.tokn: unknown setting; did you mean discord.token, a secret read only from"
        f" NEWSBOT_DISCORD__TOKEN? (from {config}, line 5)",
        f"log.levle: unknown setting; did you mean log.level? (from {config}, line 11)",
        "log.zzz: unknown setting; config.example.toml lists every setting"
        f" (from {config}, line 12)",
        f"wholly_unknown: unknown section; config.example.toml lists them (from {config}, line 14)",
    ]
