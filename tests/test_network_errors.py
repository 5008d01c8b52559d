"""A failed connection says what newsbot was trying to reach and why, and never a secret.

The commands run as a user runs them (`python -m bot`), against a port on 127.0.0.1 that
nothing listens on: Discord's address in the settings is simply wrong.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.network import connection_reason, shown_url
from bot.sandbox.discord import Emulator
from tests.conftest import ISSUES
from tests.newsbot_process import newsbot_completed, without_settings
from tests.x.conftest import run_newsbot

TOKEN = "MTIz.secret-token.value-that-never-prints"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound and never listening, and held for the
    whole test, so that no emulator another test worker starts meanwhile can take it."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port: int = held.getsockname()[1]
        yield port


def newsbot(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = without_settings(os.environ)
    env |= {f"NEWSBOT_{key.upper()}": value for key, value in settings.items()}
    return newsbot_completed("--db", str(tmp_path / "a.db"), *args, env=env | {"COLUMNS": "200"})


@pytest.fixture
def unreachable_discord(closed_port: int) -> dict[str, str]:
    port = closed_port
    return {
        "discord__token": TOKEN,
        "discord__api_base": f"http://127.0.0.1:{port}/api/v10",
        "discord__gateway_url": f"ws://127.0.0.1:{port}/gateway",
        "discord__targets": '[{"guild_id": 1, "channel_id": 2}]',
    }


@pytest.mark.parametrize(
    "command",
    [["run"], ["sync-commands"], ["publish", "--outlet", "discord"], ["publish"]],
    ids=" ".join,
)
def test_an_unreachable_discord_is_named_with_the_reason(
    tmp_path: Path, unreachable_discord: dict[str, str], command: list[str]
) -> None:
    ingested = CliRunner().invoke(app, ["--db", str(tmp_path / "a.db"), "ingest", str(ISSUES)])
    assert ingested.exit_code == 0, ingested.stderr
    done = newsbot(tmp_path, *command, **unreachable_discord)
    api = unreachable_discord["discord__api_base"]
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"error: cannot reach Discord at {api}: connection refused"
    )
    assert "Traceback" not in done.stderr
    assert TOKEN not in done.stdout + done.stderr
    assert "a file" not in done.stderr


async def test_an_unreachable_gateway_is_named_with_the_reason(
    tmp_path: Path, emulator: Emulator, closed_port: int
) -> None:
    """Discord's REST answers, its gateway does not: `newsbot run` says so in one line (where
    discord.py fails on its own reconnect with an AttributeError)."""
    gateway = f"ws://127.0.0.1:{closed_port}/gateway"
    env = without_settings(os.environ) | {
        "NEWSBOT_DISCORD__TOKEN": emulator.token,
        "NEWSBOT_DISCORD__API_BASE": emulator.api_base,
        "NEWSBOT_DISCORD__GATEWAY_URL": gateway,
    }
    done = await run_newsbot("--db", str(tmp_path / "a.db"), "run", env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"error: cannot reach Discord's gateway at {gateway}: connection refused"
    )
    assert "newsbot stopped on an unexpected error" not in done.stderr


def test_a_failure_to_resolve_a_name_is_said_so() -> None:
    assert connection_reason(socket.gaierror(-2, "Name or service not known")) == (
        "name not resolved"
    )
    assert connection_reason(ConnectionRefusedError(111, "refused")) == "connection refused"
    assert connection_reason(TimeoutError()) == "timed out"
    assert connection_reason(FileNotFoundError(2, "No such file", "a.db")) is None


async def test_aiohttp_failures_give_the_same_reasons(closed_port: int) -> None:
    port = closed_port
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await session.get(f"http://127.0.0.1:{port}/")
    assert connection_reason(caught.value) == "connection refused"


def test_a_shown_url_keeps_no_credentials() -> None:
    assert shown_url("https://user:hunter2@proxy.example:8443/api/v10?key=abc#x") == (
        "https://proxy.example:8443/api/v10"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:Super Secret PW123@db.example:5432/news",
        "postgresql://u:Secret%zzPW123@db.example:5432/news",
        "postgresql://u:Secret/PW123@db.example:5432/news",
        "postgresql://u:Secret@PW123@db.example:5432/news",
        "postgresql://u:Secret#PW123@db.example:5432/news",
        "postgresql://u:Secret?PW123@db.example:5432/news",
        "postgresql://u:123/PW123@db.example:5432/news",
        "postgres://u:Secret[PW123@db.example:5432/news",
        "postgresql://u@db.example:5432/news?password=SecretPW123",
    ],
)
def test_a_shown_database_url_keeps_no_part_of_a_password_whatever_its_shape(url: str) -> None:
    """libpq reads a user and password up to the first @ or /, Python's parser up to the last
    @ before the first /, ? or #: shown, everything before the last @ goes."""
    assert shown_url(url) == f"{url.partition('://')[0]}://db.example:5432/news"


@pytest.mark.parametrize(
    "url",
    [
        "https://u:Secret/PW123@proxy.example/api",
        "https://u:Secret?PW123@proxy.example/api",
        "https://u:Secret#PW123@proxy.example/api",
        "https://u:Secret[PW123@proxy.example/api",
    ],
)
def test_a_shown_url_whose_password_is_not_encoded_keeps_none_of_it(url: str) -> None:
    assert shown_url(url) == "https://proxy.example/api"


def test_a_shown_url_keeps_an_at_in_its_path() -> None:
    assert shown_url("https://medium.com/feed/@someone?x=1") == "https://medium.com/feed/@someone"
    assert shown_url("https://[::1]/feed/@someone") == "https://[::1]/feed/@someone"
    assert shown_url("https://u:pw@host.example:8443/@someone") == (
        "https://host.example:8443/@someone"
    )
