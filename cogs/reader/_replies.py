"""Answers sent as JSON rendered once: a burst of readers shown the same results costs one
encoding, and Discord is not asked to send back the message it made (nothing reads it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import orjson
from discord.http import HTTPClient, Route, json_or_text

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


@dataclass(frozen=True)
class Original:
    """What editing an interaction's answer later needs, and nothing else: the interaction
    itself holds the reader, the channel and Discord's whole payload, and an answer kept for
    minutes should not keep them (each stays in memory and is walked by every full garbage
    collection meanwhile)."""

    application_id: int
    token: str
    session: aiohttp.ClientSession
    http: HTTPClient

    @classmethod
    def of(cls, interaction: discord.Interaction) -> Original:
        """The answer `interaction` was (or will be) given."""
        return cls(
            interaction.application_id,
            interaction.token,
            interaction._session,
            interaction._state.http,
        )


async def respond(
    interaction: discord.Interaction, kind: discord.InteractionResponseType, body: bytes
) -> None:
    """Send `body` (made by `callback` with `kind`) as the interaction's first response."""
    if interaction.response.is_done():
        raise discord.InteractionResponded(interaction)
    url = f"{Route.BASE}/interactions/{interaction.id}/{interaction.token}/callback"
    await _send(interaction._session, interaction._state.http, "POST", url, body)
    interaction.response._response_type = kind


async def edit_original(interaction: discord.Interaction | Original, body: bytes) -> None:
    """Replace the interaction's answer (or its "thinking…" placeholder) with `body`."""
    original = interaction if isinstance(interaction, Original) else Original.of(interaction)
    url = f"{Route.BASE}/webhooks/{original.application_id}/{original.token}/messages/@original"
    await _send(original.session, original.http, "PATCH", url, body)


async def _send(
    session: aiohttp.ClientSession, http: HTTPClient, method: str, url: str, body: bytes
) -> None:
    for attempt in range(ATTEMPTS):
        async with session.request(
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
