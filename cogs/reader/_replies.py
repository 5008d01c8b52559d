"""Answers sent as JSON rendered once: a burst of readers shown the same results costs one
encoding, and Discord is not asked to send back the message it made (nothing reads it)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import orjson
from discord.http import Route, json_or_text

from bot.app import NO_MENTIONS

JSON_HEADERS = {"Content-Type": "application/json"}
ATTEMPTS = 5
"""Tries of one request when Discord fails on its side, as discord.py's own webhook calls do."""
NO_MENTIONS_PAYLOAD = NO_MENTIONS.to_dict()


def message_body(
    *,
    content: str | None = None,
    embed: discord.Embed | None = None,
    components: list[dict[str, Any]] | None = None,
    ephemeral: bool | None = None,
) -> dict[str, Any]:
    """A message as Discord's API takes it, never pinging anyone."""
    body: dict[str, Any] = {"allowed_mentions": NO_MENTIONS_PAYLOAD}
    if content is not None:
        body["content"] = content
    if embed is not None:
        body["embeds"] = [embed.to_dict()]
    if components is not None:
        body["components"] = components
    if ephemeral:
        body["flags"] = discord.MessageFlags(ephemeral=True).value
    return body


def callback(kind: discord.InteractionResponseType, data: dict[str, Any] | None = None) -> bytes:
    """An interaction's first response, rendered."""
    body: dict[str, Any] = {"type": kind.value}
    if data is not None:
        body["data"] = data
    return orjson.dumps(body)


def rendered(data: dict[str, Any]) -> bytes:
    """A message body (for an edit), rendered."""
    return orjson.dumps(data)


async def respond(
    interaction: discord.Interaction, kind: discord.InteractionResponseType, body: bytes
) -> None:
    """Send `body` (made by `callback` with `kind`) as the interaction's first response."""
    if interaction.response.is_done():
        raise discord.InteractionResponded(interaction)
    url = f"{Route.BASE}/interactions/{interaction.id}/{interaction.token}/callback"
    await _send(interaction, "POST", url, body)
    interaction.response._response_type = kind


async def edit_original(interaction: discord.Interaction, body: bytes) -> None:
    """Replace the interaction's answer (or its "thinking…" placeholder) with `body`."""
    application_id = interaction.application_id
    url = f"{Route.BASE}/webhooks/{application_id}/{interaction.token}/messages/@original"
    await _send(interaction, "PATCH", url, body)


async def _send(interaction: discord.Interaction, method: str, url: str, body: bytes) -> None:
    http = interaction._state.http
    for attempt in range(ATTEMPTS):
        async with interaction._session.request(
            method,
            url,
            data=body,
            headers=JSON_HEADERS,
            proxy=http.proxy,
            proxy_auth=http.proxy_auth,
        ) as response:
            if 200 <= response.status < 300:
                return
            data = await json_or_text(response)
            if response.status >= 500 and attempt < ATTEMPTS - 1:
                await asyncio.sleep(1 + attempt * 2)
                continue
            if response.status == 404:
                raise discord.NotFound(response, data)
            if response.status == 403:
                raise discord.Forbidden(response, data)
            if response.status >= 500:
                raise discord.DiscordServerError(response, data)
            raise discord.HTTPException(response, data)
