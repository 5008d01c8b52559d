"""``python -m bot.sandbox.discord`` prints its URLs, serves, and stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


async def test_standalone_prints_urls_and_stops_on_sigint() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox.discord",
        "--port",
        "0",
        "--token",
        "demo-token",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert first.startswith("Discord emulator at http://127.0.0.1:")
        url = first.split(" at ")[1].strip()
        lines = [(await asyncio.wait_for(process.stdout.readline(), 5)).decode() for _ in range(3)]
        assert lines[0].split() == ["api_base", f"{url}/api/v10"]
        assert lines[1].split()[0] == "gateway_url" and lines[1].split()[1].startswith(
            "ws://127.0.0.1:"
        )
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{url}/api/v10/users/@me", headers={"Authorization": "Bot demo-token"}
            ) as response,
        ):
            assert response.status == 200
            assert (await response.json())["bot"] is True
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 10)
        await process.stdout.read()
    assert code == 0
