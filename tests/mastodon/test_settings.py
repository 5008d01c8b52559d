"""The [mastodon] settings: the token only from the environment, never shown; visibility checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings


def test_the_token_comes_from_the_environment_and_never_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not load_settings().mastodon.configured()
    monkeypatch.setenv("NEWSBOT_MASTODON__ACCESS_TOKEN", "token-of-the-account")
    settings = load_settings()
    assert settings.mastodon.configured()
    assert "token-of-the-account" not in repr(settings) + str(settings.model_dump())
    assert settings.mastodon.access_token is not None
    assert settings.mastodon.access_token.get_secret_value() == "token-of-the-account"


def test_a_blank_token_is_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_MASTODON__ACCESS_TOKEN", "  ")
    assert not load_settings().mastodon.configured()


def test_the_token_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text('[mastodon]\naccess_token = "oops"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="NEWSBOT_MASTODON__ACCESS_TOKEN"):
        load_settings(config)


def test_the_instance_and_visibility_come_from_the_file(tmp_path: Path) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(
        '[mastodon]\napi_base = "https://fosstodon.org"\nvisibility = "unlisted"\nmax_posts = 5\n',
        encoding="utf-8",
    )
    mastodon = load_settings(config).mastodon
    assert (str(mastodon.api_base), mastodon.visibility, mastodon.max_posts) == (
        "https://fosstodon.org/",
        "unlisted",
        5,
    )


def test_a_visibility_mastodon_would_hide_the_thread_with_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text('[mastodon]\nvisibility = "direct"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"mastodon\.visibility"):
        load_settings(config)
