"""Messages, limits, nonces, permissions, threads, forum posts, crossposts, reactions, roles."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import discord
import pytest
from discord.http import MultipartParameters

from bot.sandbox.discord import (
    APIError,
    ChannelType,
    DefaultWorld,
    Emulator,
    MessageFlag,
    Permission,
)

from .conftest import NO_PINGS, EmulatedBot, assert_refused


def _text_channel(bot: EmulatedBot, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def _embed(**fields: Any) -> dict[str, Any]:
    return {"type": "rich", **fields}


LIMIT_CASES = [
    pytest.param({"content": "x" * 2001}, "In content: Must be 2000 or fewer", id="content-2001"),
    pytest.param(
        {"content": "x" * 2000, "embeds": [_embed(title="t")] * 11},
        "In embeds: Must be 10",
        id="11-embeds",
    ),
    pytest.param({"embeds": [_embed(title="t" * 257)]}, "In embeds.0.title", id="title-257"),
    pytest.param(
        {"embeds": [_embed(description="d" * 4097)]},
        "In embeds.0.description",
        id="description-4097",
    ),
    pytest.param(
        {"embeds": [_embed(fields=[{"name": "n", "value": "v"}] * 26)]},
        "In embeds.0.fields",
        id="26-fields",
    ),
    pytest.param(
        {"embeds": [_embed(fields=[{"name": "n" * 257, "value": "v"}])]},
        "In embeds.0.fields.0.name",
        id="field-name-257",
    ),
    pytest.param(
        {"embeds": [_embed(fields=[{"name": "n", "value": "v" * 1025}])]},
        "In embeds.0.fields.0.value",
        id="field-value-1025",
    ),
    pytest.param(
        {"embeds": [_embed(footer={"text": "f" * 2049})]},
        "In embeds.0.footer.text",
        id="footer-2049",
    ),
    pytest.param(
        {"embeds": [_embed(author={"name": "a" * 257})]}, "In embeds.0.author.name", id="author-257"
    ),
    pytest.param(
        {"embeds": [_embed(description="d" * 3001), _embed(description="d" * 3000)]},
        "Embed size exceeds maximum size of 6000",
        id="embed-total-6001",
    ),
    pytest.param(
        {"content": "hi", "nonce": "n" * 26, "enforce_nonce": True}, "In nonce", id="nonce-26"
    ),
]


@pytest.mark.parametrize(("payload", "message"), LIMIT_CASES)
async def test_limits_give_invalid_form_body(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld, payload: dict[str, Any], message: str
) -> None:
    params = MultipartParameters(payload=payload, multipart=None, files=None)
    with pytest.raises(discord.HTTPException) as caught:
        await bot.http.send_message(seed.general.id, params=params)
    assert caught.value.status == 400
    assert caught.value.code == 50035
    assert message in caught.value.text
    assert emulator.messages_in(seed.general) == []
    # The published document has the counts (embeds, fields) and the nonce's length; content's
    # 2000 (it says 4000), the 6000 of all embeds together and the embed texts' lengths, which
    # Discord measures trimmed, are checked by the rule layer.
    path = f"/channels/{seed.general.id}/messages"
    if message in ("In embeds: Must be 10", "In embeds.0.fields", "In nonce"):
        assert_refused(emulator, "POST", path, kind="spec")
    else:
        assert_refused(emulator, "POST", path, "50035")


async def test_limits_at_the_edge_are_accepted(bot: EmulatedBot, seed: DefaultWorld) -> None:
    embed = discord.Embed(title="t" * 256, description="d" * 4096)
    embed.set_footer(text="f" * 950)
    embed.set_author(name="a" * 256)
    for _ in range(5):
        embed.add_field(name="n" * 10, value="v" * 78)
    assert len(embed) == 5998
    channel = _text_channel(bot, seed.general.id)
    sent = await channel.send("x" * 2000, embed=embed, nonce="n" * 25, allowed_mentions=NO_PINGS)
    assert len(sent.content) == 2000 and sent.embeds[0].title == "t" * 256


async def test_content_over_2000_through_channel_send(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    channel = _text_channel(bot, seed.general.id)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001, allowed_mentions=NO_PINGS)
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert_refused(emulator, "POST", f"/channels/{seed.general.id}/messages", "content")


async def test_empty_message_is_refused(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    params = MultipartParameters(payload={"content": "   "}, multipart=None, files=None)
    with pytest.raises(discord.HTTPException) as caught:
        await bot.http.send_message(seed.general.id, params=params)
    assert (caught.value.status, caught.value.code) == (400, 50006)
    assert_refused(emulator, "POST", f"/channels/{seed.general.id}/messages", "empty")


async def test_nonce_with_enforce_returns_the_earlier_message(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    channel = _text_channel(bot, seed.general.id)
    first = await channel.send(
        "Issue 202 digest", nonce="202/discord/digest", allowed_mentions=NO_PINGS
    )
    again = await channel.send(
        "Issue 202 digest", nonce="202/discord/digest", allowed_mentions=NO_PINGS
    )
    assert first.id == again.id
    assert [m.id for m in emulator.messages_in(seed.general)] == [first.id]
    other = await channel.send(
        "Issue 202 digest", nonce="202/discord/other", allowed_mentions=NO_PINGS
    )
    assert other.id != first.id


async def test_missing_permission_gives_403(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    emulator.deny(seed.general, Permission.SEND_MESSAGES)
    channel = _text_channel(bot, seed.general.id)
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send("hello", allowed_mentions=NO_PINGS)
    assert caught.value.code == 50013
    emulator.deny(seed.general, Permission.VIEW_CHANNEL)
    with pytest.raises(discord.Forbidden) as caught:
        await bot.http.get_channel(seed.general.id)
    assert caught.value.code == 50001


async def test_unknown_and_deleted_channel_give_404(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    with pytest.raises(discord.NotFound) as caught:
        await bot.http.get_channel(1234567890123)
    assert caught.value.code == 10003
    channel = _text_channel(bot, seed.general.id)
    message = await channel.send("soon gone", allowed_mentions=NO_PINGS)
    with pytest.raises(discord.NotFound) as caught:
        await channel.fetch_message(message.id + 1)
    assert caught.value.code == 10008
    emulator.delete_channel(seed.general)
    with pytest.raises(discord.NotFound) as caught:
        await channel.send("anyone?", allowed_mentions=NO_PINGS)
    assert caught.value.code == 10003


async def test_edit_fetch_history_and_delete(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    channel = _text_channel(bot, seed.general.id)
    sent = [await channel.send(f"m{i}", allowed_mentions=NO_PINGS) for i in range(4)]
    edited = await sent[0].edit(content="m0 (edited)")
    assert edited.content == "m0 (edited)" and edited.edited_at is not None
    fetched = await channel.fetch_message(sent[0].id)
    assert fetched.content == "m0 (edited)"
    newest = [m.content async for m in channel.history(limit=2)]
    assert newest == ["m3", "m2"]
    after = [m.content async for m in channel.history(after=sent[1], limit=10)]
    assert after == ["m2", "m3"]
    await sent[3].delete()
    assert [m.content for m in emulator.messages_in(seed.general)] == ["m0 (edited)", "m1", "m2"]


async def test_bot_cannot_edit_a_readers_message(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    posted = await emulator.post_message(seed.general, seed.reader, "mine")
    partial = _text_channel(bot, seed.general.id).get_partial_message(posted.message.id)
    with pytest.raises(discord.Forbidden) as caught:
        await partial.edit(content="not yours")
    assert caught.value.code == 50005
    path = f"/channels/{seed.general.id}/messages/{posted.message.id}"
    assert_refused(emulator, "PATCH", path, "author")


async def test_suppressing_the_embeds_of_a_readers_message_needs_manage_messages(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    # Message › Edit Message: others "can only edit `flags` and only if they have the
    # MANAGE_MESSAGES permission in the corresponding channel".
    posted = await emulator.post_message(seed.general, seed.reader, "https://example.com/a")
    message = await _text_channel(bot, seed.general.id).fetch_message(posted.message.id)
    emulator.deny(seed.general, int(Permission.MANAGE_MESSAGES))
    with pytest.raises(discord.Forbidden) as caught:
        await message.edit(suppress=True)
    assert (caught.value.status, caught.value.code) == (403, 50013)
    assert not posted.message.flags & MessageFlag.SUPPRESS_EMBEDS
    emulator.allow(seed.general, int(Permission.MANAGE_MESSAGES))
    await message.edit(suppress=True)
    assert posted.message.flags & MessageFlag.SUPPRESS_EMBEDS
    assert not emulator.violations, "a permission taken away is an answer, not a broken rule"


async def test_crosspost_only_in_announcement_channels(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    announcements = _text_channel(bot, seed.announcements.id)
    message = await announcements.send("Issue 202 is out", allowed_mentions=NO_PINGS)
    await message.publish()
    assert seed.announcements.messages[message.id].flags & MessageFlag.CROSSPOSTED
    with pytest.raises(discord.HTTPException) as caught:
        await message.publish()
    assert caught.value.code == 40033
    assert not emulator.violations, "a repeated crosspost is an answer newsbot relies on"
    general = _text_channel(bot, seed.general.id)
    plain = await general.send("not news", allowed_mentions=NO_PINGS)
    with pytest.raises(discord.HTTPException) as caught:
        await plain.publish()
    assert (caught.value.status, caught.value.code) == (400, 50024)
    path = f"/channels/{seed.general.id}/messages/{plain.id}/crosspost"
    assert_refused(emulator, "POST", path, "announcement")


async def test_thread_from_message_has_the_message_id(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    channel = _text_channel(bot, seed.general.id)
    message = await channel.send("Issue 202", allowed_mentions=NO_PINGS)
    thread = await message.create_thread(name="Discuss issue 202")
    assert thread.id == message.id
    assert thread.parent_id == seed.general.id
    await thread.send("First!", allowed_mentions=NO_PINGS)
    emulated = emulator.world.channel(thread.id)
    assert emulated.type == ChannelType.PUBLIC_THREAD
    assert [m.content for m in emulator.messages_in(emulated)] == ["First!"]
    with pytest.raises(discord.HTTPException) as caught:
        await message.create_thread(name="again")
    assert caught.value.code == 160004
    path = f"/channels/{seed.general.id}/messages/{message.id}/threads"
    assert_refused(emulator, "POST", path, "one thread")


@pytest.mark.parametrize("name", ["", "n" * 101])
async def test_thread_name_limits(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld, name: str
) -> None:
    channel = _text_channel(bot, seed.general.id)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.create_thread(name=name, type=discord.ChannelType.public_thread)
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert "In name" in caught.value.text
    [refused] = emulator.violations.take()
    assert refused.kind == "spec" and refused.detail.startswith("body name: ")


async def test_thread_without_starter_posts_a_notice(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    channel = _text_channel(bot, seed.general.id)
    announced = asyncio.ensure_future(bot.wait_for("thread_create", timeout=5))
    thread = await channel.create_thread(name="Weekly chat", type=discord.ChannelType.public_thread)
    assert thread.type is discord.ChannelType.public_thread
    [notice] = emulator.messages_in(seed.general)
    assert notice.type == 18 and notice.content == "Weekly chat"
    assert (await announced).id == thread.id


async def test_forum_post_with_tags(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    forum = bot.get_channel(seed.forum.id)
    assert isinstance(forum, discord.ForumChannel)
    tag = next(t for t in forum.available_tags if t.name == "Papers & Publications")
    embed = discord.Embed(title="Attention is all you need, again")
    created = await forum.create_thread(
        name="A paper",
        content="Worth a read",
        embed=embed,
        applied_tags=[tag],
        allowed_mentions=NO_PINGS,
    )
    assert created.thread.id == created.message.id
    assert [t.name for t in created.thread.applied_tags] == ["Papers & Publications"]
    emulated = emulator.world.channel(created.thread.id)
    assert emulated.parent_id == seed.forum.id and emulated.applied_tags == [tag.id]
    assert emulator.messages_in(emulated)[0].content == "Worth a read"


async def test_forum_post_without_message_is_refused(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    params = MultipartParameters(
        payload={"name": "No body", "auto_archive_duration": 1440, "type": 11},
        multipart=None,
        files=None,
    )
    with pytest.raises(discord.HTTPException) as caught:
        await bot.http.start_thread_in_forum(seed.forum.id, params=params)
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert "In message" in caught.value.text
    assert not [c for c in emulator.world.channels.values() if c.parent_id == seed.forum.id]
    [refused] = emulator.violations.take()
    assert (refused.kind, refused.detail) == ("spec", "body message: is required")


async def test_messages_cannot_be_posted_straight_into_a_forum(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    params = MultipartParameters(payload={"content": "hi"}, multipart=None, files=None)
    with pytest.raises(discord.HTTPException) as caught:
        await bot.http.send_message(seed.forum.id, params=params)
    assert caught.value.code == 50008
    assert_refused(emulator, "POST", f"/channels/{seed.forum.id}/messages", "forum")


async def test_reactions(emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld) -> None:
    posted = await emulator.post_message(
        seed.general, seed.reader, "https://example.com/suggestion"
    )
    message = await _text_channel(bot, seed.general.id).fetch_message(posted.message.id)
    await message.add_reaction("✅")
    assert await posted.bot_reaction(timeout=1) == "✅"
    await message.remove_reaction("✅", bot.user)  # type: ignore[arg-type]
    assert posted.message.reactions == {}
    with pytest.raises(discord.HTTPException) as caught:
        await message.add_reaction("not-an-emoji")
    assert caught.value.code == 10014


async def test_member_roles(emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld) -> None:
    guild = bot.get_guild(seed.guild.id)
    assert guild is not None
    member = await guild.fetch_member(seed.reader.id)
    newsletter = guild.get_role(seed.newsletter_role.id)
    assert newsletter is not None
    await member.add_roles(newsletter)
    assert seed.newsletter_role.id in seed.guild.members[seed.reader.id].roles
    await member.remove_roles(newsletter)
    assert seed.newsletter_role.id not in seed.guild.members[seed.reader.id].roles
    above = guild.get_role(seed.bot_role.id)
    assert above is not None
    with pytest.raises(discord.Forbidden):
        await member.add_roles(above)


async def test_a_bot_gives_roles_below_its_own_and_only_with_manage_roles(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    guild = bot.get_guild(seed.guild.id)
    assert guild is not None
    member = await guild.fetch_member(seed.reader.id)
    higher = emulator.world.add_role(seed.guild, "Above the bot")
    with pytest.raises(discord.Forbidden):
        await member.add_roles(discord.Object(higher.id))
    with pytest.raises(discord.Forbidden):
        await member.add_roles(discord.Object(seed.guild.id))  # @everyone
    bits = int(seed.bot_role.permissions) & ~int(Permission.MANAGE_ROLES)
    emulator.world.edit_role(seed.bot_role, permissions=bits)
    with pytest.raises(discord.Forbidden):
        await member.add_roles(discord.Object(seed.newsletter_role.id))
    with pytest.raises(discord.Forbidden):
        await member.remove_roles(discord.Object(seed.newsletter_role.id))
    assert seed.guild.members[seed.reader.id].roles == []


async def test_allowed_mentions_decide_who_is_pinged(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    channel = _text_channel(bot, seed.general.id)
    text = f"{seed.reader.mention} {seed.newsletter_role.mention} @everyone"
    quiet = await channel.send(text, allowed_mentions=NO_PINGS)
    assert quiet.mentions == [] and quiet.role_mentions == [] and not quiet.mention_everyone
    loud = await channel.send(
        text, allowed_mentions=discord.AllowedMentions(users=True, roles=True)
    )
    assert [u.id for u in loud.mentions] == [seed.reader.id]
    assert [r.id for r in loud.role_mentions] == [seed.newsletter_role.id]
    assert emulator.messages_in(seed.general)[0].allowed_mentions == {"parse": []}


async def test_unknown_routes_are_recorded(emulator: Emulator, bot: EmulatedBot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.fetch_premium_sticker_packs()
    [unhandled] = emulator.unhandled_requests()
    assert unhandled.path == "/sticker-packs"


async def test_file_upload_is_stored_and_served(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    channel = _text_channel(bot, seed.general.id)
    upload = discord.File(io.BytesIO(b"# Issue 202"), filename="issue-202.md")
    sent = await channel.send("The issue file", file=upload, allowed_mentions=NO_PINGS)
    [attachment] = sent.attachments
    assert attachment.filename == "issue-202.md" and attachment.size == 11
    async with aiohttp.ClientSession() as session, session.get(attachment.url) as response:
        assert await response.read() == b"# Issue 202"


async def test_a_reader_edits_and_deletes_a_message_as_discord_dispatches_it(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    """A reader's edit reaches a bot as MESSAGE_UPDATE (the whole message, edited_timestamp
    set), a delete as MESSAGE_DELETE (ids only); both reach discord.py's raw events, and a
    message deleted is an Unknown Message to edit or delete again."""
    posted = await emulator.post_message(seed.general, seed.reader, "first words")
    edits: asyncio.Future[discord.RawMessageUpdateEvent] = asyncio.ensure_future(
        bot.wait_for("raw_message_edit", timeout=5)
    )
    edited = await emulator.edit_message(posted.message, seed.reader, "second words")
    assert edited.content == "second words" and edited.edited_at is not None
    event = await edits
    assert event.message_id == posted.message.id and event.channel_id == seed.general.id
    assert event.guild_id == seed.guild.id
    assert event.message.content == "second words" and event.data["edited_timestamp"]
    assert event.data["author"]["id"] == str(seed.reader.id) and "member" in event.data

    deletes: asyncio.Future[discord.RawMessageDeleteEvent] = asyncio.ensure_future(
        bot.wait_for("raw_message_delete", timeout=5)
    )
    await emulator.delete_message(posted.message, seed.reader)
    gone = await deletes
    assert (gone.message_id, gone.channel_id, gone.guild_id) == (
        posted.message.id,
        seed.general.id,
        seed.guild.id,
    )
    assert "second words" not in [m.content for m in emulator.messages_in(seed.general)]
    for again in (
        emulator.edit_message(posted.message, seed.reader, "third"),
        emulator.delete_message(posted.message, seed.reader),
    ):
        with pytest.raises(APIError) as caught:
            await again
        assert caught.value.code == 10008


async def test_a_reader_may_not_edit_anothers_message(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    posted = await emulator.post_message(seed.general, seed.owner, "the owner's")
    with pytest.raises(APIError) as caught:
        await emulator.edit_message(posted.message, seed.reader, "the reader's")
    assert caught.value.code == 50005
    with pytest.raises(APIError) as caught:
        await emulator.delete_message(posted.message, seed.reader)
    assert caught.value.code == 50013
    assert posted.message.content == "the owner's" and not posted.message.deleted


async def test_an_edit_without_allowed_mentions_is_parsed_with_the_defaults(
    emulator: Emulator, bot: EmulatedBot, seed: DefaultWorld
) -> None:
    """Message › Edit Message: new content is parsed with the default allowances when the edit
    brings no `allowed_mentions`, whatever the message was created with."""
    quiet = {"content": "hi", "allowed_mentions": {"parse": []}}
    message = emulator.messaging.create(seed.general, seed.reader, quiet)
    emulator.messaging.edit(
        message, seed.reader, {"content": f"<@{seed.owner.id}>", "allowed_mentions": {"parse": []}}
    )
    assert message.mentions == []
    await emulator.edit_message(message, seed.reader, f"hi <@{seed.owner.id}>")
    assert [u.id for u in message.mentions] == [seed.owner.id]
