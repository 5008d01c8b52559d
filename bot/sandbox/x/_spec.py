"""X's side of the spec check: its published document, how it reads bodies and refuses.

A request the document refuses is answered as X answers an invalid request: HTTP 400, the
problem type ``invalid-request`` and one entry under ``errors`` per offending parameter or body
field, each naming the parameters it concerns and saying what is wrong.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aiohttp import web

from bot.sandbox._http import json_response
from bot.sandbox._openapi import ABSENT, Body, Document, Problem, Refusal, UnreadableBody

INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
"""The problem type of X's answer to a request its schema refuses, as X sends it: the API's
answers still name api.twitter.com here (e.g. a 400 for an empty `ids`, 2024), where its
OpenAPI document's examples, and this emulator's own refusals of a valid body, say api.x.com."""


@cache
def x_document() -> Document:
    """X's API v2 document (``spec/openapi.json``), loaded once per process."""
    return Document.packaged("bot.sandbox.x", "x", base_path="")


async def x_body(request: web.Request) -> Body:
    """The JSON body (X's v2 routes take JSON only)."""
    raw = await request.read()
    if not raw:
        return ABSENT
    try:
        value = json.loads(raw)
    except ValueError:
        raise UnreadableBody("the body is not valid JSON") from None
    return Body(True, request.content_type, value)


def x_refusal(request: web.Request, refusal: Refusal) -> web.Response:
    """Answer a refused request as X does."""
    if refusal.reason in ("no-route", "no-method"):
        status = 404 if refusal.reason == "no-route" else 405
        title = "Not Found Error" if status == 404 else "Method Not Allowed"
        body: dict[str, Any] = {
            "title": title,
            "detail": f"{refusal.method} {refusal.path} is not a route of the X API v2.",
            "type": "about:blank",
            "status": status,
        }
        return json_response(body, status)
    if refusal.reason in ("unreadable", "content-type"):
        errors = [{"parameters": {}, "message": refusal.note}]
    else:
        errors = [_error(problem) for problem in refusal.problems]
    body = {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST,
    }
    return json_response(body, 400)


def _error(problem: Problem) -> dict[str, Any]:
    if problem.location == "body":
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem.field)
        return {"parameters": {}, "message": f"${path}: {problem.message}"}
    name = str(problem.field[0])
    if problem.raw is None:
        message = f"The `{name}` {problem.location} parameter is missing"
        return {"parameters": {name: []}, "message": message}
    return {
        "parameters": {name: [problem.raw]},
        "message": (
            f"The `{name}` {problem.location} parameter value [{problem.raw}] is not valid: "
            f"{problem.message}"
        ),
    }
