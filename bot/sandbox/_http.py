"""JSON over HTTP as the X, Mastodon and Bluesky emulators speak it: an answer with a JSON body,
and a request's JSON body read for the record of what was asked."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """``body`` as JSON with ``status``, typed ``application/json; charset=utf-8`` as X,
    Mastodon and a PDS type their answers, with ``headers`` added (they may replace the type)."""
    return web.Response(
        text=json.dumps(body),
        status=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


async def recorded_body(request: web.Request) -> Any:
    """The request's body parsed as JSON, for the record of requests: None when it is empty or
    not JSON (refusing such a body is for the spec check or the handler, not the record)."""
    raw = await request.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
