"""The demo's reader, played against the real bot: what it prints is what the reader sees."""

from __future__ import annotations

import sys

import pytest
from rich.console import Console

from bot.app import Newsbot
from bot.demo.reader import Reader
from bot.sandbox.discord import DefaultWorld, Emulator


async def test_a_page_slow_to_come_is_printed_once_turned(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a loaded machine: every answer is past `DEFER_AFTER`, so a press of "Next" is
    # acknowledged first and the message edited after. The demo printed the page it was on.
    monkeypatch.setattr(sys.modules["cogs.reader._answering"], "DEFER_AFTER", 0)
    console = Console(record=True, width=100, force_terminal=False)
    reader = Reader(emulator, seed, console)
    first = await reader.slash("search", query="torch")
    await reader.press(first, "search:next", "Next")
    shown = console.export_text()
    assert "Results 1–5 · more on the next page" in shown
    turned = shown.split("presses “Next”", 1)[1]
    assert "Results 6–10 · more on the next page" in turned
    assert "Results 1–5" not in turned
