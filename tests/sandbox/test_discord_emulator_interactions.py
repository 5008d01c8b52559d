"""App commands through the emulator: sync, slash commands, components, modals, deadlines."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from bot.sandbox.discord import CallbackType, DefaultWorld, Emulator, InteractionType, MessageFlag

from .conftest import EmulatedBot, assert_refused


async def test_command_sync_is_recorded_with_discord_py_payload(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    [sync] = emulator.requests_to(
        "PUT", "/applications/{application_id}/guilds/{guild_id}/commands"
    )
    assert sync.status == 200
    names = {c["name"]: c for c in sync.json}
    assert {"latest", "search", "manage", "Suggest for newsletter"} <= set(names)
    query = names["search"]["options"][0]
    assert (query["type"], query["name"], query["required"], query["autocomplete"]) == (
        3,
        "query",
        True,
        True,
    )
    assert query["description"] == "Words to look for"
    assert names["manage"]["default_member_permissions"] == 32
    assert names["Suggest for newsletter"]["type"] == 3
    answered = {c["name"]: c for c in sync.response}
    assert answered["manage"]["default_member_permissions"] == "32"
    synced = {c.name: c.id for c in emulator.synced_commands(seed.guild)}
    assert synced == {name: int(c["id"]) for name, c in answered.items()}


async def test_resync_keeps_command_ids(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    before = {c.name: c.id for c in emulator.synced_commands(seed.guild)}
    await bot.tree.sync(guild=discord.Object(seed.guild.id))
    after = {c.name: c.id for c in emulator.synced_commands(seed.guild)}
    assert before == after


async def test_slash_command_plain_response(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
    callback = await handle.response(timeout=5)
    assert callback.type == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE
    message = await handle.original(timeout=5)
    assert message.content == "Issue 202"
    assert message.embeds[0]["title"] == "Deep Learning Weekly 202"
    assert not message.ephemeral
    assert message.type == 20
    assert message.allowed_mentions == {"parse": []}
    assert message in emulator.messages_in(seed.general)
    assert message.interaction_metadata is not None
    assert message.interaction_metadata["user"]["id"] == str(seed.reader.id)


async def test_defer_then_followup_fills_the_placeholder(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "slow")
    assert (await handle.response()).type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    [followup] = await handle.followups(1, timeout=5)
    original = await handle.original()
    assert followup is original
    assert original.content == "Done thinking"
    assert not original.loading


async def test_a_follow_up_for_a_deleted_placeholder_is_unknown_message(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    # Right after a deferral the follow-up is Edit Original Interaction Response (Discord's
    # receiving-and-responding, Create Followup Message): of a deleted message, unknown.
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "vanished")
    await asyncio.wait_for(bot.error_seen.wait(), 5)
    (error,) = bot.errors
    assert isinstance(error, discord.NotFound) and error.code == 10008
    assert not [m for m in emulator.messages_in(seed.general) if m.content == "Too late"]
    assert (await handle.response()).type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE


async def test_ephemeral_answer_is_flagged_and_not_in_the_channel(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "secret")
    message = await handle.original()
    assert message.flags & MessageFlag.EPHEMERAL == 64
    assert message.ephemeral
    assert message not in emulator.messages_in(seed.general)


async def test_edit_original_response(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "edited")
    message = await handle.original()
    await emulator.wait_until(lambda: message.edited_at, timeout=5)
    assert message.content == "Final"
    assert emulator.requests_to(
        "PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
    )


async def test_options_are_typed_checked_and_delivered(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.reader, "issue", {"number": 202, "section": "Learning"}
    )
    assert (await handle.original()).content == "Issue 202 (Learning)"
    with pytest.raises(ValueError, match="not a choice"):
        await emulator.run_slash_command(
            seed.guild, seed.general, seed.reader, "issue", {"number": 1, "section": "Gossip"}
        )
    with pytest.raises(ValueError, match="outside"):
        await emulator.run_slash_command(
            seed.guild, seed.general, seed.reader, "issue", {"number": 0}
        )
    with pytest.raises(LookupError):
        await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "nonexistent")


async def test_subcommand_and_default_member_permissions(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    with pytest.raises(PermissionError):
        await emulator.run_slash_command(
            seed.guild, seed.general, seed.reader, "manage", {"number": 202}, subcommand="publish"
        )
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "manage", {"number": 202}, subcommand="publish"
    )
    message = await handle.original()
    assert message.content == "Published 202"
    assert message.ephemeral


async def test_autocomplete_returns_choices(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "search", {"query": "20"}, "query"
    )
    choices = await handle.choices(timeout=5)
    assert [c["name"] for c in choices] == [
        "Deep Learning Weekly 200",
        "Deep Learning Weekly 201",
        "Deep Learning Weekly 202",
    ]
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "search", {"query": "202"}, "query"
    )
    assert [c["value"] for c in await handle.choices()] == ["Deep Learning Weekly 202"]


async def test_button_and_select_on_the_bot_message(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "subscribe")
    message = await handle.original()
    assert message.custom_ids() == ["subscribe:newsletter", "subscribe:sections"]
    press = await emulator.press_button(message, "subscribe:newsletter", seed.reader)
    answer = await press.original()
    assert answer.content == "Subscribed" and answer.ephemeral
    chosen = await emulator.select(
        message, "subscribe:sections", ["Learning", "Industry"], seed.reader
    )
    assert (await chosen.response()).type == CallbackType.UPDATE_MESSAGE
    assert message.content == "Sections: Learning, Industry"
    with pytest.raises(ValueError):
        await emulator.press_button(message, "no-such-button", seed.reader)
    # Message Flags: EPHEMERAL, "only visible to the user who invoked the Interaction".
    message.flags |= MessageFlag.EPHEMERAL
    with pytest.raises(ValueError, match="ephemeral"):
        await emulator.press_button(message, "subscribe:newsletter", seed.manager)
    await emulator.delete_message(message, seed.owner)
    with pytest.raises(ValueError, match="deleted"):
        await emulator.press_button(message, "subscribe:newsletter", seed.reader)


async def test_modal_opens_and_its_submission_is_answered(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "feedback")
    modal = await handle.modal(timeout=5)
    assert modal["title"] == "Feedback on the issue"
    submitted = await handle.submit_modal({"feedback:text": "More papers"})
    answer = await submitted.original()
    assert answer.content == "Thanks: More papers"


async def test_message_context_menu(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    posted = await emulator.post_message(seed.general, seed.reader, "https://example.com/paper")
    handle = await emulator.message_context_menu(
        "Suggest for newsletter", posted.message, seed.reader
    )
    answer = await handle.original()
    assert answer.content == f"Suggested {posted.message.id}: https://example.com/paper"
    assert answer.ephemeral


async def test_late_callback_gets_unknown_interaction(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.config.interaction_deadline = 0.1
    bot.late_delay = 0.3
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "late")
    await asyncio.wait_for(bot.error_seen.wait(), 5)
    assert handle.interaction.late_callbacks == 1
    [error] = bot.errors
    assert isinstance(error, Exception)
    assert getattr(error, "status", None) == 404
    assert getattr(error, "code", None) == 10062
    assert handle.callback is None
    path = f"/interactions/{handle.id}/{handle.token}/callback"
    assert_refused(emulator, "POST", path, "3 s")


async def test_a_token_unanswered_past_the_deadline_is_invalid(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    # Receiving and Responding: "If the 3 second deadline is exceeded, the token will be
    # invalidated" — no follow-up and no edit of the answer that never came.
    emulator.config.interaction_deadline = 0.1
    bot.late_delay = 0.3
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "late")
    await asyncio.wait_for(bot.error_seen.wait(), 5)
    base = f"{emulator.api_base}/webhooks/{seed.bot.id}/{handle.token}"
    async with aiohttp.ClientSession() as session:
        for method, url in (("POST", f"{base}?wait=1"), ("PATCH", f"{base}/messages/@original")):
            async with session.request(method, url, json={"content": "late"}) as response:
                assert response.status == 401, method
                assert (await response.json())["code"] == 50027
    assert_refused(emulator, "POST", f"/interactions/{handle.id}/{handle.token}/callback", "3 s")


async def test_second_callback_is_already_acknowledged(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
    await handle.response()
    url = f"{emulator.api_base}/interactions/{handle.id}/{handle.token}/callback"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"type": 4, "data": {"content": "again"}}) as response,
    ):
        assert response.status == 400
        assert response.headers["Content-Type"] == "application/json"
        assert (await response.json())["code"] == 40060
    path = f"/interactions/{handle.id}/{handle.token}/callback"
    assert_refused(emulator, "POST", path, "one initial response")


async def test_followup_token_expires(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
    await handle.original()
    emulator.config.interaction_token_lifetime = 0.0
    url = f"{emulator.api_base}/webhooks/{seed.bot.id}/{handle.token}?wait=1"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"content": "too late"}) as response,
    ):
        assert response.status == 401
        assert (await response.json())["code"] == 50027


async def test_original_response_get_followup_and_delete(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "roundtrip")
    original = await handle.original()
    [followup] = await handle.followups(1)
    assert followup.content == "Original was First" and followup.ephemeral
    assert followup.interaction_metadata is not None
    assert followup.interaction_metadata["original_response_message_id"] == str(original.id)
    await emulator.wait_until(lambda: original.deleted or None)
    assert original not in emulator.messages_in(seed.general)
    routes = [
        (r.method, r.route)
        for r in emulator.requests
        if r.route and r.route.startswith("/webhooks")
    ]
    assert ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}") in routes
    assert ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}") in routes


@pytest.mark.parametrize("wait", [None, "false", "true"])
async def test_a_follow_up_always_comes_back_as_the_message_it_made(
    emulator: Emulator, seed: DefaultWorld, wait: str | None
) -> None:
    # Receiving and Responding › Create Followup Message: "`wait` is always true".
    interaction = emulator.interactions.open(
        InteractionType.APPLICATION_COMMAND,
        seed.guild,
        seed.general,
        seed.reader,
        {"id": "1", "name": "latest", "type": 1},
    )
    base = emulator.api_base
    query = {} if wait is None else {"wait": wait}
    async with aiohttp.ClientSession() as session:
        callback = f"{base}/interactions/{interaction.id}/{interaction.token}/callback"
        async with session.post(callback, json={"type": 4, "data": {"content": "First"}}) as sent:
            assert sent.status == 204
        webhook = f"{base}/webhooks/{interaction.application_id}/{interaction.token}"
        async with session.post(webhook, params=query, json={"content": "Second"}) as sent:
            assert sent.status == 200
            message = await sent.json()
    [followup] = interaction.followups
    assert (message["id"], message["content"]) == (str(followup.id), "Second")
    assert not emulator.violations
