"""The Mastodon emulator answers the real Mastodon.py as Mastodon does: its limits, its 422 for
an over-long status, its idempotency, replies, visibility, tokens, rate limits and faults."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from collections.abc import AsyncIterator

import pytest
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from bot.publishing.outlets.mastodon import comparable
from bot.sandbox.mastodon import (
    REPLY_NOT_FOUND,
    MastodonEmulator,
    MastodonEmulatorConfig,
    render_content,
)


def client(emulator: MastodonEmulator, token: str | None = None) -> Mastodon:
    return Mastodon(
        access_token=token or emulator.config.access_token,
        api_base_url=emulator.api_base,
        ratelimit_method="throw",
    )


@pytest.fixture
async def api(mastodon_emulator: MastodonEmulator) -> AsyncIterator[Mastodon]:
    made = client(mastodon_emulator)
    yield made
    made.session.close()


async def test_the_instance_announces_its_configured_limits() -> None:
    config = MastodonEmulatorConfig(max_characters=1000, characters_reserved_per_url=30)
    async with MastodonEmulator(config) as emulator:
        api = Mastodon(api_base_url=emulator.api_base)  # public: no token needed
        instance = await asyncio.to_thread(api.instance_v2)
        api.session.close()
    statuses = instance.configuration.statuses
    assert (statuses.max_characters, statuses.characters_reserved_per_url) == (1000, 30)


async def test_a_server_before_4_0_describes_itself_in_v1_only() -> None:
    config = MastodonEmulatorConfig(version="3.5.3", max_characters=1000)
    async with (
        MastodonEmulator(config) as emulator,
        MastodonEmulator(MastodonEmulatorConfig(version="3.3.0")) as oldest,
    ):
        api = Mastodon(api_base_url=emulator.api_base, version_check_mode="none")
        with pytest.raises(MastodonNotFoundError):
            await asyncio.to_thread(api.instance_v2)
        v1 = await asyncio.to_thread(api.instance_v1)
        api.session.close()
        api = Mastodon(api_base_url=oldest.api_base, version_check_mode="none")
        before_configuration = await asyncio.to_thread(api.instance_v1)
        api.session.close()
    assert v1.configuration.statuses.max_characters == 1000 and v1.version == "3.5.3"
    assert before_configuration.get("configuration") is None


async def test_a_status_over_the_limit_is_refused_as_mastodon_counts(
    api: Mastodon, mastodon_emulator: MastodonEmulator
) -> None:
    url = "https://example.com/" + "x" * 600
    # 473 letters, two spaces, a URL (23) and a remote mention counted as `@a`: exactly 500.
    fits = "a" * 473 + " " + url + " @a@very.long.instance.example"
    await asyncio.to_thread(api.status_post, fits)
    with pytest.raises(MastodonAPIError) as refused:
        await asyncio.to_thread(api.status_post, "é" * 501)
    assert refused.value.args[1] == 422
    assert refused.value.args[3] == "Validation failed: Text character limit of 500 exceeded"
    # The path ends before its `=`s (twitter_regex.rb): 476 + 1 + 23 + 2 = 502.
    with pytest.raises(MastodonAPIError):
        await asyncio.to_thread(api.status_post, "a" * 476 + " https://example.com/id/abc==")
    assert [v.kind for v in mastodon_emulator.violations.take()] == ["rule", "rule"]
    assert [s.text for s in mastodon_emulator.statuses] == [fits]


async def test_a_url_is_as_long_as_mastodons_own_pattern_finds_it(
    api: Mastodon, mastodon_emulator: MastodonEmulator
) -> None:
    # Mastodon's URL path takes any character but white space and `<>()?` (its
    # config/initializers/twitter_regex.rb): 476 letters, a space and one URL are 500.
    fits = "a" * 476 + " https://ja.wikipedia.org/wiki/日本語"
    await asyncio.to_thread(api.status_post, fits)
    # A path never ends in `=`, so `=?q=1` is no query but five more characters: 501.
    with pytest.raises(MastodonAPIError):
        await asyncio.to_thread(api.status_post, "a" * 472 + " https://example.com/a=?q=1")
    assert [v.kind for v in mastodon_emulator.violations.take()] == ["rule"]
    assert [s.text for s in mastodon_emulator.statuses] == [fits]


async def test_the_same_idempotency_key_gets_the_same_status_back(
    api: Mastodon, mastodon_emulator: MastodonEmulator
) -> None:
    first = await asyncio.to_thread(api.status_post, "one", idempotency_key="k-1")
    again = await asyncio.to_thread(api.status_post, "one", idempotency_key="k-1")
    other = await asyncio.to_thread(api.status_post, "one", idempotency_key="k-2")
    assert first.id == again.id != other.id
    assert len(mastodon_emulator.statuses) == 2
    assert mastodon_emulator.requests[0].headers["Idempotency-Key"] == "k-1"


async def test_a_key_whose_status_was_deleted_is_not_found_for_its_hour(
    api: Mastodon, mastodon_emulator: MastodonEmulator
) -> None:
    # PostStatusService finds the status a repeated key names among the account's statuses,
    # deleted ones left out: a 404, and no new status.
    first = await asyncio.to_thread(api.status_post, "one", idempotency_key="k-1")
    await asyncio.to_thread(api.status_delete, first.id)
    with pytest.raises(MastodonNotFoundError, match="Record not found"):
        await asyncio.to_thread(api.status_post, "one", idempotency_key="k-1")
    assert mastodon_emulator.live_statuses() == []


@pytest.mark.parametrize("written", ["²", "١"])
async def test_an_id_in_other_digits_is_no_status(api: Mastodon, written: str) -> None:
    # Rails reads an id with `to_i`: `²` or Arabic-Indic `١` is 0, which no status has, so
    # Mastodon answers 404 (never a 500, nor the status `1` the digit reads as to Python).
    await asyncio.to_thread(api.status_post, "one")
    with pytest.raises(MastodonNotFoundError):
        await asyncio.to_thread(api.status, written)


async def test_a_token_is_held_to_its_scopes() -> None:
    config = MastodonEmulatorConfig(scopes=frozenset({"write:statuses", "profile"}))
    async with MastodonEmulator(config) as emulator:
        api = client(emulator)
        posted = await asyncio.to_thread(api.status_post, "one")
        me = await asyncio.to_thread(api.account_verify_credentials)
        with pytest.raises(MastodonAPIError) as refused:  # Mastodon.py drops its message here
            await asyncio.to_thread(api.account_statuses, me.id)
        with pytest.raises(MastodonAPIError, match="outside the authorized scopes"):
            await asyncio.to_thread(api.status, posted.id)
        await asyncio.to_thread(api.status_delete, posted.id)
        api.session.close()
    assert refused.value.args[1] == 403
    assert [r.status for r in emulator.requests] == [200, 200, 403, 403, 200]


async def test_a_key_past_its_hour_makes_a_new_status() -> None:
    async with MastodonEmulator(MastodonEmulatorConfig(idempotency_window=0.0)) as emulator:
        api = client(emulator)
        first = await asyncio.to_thread(api.status_post, "one", idempotency_key="k")
        again = await asyncio.to_thread(api.status_post, "one", idempotency_key="k")
        api.session.close()
    assert first.id != again.id


async def test_replies_need_an_existing_status_and_keep_visibility(
    api: Mastodon, mastodon_emulator: MastodonEmulator
) -> None:
    lead = await asyncio.to_thread(api.status_post, "lead", visibility="unlisted")
    reply = await asyncio.to_thread(
        api.status_post, "reply", in_reply_to_id=lead.id, visibility="unlisted"
    )
    assert int(reply.in_reply_to_id) == int(lead.id)
    with pytest.raises(MastodonNotFoundError) as missing:
        await asyncio.to_thread(api.status_post, "orphan", in_reply_to_id=12345)
    assert missing.value.args[3] == REPLY_NOT_FOUND
    assert len(mastodon_emulator.violations.take()) == 1
    assert [s.visibility for s in mastodon_emulator.statuses] == ["unlisted", "unlisted"]


async def test_a_json_body_is_read_like_a_form(mastodon_emulator: MastodonEmulator) -> None:
    import aiohttp

    headers = {"Authorization": f"Bearer {mastodon_emulator.config.access_token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            mastodon_emulator.api_base + "/api/v1/statuses",
            json={"status": "from JSON", "visibility": "unlisted"},
            headers=headers,
        ) as response,
    ):
        assert response.status == 200
    assert [(s.text, s.visibility) for s in mastodon_emulator.statuses] == [
        ("from JSON", "unlisted")
    ]


async def test_the_account_statuses_come_newest_first_in_pages(
    api: Mastodon, mastodon_emulator: MastodonEmulator
) -> None:
    made = [await asyncio.to_thread(api.status_post, f"status {n}") for n in range(5)]
    me = await asyncio.to_thread(api.account_verify_credentials)
    first = await asyncio.to_thread(api.account_statuses, me.id, limit=2)
    rest = await asyncio.to_thread(api.account_statuses, me.id, limit=40, max_id=first[-1].id)
    assert [s.id for s in [*first, *rest]] == [s.id for s in reversed(made)]
    await asyncio.to_thread(api.status_delete, made[0].id)
    with pytest.raises(MastodonNotFoundError):
        await asyncio.to_thread(api.status, made[0].id)
    shown = await asyncio.to_thread(api.status, made[1].id)
    assert comparable(shown.content, content=True) == "status 1"


async def test_ids_hold_their_time_and_page_from_it_either_way(
    api: Mastodon, mastodon_emulator: MastodonEmulator
) -> None:
    """A status id is its time in milliseconds shifted 16 bits (Mastodon's Snowflake ids), so
    a time read as an id bounds a page: `since_id` the newest page after it, `min_id` the page
    just after it, both newest first; `min_id` wins over `since_id`, and `max_id` bounds both
    from above (Paginable, app/models/concerns/paginable.rb)."""
    day = 24 * 60 * 60.0
    mastodon_emulator.posted_earlier([f"old {n}" for n in range(3)], at=time.time() - day)
    made = [await asyncio.to_thread(api.status_post, f"new {n}") for n in range(5)]
    assert abs((int(made[0].id) >> 16) / 1000 - time.time()) < 60
    me = await asyncio.to_thread(api.account_verify_credentials)
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)

    async def texts(**bounds: object) -> list[str]:
        page = await asyncio.to_thread(api.account_statuses, me.id, limit=2, **bounds)
        return [comparable(s.content, content=True) for s in page]

    assert await texts() == ["new 4", "new 3"]
    assert await texts(since_id=an_hour_ago) == ["new 4", "new 3"]
    assert await texts(min_id=an_hour_ago) == ["new 1", "new 0"]
    assert await texts(min_id=made[1].id, since_id=made[3].id) == ["new 3", "new 2"]
    assert await texts(min_id=an_hour_ago, max_id=made[1].id) == ["new 0"]
    assert await texts(since_id=made[3].id) == ["new 4"]
    assert await texts(max_id=an_hour_ago) == ["old 2", "old 1"]


def test_content_is_html_that_gives_the_text_back() -> None:
    text = "a < b & c\nnext line\n\nhttps://example.com/" + "long/" * 20 + " end"
    assert comparable(render_content(text), content=True) == text


async def test_a_wrong_token_is_refused(mastodon_emulator: MastodonEmulator) -> None:
    api = client(mastodon_emulator, token="not-the-token")
    with pytest.raises(MastodonUnauthorizedError):
        await asyncio.to_thread(api.status_post, "hello")
    api.session.close()
    assert mastodon_emulator.statuses == []


async def test_a_429_carries_mastodons_headers_and_a_5xx_may_follow_the_write(
    api: Mastodon, mastodon_emulator: MastodonEmulator
) -> None:
    mastodon_emulator.inject("POST", "/api/v1/statuses", 429, reset_in=3)
    with pytest.raises(MastodonRatelimitError):
        await asyncio.to_thread(api.status_post, "limited")
    assert api.ratelimit_reset is not None and 1 < api.ratelimit_reset - time.time() <= 5
    headers = mastodon_emulator.requests[-1].status, api.ratelimit_remaining
    assert headers == (429, 0)
    mastodon_emulator.inject("POST", "/api/v1/statuses", 500, after_handler=True)
    with pytest.raises(MastodonServerError):
        await asyncio.to_thread(api.status_post, "made anyway")
    assert [s.text for s in mastodon_emulator.statuses] == ["made anyway"]


async def test_past_the_accounts_limits_every_request_is_refused_with_429() -> None:
    # docs: Rate limits — 300 requests per 5 minutes, 30 deleted statuses per 30 minutes.
    config = MastodonEmulatorConfig(rate_limit=5, delete_limit=1)
    async with MastodonEmulator(config) as emulator:
        api = client(emulator)
        made = [await asyncio.to_thread(api.status_post, f"status {n}") for n in range(3)]
        await asyncio.to_thread(api.status_delete, made[0]["id"])
        assert api.ratelimit_remaining == 0, "the deletes' limit is the closest"
        with pytest.raises(MastodonRatelimitError):
            await asyncio.to_thread(api.status_delete, made[1]["id"])
        with pytest.raises(MastodonRatelimitError):
            await asyncio.to_thread(api.status_post, "one too many")
        api.session.close()
        assert [s.text for s in emulator.live_statuses()] == ["status 1", "status 2"]
        assert [r.status for r in emulator.requests] == [200, 200, 200, 200, 429, 429]


async def test_it_runs_standalone() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox.mastodon",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    process.kill()
    await process.wait()
    assert line.decode().startswith("Mastodon emulator at http://127.0.0.1:")
