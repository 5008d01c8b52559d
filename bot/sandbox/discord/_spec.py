"""Discord's side of the spec check: its published document, how it reads bodies and refuses.

A request the document refuses is answered as Discord answers an invalid form (the API Reference
page, "Error Messages"): HTTP 400, code 50035 "Invalid Form Body", and the ``errors`` tree with
an ``_errors`` list under each offending field. Discord does not publish every error code ("a
complete list of errors is not feasible"), so beyond the documented ones (``BASE_TYPE_REQUIRED``,
``BASE_TYPE_CHOICES``) each keyword gets the code Discord answers for that kind of mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from aiohttp import web

from bot.sandbox._openapi import (
    ABSENT,
    Body,
    Document,
    Operation,
    Problem,
    Refusal,
    UnreadableBody,
)

from ._errors import APIError, FormErrors
from ._messages import FORUM_TYPES
from ._rest import API_PREFIX, BODY_KEY, RequestRecord, json_response, read_body
from ._world import World

SNOWFLAKE_PATTERN = "^(0|[1-9][0-9]*)$"
CHANNEL = "/channels/{channel_id}"
CHANNEL_THREADS = "/channels/{channel_id}/threads"
SCHEMAS = "/components/schemas"
_SNOWFLAKE_OR_NUMBER = {
    "anyOf": [{"$ref": f"#{SCHEMAS}/SnowflakeType"}, {"type": "integer", "minimum": 0}]
}
_NULL_OR_NUMBER_ID = {"oneOf": [{"type": "null"}, _SNOWFLAKE_OR_NUMBER]}


def _without_max_length(schema: Any) -> Any:
    """The same schema with its ``maxLength`` left to the rule layer."""
    return {key: value for key, value in schema.items() if key != "maxLength"}


LENIENCE: dict[str, Callable[[Any], Any]] = {
    # Message Resource page, "Attachment Request Structure": a new attachment's id is a
    # "snowflake or number", the n of its files[n] part (discord.py sends the number).
    f"{SCHEMAS}/MessageAttachmentRequest/properties/id": lambda _: _SNOWFLAKE_OR_NUMBER,
    # discord.py sends a reply's reference ids as JSON numbers, and Discord reads an id sent as
    # a number (API Reference page, "ID Serialization"). Everywhere else a snowflake in a body
    # must be the string the document asks for.
    f"{SCHEMAS}/MessageReferenceRequest/properties/message_id": lambda _: _SNOWFLAKE_OR_NUMBER,
    f"{SCHEMAS}/MessageReferenceRequest/properties/channel_id": lambda _: _NULL_OR_NUMBER_ID,
    f"{SCHEMAS}/MessageReferenceRequest/properties/guild_id": lambda _: _NULL_OR_NUMBER_ID,
    # Channel Resource page, "Channel Types": GUILD_MEDIA (16), which the document's list lacks;
    # discord.py offers it wherever a command option takes a forum channel.
    f"{SCHEMAS}/ChannelTypes": lambda types: {
        **types,
        "oneOf": [*types["oneOf"], {"title": "GUILD_MEDIA", "const": 16}],
    },
    # Message Resource page, "Embed Limits": the limits are measured on the text with leading
    # and trailing whitespace trimmed, which a schema's maxLength cannot say; the rule layer
    # (`_limits.py`) checks these lengths on the trimmed text instead.
    **{
        f"{SCHEMAS}/{schema}/properties/{field}": _without_max_length
        for schema, field in (
            ("RichEmbed", "title"),
            ("RichEmbed", "description"),
            ("RichEmbedAuthor", "name"),
            ("RichEmbedField", "name"),
            ("RichEmbedField", "value"),
            ("RichEmbedFooter", "text"),
        )
    },
}
"""Where Discord reads more than its published document says, each with where it says so."""


@cache
def discord_document() -> Document:
    """Discord's HTTP API v10 document (``spec/openapi.json``), loaded once per process."""
    # Boolean query strings: "True", "true" or "1", and "False", "false" or "0" (the API
    # Reference page, "Boolean Query Strings").
    return Document.packaged(
        "bot.sandbox.discord",
        "discord",
        base_path=API_PREFIX,
        true_words=("True", "true", "1"),
        false_words=("False", "false", "0"),
        lenience=LENIENCE,
    )


async def discord_body(request: web.Request) -> Body:
    """The JSON body, or a multipart body's ``payload_json``, as the routes read it."""
    if not request.body_exists:
        return ABSENT
    try:
        value, files, source = await read_body(request)
    except APIError as exc:
        raise UnreadableBody(exc.message) from None
    media_type = request.content_type
    if media_type.startswith("multipart/"):
        return Body(True, media_type, {} if value is None else value, source)
    if value is None and not files:
        return ABSENT
    return Body(True, media_type, value, source)


def discord_union(world: World) -> Callable[[Operation, Mapping[str, str]], str | None]:
    """Which of a union's schemas Discord reads a body by: the document lists the choices, the
    Channel Resource and Webhook Resource pages say which applies when."""

    def choose(operation: Operation, params: Mapping[str, str]) -> str | None:
        route = (operation.method, operation.template)
        if route == ("POST", "/webhooks/{webhook_id}/{webhook_token}"):
            # Webhook Resource page, "Execute Webhook" (interaction follow-ups are these).
            return "IncomingWebhookRequestPartial"
        if route not in (("POST", CHANNEL_THREADS), ("PATCH", CHANNEL)):
            return None
        raw = params.get("channel_id", "")
        channel = world.channels.get(int(raw)) if raw.isascii() and raw.isdigit() else None
        if channel is None:
            # The route answers Unknown Channel; the body's schema does not matter.
            return None
        if operation.method == "POST":
            # "Start Thread in Forum or Media Channel", else "Start Thread without Message".
            forum = channel.type in FORUM_TYPES
            return "CreateForumThreadRequest" if forum else "CreateTextThreadWithoutMessageRequest"
        # "Modify Channel": its JSON params for a group DM, a guild channel, or a thread.
        if channel.is_thread:
            return "UpdateThreadRequestPartial"
        return {1: "UpdateDMRequestPartial", 3: "UpdateGroupDMRequestPartial"}.get(
            int(channel.type), "UpdateGuildChannelRequestPartial"
        )

    return choose


def discord_refusal(record: Callable[[RequestRecord], None]) -> Callable[..., web.Response]:
    """Answer a refused request as Discord does, and ``record`` it with the emulator's requests."""

    def refuse(request: web.Request, refusal: Refusal) -> web.Response:
        error = _error(refusal)
        route = request.match_info.route.resource
        canonical = route.canonical if route is not None else ""
        template = canonical.removeprefix(API_PREFIX) if "{tail" not in canonical else None
        body = request.get(BODY_KEY)
        record(
            RequestRecord(
                request.method,
                template or None,
                request.path.removeprefix(API_PREFIX),
                dict(request.query),
                body[0] if body else None,
                error.status,
                error.body(),
            )
        )
        return json_response(error.status, error.body())

    return refuse


def _error(refusal: Refusal) -> APIError:
    if refusal.reason == "no-route":
        return APIError(404, 0, "404: Not Found")
    if refusal.reason == "no-method":
        return APIError(405, 0, "405: Method Not Allowed")
    if refusal.reason == "unreadable":
        return APIError(400, 50109, "The request body contains invalid JSON.")
    errors = FormErrors()
    if refusal.reason == "content-type":
        # The API Reference page, "Content Type": anything else is a 50035 Invalid Form Body.
        errors.add((), "CONTENT_TYPE_INVALID", refusal.note)
    for problem in refusal.problems:
        code, message = _form_error(problem)
        errors.add(problem.field, code, message)
    try:
        errors.raise_if_any()
    except APIError as exc:
        return exc
    return APIError(400, 50035, "Invalid Form Body")


def _form_error(problem: Problem) -> tuple[str, str]:
    """Discord's error code and message for one problem."""
    keyword, limit, value = problem.keyword, problem.limit, problem.value
    if keyword == "required":
        return "BASE_TYPE_REQUIRED", "This field is required"
    if keyword in ("maxLength", "maxItems", "maxProperties"):
        return "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
    if keyword in ("minLength", "minItems", "minProperties"):
        return "BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length."
    if keyword in ("enum", "const"):
        choices = limit if keyword == "enum" else [limit]
        return "BASE_TYPE_CHOICES", f"Value must be one of {tuple(choices)!r}."
    if keyword == "maximum":
        return "NUMBER_TYPE_MAX", f"int value should be less than or equal to {limit}."
    if keyword == "minimum":
        return "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {limit}."
    if keyword == "pattern" and limit == SNOWFLAKE_PATTERN:
        return "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.'
    if keyword == "pattern":
        return "STRING_TYPE_REGEX", f'String value did not match validation regex "{limit}".'
    if keyword == "type":
        return _type_error(limit, value)
    return "BASE_TYPE_INVALID", problem.message


def _type_error(expected: Any, value: Any) -> tuple[str, str]:
    types = {expected} if isinstance(expected, str) else set(expected)
    if "object" in types:
        return "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
    if "array" in types:
        return "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"
    if "integer" in types or "number" in types:
        return "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.'
    if "boolean" in types:
        return "BOOLEAN_TYPE_CONVERT", f'Value "{value}" is not bool.'
    return "STRING_TYPE_CONVERT", f'Value "{value}" is not a string.'
