"""Run `newsbot` as its own process, pointed at the Discord emulator."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bot.sandbox.discord import Emulator
from tests.newsbot_process import without_settings

ROOT = Path(__file__).resolve().parents[2]
READY_AT_ONCE = {"NEWSBOT_DISCORD__GUILD_READY_TIMEOUT": "0.1"}
"""`newsbot run` ready 0.1 s after the emulator's one server, not the 2 s a bot in many servers
waits for the next one: the emulator sends every server right after READY."""


def newsbot_argv(*args: str) -> list[str]:
    """The command line of `newsbot ARGS` in this interpreter."""
    return [sys.executable, "-m", "bot", *args]


def newsbot_env(emulator: Emulator | None) -> dict[str, str]:
    """The environment pointing `newsbot` at the emulator, with quick retries and a quick
    ready."""
    env = without_settings(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["NEWSBOT_PUBLISHING__RETRY_DELAY"] = "0.01"
    if emulator is not None:
        env["NEWSBOT_DISCORD__TOKEN"] = emulator.token
        env["NEWSBOT_DISCORD__API_BASE"] = emulator.api_base
        env["NEWSBOT_DISCORD__GATEWAY_URL"] = emulator.gateway_url
        env.update(READY_AT_ONCE)
    return env
