"""Bluesky's settings: the handle from the file, the app password only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import BlueskySettings, load_settings


def test_defaults_point_at_bsky_social_and_are_not_configured() -> None:
    settings = load_settings().bluesky
    assert str(settings.service) == "https://bsky.social/"
    assert settings.max_posts == 8
    assert not settings.configured()


def test_the_app_password_comes_from_the_environment_and_never_prints(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text('[bluesky]\nhandle = "@news.example.com"\n')
    monkeypatch.setenv("NEWSBOT_BLUESKY__APP_PASSWORD", "abcd-efgh-ijkl-mnop")
    settings = load_settings(config).bluesky
    assert settings.handle == "news.example.com"
    assert settings.configured()
    assert "abcd-efgh" not in repr(settings) + str(settings.model_dump())


def test_an_app_password_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text('[bluesky]\napp_password = "abcd-efgh-ijkl-mnop"\n')
    with pytest.raises(ConfigError, match="NEWSBOT_BLUESKY__APP_PASSWORD") as caught:
        load_settings(config)
    assert "abcd-efgh" not in str(caught.value)


def test_a_handle_without_a_password_is_not_configured() -> None:
    assert not BlueskySettings(handle="news.example.com").configured()
    with pytest.raises(ValueError, match="https://"):
        BlueskySettings.model_validate({"service": "ftp://bsky.social"})
