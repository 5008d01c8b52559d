"""The emulator's pure parts: snowflakes, limits, permissions, mentions, command registry."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.discord import (
    APIError,
    ChannelType,
    Emulator,
    EmulatorConfig,
    MessageFlag,
    Overwrite,
    Permission,
    SnowflakeGenerator,
    World,
    _interactions,
    _messages,
    seed_default_world,
    snowflake_time,
)
from bot.sandbox.discord._commands import CommandRegistry
from bot.sandbox.discord._errors import FormErrors
from bot.sandbox.discord._gateway import _encode
from bot.sandbox.discord._interactions import InteractionType
from bot.sandbox.discord._limits import RuleBroken, check_message
from bot.sandbox.discord._messages import Messaging
from bot.sandbox.discord._world import Signal


def test_snowflakes_increase_and_encode_their_time() -> None:
    generator = SnowflakeGenerator()
    ids = [generator.next() for _ in range(10_000)]
    assert ids == sorted(set(ids))
    assert abs(snowflake_time(ids[0]) - datetime.now(UTC)) < timedelta(seconds=5)


def test_known_snowflake_time() -> None:
    # Discord's documentation example.
    assert snowflake_time(175928847299117063) == datetime(
        2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC
    )


@given(st.integers(min_value=0, max_value=4000))
def test_content_limit_is_exactly_2000(length: int) -> None:
    errors = FormErrors()
    check_message({"content": "x" * length}, errors)
    assert bool(errors) == (length > 2000)


@given(st.lists(st.integers(min_value=0, max_value=4096), min_size=1, max_size=10))
def test_embed_total_limit_is_exactly_6000(descriptions: list[int]) -> None:
    errors = FormErrors()
    check_message({"embeds": [{"description": "d" * n} for n in descriptions]}, errors)
    assert bool(errors) == (sum(descriptions) > 6000)


def test_form_errors_have_discords_shape() -> None:
    errors = FormErrors()
    check_message({"embeds": [{"title": "t" * 300}], "content": "c" * 2001}, errors)
    with pytest.raises(APIError) as caught:
        errors.raise_if_any()
    body = caught.value.body()
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert body["errors"]["embeds"]["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert body["errors"]["content"]["_errors"][0]["message"] == "Must be 2000 or fewer in length."


def test_components_are_checked() -> None:
    errors = FormErrors()
    row = {
        "type": 1,
        "components": [{"type": 2, "style": 1, "custom_id": "same", "label": "a"}] * 2,
    }
    check_message({"content": "x", "components": [row] * 6}, errors)
    with pytest.raises(APIError) as caught:
        errors.raise_if_any()
    tree = caught.value.errors
    assert tree is not None
    assert tree["components"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert tree["components"]["0"]["components"]["1"]["custom_id"]["_errors"][0]["code"] == (
        "COMPONENT_CUSTOM_ID_DUPLICATED"
    )


def _component_errors(*components: dict[str, Any]) -> dict[str, Any]:
    """The errors Discord gives for one action row holding ``components``, by component."""
    errors = FormErrors()
    check_message({"components": [{"type": 1, "components": list(components)}]}, errors)
    if not errors:
        return {}
    with pytest.raises(APIError) as caught:
        errors.raise_if_any()
    assert caught.value.errors is not None
    return dict(caught.value.errors["components"]["0"]["components"])


def _codes(node: dict[str, Any]) -> set[str]:
    """Every error code under ``node``."""
    found = {e["code"] for e in node.get("_errors", [])}
    for key, child in node.items():
        if key != "_errors":
            found |= _codes(child)
    return found


def test_a_link_button_has_a_url_and_no_custom_id_and_other_buttons_the_reverse() -> None:
    link = {"type": 2, "style": 5, "label": "Read", "url": "https://example.com/202"}
    button = {"type": 2, "style": 1, "label": "Accept", "custom_id": "accept"}
    assert _component_errors(link, button) == {}
    found = _component_errors({**link, "custom_id": "read"})
    assert list(found) == ["0"]
    node = found["0"]
    assert node["_errors"][0]["code"] == "BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE"
    assert node["_errors"][0]["message"] == "A custom id and url cannot both be specified"
    found = _component_errors({**button, "url": "https://example.com/202"})
    assert _codes(found["0"]) == {"BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE"}
    without_url = {k: v for k, v in link.items() if k != "url"}
    assert _component_errors(without_url)["0"]["url"]["_errors"][0] == {
        "code": "BUTTON_COMPONENT_URL_REQUIRED",
        "message": "A url is required",
    }
    without_id = {k: v for k, v in button.items() if k != "custom_id"}
    assert _codes(_component_errors(without_id)["0"]["custom_id"]) == {
        "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED"
    }


def test_a_string_selects_option_values_are_unique() -> None:
    def select(*values: str) -> dict[str, Any]:
        options = [{"label": f"Section {v}", "value": v} for v in values]
        return {"type": 3, "custom_id": "section", "options": options}

    assert _component_errors(select("industry", "research")) == {}
    found = _component_errors(select("industry", "research", "industry"))
    assert set(found["0"]["options"]) == {"2"}, "the second use of a value is the one refused"
    assert found["0"]["options"]["2"]["value"]["_errors"] == [
        {
            "code": "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
            "message": "The specified option value is already used",
        }
    ]


def test_a_string_select_starts_with_no_more_options_chosen_than_it_takes() -> None:
    options = [
        {"label": name.title(), "value": name, "default": True} for name in ("industry", "research")
    ]
    select = {"type": 3, "custom_id": "section", "options": options}
    assert _codes(_component_errors(select)["0"]["options"]) == {
        "SELECT_COMPONENT_TOO_MANY_DEFAULT_VALUES"
    }, "one value by default: two options chosen are one too many"
    assert _component_errors({**select, "max_values": 2}) == {}
    assert (
        _component_errors({**select, "options": [options[0], {**options[1], "default": False}]})
        == {}
    )


def test_permissions_follow_roles_and_overwrites() -> None:
    world = World()
    seed = seed_default_world(world)
    assert world.permissions(seed.general, seed.reader.id) & Permission.SEND_MESSAGES
    assert not world.permissions(seed.general, seed.reader.id) & Permission.MANAGE_GUILD
    assert world.permissions(seed.general, seed.manager.id) & Permission.MANAGE_GUILD
    world.set_overwrite(
        seed.general, Overwrite(id=seed.guild.id, type=0, deny=int(Permission.SEND_MESSAGES))
    )
    assert not world.permissions(seed.general, seed.reader.id) & Permission.SEND_MESSAGES
    world.set_overwrite(
        seed.general, Overwrite(id=seed.reader.id, type=1, allow=int(Permission.SEND_MESSAGES))
    )
    assert world.permissions(seed.general, seed.reader.id) & Permission.SEND_MESSAGES
    world.set_overwrite(
        seed.general, Overwrite(id=seed.reader.id, type=1, deny=int(Permission.VIEW_CHANNEL))
    )
    assert world.permissions(seed.general, seed.reader.id) == 0
    assert world.permissions(seed.general, seed.owner.id) == (1 << 51) - 1


def test_mentions_follow_allowed_mentions() -> None:
    world = World()
    seed = seed_default_world(world)
    messaging = Messaging(world, EmulatorConfig())
    text = f"{seed.reader.mention} {seed.newsletter_role.mention} @everyone"
    quiet = messaging.create(
        seed.general, seed.bot, {"content": text, "allowed_mentions": {"parse": []}}
    )
    assert (quiet.mentions, quiet.mention_roles, quiet.mention_everyone) == ([], [], False)
    default = messaging.create(seed.general, seed.bot, {"content": text})
    assert default.mentions == [seed.reader] and default.mention_roles == [seed.newsletter_role.id]
    assert not default.mention_everyone  # the bot lacks MENTION_EVERYONE


def test_a_role_pings_when_mentionable_or_the_sender_may_mention_everyone() -> None:
    world = World()
    seed = seed_default_world(world)
    messaging = Messaging(world, EmulatorConfig())
    editors = seed.editors_role
    assert not editors.mentionable
    body = {
        "content": f"{editors.mention} {seed.newsletter_role.mention}",
        "allowed_mentions": {"parse": ["roles"]},
    }
    quiet = messaging.create(seed.general, seed.bot, body)
    assert quiet.mention_roles == [seed.newsletter_role.id], "Editors is not mentionable"
    listed = {**body, "allowed_mentions": {"parse": [], "roles": [str(editors.id)]}}
    assert messaging.create(seed.general, seed.bot, listed).mention_roles == []
    world.edit_role(editors, mentionable=True)
    assert messaging.create(seed.general, seed.bot, listed).mention_roles == [editors.id]
    world.edit_role(editors, mentionable=False)
    world.set_overwrite(
        seed.general,
        Overwrite(id=seed.bot.id, type=1, allow=int(Permission.MENTION_EVERYONE)),
    )
    assert messaging.create(seed.general, seed.bot, listed).mention_roles == [editors.id]


def test_nonce_window_expires() -> None:
    world = World()
    seed = seed_default_world(world)
    config = EmulatorConfig(nonce_window=0.05)
    messaging = Messaging(world, config)
    body = {"content": "x", "nonce": "202/digest", "enforce_nonce": True}
    first = messaging.create(seed.general, seed.bot, body)
    assert messaging.create(seed.general, seed.bot, body) is first
    time.sleep(0.06)
    assert messaging.create(seed.general, seed.bot, body) is not first
    without_enforce = {"content": "x", "nonce": "202/digest"}
    assert messaging.create(seed.general, seed.bot, without_enforce) is not first


def test_bulk_overwrite_keeps_ids_and_validates() -> None:
    world = World()
    seed = seed_default_world(world)
    registry = CommandRegistry(world.snowflakes, seed.bot.id)
    [latest] = registry.overwrite(None, [{"name": "latest", "description": "Latest issue"}])
    [again] = registry.overwrite(None, [{"name": "latest", "description": "The latest issue"}])
    assert again.id == latest.id and again.data["description"] == "The latest issue"
    with pytest.raises(RuleBroken) as caught:
        registry.overwrite(
            None, [{"name": "Bad Name", "description": "x"}, {"name": "ok", "description": ""}]
        )
    assert caught.value.errors is not None and set(caught.value.errors) == {"0", "1"}
    options = [
        {"type": 3, "name": "a", "description": "a"},
        {"type": 3, "name": "b", "description": "b", "required": True},
    ]
    with pytest.raises(RuleBroken, match="50035"):
        registry.overwrite(None, [{"name": "order", "description": "x", "options": options}])


def test_forum_refuses_unknown_tags_and_a_world_can_grow() -> None:
    world = World()
    seed = seed_default_world(world)
    messaging = Messaging(world, EmulatorConfig())
    with pytest.raises(RuleBroken) as caught:
        messaging.forum_post(
            seed.forum, seed.bot, {"name": "x", "message": {"content": "y"}, "applied_tags": ["1"]}
        )
    assert caught.value.errors is not None and "applied_tags" in caught.value.errors
    extra = world.add_channel(seed.guild, "papers", ChannelType.GUILD_FORUM, tags=("Vision",))
    thread, starter = messaging.forum_post(
        extra,
        seed.bot,
        {"name": "x", "message": {"content": "y"}, "applied_tags": [str(extra.tag("Vision").id)]},
    )
    assert thread.id == starter.id and thread.applied_tags == [extra.tag("Vision").id]


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), st.lists, max_leaves=8))
def test_gateway_payloads_read_back_as_sent(value: object) -> None:
    # orjson writes them, and json the ones it refuses (integers over 64 bits).
    payload = {"op": 0, "t": "X", "s": 1, "d": {"value": value, "é": "ünïcode"}}
    assert json.loads(_encode(payload)) == payload


def test_gateway_payloads_with_number_keys_are_sent_as_json_sends_them() -> None:
    assert _encode({"d": {1: "a"}}) == b'{"d":{"1":"a"}}'


def test_an_interactions_answer_is_held_to_the_message_rules_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The callback checks its message (errors under "data"); posting it does not check again.
    emulator = Emulator()
    seed = emulator.seed
    assert seed is not None
    checked: list[object] = []

    def counted(payload: dict[str, Any], errors: FormErrors, **options: Any) -> None:
        checked.append(payload)
        check_message(payload, errors, **options)

    monkeypatch.setattr(_interactions, "check_message", counted)
    monkeypatch.setattr(_messages, "check_message", counted)
    command = {"id": "1", "name": "search", "type": 1}
    answer = {"content": "Found", "flags": int(MessageFlag.EPHEMERAL), "nonce": "n"}
    opened = [
        emulator.interactions.open(
            InteractionType.APPLICATION_COMMAND, seed.guild, seed.general, seed.reader, command
        )
        for _ in range(2)
    ]
    emulator.interactions.respond(opened[0].id, opened[0].token, {"type": 4, "data": answer})
    assert checked == [answer]
    assert opened[0].original is not None and opened[0].original.content == "Found"
    too_long = {"content": "x" * 2001}
    with pytest.raises(RuleBroken) as refused:
        emulator.interactions.respond(opened[1].id, opened[1].token, {"type": 4, "data": too_long})
    assert refused.value.errors == {
        "data": {
            "content": {
                "_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
                ]
            }
        }
    }
    assert opened[1].original is None


async def test_a_waiter_woken_at_every_change_keeps_one_deadline() -> None:
    # A burst of interactions wakes a waiter at every change of the world; a timer set and
    # cancelled at each wake was most of what waking it cost.
    changed = Signal()
    changes = 0
    waiting = asyncio.ensure_future(
        changed.wait_for(lambda: True if changes == 100 else None, 5, "100 changes")
    )
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    timers = []
    for _ in range(100):
        changes += 1
        changed.notify()
        await asyncio.sleep(0)
        timers.append(len(loop._scheduled))  # type: ignore[attr-defined]
    assert await waiting is True
    assert max(timers) == min(timers)


async def test_a_wait_looks_once_more_at_its_deadline_and_then_says_what_it_waited_for() -> None:
    changed = Signal()
    late = asyncio.get_running_loop().time() + 0.05
    seen = await changed.wait_for(
        lambda: True if asyncio.get_running_loop().time() >= late else None, 0.05, "late"
    )
    assert seen is True
    with pytest.raises(TimeoutError, match=r"timed out after 0\.01 s waiting for nothing"):
        await changed.wait_for(lambda: None, 0.01, "nothing")
