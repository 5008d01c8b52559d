"""The demo waiting for a publish that does not come: it says what it waits for and why while
it waits, and ends with the same in words. The stage is set up in the test's process (the
emulators, `newsbot run` under it) and one outlet refuses every post."""

from __future__ import annotations

import asyncio
import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from bot.demo.editor import Editor
from bot.demo.script import editor_subscribes
from bot.demo.stage import (
    BUNDLED_ISSUES,
    bot_process,
    finished_outlets,
    last_firing,
    staged,
    wait_for_commands,
    wait_for_publish,
)
from bot.errors import NewsbotError
from tests.conftest import ROOT


async def test_a_publish_that_keeps_failing_is_waited_for_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # `newsbot run` imports this checkout
    shown = io.StringIO()
    console = Console(file=shown, width=400, highlight=False)
    folder = tmp_path / "issues"
    folder.mkdir()
    async with staged(tmp_path, folder, console) as stage:
        db = stage.db
        # Mastodon refuses every post, as it does one that fails its validation.
        stage.mastodon.inject("POST", "/api/v1/statuses", 422, times=10_000)
        async with bot_process(stage.settings) as process:
            stage.process = process
            await wait_for_commands(stage)
            await editor_subscribes(Editor(stage.emulator, stage.seed, console))
            shutil.copy2(BUNDLED_ISSUES / "202.md", folder / ".202.md.saving")  # as the demo
            (folder / ".202.md.saving").replace(folder / "202.md")

            # Until a firing has published it everywhere else and said why not on Mastodon
            # (polled: the archive is written by another process, as the demo polls it).
            async with asyncio.timeout(60):
                while not (  # noqa: ASYNC110
                    (firing := await last_firing(db))
                    and firing["failures"]
                    and await finished_outlets(db, 202) == {"discord", "x", "bluesky"}
                ):
                    await asyncio.sleep(0.1)
            with pytest.raises(NewsbotError) as stopped:
                await wait_for_publish(stage, 202, within=1.0, quiet_for=0.2)
    (reason,) = {failure for failure in firing["failures"] if "on Mastodon" in failure}
    said = " ".join(shown.getvalue().split())
    assert (
        "… still waiting for #202 on Mastodon (it is on Discord, X and Bluesky); the last "
        "firing, at "
    ) in said
    assert f"UTC, said: {reason}" in said, said
    message = str(stopped.value)
    assert message.startswith(
        "no firing of the schedule published #202 on Mastodon within 1 s (it is on Discord, X "
        "and Bluesky); the last firing, at "
    ), message
    assert message.endswith(f"UTC, said: {reason}"), message
    assert "{" not in message, "words, not JSON"


async def test_a_publish_whose_firing_was_overwritten_is_found_in_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the last firing is kept: looked at late (a loaded machine), the firing that
    published is gone under a quiet one. The demo waited its whole minute and failed, with the
    issue out everywhere."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    shown = io.StringIO()
    console = Console(file=shown, width=400, highlight=False)
    folder = tmp_path / "issues"
    folder.mkdir()
    everywhere = {"discord", "x", "mastodon", "bluesky"}
    async with staged(tmp_path, folder, console) as stage:
        db = stage.db
        async with bot_process(stage.settings) as process:
            stage.process = process
            await wait_for_commands(stage)
            await editor_subscribes(Editor(stage.emulator, stage.seed, console))
            shutil.copy2(BUNDLED_ISSUES / "202.md", folder / "202.md")
            async with asyncio.timeout(60):
                while not (  # noqa: ASYNC110
                    await finished_outlets(db, 202) == everywhere
                    and (firing := await last_firing(db))
                    and not any(202 in numbers for numbers in firing["published"].values())
                ):
                    await asyncio.sleep(0.1)
            # Read in the ledger as soon as the quiet firing is seen, not once the demo has
            # waited long enough to say what it waits for.
            async with asyncio.timeout(20):
                found = await wait_for_publish(stage, 202, within=60.0, quiet_for=30.0)
    assert found == ([], everywhere)
