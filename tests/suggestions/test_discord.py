"""Suggestions end to end: the real discord.py bot, the Discord emulator, a real archive."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.app import Newsbot, intents
from bot.cli import app as cli_app
from bot.models import SuggestionStatus
from bot.sandbox.discord import DefaultWorld, Emulator, Message, MessageFlag, MessageHandle
from bot.settings import load_settings
from tests.factories import issue, item
from tests.suggestions.conftest import StartBot, publish_threads

EPHEMERAL = int(MessageFlag.EPHEMERAL)
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")
ANY_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)\d+>")


def silent(message: Message) -> str:
    assert message.allowed_mentions is not None and message.allowed_mentions.get("parse") == []
    assert not message.mentions and not message.mention_roles and not message.mention_everyone
    assert not LIVE_MENTION.search(message.content)
    return message.content


async def suggest(
    emulator: Emulator, seed: DefaultWorld, user: Any = None, **options: Any
) -> Message:
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, user or seed.reader, "suggest", options
    )
    answer = await handle.original(timeout=5)
    assert answer.flags & EPHEMERAL
    silent(answer)
    return answer


async def nothing_more(emulator: Emulator, seed: DefaultWorld, channel: Any) -> list[Message]:
    await asyncio.sleep(0.2)
    return [m for m in emulator.messages_in(channel) if m.author.id == seed.bot.id]


def test_the_intents_follow_the_setting() -> None:
    assert not intents(load_settings()).message_content
    wanted = intents(load_settings(discord={"message_content": True}))
    assert wanted.message_content and wanted.guild_messages and wanted.guilds


async def test_replies_in_section_threads_become_suggestions(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    industry = threads["industry"]
    before = len(await nothing_more(emulator, seed, industry))

    posted = await emulator.post_message(
        industry, seed.reader, "Also see https://Blog.example:443/post?utm_source=tw&id=1#top"
    )
    assert await posted.bot_reaction() == "✅"
    (queued,) = await newsbot.archive.suggestions.list()
    assert queued.url == "https://blog.example/post?id=1"
    assert queued.section == "industry"
    assert queued.supporters[0].note == "Also see"
    assert len(await nothing_more(emulator, seed, industry)) == before, "✅ says it all"

    plus_one = await emulator.post_message(
        industry, seed.manager, "http://blog.example/post?id=1&fbclid=abc"
    )
    assert await plus_one.bot_reaction() == "✅"
    (queued,) = await newsbot.archive.suggestions.list()
    assert queued.support == 2

    again = await emulator.post_message(industry, seed.reader, "https://blog.example/post?id=1")
    assert await again.bot_reaction() == "✅"
    assert (await newsbot.archive.suggestions.list())[0].support == 2, "a repeat changes nothing"

    archived = await emulator.post_message(
        industry, seed.reader, "this one https://news.example/chips"
    )
    (answer,) = await archived.replies()
    assert "is already in #205 · Industry: “Chips, analog”" in silent(answer)


async def test_messages_outside_newsbots_threads_and_from_bots_are_ignored(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await publish_threads(newsbot, emulator, seed)
    await emulator.post_message(seed.general, seed.reader, "https://elsewhere.example/a")
    await asyncio.sleep(0.3)
    assert await newsbot.archive.suggestions.list() == []


async def test_without_the_intent_replies_are_not_read(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    bot = await start_bot(discord={})
    threads = await publish_threads(bot, emulator, seed)
    await emulator.post_message(threads["industry"], seed.reader, "https://blog.example/x")
    await asyncio.sleep(0.3)
    assert await bot.archive.suggestions.list() == []
    answer = await suggest(emulator, seed, url="https://blog.example/x")
    assert "is suggested for the next issue" in answer.content


async def test_hostile_replies_never_ping_or_crash_and_say_why(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    role = seed.newsletter_role.id
    links = " ".join(f"https://many.example/{n}" for n in range(50))
    hostile = (
        f"@everyone <@&{role}> <@{seed.owner.id}> javascript:alert('@everyone') "
        f"file:///etc/passwd http://192.168.0.1/admin https://bücher.example/@everyone "
        f"https://xn--bcher-kva.example/x {links}"
    )[:4000]
    posted = await emulator.post_message(threads["learning"], seed.reader, hostile)
    assert await posted.bot_reaction() == "✅"
    (answer,) = await posted.replies()
    text = silent(answer)
    assert "a javascript: link — only web links" in text
    assert "a file: link — only web links" in text
    assert "192.168.0.1 — it points to a private or local network address" in text
    assert "Only the first 10" not in text, "the daily limit stopped it first"
    stored = [s.url for s in await newsbot.archive.suggestions.list(limit=100)]
    assert stored and all(url.startswith(("http://", "https://")) for url in stored)
    assert "https://xn--bcher-kva.example/@everyone" in stored
    assert "your limit of 5 suggestions in 24 hours" in text
    over = "<https://many.example/3>, <https://many.example/4>, and 45 more after them."
    assert text.endswith(f"\n✖ Not taken, over the limit: {over}")
    assert len(stored) == 5, "the reader's daily limit (5) holds"


async def test_a_2000_character_url_is_taken_and_a_longer_one_refused(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    long = "https://long.example/" + "a" * (2000 - 21)
    answer = await suggest(emulator, seed, url=long)
    assert "✅ Thanks!" in answer.content
    (stored,) = await newsbot.archive.suggestions.list()
    assert stored.url == long
    answer = await suggest(emulator, seed, url=long + "b" * 100)
    assert "too long (over 2048 characters)" in answer.content


async def test_slash_suggest_checks_the_section_and_answers_privately(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    answer = await suggest(
        emulator, seed, url="https://paper.example/x", note="<@&1> great", section="Learning"
    )
    assert answer.content.startswith("✅ Thanks! <https://paper.example/x>")
    (stored,) = await newsbot.archive.suggestions.list()
    assert stored.section == "learning" and stored.supporters[0].note == "<@&1> great"

    answer = await suggest(emulator, seed, seed.manager, url="https://paper.example/x")
    assert "✅ +1 for <https://paper.example/x>: 2 readers suggested it." in answer.content
    answer = await suggest(emulator, seed, url="https://news.example/chips#x")
    assert "already in #205 · Industry" in answer.content
    answer = await suggest(emulator, seed, url="https://x.example", section="Sports")
    assert "No section is called “Sports”" in answer.content
    answer = await suggest(emulator, seed, url="just words")
    assert "That isn't a link" in answer.content


async def test_suggest_shows_no_section_of_an_issue_held_until_its_time(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    later = dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)
    held = issue(300, {"Secret Launch Plans": [item("Soon", "https://soon.example/")]})
    await newsbot.archive.issues.ingest(held.model_copy(update={"publish_at": later}))
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "suggest", {"url": "x", "section": "Se"}, "section"
    )
    assert await handle.choices() == []
    answer = await suggest(emulator, seed, url="https://x.example", section="Secret Launch Plans")
    assert "No section is called “Secret Launch Plans”" in answer.content
    assert "Secret" not in answer.content.split("The sections are:")[1]


async def feed_bot_posts(
    emulator: Emulator, seed: DefaultWorld, content: str, embed: dict[str, str]
) -> MessageHandle:
    """A feed's bot, a member of the server, posts `content` in #general with an embed of its
    own: a bot's embeds are its author's (a person sends none)."""
    feed = emulator.world.add_user("feedbot", bot=True)
    emulator.world.add_member(seed.guild, feed)
    return await emulator.post_message(seed.general, feed, content, embeds=[embed])


async def test_the_message_menu_suggests_any_messages_links(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    posted = await feed_bot_posts(
        emulator, seed, "two good ones", {"title": "A page", "url": "https://embed.example/page"}
    )
    await emulator.post_message(seed.general, seed.owner, "https://text.example/a")
    handle = await emulator.message_context_menu(
        "Suggest for the newsletter", posted.message, seed.reader
    )
    answer = await handle.original()
    assert answer.flags & EPHEMERAL
    assert "<https://embed.example/page> is suggested" in silent(answer)
    (stored,) = await newsbot.archive.suggestions.list()
    assert stored.supporters[0].source == "menu"


async def test_readers_cannot_review_and_managers_accept_then_export(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, tmp_path: Path
) -> None:
    await suggest(emulator, seed, url="https://paper.example/x", note="read this -->")
    await suggest(emulator, seed, seed.manager, url="https://paper.example/x")
    await suggest(emulator, seed, url="https://other.example/y")

    with pytest.raises(PermissionError):
        await emulator.run_slash_command(
            seed.guild, seed.general, seed.reader, "suggestions", {}, subcommand="review"
        )
    handle = await emulator.run_slash_command(
        seed.guild,
        seed.general,
        seed.reader,
        "suggestions",
        {},
        subcommand="review",
        enforce_permissions=False,
    )
    refused = await handle.original()
    assert "Manage Server" in silent(refused)

    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {"public": True}, subcommand="review"
    )
    first, second = await handle.followups(2)
    assert "https://other.example/" in second.embeds[0]["description"]
    assert "https://paper.example/x" in first.embeds[0]["description"]
    assert "**2** readers" in first.embeds[0]["description"], "most-supported first"
    (stored, _) = await newsbot.archive.suggestions.list()

    intruder = await emulator.press_button(
        first, f"newsbot:suggestion:accept:{stored.id}:pending", seed.reader
    )
    assert "Only server managers" in (await intruder.original()).content
    assert (await newsbot.archive.suggestions.list((SuggestionStatus.ACCEPTED,))) == []

    pressed = await emulator.press_button(
        first, f"newsbot:suggestion:accept:{stored.id}:pending", seed.manager
    )
    await pressed.response()
    chose = await emulator.select(
        first, f"newsbot:suggestion:section:{stored.id}:accepted", ["learning"], seed.manager
    )
    await chose.response()
    (accepted,) = await newsbot.archive.suggestions.list((SuggestionStatus.ACCEPTED,))
    assert accepted.section == "learning"
    assert "Status: **accepted**" in first.embeds[0]["description"]

    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {}, subcommand="export"
    )
    answer = await handle.original()
    assert "#206 with 1 suggested link(s)" in silent(answer)
    draft = tmp_path / "issues" / "drafts" / "206.md"
    text = draft.read_text()
    assert "title: Deep Learning Weekly: Issue #206" in text
    assert "## Learning" in text and "### [paper.example/x](https://paper.example/x)" in text
    assert "<!-- editor: suggested by 2 reader(s) — Grace: “read this –>”; Ada" in text
    result = CliRunner().invoke(cli_app, ["check", str(draft)])
    assert result.exit_code == 0, result.output


async def test_review_cards_keep_working_after_a_restart(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    first = await start_bot()
    await suggest(emulator, seed, url="https://paper.example/x")
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {}, subcommand="review"
    )
    (card,) = await handle.followups(1)
    await first.close()
    second = await start_bot()
    (stored,) = await second.archive.suggestions.list()
    pressed = await emulator.press_button(
        card, f"newsbot:suggestion:reject:{stored.id}:pending", seed.manager
    )
    await pressed.response()
    assert (await second.archive.suggestions.get(stored.id)).status is SuggestionStatus.REJECTED  # type: ignore[union-attr]


async def test_section_names_in_menus_and_choices_never_read_as_mentions(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    loud = "@everyone <@&1> picks"
    await newsbot.archive.issues.ingest(issue(207, {loud: [item("x", "https://x.example/1")]}))
    defused = "@\u200beveryone <\u200b@&1> picks"
    await suggest(emulator, seed, url="https://paper.example/x")
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {}, subcommand="review"
    )
    (card,) = await handle.followups(1)
    labels = [
        option["label"]
        for row in card.components
        for component in row["components"]
        for option in component.get("options", [])
    ]
    assert defused in labels and not [label for label in labels if ANY_MENTION.search(label)]
    typed = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "suggest", {"url": "x", "section": "@"}, "section"
    )
    assert await typed.choices() == [{"name": defused, "value": "everyone-1-picks"}]


async def test_a_rejected_link_suggested_again_by_its_suggester_is_not_queued(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    await suggest(emulator, seed, url="https://passed.example/a")
    (stored,) = await newsbot.archive.suggestions.list()
    await newsbot.archive.suggestions.review(stored.id, SuggestionStatus.REJECTED, by="ed")

    passed = "<https://passed.example/a> was already considered, and the editors passed on it."
    answer = await suggest(emulator, seed, url="https://passed.example/a")
    assert answer.content == passed
    posted = await emulator.post_message(
        threads["industry"], seed.reader, "again https://passed.example/a"
    )
    (reply,) = await posted.replies()
    assert silent(reply) == passed
    assert not posted.message.reactions, "no ✅ for a link that is not queued"


async def test_a_long_list_of_links_is_told_only_what_stopped_it(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    bot = await start_bot(suggestions={"per_reader_per_day": 12})
    threads = await publish_threads(bot, emulator, seed)
    first = " ".join(f"https://list.example/{n}" for n in range(14))
    posted = await emulator.post_message(threads["learning"], seed.reader, first)
    (answer,) = await posted.replies()
    assert silent(answer) == "Only the first 10 links of a message are taken."

    second = " ".join(f"https://more.example/{n}" for n in range(14))
    posted = await emulator.post_message(threads["learning"], seed.reader, second)
    (answer,) = await posted.replies()
    limit = (
        "You've reached your limit of 12 suggestions in 24 hours. A suggestion counts "
        "toward it for 24 hours, so you can suggest again <t:T:R> (<t:T:f>)."
    )
    over = ", ".join(f"<https://more.example/{n}>" for n in range(2, 10))
    assert at_any_time(silent(answer)) == (
        f"{limit}\n✖ Not taken, over the limit: {over}, and 4 more after them."
    )
    assert len(await bot.archive.suggestions.list(limit=100)) == 12
    answer = await suggest(
        emulator, seed, url=" ".join(f"https://last.example/{n}" for n in range(14))
    )
    over = ", ".join(f"<https://last.example/{n}>" for n in range(10))
    assert at_any_time(answer.content) == (
        f"{limit}\n✖ Not taken, over the limit: {over}, and 4 more after them."
    )


def at_any_time(text: str) -> str:
    """`text` with the time of each Discord timestamp (`<t:1796606453:R>`) left out."""
    return re.sub(r"<t:[0-9]+:", "<t:T:", text)


async def test_the_daily_limit_names_the_links_it_stopped_and_when_to_come_back(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    bot = await start_bot(suggestions={"per_reader_per_day": 3})
    threads = await publish_threads(bot, emulator, seed)
    before = dt.datetime.now(dt.UTC)
    links = " ".join(f"https://c.example/{n}" for n in range(1, 5))
    posted = await emulator.post_message(threads["industry"], seed.reader, f"four {links}")
    assert await posted.bot_reaction() == "✅", "three were taken"
    (answer,) = await posted.replies()
    after = dt.datetime.now(dt.UTC)
    text = silent(answer)
    assert text.endswith("✖ Not taken, over the limit: <https://c.example/4>.")
    assert "limit of 3 suggestions in 24 hours" in text and "tomorrow" not in text
    # The reader is told when: a day after their suggestions, shown in their own time zone.
    found = re.search(r"you can suggest again <t:([0-9]+):R> \(<t:\1:f>\)\.", text)
    assert found is not None, text
    day = 24 * 60 * 60
    assert int(before.timestamp()) + day <= int(found[1]) <= int(after.timestamp()) + day + 1
    queued = {s.url for s in await bot.archive.suggestions.list()}
    assert queued == {f"https://c.example/{n}" for n in range(1, 4)}
