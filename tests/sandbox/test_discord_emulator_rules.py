"""Discord's documented rules the API description does not encode: the emulator answers them
as Discord does, never corrects a request, and records each refusal as a broken rule."""

from __future__ import annotations

from typing import Any, Final

import aiohttp
import discord
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.discord import (
    ChannelType,
    DefaultWorld,
    Emulator,
    Interaction,
    InteractionType,
    Permission,
)
from bot.sandbox.discord._errors import FormErrors
from bot.sandbox.discord._limits import (
    check_command,
    check_message,
    command_size,
    is_chat_input_name,
)
from bot.sandbox.discord._models import ChannelFlag

from .conftest import EmulatedBot, assert_refused

ARCHIVE: Final = 1440  # Final keeps it one of the literal durations discord.py accepts


async def _call(emulator: Emulator, method: str, path: str, body: Any) -> tuple[int, Any]:
    """One REST request as a bot that builds its own JSON (discord.py checks some itself)."""
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, emulator.api_base + path, json=body, headers=headers) as answer,
    ):
        return answer.status, await answer.json() if answer.status != 204 else None


async def _start_thread(bot: EmulatedBot, channel_id: int, kind: int | None) -> dict[str, Any]:
    thread = await bot.http.start_thread_without_message(
        channel_id,
        name="#202 · Industry",
        auto_archive_duration=ARCHIVE,
        type=kind,  # type: ignore[arg-type]
    )
    return dict(thread)


# --- thread types follow the parent channel ---------------------------------------------------


@pytest.mark.parametrize("kind", [11, 12, None], ids=["public", "private", "absent"])
async def test_an_announcement_channel_refuses_any_thread_but_an_announcement_thread(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld, kind: int | None
) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await _start_thread(bot, seed.announcements.id, kind)
    assert (caught.value.status, caught.value.code) == (400, 50024)
    assert caught.value.text == "Cannot execute action on this channel type"
    assert not [c for c in emulator.world.channels.values() if c.parent_id == seed.announcements.id]
    path = f"/channels/{seed.announcements.id}/threads"
    assert_refused(emulator, "POST", path, "GUILD_ANNOUNCEMENT", "ANNOUNCEMENT_THREAD (10)")


async def test_an_announcement_channel_makes_an_announcement_thread(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    made = await _start_thread(bot, seed.announcements.id, 10)
    assert made["type"] == 10
    assert emulator.world.channel(int(made["id"])).type == ChannelType.ANNOUNCEMENT_THREAD
    assert not emulator.violations


async def test_a_text_channel_takes_public_and_private_threads_not_announcement_ones(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.allow(seed.general, Permission.CREATE_PRIVATE_THREADS)
    assert (await _start_thread(bot, seed.general.id, 11))["type"] == 11
    assert (await _start_thread(bot, seed.general.id, 12))["type"] == 12
    assert (await _start_thread(bot, seed.general.id, None))["type"] == 12, "Discord's default"
    assert not emulator.violations
    with pytest.raises(discord.HTTPException) as caught:
        await _start_thread(bot, seed.general.id, 10)
    assert caught.value.code == 50024
    assert_refused(emulator, "POST", f"/channels/{seed.general.id}/threads", "PUBLIC_THREAD (11)")


async def test_a_thread_from_a_message_takes_its_channels_type(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    for channel, kind in ((seed.general, 11), (seed.announcements, 10)):
        message = await bot.http.send_message(
            channel.id,
            params=discord.http.MultipartParameters(
                payload={"content": "Issue 202"}, multipart=None, files=None
            ),
        )
        thread = await bot.http.start_thread_with_message(
            channel.id, message["id"], name="Discuss", auto_archive_duration=ARCHIVE
        )
        assert thread["type"] == kind


async def test_a_forum_post_is_a_public_thread(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    body = {"name": "#202 · Industry", "type": 10, "message": {"content": "Items"}}
    status, answer = await _call(emulator, "POST", f"/channels/{seed.forum.id}/threads", body)
    assert (status, answer["code"]) == (400, 50024)
    assert_refused(emulator, "POST", f"/channels/{seed.forum.id}/threads", "GUILD_FORUM")
    status, answer = await _call(
        emulator, "POST", f"/channels/{seed.forum.id}/threads", {**body, "type": None}
    )
    assert status == 201 and answer["type"] == 11


# --- forum tags -------------------------------------------------------------------------------


async def test_forum_tags_are_the_forums_own_at_most_five(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    path = f"/channels/{seed.forum.id}/threads"
    own = [str(t.id) for t in seed.forum.available_tags]
    post = {"name": "#202 · Industry", "message": {"content": "Items"}}
    status, answer = await _call(emulator, "POST", path, {**post, "applied_tags": [*own, own[0]]})
    assert status == 400 and "applied_tags" in answer["errors"]
    assert_refused(emulator, "POST", path, "applied_tags", kind="spec")
    other = emulator.world.add_channel(seed.guild, "papers", ChannelType.GUILD_FORUM, tags=("X",))
    foreign = str(other.tag("X").id)
    status, answer = await _call(emulator, "POST", path, {**post, "applied_tags": [foreign]})
    assert answer["errors"]["applied_tags"]["0"]["_errors"][0]["code"] == "UNKNOWN_TAG"
    assert_refused(emulator, "POST", path, "Unknown tag")
    status, made = await _call(emulator, "POST", path, {**post, "applied_tags": own[:1]})
    assert status == 201
    status, answer = await _call(
        emulator, "PATCH", f"/channels/{made['id']}", {"applied_tags": [foreign]}
    )
    assert status == 400, "a post cannot be retagged with another forum's tag either"
    assert_refused(emulator, "PATCH", f"/channels/{made['id']}", "Unknown tag")
    assert emulator.world.channel(int(made["id"])).applied_tags == [int(own[0])]


async def test_a_forum_that_requires_a_tag_refuses_a_post_without_one(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    seed.forum.flags = ChannelFlag.REQUIRE_TAG
    path = f"/channels/{seed.forum.id}/threads"
    post = {"name": "#202 · Industry", "message": {"content": "Items"}, "applied_tags": []}
    status, answer = await _call(emulator, "POST", path, post)
    assert (status, answer["code"]) == (400, 40067)
    assert_refused(emulator, "POST", path, "REQUIRE_TAG")
    status, _ = await _call(
        emulator, "POST", path, {**post, "applied_tags": [str(seed.forum.available_tags[0].id)]}
    )
    assert status == 201


async def test_a_moderated_tag_needs_manage_threads_to_be_applied_or_removed(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    # Channel › Forum Tag Object: a moderated tag "can only be added to or removed from
    # threads by a member with the MANAGE_THREADS permission".
    moderated, plain = seed.forum.available_tags[:2]
    moderated.moderated = True
    path = f"/channels/{seed.forum.id}/threads"
    post = {"name": "#202 · Industry", "message": {"content": "Items"}}
    status, made = await _call(emulator, "POST", path, {**post, "applied_tags": [str(plain.id)]})
    assert status == 201
    emulator.deny(seed.forum, Permission.MANAGE_THREADS)
    status, answer = await _call(
        emulator, "POST", path, {**post, "applied_tags": [str(moderated.id)]}
    )
    assert (status, answer["code"]) == (403, 50013)
    retag = f"/channels/{made['id']}"
    both = {"applied_tags": [str(plain.id), str(moderated.id)]}
    status, answer = await _call(emulator, "PATCH", retag, both)
    assert (status, answer["code"]) == (403, 50013)
    status, _ = await _call(emulator, "PATCH", retag, {"applied_tags": []})
    assert status == 200, "an unmoderated tag is the owner's to remove"
    emulator.allow(seed.forum, Permission.MANAGE_THREADS)
    status, _ = await _call(emulator, "PATCH", retag, both)
    assert status == 200
    emulator.deny(seed.forum, Permission.MANAGE_THREADS)
    status, answer = await _call(emulator, "PATCH", retag, {"applied_tags": [str(plain.id)]})
    assert (status, answer["code"]) == (403, 50013), "removing a moderated tag needs it too"
    assert emulator.world.channel(int(made["id"])).applied_tags == [plain.id, moderated.id]
    assert not emulator.violations


async def test_crossposting_its_own_message_needs_only_send_messages(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    # Message › Crosspost Message: SEND_MESSAGES "if the current user sent the message, or
    # additionally the MANAGE_MESSAGES permission, for all other messages".
    emulator.deny(seed.announcements, Permission.MANAGE_MESSAGES)
    messages = f"/channels/{seed.announcements.id}/messages"
    status, own = await _call(emulator, "POST", messages, {"content": "Issue 202 is out"})
    assert status == 200
    status, _ = await _call(emulator, "POST", f"{messages}/{own['id']}/crosspost", None)
    assert status == 200
    theirs = emulator.messaging.create(
        seed.announcements, seed.manager, {"content": "A word from the editors"}
    )
    status, answer = await _call(emulator, "POST", f"{messages}/{theirs.id}/crosspost", None)
    assert (status, answer["code"]) == (403, 50013)
    emulator.deny(seed.announcements, Permission.SEND_MESSAGES)
    second = emulator.messaging.create(
        seed.announcements, seed.bot, {"content": "Issue 203"}, check_permissions=False
    )
    status, answer = await _call(emulator, "POST", f"{messages}/{second.id}/crosspost", None)
    assert (status, answer["code"]) == (403, 50013), "its own message needs Send Messages"
    assert not emulator.violations


# --- embeds: limits on trimmed text, kept as Discord keeps them -------------------------------


async def test_embed_limits_do_not_count_surrounding_whitespace(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    embed = {
        "type": "image",
        "title": "  " + "t" * 256 + "\n",
        "description": "d" * 4096 + "   ",
        "fields": [{"name": " n ", "value": "\nv\n"}],
    }
    body = {"embeds": [embed], "allowed_mentions": {"parse": []}}
    status, sent = await _call(emulator, "POST", f"/channels/{seed.general.id}/messages", body)
    assert status == 200, sent
    [kept] = sent["embeds"]
    assert kept["type"] == "rich", "every embed a bot sends is rich"
    assert (kept["title"], kept["description"]) == ("t" * 256, "d" * 4096)
    assert kept["fields"] == [{"name": "n", "value": "v"}]
    blank = {"embeds": [{"title": "t", "fields": [{"name": "  ", "value": "v"}]}]}
    status, _ = await _call(emulator, "POST", f"/channels/{seed.general.id}/messages", blank)
    assert status == 400
    assert_refused(emulator, "POST", f"/channels/{seed.general.id}/messages", "fields.0.name")


# --- application commands ---------------------------------------------------------------------


def _command(**fields: Any) -> dict[str, Any]:
    return {"name": "search", "description": "Search the archive", "type": 1, **fields}


def _option(name: str, **fields: Any) -> dict[str, Any]:
    return {"type": 3, "name": name, "description": "Words to look for", **fields}


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("search", True),
        ("re-index", True),
        ("what's_new", True),
        ("बिल्लियाँ", True),  # Devanagari vowel signs are marks, not letters
        ("ภาษาไทย", True),  # Thai vowel signs likewise
        ("ß-und-ö", True),
        ("Search", False),
        ("ΣEARCH", False),
        ("two words", False),
        ("emoji🙂", False),
        ("x" * 33, False),
        ("", False),
    ],
)
def test_slash_command_names_follow_discords_pattern(name: str, valid: bool) -> None:
    assert is_chat_input_name(name) is valid


def test_a_context_menu_name_may_have_capitals_and_spaces() -> None:
    errors = FormErrors()
    check_command({"type": 3, "name": "Find related links", "description": ""}, errors, ())
    assert not errors


@given(st.integers(min_value=0, max_value=25), st.integers(min_value=1, max_value=100))
def test_the_8000_characters_of_a_command_count_names_descriptions_and_choices(
    options: int, per_choice: int
) -> None:
    command = _command(
        options=[
            _option(
                f"o{n}",
                choices=[{"name": "c" * per_choice, "value": "v" * per_choice}] * 25,
            )
            for n in range(options)
        ]
    )
    size = command_size(command)
    per_option = [
        len(f"o{n}") + len("Words to look for") + 25 * 2 * per_choice for n in range(options)
    ]
    assert size == len("search") + len("Search the archive") + sum(per_option)
    errors = FormErrors()
    check_command(command, errors, ())
    assert bool(errors) == (size > 8000)


def test_the_longest_localization_is_what_counts() -> None:
    command = _command(description_localizations={"de": "d" * 100})
    assert command_size(command) == len("search") + 100


async def test_command_rules_refuse_and_record(emulator: Emulator, seed: DefaultWorld) -> None:
    path = f"/applications/{seed.bot.id}/guilds/{seed.guild.id}/commands"
    bad = [
        _command(name="Search"),
        _command(name="issue", options=[_option("n"), _option("n")]),
        _command(
            name="status", options=[_option("s", choices=[{"name": "c", "value": "v" * 101}])]
        ),
    ]
    status, answer = await _call(emulator, "PUT", path, bad)
    assert (status, answer["code"]) == (400, 50035)
    errors = answer["errors"]
    assert errors["0"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    assert "name" in errors["1"]["options"]["1"]
    assert "value" in errors["2"]["options"]["0"]["choices"]["0"]
    assert emulator.synced_commands(seed.guild) == []
    assert_refused(emulator, "PUT", path, "0.name", "1.options.1.name", "choices.0.value")


# --- interaction responses --------------------------------------------------------------------


def _slash_command(emulator: Emulator, seed: DefaultWorld) -> Interaction:
    """An interaction no bot answers: the test answers it, as a bot would."""
    return emulator.interactions.open(
        InteractionType.APPLICATION_COMMAND,
        seed.guild,
        seed.general,
        seed.reader,
        {"name": "latest", "type": 1},
    )


async def test_a_deferred_answer_may_only_be_ephemeral(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    interaction = _slash_command(emulator, seed)
    path = f"/interactions/{interaction.id}/{interaction.token}/callback"
    status, answer = await _call(emulator, "POST", path, {"type": 5, "data": {"flags": 4}})
    assert (status, answer["code"]) == (400, 50035)
    assert "flags" in answer["errors"]["data"]
    assert_refused(emulator, "POST", path, "data.flags")
    assert interaction.callback is None, "nothing was acknowledged"
    status, _ = await _call(emulator, "POST", path, {"type": 5, "data": {"flags": 64}})
    assert status == 204
    assert interaction.original is not None and interaction.original.ephemeral


async def test_an_answer_sent_again_as_the_same_text_is_held_to_the_rules_once(
    emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every reader of one search is sent the very same bytes: the same text is the same value,
    # which keeps the rules as it did the first time.
    checked: list[Any] = []

    def counted(payload: Any, errors: FormErrors, **options: Any) -> None:
        checked.append(payload)
        check_message(payload, errors, **options)

    monkeypatch.setattr("bot.sandbox.discord._interactions.check_message", counted)
    answer = {"type": 4, "data": {"embeds": [{"title": "Results"}], "flags": 64}}
    for _ in range(3):
        interaction = _slash_command(emulator, seed)
        path = f"/interactions/{interaction.id}/{interaction.token}/callback"
        status, _ = await _call(emulator, "POST", path, answer)
        assert status == 204
        assert interaction.original is not None
        assert interaction.original.embeds[0]["title"] == "Results"
    assert len(checked) == 1
    # Any other text is held to the rules, and refused when it breaks one.
    broken = {"type": 4, "data": {"embeds": [{"title": "t" * 257}], "flags": 64}}
    interaction = _slash_command(emulator, seed)
    path = f"/interactions/{interaction.id}/{interaction.token}/callback"
    status, refusal = await _call(emulator, "POST", path, broken)
    assert (status, refusal["code"]) == (400, 50035)
    assert_refused(emulator, "POST", path, "embeds.0.title")
    assert interaction.callback is None
    assert len(checked) == 2


async def test_a_message_answer_is_checked_where_it_sits(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    interaction = _slash_command(emulator, seed)
    path = f"/interactions/{interaction.id}/{interaction.token}/callback"
    status, answer = await _call(
        emulator, "POST", path, {"type": 4, "data": {"content": "x" * 2001}}
    )
    assert status == 400 and "content" in answer["errors"]["data"]
    assert_refused(emulator, "POST", path, "data", "content", kind="spec")
    status, answer = await _call(
        emulator, "POST", path, {"type": 9, "data": {"custom_id": "f" * 101, "title": "Feedback"}}
    )
    assert status == 400 and "custom_id" in answer["errors"]["data"]
    assert_refused(emulator, "POST", path, "data", "custom_id", kind="spec")


@pytest.mark.parametrize("name", ["", "n" * 101], ids=["empty", "101-characters"])
async def test_an_autocomplete_choice_needs_a_name_of_1_to_100_characters(
    emulator: Emulator, seed: DefaultWorld, name: str
) -> None:
    # Application Commands › Application Command Option Choice Structure: "1-100 character
    # choice name".
    interaction = emulator.interactions.open(
        InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE,
        seed.guild,
        seed.general,
        seed.reader,
        {"name": "latest", "type": 1},
    )
    path = f"/interactions/{interaction.id}/{interaction.token}/callback"
    choices = [{"name": "n" * 100, "value": "ok"}, {"name": name, "value": "bad"}]
    status, answer = await _call(emulator, "POST", path, {"type": 8, "data": {"choices": choices}})
    assert (status, answer["code"]) == (400, 50035)
    assert list(answer["errors"]["data"]["choices"]) == ["1"], "100 characters are allowed"
    assert "name" in answer["errors"]["data"]["choices"]["1"]
    # The published document holds the limit too, and is checked first.
    assert_refused(emulator, "POST", path, "data.choices[1].name", kind="spec")
    assert interaction.callback is None, "nothing was answered"


@pytest.mark.parametrize("written", ["²", "٢٠٢", "12a"])
async def test_an_id_or_number_in_other_digits_is_refused_as_discord_refuses_it(
    emulator: Emulator, seed: DefaultWorld, written: str
) -> None:
    """Discord reads ids and numbers in ASCII digits only: `²` or Arabic-Indic digits are "not
    snowflake" (400, 50035), never a crash of the emulator nor another channel found (the
    document's patterns refuse them first; the routes read ASCII digits alone all the same)."""
    headers = {"Authorization": f"Bot {emulator.token}"}
    base = f"{emulator.api_base}/channels"
    async with aiohttp.ClientSession() as session:
        for url, said in (
            (f"{base}/{written}/messages", "is not snowflake"),
            (f"{base}/{seed.general.id}/messages?limit={written}", "is not int"),
        ):
            async with session.get(url, headers=headers) as response:
                body = await response.json()
                assert (response.status, body["code"]) == (400, 50035), (url, body)
                assert said in str(body["errors"]), body
            # Refused by the published document, before the route reads the id.
            path = url.removeprefix(emulator.api_base).partition("?")[0]
            assert_refused(emulator, "GET", path, kind="spec")
