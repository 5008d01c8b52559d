"""The Bluesky emulator answers atproto's real client as a PDS does, and is as strict."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from atproto import AsyncClient, models
from atproto_client.exceptions import (
    BadRequestError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)

from bot.publishing.plans.bluesky import RecordRef
from bot.sandbox.bluesky import POST, BlueskyEmulator, BlueskyEmulatorConfig

NOW = "2026-12-04T20:00:00.000Z"


async def create(
    client: AsyncClient, record: dict[str, Any], rkey: str | None = None
) -> models.ComAtprotoRepoCreateRecord.Response:
    """Create a post record as sent, bypassing the SDK's models (to send broken ones too)."""
    assert client.me is None and client._session is not None
    data = {"repo": client._session.did, "collection": POST, "record": record}
    if rkey is not None:
        data["rkey"] = rkey
    return await client.com.atproto.repo.create_record(data)


def post(text: str, **extra: Any) -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": NOW, **extra}


async def test_a_post_is_created_read_listed_and_deleted(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    made = await create(client, post("Hello, Bluesky"))
    did = bluesky.config.did
    assert made.uri.startswith(f"at://{did}/{POST}/") and made.cid.startswith("bafyrei")
    rkey = made.uri.rsplit("/", 1)[1]
    got = await client.com.atproto.repo.get_record({"repo": did, "collection": POST, "rkey": rkey})
    assert got.cid == made.cid and got.value["text"] == "Hello, Bluesky"
    await client.com.atproto.repo.delete_record({"repo": did, "collection": POST, "rkey": rkey})
    assert bluesky.posts() == []
    with pytest.raises(BadRequestError) as caught:
        await client.com.atproto.repo.get_record({"repo": did, "collection": POST, "rkey": rkey})
    assert caught.value.response is not None
    assert caught.value.response.content.error == "RecordNotFound"


async def test_records_are_listed_newest_first_with_a_cursor(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    for number in range(5):
        await create(client, post(f"post {number}"))
    did = bluesky.config.did
    first = await client.com.atproto.repo.list_records(
        {"repo": did, "collection": POST, "limit": 3}
    )
    assert [r.value["text"] for r in first.records] == ["post 4", "post 3", "post 2"]
    rest = await client.com.atproto.repo.list_records(
        {"repo": did, "collection": POST, "limit": 3, "cursor": first.cursor}
    )
    assert [r.value["text"] for r in rest.records] == ["post 1", "post 0"]


async def test_record_keys_sort_as_the_times_they_were_made(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    """A post's key is a TID of the time the PDS made it: a post made a day ago is listed
    after one made now, and the lowest TID of a time in between falls between their keys."""
    bluesky.posted_earlier(["a day ago"], at=time.time() - 24 * 60 * 60)
    between = RecordRef.tid_at(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    await create(client, post("now"))
    listed = await client.com.atproto.repo.list_records(
        {"repo": bluesky.config.did, "collection": POST}
    )
    assert [r.value["text"] for r in listed.records] == ["now", "a day ago"]
    now, a_day_ago = (r.uri.rsplit("/", 1)[1] for r in listed.records)
    assert RecordRef.is_tid(now) and RecordRef.is_tid(a_day_ago)
    assert now > between > a_day_ago


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("é" * 301, "300 graphemes"),
        ("👨‍👩‍👧‍👦" * 121, "3000 characters"),  # 121 graphemes, 3025 bytes
    ],
)
async def test_a_post_over_its_limits_is_refused_as_the_pds_does(
    client: AsyncClient, bluesky: BlueskyEmulator, text: str, why: str
) -> None:
    with pytest.raises(BadRequestError) as caught:
        await create(client, post(text))
    # The gotcha: atproto 0.0.73's BadRequestError is not a RequestException.
    assert not isinstance(caught.value, RequestException)
    assert why in str(caught.value)
    (violation,) = bluesky.violations.take()
    assert violation.kind == "spec" and why in violation.detail
    assert bluesky.posts() == []


async def test_a_created_at_that_is_no_datetime_is_refused(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    with pytest.raises(BadRequestError, match="datetime"):
        await create(client, {"$type": POST, "text": "x", "createdAt": "yesterday"})
    assert len(bluesky.violations.take()) == 1


def link(start: int, end: int, uri: str = "https://example.com/") -> dict[str, Any]:
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
    }


@pytest.mark.parametrize(
    ("facets", "rule"),
    [
        ([link(0, 99)], "byteStart < byteEnd"),
        ([link(0, 1)], "grapheme clusters"),  # inside "é" (2 bytes)
        ([link(0, 2), link(1, 3)], "do not overlap"),
    ],
)
async def test_facets_off_the_text_are_kept_and_recorded(
    client: AsyncClient, bluesky: BlueskyEmulator, facets: list[dict[str, Any]], rule: str
) -> None:
    await create(client, post("éé example", facets=facets))
    assert len(bluesky.posts()) == 1  # the PDS accepts it; the app shows it broken
    assert any(rule in v.detail for v in bluesky.violations.take())


async def test_a_link_facet_needs_a_uri(client: AsyncClient, bluesky: BlueskyEmulator) -> None:
    with pytest.raises(BadRequestError, match="valid uri"):
        await create(client, post("a link", facets=[link(0, 1, "not a uri")]))
    assert len(bluesky.violations.take()) == 1


async def test_replies_need_strong_refs_that_exist_and_agree(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    root = await create(client, post("root"))
    other = await create(client, post("another thread"))
    ref = {"uri": root.uri, "cid": root.cid}
    reply = await create(client, post("reply", reply={"root": ref, "parent": ref}))
    assert not bluesky.violations
    mine = {"uri": reply.uri, "cid": reply.cid}
    await create(client, post("next", reply={"root": ref, "parent": mine}))
    assert not bluesky.violations
    stale = {"uri": root.uri, "cid": other.cid}
    await create(client, post("stale cid", reply={"root": stale, "parent": stale}))
    assert any("content-hash" in v.detail for v in bluesky.violations.take())
    wrong_root = {"uri": other.uri, "cid": other.cid}
    await create(client, post("wrong root", reply={"root": wrong_root, "parent": mine}))
    assert any("invalidReplyRoot" in v.detail for v in bluesky.violations.take())


async def test_a_record_at_an_existing_key_answers_500(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    made = await create(client, post("first"), rkey="3lbmthkbxos2c")
    assert made.uri.endswith("/3lbmthkbxos2c")
    with pytest.raises(RequestException) as caught:
        await create(client, post("second"), rkey="3lbmthkbxos2c")
    assert caught.value.response is not None and caught.value.response.status_code == 500
    assert [p.text for p in bluesky.posts()] == ["first"]


async def test_writes_need_auth_and_reads_do_not(bluesky: BlueskyEmulator) -> None:
    anonymous = AsyncClient(base_url=bluesky.service)
    try:
        data = {"repo": bluesky.config.did, "collection": POST, "record": post("x")}
        with pytest.raises(UnauthorizedError, match="AuthMissing"):
            await anonymous.com.atproto.repo.create_record(data)
        listed = await anonymous.com.atproto.repo.list_records(
            {"repo": bluesky.config.did, "collection": POST}
        )
        assert listed.records == []
        with pytest.raises(UnauthorizedError, match="Invalid identifier or password"):
            await anonymous.login(bluesky.config.handle, "wrong", fetch_bsky_profile=False)
    finally:
        await anonymous.request.close()


@pytest.mark.parametrize("bluesky_config", [BlueskyEmulatorConfig(access_lifetime=60)])
async def test_the_client_refreshes_an_expiring_session_instead_of_logging_in(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    # atproto refreshes 15 minutes before expiry: a 60-second token is refreshed every call.
    for number in range(3):
        await create(client, post(f"post {number}"))
    assert len(bluesky.logins) == 1 and bluesky.refreshes == 3
    assert len(bluesky.posts()) == 3


async def test_an_expired_access_token_is_a_400_expired_token(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    bluesky.expire_access_tokens()
    await asyncio.sleep(0)
    with pytest.raises(BadRequestError, match="ExpiredToken"):
        await create(client, post("too late"))


async def test_a_429_carries_the_rate_limit_headers(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    bluesky.inject("com.atproto.repo.createRecord", 429, reset_in=30)
    with pytest.raises(RateLimitExceededError) as caught:
        await create(client, post("x"))
    error = caught.value
    assert error.limit == 5000 and error.remaining == 0 and error.policy == "5000;w=3600"
    assert error.reset_at is not None


async def test_a_500_after_the_write_keeps_the_post(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    bluesky.inject("com.atproto.repo.createRecord", 500, after_handler=True)
    with pytest.raises(RequestException):
        await create(client, post("made anyway"))
    assert [p.text for p in bluesky.posts()] == ["made anyway"]


async def test_logging_in_too_often_is_rate_limited(bluesky: BlueskyEmulator) -> None:
    bluesky.config.sessions_per_window = 2
    anonymous = AsyncClient(base_url=bluesky.service)
    try:
        for _ in range(2):
            await anonymous.login(
                bluesky.config.handle, bluesky.config.app_password, fetch_bsky_profile=False
            )
        with pytest.raises(RateLimitExceededError):
            await anonymous.login(
                bluesky.config.handle, bluesky.config.app_password, fetch_bsky_profile=False
            )
    finally:
        await anonymous.request.close()
    assert "log in once" in bluesky.violations.take()[0].detail


async def test_an_unknown_method_is_not_implemented(
    client: AsyncClient, bluesky: BlueskyEmulator
) -> None:
    with pytest.raises(RequestException, match="MethodNotImplemented"):
        await client.app.bsky.actor.get_profile({"actor": bluesky.config.handle})
    assert len(bluesky.violations.take()) == 1


def test_it_runs_standalone() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox.bluesky", "--port", "0", "--access-lifetime", "60"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Bluesky emulator at http://127.0.0.1:")
        assert "NEWSBOT_BLUESKY__SERVICE=http://127.0.0.1:" in process.stdout.readline()
        assert "NEWSBOT_BLUESKY__HANDLE=" in process.stdout.readline()
        assert "NEWSBOT_BLUESKY__APP_PASSWORD=" in process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
