"""Both emulators check every request against the platform's published OpenAPI document: a
request it refuses gets the platform's own error, is recorded, and never reaches the route."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.sandbox._violations import Violation
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.sandbox.x import XEmulator, XEmulatorConfig
from tests.sandbox.conftest import counted_verdicts

JSON = Any


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


async def discord_call(
    session: aiohttp.ClientSession,
    emulator: Emulator,
    method: str,
    path: str,
    **options: Any,
) -> tuple[int, JSON]:
    """One request to the Discord emulator's API as the bot, and its status and JSON."""
    headers = {"Authorization": f"Bot {emulator.token}", **options.pop("headers", {})}
    async with session.request(
        method, emulator.api_base + path, headers=headers, **options
    ) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


def taken(emulator: Emulator | XEmulator) -> list[tuple[str, str, str]]:
    """The emulator's violations (taken), as (kind, method and path, detail)."""
    return [(v.kind, f"{v.method} {v.path}", v.detail) for v in emulator.violations.take()]


# --- Discord ------------------------------------------------------------------------------------


async def test_a_body_the_document_refuses_is_answered_invalid_form_body_and_not_posted(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    path = f"/channels/{seed.general.id}/messages"
    body = {"content": "hi", "allowed_mentions": {"parse": ["everyone", "nobody"]}}
    status, answer = await discord_call(session, emulator, "POST", path, json=body)
    assert status == 400
    assert answer == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {
            "allowed_mentions": {
                "parse": {
                    "1": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_CHOICES",
                                "message": "Value must be one of ('users', 'roles', 'everyone').",
                            }
                        ]
                    }
                }
            }
        },
    }
    assert emulator.messages_in(seed.general) == []
    assert taken(emulator) == [
        (
            "spec",
            f"POST /api/v10{path}",
            "body allowed_mentions.parse[1]: 'nobody' is not one of ['users', 'roles', 'everyone']",
        )
    ]
    [record] = emulator.requests_to("POST", "/channels/{channel_id}/messages")
    assert (record.status, record.json) == (400, body)


async def test_a_snowflake_in_a_body_must_be_a_string(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    tag = seed.forum.available_tags[0].id
    post = {"name": "Issue", "message": {"content": "hi"}, "applied_tags": [tag]}
    path = f"/channels/{seed.forum.id}/threads"
    status, answer = await discord_call(session, emulator, "POST", path, json=post)
    assert status == 400 and list(answer["errors"]) == ["applied_tags"]
    assert answer["errors"]["applied_tags"]["0"]["_errors"][0]["code"] == "STRING_TYPE_CONVERT"
    assert taken(emulator) == [
        ("spec", f"POST /api/v10{path}", f"body applied_tags[0]: {tag} is not of type string")
    ]
    status, answer = await discord_call(
        session, emulator, "POST", path, json={**post, "applied_tags": [str(tag)]}
    )
    assert status == 201 and answer["applied_tags"] == [str(tag)]


async def test_a_replys_reference_may_carry_numbers_as_discord_py_sends_them(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    path = f"/channels/{seed.general.id}/messages"
    _, first = await discord_call(session, emulator, "POST", path, json={"content": "first"})
    reference = {"message_id": int(first["id"]), "channel_id": seed.general.id}
    status, _ = await discord_call(
        session, emulator, "POST", path, json={"content": "reply", "message_reference": reference}
    )
    assert status == 200
    wrong = {**reference, "guild_id": [seed.guild.id]}
    status, _ = await discord_call(
        session, emulator, "POST", path, json={"content": "reply", "message_reference": wrong}
    )
    assert status == 400
    assert [detail for _, _, detail in taken(emulator)] == [
        f"body message_reference.guild_id: [{seed.guild.id}] is not of type string or integer"
    ]


async def test_a_forum_posts_body_is_read_as_a_forum_post_not_as_any_thread(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    # The document's body for this route is a union of a forum post and a thread without a
    # message; Discord reads it by the channel's type, so a bad message is not let through.
    path = f"/channels/{seed.forum.id}/threads"
    post = {"name": "Issue", "message": {"content": 202}}
    status, answer = await discord_call(session, emulator, "POST", path, json=post)
    assert status == 400 and "message" in answer["errors"]
    assert taken(emulator) == [
        ("spec", f"POST /api/v10{path}", "body message.content: 202 is not of type string or null")
    ]
    assert not [c for c in emulator.world.channels.values() if c.parent_id == seed.forum.id]


async def test_the_same_valid_body_sent_again_is_not_validated_again(
    session: aiohttp.ClientSession,
    emulator: Emulator,
    seed: DefaultWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every reader of one answer is sent the same bytes; the document's verdict on them holds.
    path = f"/channels/{seed.general.id}/messages"
    operation = emulator.spec_check.document.operation("POST", "/channels/{channel_id}/messages")
    assert operation is not None
    asked = counted_verdicts(operation, "body:application/json", monkeypatch)
    message = {"content": f"The same words {id(asked)}", "allowed_mentions": {"parse": []}}
    for _ in range(3):
        status, _ = await discord_call(session, emulator, "POST", path, json=message)
        assert status == 200
    assert asked == [message]
    assert len(emulator.messages_in(seed.general)) >= 3


async def test_a_multipart_payload_json_is_checked_too(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"embeds": [{"title": "t"}] * 11}))
    form.add_field("files[0]", b"data", filename="a.txt", content_type="text/plain")
    path = f"/channels/{seed.general.id}/messages"
    status, answer = await discord_call(session, emulator, "POST", path, data=form)
    assert status == 400
    assert answer["errors"] == {
        "embeds": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 10 or fewer in length."}
            ]
        }
    }
    assert [kind for kind, _, _ in taken(emulator)] == ["spec"]


async def test_query_parameters_are_checked_and_booleans_read_as_discord_does(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    path = f"/channels/{seed.general.id}/messages"
    status, answer = await discord_call(session, emulator, "GET", path, params={"limit": "500"})
    assert (status, answer["errors"]) == (
        400,
        {
            "limit": {
                "_errors": [
                    {
                        "code": "NUMBER_TYPE_MAX",
                        "message": "int value should be less than or equal to 100.",
                    }
                ]
            }
        },
    )
    status, _ = await discord_call(session, emulator, "GET", path, params={"before": "soon"})
    assert status == 400
    assert [detail for _, _, detail in taken(emulator)] == [
        "query limit: 500 is more than 100",
        "query before: 'soon' does not match ^(0|[1-9][0-9]*)$",
    ]
    guild = f"/guilds/{seed.guild.id}"
    for word in ("True", "true", "1", "False", "false", "0"):
        status, _ = await discord_call(
            session, emulator, "GET", guild, params={"with_counts": word}
        )
        assert status == 200, word
    status, _ = await discord_call(session, emulator, "GET", guild, params={"with_counts": "yes"})
    assert status == 400
    assert [detail for _, _, detail in taken(emulator)] == [
        "query with_counts: 'yes' is not of type boolean"
    ]


async def test_routes_and_methods_the_document_lacks_are_404_and_405(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    status, answer = await discord_call(
        session, emulator, "GET", f"/channels/{seed.general.id}/digest"
    )
    assert (status, answer) == (404, {"message": "404: Not Found", "code": 0})
    status, answer = await discord_call(session, emulator, "DELETE", "/gateway")
    assert (status, answer) == (405, {"message": "405: Method Not Allowed", "code": 0})
    assert taken(emulator) == [
        (
            "spec",
            f"GET /api/v10/channels/{seed.general.id}/digest",
            "no such route in the published API",
        ),
        ("spec", "DELETE /api/v10/gateway", "the published API has no DELETE on /gateway"),
    ]


async def test_a_body_that_is_not_json_is_refused(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    status, answer = await discord_call(
        session,
        emulator,
        "POST",
        f"/channels/{seed.general.id}/messages",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert (status, answer["code"]) == (400, 50109)
    assert [kind for kind, _, _ in taken(emulator)] == ["spec"]


async def test_the_emulators_own_routes_are_not_checked_and_the_rest_are_counted(
    session: aiohttp.ClientSession, emulator: Emulator, seed: DefaultWorld
) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"content": "file"}))
    form.add_field("files[0]", b"data", filename="a.txt", content_type="text/plain")
    path = f"/channels/{seed.general.id}/messages"
    before = emulator.spec_check.checked
    status, sent = await discord_call(session, emulator, "POST", path, data=form)
    assert status == 200
    async with session.get(sent["attachments"][0]["url"]) as response:
        assert (response.status, await response.read()) == (200, b"data")
    assert emulator.spec_check.checked == before + 1
    assert list(emulator.violations) == []


# --- X ------------------------------------------------------------------------------------------


@pytest.fixture
async def x_open() -> AsyncIterator[XEmulator]:
    """An X emulator that takes any signature, so a test can send raw requests."""
    async with XEmulator(XEmulatorConfig(verify_signatures=False)) as emulator:
        yield emulator


async def x_call(
    session: aiohttp.ClientSession, x: XEmulator, method: str, path: str, **options: Any
) -> tuple[int, JSON]:
    """One request to the X emulator, with OAuth 1.0a keys it accepts."""
    config = x.config
    oauth = (
        f'OAuth oauth_consumer_key="{config.consumer_key}", '
        f'oauth_token="{config.access_token}", oauth_signature="unchecked"'
    )
    async with session.request(
        method, x.api_base + path, headers={"Authorization": oauth}, **options
    ) as response:
        return response.status, await response.json()


async def test_x_refuses_a_body_the_document_refuses_as_an_invalid_request(
    session: aiohttp.ClientSession, x_open: XEmulator
) -> None:
    body = {"text": "hello", "reply": {"in_reply_to_tweet_id": 1800000000000000000}}
    status, answer = await x_call(session, x_open, "POST", "/2/tweets", json=body)
    assert status == 400
    assert answer == {
        "errors": [
            {
                "parameters": {},
                "message": "$.reply.in_reply_to_tweet_id: 1800000000000000000 is not of type "
                "string",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    assert x_open.live_tweets() == []
    status, _ = await x_call(
        session, x_open, "POST", "/2/tweets", json={"text": "hello", "media_ids": ["1"]}
    )
    assert status == 400
    assert [v.detail for v in x_open.violations.take()] == [
        "body reply.in_reply_to_tweet_id: 1800000000000000000 is not of type string",
        "body (the whole body): Additional properties are not allowed ('media_ids' was unexpected)",
    ]
    assert [r.status for r in x_open.requests] == [400, 400]


async def test_x_checks_query_parameters_and_routes(
    session: aiohttp.ClientSession, x_open: XEmulator
) -> None:
    timeline = f"/2/users/{x_open.config.user_id}/tweets"
    status, answer = await x_call(
        session, x_open, "GET", timeline, params={"max_results": "3", "tweet.fields": "id"}
    )
    assert status == 400
    assert answer["errors"] == [
        {
            "parameters": {"max_results": ["3"]},
            "message": "The `max_results` query parameter value [3] is not valid: 3 is less than 5",
        }
    ]
    status, _ = await x_call(session, x_open, "GET", timeline, params={"max_results": "5"})
    assert status == 200
    status, answer = await x_call(session, x_open, "GET", "/2/users/me/posts")
    assert (status, answer["title"]) == (404, "Not Found Error")
    assert x_open.violations.take() == [
        Violation("spec", "GET", timeline, "query max_results: 3 is less than 5"),
        Violation("spec", "GET", "/2/users/me/posts", "no such route in the published API"),
    ]
    assert x_open.spec_check.checked == 3
