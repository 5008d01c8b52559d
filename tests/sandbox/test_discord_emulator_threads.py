"""Archived and locked threads: what Discord lets a bot do in them, and who may delete a thread
or list the archived ones (threads.mdx › Locked Threads, Active & Archived Threads, Editing &
Deleting Threads; channel.mdx › Modify Channel, Delete/Close Channel, List Public Archived
Threads)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
import discord
import pytest

from bot.sandbox.discord import APIError, Channel, ChannelType, DefaultWorld, Emulator, Permission

from .conftest import EmulatedBot

WEEK = 10080
ARCHIVED = (400, 50083, "Thread is archived")
LOCKED = (400, 160005, "Thread is locked")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")


async def _call(emulator: Emulator, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One REST request as the bot; the answer's status and JSON."""
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, emulator.api_base + path, json=body, headers=headers) as answer,
    ):
        return answer.status, await answer.json() if answer.status != 204 else None


def _refused(answer: tuple[int, Any]) -> tuple[int, int, str]:
    status, body = answer
    return status, body["code"], body["message"]


async def _thread_with_message(
    emulator: Emulator, seed: DefaultWorld, name: str = "#202 · Industry"
) -> tuple[Channel, str]:
    """A public thread the bot started in #general, with one message of the bot's in it."""
    body = {"name": name, "type": 11, "auto_archive_duration": WEEK}
    status, thread = await _call(emulator, "POST", f"/channels/{seed.general.id}/threads", body)
    assert status == 201, thread
    status, sent = await _call(
        emulator, "POST", f"/channels/{thread['id']}/messages", {"content": "hello"}
    )
    assert status == 200, sent
    return emulator.world.channels[int(thread["id"])], sent["id"]


def _without_manage_threads(emulator: Emulator, seed: DefaultWorld) -> None:
    emulator.deny(seed.general, int(Permission.MANAGE_THREADS))


def _text(emulator: Emulator, thread: Channel, message_id: str) -> str:
    return thread.messages[int(message_id)].content


# --- archived threads --------------------------------------------------------------------------


async def test_a_message_in_an_archived_thread_is_edited_only_once_the_thread_is_unarchived(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    thread, message = await _thread_with_message(emulator, seed)
    thread.archived = True
    path = f"/channels/{thread.id}/messages/{message}"
    # Even with Manage Threads (the bot's role has it): "only active threads can be manipulated".
    assert _refused(await _call(emulator, "PATCH", path, {"content": "edited"})) == ARCHIVED
    assert _text(emulator, thread, message) == "hello"
    status, _ = await _call(emulator, "PATCH", f"/channels/{thread.id}", {"archived": False})
    assert status == 200 and not thread.archived
    status, _ = await _call(emulator, "PATCH", path, {"content": "edited"})
    assert status == 200 and _text(emulator, thread, message) == "edited"
    # Sending is the one change that unarchives a thread by itself.
    thread.archived = True
    _without_manage_threads(emulator, seed)
    status, _ = await _call(emulator, "POST", f"/channels/{thread.id}/messages", {"content": "x"})
    assert status == 200 and not thread.archived
    status, _ = await _call(emulator, "PATCH", path, {"content": "edited again"})
    assert status == 200 and _text(emulator, thread, message) == "edited again"


async def test_an_archived_thread_is_renamed_only_if_the_request_also_unarchives_it(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    thread, _ = await _thread_with_message(emulator, seed)
    thread.archived = True
    path = f"/channels/{thread.id}"
    assert _refused(await _call(emulator, "PATCH", path, {"name": "renamed"})) == ARCHIVED
    assert (thread.name, thread.archived) == ("#202 · Industry", True)
    # Locking needs the thread active too.
    assert _refused(await _call(emulator, "PATCH", path, {"locked": True})) == ARCHIVED
    assert not thread.locked
    status, _ = await _call(emulator, "PATCH", path, {"name": "renamed", "archived": False})
    assert status == 200
    assert (thread.name, thread.archived) == ("renamed", False)


async def test_an_archived_thread_someone_else_started_may_be_unarchived_not_renamed(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    # Unarchiving an unlocked thread needs only the right to send in it; renaming needs to be
    # its creator or to hold Manage Threads.
    thread = emulator.messaging.thread_without_message(
        seed.general, seed.owner, {"name": "owner's", "type": 11}
    )
    thread.archived = True
    _without_manage_threads(emulator, seed)
    path = f"/channels/{thread.id}"
    answer = await _call(emulator, "PATCH", path, {"archived": False, "name": "mine"})
    assert _refused(answer) == MISSING_PERMISSIONS
    assert (thread.name, thread.archived) == ("owner's", True)
    status, _ = await _call(emulator, "PATCH", path, {"archived": False})
    assert status == 200 and not thread.archived


async def test_no_application_command_is_used_in_an_archived_thread(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    # threads.mdx › Active & Archived Threads: "Users cannot … use application commands … [in]
    # archived threads", whatever their permissions (the server's owner holds them all).
    thread, message = await _thread_with_message(emulator, seed)
    target = thread.messages[int(message)]
    thread.archived = True
    asked = len(emulator.interactions.by_id)
    for user in (seed.reader, seed.owner):
        with pytest.raises(ValueError, match="archived"):
            await emulator.run_slash_command(seed.guild, thread, user, "latest")
        with pytest.raises(ValueError, match="archived"):
            await emulator.autocomplete(
                seed.guild, thread, user, "search", {"query": "20"}, "query"
            )
        with pytest.raises(ValueError, match="archived"):
            await emulator.message_context_menu("Suggest for newsletter", target, user)
    assert len(emulator.interactions.by_id) == asked, "no interaction reached the bot"
    # Active again, a locked thread takes commands: Locked Threads says nothing of them.
    thread.archived, thread.locked = False, True
    handle = await emulator.run_slash_command(seed.guild, thread, seed.reader, "latest")
    assert (await handle.original(timeout=5)).content == "Issue 202"


async def test_no_reaction_is_added_or_removed_in_an_archived_thread(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    # threads.mdx › Active & Archived Threads: "Users cannot … add reactions … [in] archived
    # threads"; Locked Threads: reactions are added or removed only in an active one.
    emulator.config.rate_limits = False  # one reaction a quarter second: not what is tested
    thread, message = await _thread_with_message(emulator, seed)
    reaction = f"/channels/{thread.id}/messages/{message}/reactions/%E2%9C%85/@me"
    status, _ = await _call(emulator, "PUT", reaction)
    assert status == 204
    thread.archived = True
    # Even with Manage Threads (the bot's role has it), and for a reader as for the bot.
    assert _refused(await _call(emulator, "DELETE", reaction)) == ARCHIVED
    target = thread.messages[int(message)]
    with pytest.raises(APIError) as caught:
        await emulator.react(target, "👍", seed.reader)
    assert (caught.value.status, caught.value.code) == ARCHIVED[:2]
    assert list(target.reactions) == ["✅"] and target.reactions["✅"].user_ids == [seed.bot.id]
    # Locked but active, it takes them again (without Manage Threads too).
    thread.archived, thread.locked = False, True
    _without_manage_threads(emulator, seed)
    status, _ = await _call(emulator, "DELETE", reaction)
    assert status == 204 and not target.reactions
    await emulator.react(target, "👍", seed.reader)
    assert list(target.reactions) == ["👍"]
    assert not emulator.violations, "a thread is archived without the bot's doing"


async def test_an_archived_thread_is_neither_joined_nor_left(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    # channel.mdx › Join Thread, Leave Thread: each "requires the thread is not archived".
    thread, _ = await _thread_with_message(emulator, seed)
    members = f"/channels/{thread.id}/thread-members/@me"
    thread.archived = True
    assert _refused(await _call(emulator, "PUT", members)) == ARCHIVED
    assert _refused(await _call(emulator, "DELETE", members)) == ARCHIVED
    thread.archived = False
    assert (await _call(emulator, "PUT", members))[0] == 204
    assert (await _call(emulator, "DELETE", members))[0] == 204
    assert not emulator.violations


# --- locked threads ----------------------------------------------------------------------------


async def test_without_manage_threads_a_locked_thread_takes_no_message_nor_change(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    thread, message = await _thread_with_message(emulator, seed)
    thread.locked = True
    _without_manage_threads(emulator, seed)
    edit = await _call(
        emulator, "PATCH", f"/channels/{thread.id}/messages/{message}", {"content": "e"}
    )
    assert _refused(edit) == LOCKED
    rename = await _call(emulator, "PATCH", f"/channels/{thread.id}", {"name": "renamed"})
    assert _refused(rename) == LOCKED
    send = await _call(emulator, "POST", f"/channels/{thread.id}/messages", {"content": "x"})
    assert _refused(send) == LOCKED
    assert (thread.name, _text(emulator, thread, message)) == ("#202 · Industry", "hello")
    assert len(thread.live_messages()) == 1


async def test_with_manage_threads_a_locked_thread_still_takes_messages_and_changes(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    thread, message = await _thread_with_message(emulator, seed)
    thread.locked = True
    send = await _call(emulator, "POST", f"/channels/{thread.id}/messages", {"content": "x"})
    assert send[0] == 200, send
    edit = await _call(
        emulator, "PATCH", f"/channels/{thread.id}/messages/{message}", {"content": "e"}
    )
    assert edit[0] == 200, edit
    rename = await _call(emulator, "PATCH", f"/channels/{thread.id}", {"name": "renamed"})
    assert rename[0] == 200, rename
    assert (thread.name, thread.locked, _text(emulator, thread, message)) == ("renamed", True, "e")


async def test_a_locked_archived_thread_stays_shut_to_all_but_moderators(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    thread, message = await _thread_with_message(emulator, seed)
    thread.locked = thread.archived = True
    _without_manage_threads(emulator, seed)
    messages = f"/channels/{thread.id}/messages"
    send = await _call(emulator, "POST", messages, {"content": "x"})
    assert _refused(send) == LOCKED, "a send does not unarchive a thread a moderator locked"
    unarchive = await _call(emulator, "PATCH", f"/channels/{thread.id}", {"archived": False})
    assert _refused(unarchive) == LOCKED
    edit = await _call(emulator, "PATCH", f"{messages}/{message}", {"content": "e"})
    assert _refused(edit) == ARCHIVED
    delete = await _call(emulator, "DELETE", f"{messages}/{message}")
    assert _refused(delete) == ARCHIVED, "deleting in a locked thread needs it active"
    assert thread.archived and thread.locked and len(thread.live_messages()) == 1

    emulator.allow(seed.general, int(Permission.MANAGE_THREADS))
    send = await _call(emulator, "POST", messages, {"content": "x"})
    assert send[0] == 200, send
    assert (thread.archived, thread.locked) == (False, True), "unarchived, still locked"


async def test_only_manage_threads_locks_a_thread_even_its_creators(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    thread, _ = await _thread_with_message(emulator, seed)
    _without_manage_threads(emulator, seed)
    answer = await _call(emulator, "PATCH", f"/channels/{thread.id}", {"locked": True})
    assert _refused(answer) == MISSING_PERMISSIONS
    assert not thread.locked


# --- deleting threads, listing archived ones ---------------------------------------------------


async def test_deleting_a_thread_needs_manage_threads_even_for_its_creator(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    thread, _ = await _thread_with_message(emulator, seed)
    _without_manage_threads(emulator, seed)
    answer = await _call(emulator, "DELETE", f"/channels/{thread.id}")
    assert _refused(answer) == MISSING_PERMISSIONS
    assert not thread.deleted
    emulator.allow(seed.general, int(Permission.MANAGE_THREADS))
    status, _ = await _call(emulator, "DELETE", f"/channels/{thread.id}")
    assert status == 200 and thread.deleted


async def test_a_deleted_channel_s_threads_go_with_it_and_a_category_s_channels_stay(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    thread, message_id = await _thread_with_message(emulator, seed)
    category = emulator.world.add_channel(seed.guild, "Newsletter", ChannelType.GUILD_CATEGORY)
    seed.announcements.parent_id = category.id
    emulator.delete_channel(seed.general)
    assert thread.deleted
    unknown_channel = (404, 10003, "Unknown Channel")
    sent = await _call(emulator, "POST", f"/channels/{thread.id}/messages", {"content": "hi"})
    assert _refused(sent) == unknown_channel
    edit = await _call(
        emulator, "PATCH", f"/channels/{thread.id}/messages/{message_id}", {"content": "x"}
    )
    assert _refused(edit) == unknown_channel
    emulator.delete_channel(category)
    status, channel = await _call(emulator, "GET", f"/channels/{seed.announcements.id}")
    assert status == 200 and channel["parent_id"] is None


async def test_listing_public_archived_threads_needs_read_message_history(
    emulator: Emulator, seed: DefaultWorld
) -> None:
    public, _ = await _thread_with_message(emulator, seed)
    private = emulator.messaging.thread_without_message(
        seed.general, seed.bot, {"name": "private", "type": 12}
    )
    public.archived = private.archived = True
    path = f"/channels/{seed.general.id}/threads/archived/public"
    status, listed = await _call(emulator, "GET", path)
    assert status == 200
    assert [t["id"] for t in listed["threads"]] == [str(public.id)], "private ones are not listed"
    emulator.deny(seed.general, int(Permission.READ_MESSAGE_HISTORY))
    assert _refused(await _call(emulator, "GET", path)) == MISSING_PERMISSIONS


async def test_archived_threads_come_most_recently_archived_first_a_page_at_a_time(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    # channel.mdx › List Public Archived Threads: "ordered by `archive_timestamp`, in descending
    # order", `limit` of them, `before` a time, and `has_more` when older ones are left.
    threads = [
        emulator.messaging.thread_without_message(seed.general, seed.bot, {"name": n, "type": 11})
        for n in ("first", "second", "third")
    ]
    start = threads[0].archive_timestamp
    assert threads[0].archive_changed_at is None, "never archived: its creation counts"
    # Archived in another order than made: second, third, first.
    for thread in (threads[1], threads[2], threads[0]):
        thread.archived = True
        assert thread.archive_timestamp >= start, "archiving sets the time"
    for minutes, thread in enumerate((threads[1], threads[2], threads[0]), start=1):
        thread.archive_changed_at = start + timedelta(minutes=minutes)  # apart, whatever the clock
    path = f"/channels/{seed.general.id}/threads/archived/public"
    status, page = await _call(emulator, "GET", f"{path}?limit=2")
    assert status == 200
    assert [t["name"] for t in page["threads"]] == ["first", "third"]
    assert page["has_more"] is True
    before = page["threads"][-1]["thread_metadata"]["archive_timestamp"]
    status, rest = await _call(emulator, "GET", f"{path}?limit=2&before={quote(before)}")
    assert [t["name"] for t in rest["threads"]] == ["second"]
    assert rest["has_more"] is False
    # discord.py pages through them the same way.
    general = bot.get_channel(seed.general.id)
    assert isinstance(general, discord.TextChannel)
    names = [t.name async for t in general.archived_threads(limit=None)]
    assert names == ["first", "third", "second"]
    # Unarchived, a thread leaves the list, and its time says when that was.
    threads[0].archived = False
    assert threads[0].archive_changed_at != start + timedelta(minutes=3)
    status, page = await _call(emulator, "GET", path)
    assert [t["name"] for t in page["threads"]] == ["third", "second"]
