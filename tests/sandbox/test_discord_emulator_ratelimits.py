"""Rate limits and injected failures: the headers, real 429s, and discord.py waiting them out."""

from __future__ import annotations

import time

import aiohttp
import discord
import pytest

from bot.sandbox.discord import DefaultWorld, Emulator, EmulatorConfig

from .conftest import NO_PINGS, EmulatedBot

MESSAGES = "/channels/{channel_id}/messages"


@pytest.fixture
def config() -> EmulatorConfig:
    """Windows 20 times shorter than Discord's: 5 messages per 250 ms in a channel."""
    return EmulatorConfig(time_scale=0.05)


def _general(bot: EmulatedBot, seed: DefaultWorld) -> discord.TextChannel:
    channel = bot.get_channel(seed.general.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def _raw_post(
    session: aiohttp.ClientSession, emulator: Emulator, channel_id: int, content: str
) -> aiohttp.ClientResponse:
    async with session.post(
        f"{emulator.api_base}/channels/{channel_id}/messages",
        json={"content": content, "allowed_mentions": {"parse": []}},
        headers={"Authorization": f"Bot {emulator.token}"},
    ) as response:
        await response.read()
        return response


async def test_answers_carry_rate_limit_headers(emulator: Emulator, seed: DefaultWorld) -> None:
    async with aiohttp.ClientSession() as session:
        response = await _raw_post(session, emulator, seed.general.id, "hello")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "4"
    assert 0 < float(response.headers["X-RateLimit-Reset-After"]) <= 0.25
    assert float(response.headers["X-RateLimit-Reset"]) > time.time() - 1
    assert len(response.headers["X-RateLimit-Bucket"]) == 32


async def test_sixth_message_in_a_window_gets_a_real_429(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    emulator.config.time_scale = 0.2  # a 1 s window: six requests fit in it on a busy machine
    async with aiohttp.ClientSession() as session:
        statuses = [
            (await _raw_post(session, emulator, seed.general.id, f"m{i}")).status for i in range(5)
        ]
        limited = await _raw_post(session, emulator, seed.general.id, "m5")
    assert statuses == [200] * 5
    assert limited.status == 429
    assert limited.headers["Via"] == "1.1 google"
    assert limited.headers["X-RateLimit-Scope"] == "user"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["Retry-After"]) >= 1
    record = emulator.requests_to("POST", MESSAGES)[-1]
    assert record.status == 429
    assert record.response["global"] is False and 0 < record.response["retry_after"] <= 1.0


async def test_discord_py_follows_the_headers_without_hitting_429(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    channel = _general(bot, seed)
    started = time.monotonic()
    for i in range(11):
        await channel.send(f"digest part {i}", allowed_mentions=NO_PINGS)
    assert time.monotonic() - started >= 0.4
    assert [r.status for r in emulator.requests_to("POST", MESSAGES)] == [200] * 11


async def test_discord_py_waits_out_a_real_429(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.config.time_scale = 0.2  # a 1 s window: the bot's send lands in it when slow too
    async with aiohttp.ClientSession() as session:
        for i in range(5):
            await _raw_post(session, emulator, seed.general.id, f"another process {i}")
    sent = await _general(bot, seed).send("from the bot", allowed_mentions=NO_PINGS)
    statuses = [r.status for r in emulator.requests_to("POST", MESSAGES)]
    assert statuses[5:] == [429, 200]
    assert [m.content for m in emulator.messages_in(seed.general)].count("from the bot") == 1
    assert sent.content == "from the bot"


async def test_discord_py_waits_out_injected_429s(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    fault = emulator.inject("POST", MESSAGES, 429, times=2, retry_after=0.05)
    await _general(bot, seed).send("after two 429s", allowed_mentions=NO_PINGS)
    assert fault.hits == 2 and fault.exhausted
    assert [r.status for r in emulator.requests_to("POST", MESSAGES)] == [429, 429, 200]
    assert len(emulator.messages_in(seed.general)) == 1


async def test_discord_py_waits_out_an_injected_global_429(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.inject("POST", "/channels/*/messages", 429, retry_after=0.05, is_global=True)
    await _general(bot, seed).send("after a global 429", allowed_mentions=NO_PINGS)
    [limited, sent] = emulator.requests_to("POST", MESSAGES)
    assert (limited.status, limited.response["global"], sent.status) == (429, True, 200)


async def test_discord_py_retries_a_5xx(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.inject("POST", MESSAGES, 502)
    await _general(bot, seed).send("after a 502", allowed_mentions=NO_PINGS)
    assert [r.status for r in emulator.requests_to("POST", MESSAGES)] == [502, 200]
    assert len(emulator.messages_in(seed.general)) == 1


async def test_a_500_after_the_write_is_made_harmless_by_the_nonce(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.inject("POST", MESSAGES, 500, after_handler=True)
    sent = await _general(bot, seed).send(
        "digest", nonce="202/general/digest", allowed_mentions=NO_PINGS
    )
    assert [r.status for r in emulator.requests_to("POST", MESSAGES)] == [500, 200]
    assert [m.id for m in emulator.messages_in(seed.general)] == [sent.id]


async def test_discord_py_sends_its_own_nonce_so_its_retries_never_duplicate(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.inject("POST", MESSAGES, 500, after_handler=True)
    await _general(bot, seed).send("digest", allowed_mentions=NO_PINGS)
    first, retry = emulator.requests_to("POST", MESSAGES)
    assert first.json["enforce_nonce"] is True and first.json["nonce"] == retry.json["nonce"]
    assert [m.content for m in emulator.messages_in(seed.general)] == ["digest"]


async def test_a_client_retrying_without_nonce_posts_twice(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    emulator.inject("POST", MESSAGES, 500, after_handler=True)
    async with aiohttp.ClientSession() as session:
        statuses = [
            (await _raw_post(session, emulator, seed.general.id, "digest")).status for _ in range(2)
        ]
    assert statuses == [500, 200]
    assert [m.content for m in emulator.messages_in(seed.general)] == ["digest", "digest"]


async def test_a_fault_skips_only_requests_carried_out_and_asking_skips_none(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    fault = emulator.inject("POST", MESSAGES, 500, after_handler=True, skip=1)
    path = f"/channels/{seed.general.id}/messages"
    # Asking whether a request would meet the fault does not let one through.
    assert fault.matches("POST", MESSAGES, path) and fault.matches("POST", MESSAGES, path)
    async with aiohttp.ClientSession() as session:
        statuses = [
            (await _raw_post(session, emulator, channel, text)).status
            for channel, text in [
                (1, "refused: the handler knows no such channel"),
                (seed.general.id, "let through"),
                (seed.general.id, "made, answered 500"),
                (seed.general.id, "after the fault"),
            ]
        ]
    assert statuses == [404, 200, 500, 200]
    assert (fault.skipped, fault.hits) == (1, 1)
    assert [m.content for m in emulator.messages_in(seed.general)] == [
        "let through",
        "made, answered 500",
        "after the fault",
    ]


async def test_global_limit_and_interaction_callbacks_are_exempt(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.config.global_limit = 3
    emulator.config.time_scale = 1.0
    emulator.limiter.reset()
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bot {emulator.token}"}
        statuses = []
        for _ in range(4):
            async with session.get(f"{emulator.api_base}/users/@me", headers=headers) as response:
                statuses.append(response.status)
                last_scope = response.headers.get("X-RateLimit-Scope")
    assert statuses == [200, 200, 200, 429]
    assert last_scope == "global"
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
    assert (await handle.original()).content == "Issue 202"


async def test_rate_limits_can_be_switched_off(emulator: Emulator, seed: DefaultWorld) -> None:
    emulator.config.rate_limits = False
    async with aiohttp.ClientSession() as session:
        statuses = [
            (await _raw_post(session, emulator, seed.general.id, f"m{i}")).status for i in range(8)
        ]
        response = await _raw_post(session, emulator, seed.general.id, "last")
    assert statuses == [200] * 8
    assert "X-RateLimit-Remaining" not in response.headers


async def test_followups_after_a_slow_command_survive_an_injected_webhook_429(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.inject(
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        429,
        retry_after=0.02,
    )
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "edited")
    message = await handle.original()
    await emulator.wait_until(lambda: message.edited_at, timeout=5)
    assert message.content == "Final"


async def test_an_injected_204_is_bare_like_discords(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    """A faked success on a route Discord answers 204 comes with no body and no Content-Type,
    as Discord's does: discord.py takes the delete as done, and a raw client reads nothing."""
    channel = _general(bot, seed)
    kept = await channel.send("kept", allowed_mentions=NO_PINGS)
    other = await channel.send("also kept", allowed_mentions=NO_PINGS)
    emulator.inject("DELETE", MESSAGES + "/{message_id}", 204, times=2)
    await kept.delete()
    async with (
        aiohttp.ClientSession() as session,
        session.delete(
            f"{emulator.api_base}/channels/{seed.general.id}/messages/{other.id}",
            headers={"Authorization": f"Bot {emulator.token}"},
        ) as response,
    ):
        body = await response.read()
    assert (response.status, body, response.headers.get("Content-Type")) == (204, b"", None)
    assert [r.response for r in emulator.requests_to("DELETE", MESSAGES + "/{message_id}")] == [
        None,
        None,
    ]
    assert [m.content for m in emulator.messages_in(seed.general)] == ["kept", "also kept"]
