"""JSON over HTTP as the X, Mastodon and Bluesky emulators speak it: an answer with a JSON body."""

from __future__ import annotations

import json

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
