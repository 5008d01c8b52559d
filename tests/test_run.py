"""`newsbot run` as its own process against the Discord emulator, as an editor deploys it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import discord
import pytest
from typer.testing import CliRunner

import bot.app
from bot.app import INTENT_REFUSED, TOKEN_REFUSED
from bot.cli import app
from bot.cli._console import CONFIG_EXIT
from bot.models import Issue
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.settings import Settings
from bot.store import Archive
from tests.conftest import ROOT
from tests.newsbot_process import Process, newsbot_process
from tests.publishing.cli_harness import READY_AT_ONCE


def test_run_without_a_token_says_where_to_get_one(monkeypatch: object) -> None:
    result = CliRunner().invoke(app, ["run"], env={"NEWSBOT_DISCORD__TOKEN": ""})
    assert result.exit_code == CONFIG_EXIT
    assert "NEWSBOT_DISCORD__TOKEN" in result.stderr
    assert "discord.com/developers/applications" in result.stderr
    assert "python3 dev.py demo" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not build on Windows")
def test_run_serves_on_uvloop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    loops: list[str] = []

    async def serve(settings: object, token: str) -> None:
        loops.append(type(asyncio.get_running_loop()).__module__)

    monkeypatch.setattr(bot.app, "run_bot", serve)
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "a.db"), "run"], env={"NEWSBOT_DISCORD__TOKEN": "token"}
    )
    assert result.exit_code == 0, result.output
    assert loops == ["uvloop"]


def run_env(emulator: Emulator, seed: DefaultWorld, archive: Path) -> dict[str, str]:
    """The environment of a `newsbot run` talking to `emulator`, its archive at `archive`."""
    return {
        **os.environ,
        "NEWSBOT_DISCORD__TOKEN": emulator.token,
        "NEWSBOT_DISCORD__API_BASE": emulator.api_base,
        "NEWSBOT_DISCORD__GATEWAY_URL": emulator.gateway_url,
        "NEWSBOT_DISCORD__DEV_GUILD": str(seed.guild.id),
        "NEWSBOT_ARCHIVE__PATH": str(archive),
        **READY_AT_ONCE,
    }


async def newsbot_run(env: dict[str, str], *, stdout: int) -> Process:
    """`newsbot run` started in `env`, its log piped."""
    return await newsbot_process(
        "run",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_token_discord_refuses_stops_run_for_good(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    """A token reset in the Developer Portal: Discord answers 401 (discord.py's LoginFailure).
    The exit status tells systemd that restarting cannot help (contrib/newsbot.service)."""
    env = {**run_env(emulator, seed, tmp_path / "a.db"), "NEWSBOT_DISCORD__TOKEN": "reset.token"}
    process = await newsbot_run(env, stdout=asyncio.subprocess.DEVNULL)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == CONFIG_EXIT, log
    assert "Traceback" not in log, log
    assert log.splitlines()[-1] == f"error: {TOKEN_REFUSED}"
    assert "reset.token" not in log


async def test_a_message_content_intent_discord_refuses_says_where_to_turn_it_on(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    """discord.message_content = true, as the README says, but the intent not turned on in the
    Developer Portal: Discord closes the gateway with 4014 (Gateway › Close Event Codes)."""
    emulator.world.application.flags = 0  # no privileged intent allowed
    env = {**run_env(emulator, seed, tmp_path / "a.db"), "NEWSBOT_DISCORD__MESSAGE_CONTENT": "1"}
    process = await newsbot_run(env, stdout=asyncio.subprocess.DEVNULL)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == CONFIG_EXIT, log
    assert "Traceback" not in log, log
    assert log.splitlines()[-1] == f"error: {INTENT_REFUSED}"
    assert "Privileged Gateway Intents → Message Content" in INTENT_REFUSED


async def test_newsbot_run_leaves_what_starting_built_out_of_garbage_collection(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    env = {**run_env(emulator, seed, tmp_path / "archive.db"), "NEWSBOT_LOG__LEVEL": "DEBUG"}
    process = await newsbot_run(env, stdout=asyncio.subprocess.DEVNULL)
    assert process.stderr is not None

    async def lines_until(words: str) -> list[str]:
        """The log's next lines, up to the first saying `words`."""
        assert process.stderr is not None
        lines: list[str] = []
        async with asyncio.timeout(30):
            while not lines or words not in lines[-1]:
                lines.append((await process.stderr.readline()).decode())
                assert lines[-1], f"newsbot run ended before its log said {words!r}"
        return lines

    try:
        # Once connected: a full collection walking it all would pause a burst of readers.
        settled = (await lines_until("left out of garbage collection"))[-1]
        # Not again on connecting anew: what is alive then is not start-up's to keep.
        emulator.gateway.invalidate_sessions()
        later = "".join(await lines_until("has connected to Gateway"))
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert "objects built at start left out of garbage collection" in settled
    assert "left out of garbage collection" not in later + rest.decode()


def test_discord_py_reads_and_writes_json_with_orjson() -> None:
    import discord.utils

    assert discord.utils.HAS_ORJSON, "discord.py's speed-up for every event and request"


async def test_newsbot_run_answers_search_and_stops_on_sigterm(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path, issue_202: Issue
) -> None:
    db = tmp_path / "archive.db"
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(issue_202)
    process = await newsbot_run(run_env(emulator, seed, db), stdout=asyncio.subprocess.PIPE)
    try:
        await emulator.wait_until(
            lambda: True if emulator.synced_commands(seed.guild) else None, timeout=60
        )
        handle = await emulator.run_slash_command(
            seed.guild, seed.general, seed.reader, "search", {"query": "knowledge distillation"}
        )
        answer = await handle.original(timeout=10)
        assert "Does Knowledge Distillation Really Work?" in answer.embeds[0]["description"]
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "newsbot stopped" in log
    assert "Traceback" not in log, log
    skipped = [line for line in log.splitlines() if "X is not configured" in line]
    assert len(skipped) == 1 and skipped[0].endswith("not publishing there"), log
    assert emulator.token not in log + stdout.decode(), "the token never reaches a log"


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not build on Windows")
async def test_a_readers_interaction_token_never_reaches_the_debug_log(
    emulator: Emulator, seed: DefaultWorld, tmp_path: Path, issue_202: Issue
) -> None:
    """An interaction's token lets whoever holds it answer as the bot for 15 minutes; at DEBUG,
    discord.py logs the gateway's events, INTERACTION_CREATE and its token among them."""
    db = tmp_path / "archive.db"
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(issue_202)
    env = {**run_env(emulator, seed, db), "NEWSBOT_LOG__LEVEL": "DEBUG"}
    process = await newsbot_run(env, stdout=asyncio.subprocess.DEVNULL)
    try:
        await emulator.wait_until(
            lambda: True if emulator.synced_commands(seed.guild) else None, timeout=60
        )
        handle = await emulator.run_slash_command(
            seed.guild, seed.general, seed.reader, "search", {"query": "distillation"}
        )
        await handle.original(timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "INTERACTION_CREATE" in log, "the DEBUG log shows the gateway's events"
    assert handle.token not in log
    assert "'token': '[redacted]'" in log


async def test_the_running_bot_keeps_max_wait_and_request_timeout(
    archive: Archive, emulator: Emulator, seed: DefaultWorld
) -> None:
    # The schedule publishes through the running bot's client: a long rate limit is not slept
    # out there either, and a request never answered fails in time.
    settings = Settings.model_validate({"publishing": {"max_wait": 45, "request_timeout": 0.3}})
    newsbot = bot.app.newsbot(settings=settings, archive=archive)
    await newsbot.http.static_login(emulator.token)  # REST only: no cogs, no gateway
    try:
        emulator.inject("GET", "/channels/{channel_id}", 429, retry_after=900.0)
        with pytest.raises(discord.RateLimited):
            await asyncio.wait_for(newsbot.http.get_channel(seed.general.id), 5)
        fault = emulator.inject("GET", "/channels/{channel_id}", 200, hang=True)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(newsbot.http.get_channel(seed.general.id), 5)
        assert time.monotonic() - started < 2  # the request's own timeout, not this test's
        fault.release()
    finally:
        await newsbot.http.close()


@pytest.mark.parametrize("sharded", [False, True], ids=["unsharded", "sharded"])
async def test_the_running_bot_waits_for_one_more_server_as_long_as_set(
    archive: Archive, sharded: bool
) -> None:
    # discord.py waits this long after each server Discord sends before it is ready, and the
    # schedule publishes only once ready: a bot in one server need not wait 2 s at each start.
    shards = {"shard_count": 2} if sharded else {}
    for discord_settings, waits in (({}, 2.0), ({"guild_ready_timeout": 0.25}, 0.25)):
        settings = Settings.model_validate({"discord": discord_settings | shards})
        newsbot = bot.app.newsbot(settings=settings, archive=archive)
        assert newsbot._connection.guild_ready_timeout == waits
