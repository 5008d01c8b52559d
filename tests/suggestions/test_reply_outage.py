"""Replies newsbot could not record, while its archive failed or too many waited: the reader
is told so (of those links only), never thanked, and what they post or edit afterwards is
taken. A slow Discord holds up no reply, and a deleted reply is never refused."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any, cast

import pytest

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, Message
from bot.store.sqlite.suggestions import SqliteSuggestions
from bot.suggestions import Result
from cogs.suggestions._text import NOT_RECORDED
from tests.conftest import eventually
from tests.suggestions.conftest import publish_threads
from tests.suggestions.test_discord import silent


async def all_suggested(bot: Newsbot, urls: list[str], within: float = 10) -> None:
    """Poll the archive until it holds the suggestions of `urls`, and those only."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (found := await suggested(bot)) != urls:
        assert loop.time() < deadline, f"suggested {found}, not {urls}"
        await asyncio.sleep(0.05)


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


@contextmanager
def archive_held(bot: Newsbot) -> Iterator[sqlite3.Connection]:
    """Another process holds the archive's write lock until the block's end; newsbot waiting
    for it (`wait_for_the_archive`), each reply read holds its turn until then."""
    assert bot.archive.file is not None
    with closing(sqlite3.connect(bot.archive.file, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield other
        finally:
            other.execute("ROLLBACK")


async def wait_for_the_archive(bot: Newsbot) -> None:
    shared = cast(SqliteSuggestions, bot.archive.suggestions)._db
    await shared.execute("PRAGMA busy_timeout = 60000")


def bound_queue(monkeypatch: pytest.MonkeyPatch, waiting: int = 2) -> None:
    # The module as the running bot loaded it: discord.py imports an extension's anew.
    monkeypatch.setattr(sys.modules["cogs.suggestions._replies"], "WAITING_MAX", waiting)


async def test_past_a_bounded_queue_a_reply_is_told_at_once_it_was_not_recorded(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound_queue(monkeypatch)
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    await wait_for_the_archive(newsbot)
    with archive_held(newsbot):
        # The first reply holds its turn while the archive keeps it waiting; the second
        # waits its turn.
        first = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
        second = await emulator.post_message(thread, seed.reader, "https://ok.example/2")
        third = await emulator.post_message(thread, seed.reader, "https://ok.example/3")
        (told,) = await third.replies()
        assert silent(told) == NOT_RECORDED
    assert await second.bot_reaction() == "✅"
    assert bot_reactions(seed, first.message) == {"✅"}
    assert bot_reactions(seed, third.message) == set()
    assert await suggested(newsbot) == ["https://ok.example/1", "https://ok.example/2"]


async def test_replies_are_recorded_while_discord_keeps_their_answers_waiting(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound_queue(monkeypatch)
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    # Discord keeps the ✅ of the first reply waiting (as its rate limit on reactions does
    # after a publish): the turn with the archive does not wait with it.
    held = emulator.inject(
        "PUT", "/channels/*/messages/*/reactions/*/@me", 204, after_handler=True, hang=True
    )
    posted = [await emulator.post_message(thread, seed.reader, "https://ok.example/0")]
    await eventually(lambda: held.hits > 0, within=5)
    for n in range(1, 4):  # more than the queue holds, each recorded while the ✅ waits
        posted.append(await emulator.post_message(thread, seed.reader, f"https://ok.example/{n}"))
        await all_suggested(newsbot, [f"https://ok.example/{k}" for k in range(n + 1)])
    held.release()
    for reply in posted:
        assert await reply.bot_reaction() == "✅"
    assert not [m for m in emulator.messages_in(thread) if m.message_reference], "none refused"


async def test_links_posted_outside_the_threads_take_no_turn(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound_queue(monkeypatch)
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    await wait_for_the_archive(newsbot)
    with archive_held(newsbot):
        first = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
        for n in range(3):  # the channel's own talk: no section thread's
            await emulator.post_message(seed.general, seed.reader, f"https://chat.example/{n}")
        second = await emulator.post_message(thread, seed.reader, "https://ok.example/2")
    assert await second.bot_reaction() == "✅", "it waited its turn, behind the first only"
    assert bot_reactions(seed, first.message) == {"✅"}
    assert await suggested(newsbot) == ["https://ok.example/1", "https://ok.example/2"]


async def test_a_reply_deleted_while_the_queue_is_full_is_taken_back_in_its_turn(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound_queue(monkeypatch)
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    gone = await emulator.post_message(thread, seed.reader, "https://ok.example/gone")
    assert await gone.bot_reaction() == "✅"
    await wait_for_the_archive(newsbot)
    ada = emulator.world.add_user("ada", global_name="Ada")
    emulator.world.add_member(seed.guild, ada)
    with archive_held(newsbot):
        await emulator.post_message(thread, ada, "https://ok.example/1")
        await emulator.post_message(thread, ada, "https://ok.example/2")
        await emulator.delete_message(gone.message, seed.reader)
        # Events are read in the order they came: this one is refused after the deletion
        # came, with the queue full.
        refused = await emulator.post_message(thread, ada, "https://ok.example/3")
        (told,) = await refused.replies()
        assert silent(told) == NOT_RECORDED
    await all_suggested(newsbot, ["https://ok.example/1", "https://ok.example/2"])


async def test_replies_refused_at_once_tell_their_reader_once(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound_queue(monkeypatch)
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    await wait_for_the_archive(newsbot)
    ada = emulator.world.add_user("ada", global_name="Ada")
    emulator.world.add_member(seed.guild, ada)
    with archive_held(newsbot):
        await emulator.post_message(thread, ada, "https://ok.example/1")
        await emulator.post_message(thread, ada, "https://ok.example/2")
        # Discord takes its time over the first answer: the second reply is read meanwhile.
        slow = emulator.inject("POST", "/channels/*/messages", 200, after_handler=True, hang=True)
        first = await emulator.post_message(thread, seed.reader, "https://ok.example/3")
        await eventually(lambda: slow.hits > 0, within=5)
        second = await emulator.post_message(thread, seed.reader, "https://ok.example/4")
        assert await second.bot_reaction() == "❌", "being told already"
        slow.release()
        (told,) = await first.replies()
        assert silent(told) == NOT_RECORDED
    answers = [m for m in emulator.messages_in(thread) if m.message_reference]
    assert [(m.message_reference or {}).get("message_id") for m in answers] == [
        str(first.message.id)
    ]


async def fail_inserts(bot: Newsbot, table: str, when: str = "1") -> sqlite3.Connection:
    """The archive's disk full under rows of `table` (`when` they match): SQLite's "database or
    disk is full", a failure of the archive's, not of newsbot's. newsbot's connection may grow
    the file by a few pages, and a row that matches brings a megabyte of ballast with it."""
    assert bot.archive.file is not None
    shared = cast(SqliteSuggestions, bot.archive.suggestions)._db
    async with shared.execute("PRAGMA page_count") as rows:
        (pages,) = await rows.fetchone() or (0,)
    await shared.execute(f"PRAGMA max_page_count = {pages + 64}")
    other = sqlite3.connect(bot.archive.file, isolation_level=None)
    other.execute("CREATE TABLE ballast (kept BLOB)")
    other.execute(
        f"CREATE TRIGGER failing BEFORE INSERT ON {table} WHEN {when}"
        " BEGIN INSERT INTO ballast VALUES (randomblob(1048576)); END"
    )
    return other


async def test_only_the_links_not_recorded_are_told_so(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    with closing(await fail_inserts(newsbot, "suggestions", "NEW.url LIKE '%/2'")) as other:
        reply = await emulator.post_message(
            thread, seed.reader, "https://ok.example/1 https://ok.example/2"
        )
        (told,) = await reply.replies()
        assert silent(told) == (
            "✖ Not recorded: <https://ok.example/2> — newsbot can't save suggestions just "
            "now. Post it again in a few minutes."
        )
        assert bot_reactions(seed, reply.message) == {"✅"}, "the first link was taken"
        other.execute("DROP TRIGGER failing")
    assert await suggested(newsbot) == ["https://ok.example/1"]

    # Edited, the reply suggests the link that was not recorded, as a new one.
    await emulator.edit_message(
        reply.message, seed.reader, "both: https://ok.example/1 https://ok.example/2"
    )
    await all_suggested(newsbot, ["https://ok.example/1", "https://ok.example/2"])


async def test_links_recorded_are_not_told_unrecorded_when_the_reading_is_not_kept(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    with closing(await fail_inserts(newsbot, "replies_read")) as other:
        reply = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
        assert await reply.bot_reaction() == "✅"
        other.execute("DROP TRIGGER failing")
    assert await suggested(newsbot) == ["https://ok.example/1"]

    # Edited to no link, the reply takes its suggestion back all the same.
    await emulator.edit_message(reply.message, seed.reader, "never mind")
    await all_suggested(newsbot, [])
    assert not [m for m in emulator.messages_in(thread) if m.message_reference], "nothing told"


async def test_newsbots_own_error_is_not_told_as_an_outage(
    newsbot: Newsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    assert newsbot.services is not None
    service = newsbot.services.suggestions
    suggest = service.suggest

    async def faulty(url: str, *args: Any, **kwargs: Any) -> Result:
        """A bug of newsbot's met by one link: no failing archive can stand for it."""
        if url.endswith("/bug"):
            raise TypeError("a bug")
        return await suggest(url, *args, **kwargs)

    monkeypatch.setattr(service, "suggest", faulty)
    await emulator.post_message(thread, seed.reader, "https://ok.example/bug")
    after = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
    assert await after.bot_reaction() == "✅"  # read in turn: the one before is read
    assert not [m for m in emulator.messages_in(thread) if m.message_reference], "nothing told"
    (logged,) = [r for r in caplog.records if r.exc_info and r.exc_info[0] is TypeError]
    assert logged.levelname == "ERROR"


async def test_a_reply_deleted_while_the_archive_is_out_loses_its_answers_all_the_same(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, caplog: pytest.LogCaptureFixture
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    posted = await emulator.post_message(
        thread, seed.reader, "see https://ok.example/1 and javascript:alert(1)"
    )
    (answer,) = await posted.replies()
    assert "Not taken" in silent(answer)
    # The archive out past newsbot's wait for it (made short) when the reply is deleted: its
    # answer, which needs no archive, goes all the same, and the outage is no bug of newsbot's.
    shared = cast(SqliteSuggestions, newsbot.archive.suggestions)._db
    await shared.execute("PRAGMA busy_timeout = 100")
    with archive_held(newsbot):
        await emulator.delete_message(posted.message, seed.reader)
        await emulator.wait_until(lambda: answer.deleted or None)
    assert [r.levelname for r in caplog.records if "deleted reply" in r.getMessage()] == ["WARNING"]
    # Its answer gone, the reader is told again, not given a ❌ as one told lately.
    again = await emulator.post_message(thread, seed.reader, "oops javascript:alert(2)")
    (told,) = await again.replies()
    assert "Not taken" in silent(told)
