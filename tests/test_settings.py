"""Settings: config.example.toml documents every setting there is, with its default."""

from __future__ import annotations

import tomllib
from typing import Any

from pydantic import BaseModel

from bot.settings import Settings, load_settings
from tests.conftest import ROOT

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
    with EXAMPLE.open("rb") as handle:
        example = tomllib.load(handle)
    assert keys_of(example) == fields_of(Settings)


def test_the_example_config_loads_and_gives_the_defaults() -> None:
    assert load_settings(EXAMPLE) == load_settings()
