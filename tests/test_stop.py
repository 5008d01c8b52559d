"""Stopping is always prompt: SIGTERM ends `newsbot run` within `publishing.stop_grace` + 5 s
whatever it is doing, and the Discord emulator closes cleanly with clients still connected.

Each state is built with the emulators' faults: a REST call that hangs or answers 5xx, a
gateway that is down (discord.py backing off) or that stopped answering, a slow X.
"""

from __future__ import annotations

import asyncio
import gc
import logging

import aiohttp
import discord
import pytest

from bot.sandbox.discord import Emulator, point_discord_py_at
from tests.conftest import eventually


async def test_a_hanging_fault_holds_the_request_until_it_is_released(emulator: Emulator) -> None:
    fault = emulator.inject("GET", "/users/@me", status=503, hang=True)
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as session:
        held = asyncio.ensure_future(session.get(f"{emulator.api_base}/users/@me", headers=headers))
        await eventually(lambda: fault.hits == 1, within=10)
        await asyncio.sleep(0.1)
        assert not held.done()
        fault.release()
        async with await held as answer:
            assert answer.status == 503
        async with session.get(f"{emulator.api_base}/users/@me", headers=headers) as answer:
            assert answer.status == 200, "one hang was asked for"


async def test_a_gateway_outage_cuts_discord_py_off_and_refuses_it_until_it_ends(
    emulator: Emulator,
) -> None:
    gateway = emulator.gateway
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    await client.login(emulator.token)
    connection = asyncio.create_task(client.connect(reconnect=True))
    try:
        await gateway.wait_until_ready(timeout=10)
        emulator.gateway_outage()
        await gateway.changed.wait_for(
            lambda: True if gateway.refused else None, 10, "a refused reconnect"
        )
        assert not gateway.connections
        emulator.gateway_back()
        await gateway.wait_until_ready(timeout=10)  # after discord.py's first backoff (≤ 2 s)
    finally:
        await client.close()
        connection.cancel()
        await asyncio.gather(connection, return_exceptions=True)


async def test_closing_the_emulator_with_clients_still_connected_ends_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="asyncio")
    emulator = await Emulator().start()
    previous = point_discord_py_at(emulator.api_base, emulator.gateway_url)
    clients: list[tuple[discord.Client, asyncio.Task[None]]] = []
    try:
        for _ in range(3):
            client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
            await client.login(emulator.token)
            clients.append((client, asyncio.create_task(client.connect(reconnect=True))))
            await asyncio.wait_for(client.wait_until_ready(), 10)
        gateway = emulator.gateway
        stalled = gateway.connections[-1]
        stalled.stall()  # a client gone silent: cut, not waited for
        fault = emulator.inject("GET", "/users/@me", status=503, hang=True)
        async with aiohttp.ClientSession() as session:
            held = asyncio.ensure_future(
                session.get(
                    f"{emulator.api_base}/users/@me",
                    headers={"Authorization": f"Bot {emulator.token}"},
                )
            )
            await eventually(lambda: fault.hits == 1, within=10)
            await asyncio.wait_for(emulator.close(), 5)
            async with await held as answer:
                assert answer.status == 503  # a held request is answered, not dropped
        assert not gateway.connections
        assert [c.ws.socket.close_code for c, _ in clients[:2]] == [1001, 1001]
    finally:
        for client, connection in clients:
            await client.close()
            connection.cancel()
            await asyncio.gather(connection, return_exceptions=True)
        point_discord_py_at(previous.api_base, previous.gateway_url)
    gc.collect()
    await asyncio.sleep(0)
    problems = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert not problems, problems
