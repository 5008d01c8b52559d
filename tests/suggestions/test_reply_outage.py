"""Replies newsbot could not record, while its archive failed or too many waited: the reader
is told so, never thanked, and what they post or edit afterwards is taken."""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from typing import cast

import pytest

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, Message
from bot.store.sqlite.suggestions import SqliteSuggestions
from cogs.suggestions._text import NOT_RECORDED
from tests.conftest import eventually
from tests.suggestions.conftest import publish_threads
from tests.suggestions.test_discord import silent


def bot_reactions(seed: DefaultWorld, message: Message) -> set[str]:
    return {name for name, r in message.reactions.items() if seed.bot.id in r.user_ids}


async def suggested(bot: Newsbot) -> list[str]:
    return sorted(s.url for s in await bot.archive.suggestions.list())


async def test_a_reply_the_archive_could_not_take_is_told_so_and_taken_when_posted_again(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    # Another process holds the archive's write lock past newsbot's wait for it (made short).
    shared = cast(SqliteSuggestions, newsbot.archive.suggestions)._db
    await shared.execute("PRAGMA busy_timeout = 100")
    assert newsbot.archive.file is not None
    with closing(sqlite3.connect(newsbot.archive.file, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        lost = await emulator.post_message(thread, seed.reader, "a read https://ok.example/a")
        (told,) = await lost.replies(timeout=10)
        assert silent(told) == NOT_RECORDED
        also = await emulator.post_message(thread, seed.reader, "and https://ok.example/b")
        assert await also.bot_reaction(timeout=10) == "❌", "told already: crossed"
        other.execute("ROLLBACK")
    assert await suggested(newsbot) == []
    assert bot_reactions(seed, lost.message) == set(), "never a ✅ for what was not recorded"

    # The archive back, the reply edited is read as new, and one posted again is taken.
    await emulator.edit_message(lost.message, seed.reader, "a good read https://ok.example/a")
    await emulator.wait_until(lambda: bot_reactions(seed, lost.message) == {"✅"} or None)
    again = await emulator.post_message(thread, seed.reader, "https://ok.example/b")
    assert await again.bot_reaction() == "✅"
    assert await suggested(newsbot) == ["https://ok.example/a", "https://ok.example/b"]


async def test_past_a_bounded_queue_a_reply_is_told_at_once_it_was_not_recorded(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module as the running bot loaded it: discord.py imports an extension's anew.
    monkeypatch.setattr(sys.modules["cogs.suggestions._replies"], "WAITING_MAX", 2)
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    # The first reply holds its turn while Discord keeps the answer to its ✅ waiting; the
    # second waits its turn.
    held = emulator.inject(
        "PUT", "/channels/*/messages/*/reactions/*/@me", 204, after_handler=True, hang=True
    )
    first = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
    await eventually(lambda: held.hits > 0, within=5)
    second = await emulator.post_message(thread, seed.reader, "https://ok.example/2")
    third = await emulator.post_message(thread, seed.reader, "https://ok.example/3")
    (told,) = await third.replies()
    assert silent(told) == NOT_RECORDED
    held.release()
    assert await second.bot_reaction() == "✅"
    assert bot_reactions(seed, first.message) == {"✅"}
    assert bot_reactions(seed, third.message) == set()
    assert await suggested(newsbot) == ["https://ok.example/1", "https://ok.example/2"]


async def test_links_posted_outside_the_threads_take_no_turn(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules["cogs.suggestions._replies"], "WAITING_MAX", 2)
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    held = emulator.inject(
        "PUT", "/channels/*/messages/*/reactions/*/@me", 204, after_handler=True, hang=True
    )
    first = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
    await eventually(lambda: held.hits > 0, within=5)
    for n in range(3):  # the channel's own talk: no section thread's
        await emulator.post_message(seed.general, seed.reader, f"https://chat.example/{n}")
    second = await emulator.post_message(thread, seed.reader, "https://ok.example/2")
    held.release()
    assert await second.bot_reaction() == "✅", "it waited its turn, behind the first only"
    assert bot_reactions(seed, first.message) == {"✅"}
    assert await suggested(newsbot) == ["https://ok.example/1", "https://ok.example/2"]
