"""Replies edited or deleted, end to end: the real discord.py bot, the Discord emulator, a real
archive. An edit is read again like a new reply; a delete takes back what the reply suggested."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from bot.app import Newsbot
from bot.models import Suggestion, SuggestionStatus
from bot.sandbox.discord import DefaultWorld, Emulator, Message
from cogs.suggestions._cog import Suggestions
from tests.conftest import eventually as polled
from tests.suggestions.conftest import StartBot, publish_threads
from tests.suggestions.test_discord import nothing_more, silent, suggest


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait (up to 5 s) until the bot has done what `check` looks for."""
    for _ in range(100):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bot never got to: {what}")


async def queued(bot: Newsbot) -> dict[str, Suggestion]:
    """The pending and accepted suggestions, by link."""
    every = (SuggestionStatus.PENDING, SuggestionStatus.ACCEPTED)
    return {s.url: s for s in await bot.archive.suggestions.list(every, limit=100)}


async def no_ack(emulator: Emulator, seed: DefaultWorld, message: Message) -> None:
    def gone() -> bool | None:
        reaction = message.reactions.get("✅")
        return True if reaction is None or seed.bot.id not in reaction.user_ids else None

    await emulator.wait_until(gone)


def suggestions_cog(bot: Newsbot) -> Suggestions:
    cog = bot.get_cog("Suggestions")
    # Not isinstance: discord.py imports an extension's modules anew for each bot.
    assert type(cog).__name__ == "Suggestions"
    return cast(Suggestions, cog)


def parked(name: str) -> int:
    """How many tasks wait in a coroutine called `name`, anywhere down what they await: an
    event's answer held back (`after_earlier`) is seen waiting, not guessed from a pause."""
    count = 0
    for task in asyncio.all_tasks():
        coro: Any = task.get_coro()
        while coro is not None:
            code = getattr(coro, "cr_code", None)
            if code is not None and code.co_name == name:
                count += 1
                break
            coro = getattr(coro, "cr_await", None)
    return count


async def test_a_reply_edited_to_add_a_link_suggests_it(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    posted = await emulator.post_message(threads["industry"], seed.reader, "worth a look, soon")
    # Not a wait for anything: a reply without a link gets no answer to wait for. The pause
    # only lets the bot read it before the edit, as when a reader edits later; the edit's
    # event comes after the reply's either way, and the ✅ below can only come from the edit.
    await asyncio.sleep(0.2)
    await emulator.edit_message(
        posted.message, seed.reader, "worth a look: https://edited.example/a"
    )
    assert await posted.bot_reaction() == "✅"
    (stored,) = (await queued(newsbot)).values()
    assert stored.url == "https://edited.example/a" and stored.section == "industry"
    (reader,) = stored.supporters
    assert (reader.user_id, reader.note, reader.source) == (
        seed.reader.id,
        "worth a look:",
        "reply",
    )

    await emulator.edit_message(
        posted.message,
        seed.reader,
        "worth a look: https://edited.example/a https://news.example/chips",
    )
    (answer,) = await posted.replies()
    assert "is already in #205 · Industry: “Chips, analog”" in silent(answer)


async def test_a_reply_edited_to_remove_its_link_takes_it_back(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    posted = await emulator.post_message(
        threads["industry"], seed.reader, "oops https://x.example/1"
    )
    assert await posted.bot_reaction() == "✅"
    before = len(await nothing_more(emulator, seed, threads["industry"]))
    await emulator.edit_message(posted.message, seed.reader, "oops, never mind")

    async def withdrawn() -> bool:
        return not await queued(newsbot)

    await eventually(withdrawn, "withdraw the suggestion")
    await no_ack(emulator, seed, posted.message)
    after = len(await nothing_more(emulator, seed, threads["industry"]))
    assert after == before, "taken back quietly"


async def test_a_deleted_reply_takes_back_its_suggestion(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    posted = await emulator.post_message(
        threads["learning"], seed.reader, "delete me https://x.example/gone"
    )
    assert await posted.bot_reaction() == "✅"
    await emulator.delete_message(posted.message, seed.reader)

    assert await newsbot.archive.suggestions.reply_read(posted.message.id) is not None

    async def withdrawn() -> bool:
        suggestions = newsbot.archive.suggestions
        return not await suggestions.list(list(SuggestionStatus)) and (
            await suggestions.reply_read(posted.message.id) is None
        )

    await eventually(withdrawn, "withdraw the deleted reply's suggestion, and forget it")


async def test_the_bots_answer_to_a_deleted_reply_goes_with_it(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    kept = await emulator.post_message(threads["learning"], seed.manager, "ftp://files.example/a")
    (kept_answer,) = await kept.replies()
    posted = await emulator.post_message(
        threads["learning"], seed.reader, "see javascript:alert(1) and ftp://files.example/b"
    )
    (answer,) = await posted.replies()
    assert "Not taken" in silent(answer)
    await emulator.delete_message(posted.message, seed.reader)

    def answer_gone() -> bool | None:
        return True if answer.deleted else None

    await emulator.wait_until(answer_gone)
    assert not kept_answer.deleted, "only the answer to the deleted reply goes"


async def test_an_edit_removing_one_of_two_links_keeps_the_other(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    posted = await emulator.post_message(
        threads["industry"], seed.reader, "two: https://x.example/keep https://x.example/drop"
    )
    assert await posted.bot_reaction() == "✅"
    assert set(await queued(newsbot)) == {"https://x.example/keep", "https://x.example/drop"}
    await emulator.edit_message(posted.message, seed.reader, "one: https://x.example/keep")

    async def dropped() -> bool:
        return set(await queued(newsbot)) == {"https://x.example/keep"}

    await eventually(dropped, "take back the link the edit removed")
    # The edit answered (the reply has no event left), so a wrong removal of the ✅ is done.
    cog = suggestions_cog(newsbot)
    await polled(lambda: posted.message.id not in cog._answering, within=10)
    assert await posted.bot_reaction() == "✅", "the link kept is still suggested"
    (kept,) = (await queued(newsbot)).values()
    assert [s.user_id for s in kept.supporters] == [seed.reader.id]


async def test_a_second_readers_support_stays_when_the_first_deletes(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    first = await emulator.post_message(threads["industry"], seed.reader, "https://x.example/both")
    assert await first.bot_reaction() == "✅"
    second = await emulator.post_message(
        threads["industry"], seed.manager, "+1 https://x.example/both"
    )
    assert await second.bot_reaction() == "✅"
    await emulator.delete_message(first.message, seed.reader)

    async def only_the_second() -> bool:
        found = await queued(newsbot)
        both = found.get("https://x.example/both")
        return both is not None and [s.user_id for s in both.supporters] == [seed.manager.id]

    await eventually(only_the_second, "keep the second reader's support alone")
    assert (await queued(newsbot))["https://x.example/both"].status is SuggestionStatus.PENDING


async def test_an_editors_decision_stands_when_the_reply_goes(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    posted = await emulator.post_message(threads["industry"], seed.reader, "https://x.example/ok")
    assert await posted.bot_reaction() == "✅"
    (stored,) = (await queued(newsbot)).values()
    await newsbot.archive.suggestions.review(stored.id, SuggestionStatus.ACCEPTED, by="ed")
    await emulator.delete_message(posted.message, seed.reader)

    async def unsupported() -> bool:
        found = await newsbot.archive.suggestions.get(stored.id)
        return found is not None and not found.supporters

    await eventually(unsupported, "take the reader off the accepted suggestion")
    after = await newsbot.archive.suggestions.get(stored.id)
    assert after is not None and after.status is SuggestionStatus.ACCEPTED


async def test_an_edit_re_adding_a_link_counts_once_toward_the_limit(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    bot = await start_bot(suggestions={"per_reader_per_day": 2})
    threads = await publish_threads(bot, emulator, seed)
    thread = threads["industry"]
    posted = await emulator.post_message(thread, seed.reader, "https://x.example/a")
    assert await posted.bot_reaction() == "✅"
    # Discord sends the edits in order: once the second is read, so is the first.
    await emulator.edit_message(posted.message, seed.reader, "typo fixed: https://x.example/a")
    await emulator.edit_message(posted.message, seed.reader, "no link now")

    async def withdrawn() -> bool:
        return await queued(bot) == {}

    await eventually(withdrawn, "withdraw the link the edit removed")
    await emulator.edit_message(posted.message, seed.reader, "back: https://x.example/a")

    async def back() -> bool:
        return [s.supporters[0].note for s in (await queued(bot)).values()] == ["back:"]

    await eventually(back, "suggest the link the edit put back")
    assert await posted.bot_reaction() == "✅"
    (stored,) = (await queued(bot)).values()
    assert stored.url == "https://x.example/a"
    second = await emulator.post_message(thread, seed.reader, "https://x.example/b")
    assert await second.bot_reaction() == "✅", "the re-added link counted once"
    third = await emulator.post_message(thread, seed.reader, "https://x.example/c")
    (answer,) = await third.replies()
    assert "your limit of 2 suggestions in 24 hours" in silent(answer)


async def test_links_taken_back_still_count_toward_the_limit(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    bot = await start_bot(suggestions={"per_reader_per_day": 2})
    threads = await publish_threads(bot, emulator, seed)
    thread = threads["industry"]
    edited = await emulator.post_message(thread, seed.reader, "https://x.example/a")
    deleted = await emulator.post_message(thread, seed.reader, "https://x.example/b")
    assert await edited.bot_reaction() == "✅" and await deleted.bot_reaction() == "✅"
    await emulator.edit_message(edited.message, seed.reader, "never mind")
    await emulator.delete_message(deleted.message, seed.reader)

    async def withdrawn() -> bool:
        return await queued(bot) == {}

    await eventually(withdrawn, "withdraw both links")
    # Two links suggested within the day, taken back or not: the limit is reached.
    again = await emulator.post_message(thread, seed.reader, "https://x.example/c")
    (answer,) = await again.replies()
    assert "your limit of 2 suggestions in 24 hours" in silent(answer)
    assert "Not taken, over the limit: <https://x.example/c>" in answer.content
    assert await queued(bot) == {}


async def test_replies_out_of_the_bots_cache_are_followed_too(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    edited = await emulator.post_message(threads["industry"], seed.reader, "https://x.example/e")
    deleted = await emulator.post_message(threads["industry"], seed.manager, "https://x.example/d")
    assert await edited.bot_reaction() == "✅" and await deleted.bot_reaction() == "✅"
    newsbot._connection._messages.clear()  # type: ignore[union-attr]  # as after a restart
    await emulator.edit_message(edited.message, seed.reader, "now https://x.example/f")
    await emulator.delete_message(deleted.message, seed.manager)

    async def followed() -> bool:
        return set(await queued(newsbot)) == {"https://x.example/f"}

    await eventually(followed, "follow an edit and a delete out of its cache")
    assert await edited.bot_reaction() == "✅"


async def test_an_edit_out_of_the_bots_cache_answers_only_what_is_new(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    thread = threads["industry"]
    posted = await emulator.post_message(
        thread, seed.reader, "https://news.example/chips and javascript:alert(1)"
    )
    (answer,) = await posted.replies()
    assert "is already in #205" in silent(answer) and "Not taken" in answer.content
    for note in ("so:", "so, again:"):
        newsbot._connection._messages.clear()  # type: ignore[union-attr]  # as after a restart
        await emulator.edit_message(
            posted.message, seed.reader, f"{note} https://news.example/chips javascript:alert(1)"
        )
    # Something new, after the two edits: once it is answered, they were read too.
    newsbot._connection._messages.clear()  # type: ignore[union-attr]
    await emulator.edit_message(
        posted.message,
        seed.reader,
        "so: https://news.example/chips javascript:alert(1) https://learn.example/course",
    )
    first, latest = await posted.replies(2)
    assert first is answer
    assert "https://learn.example/course" in silent(latest)
    assert "news.example" not in latest.content and "Not taken" not in latest.content
    answers = [m for m in await nothing_more(emulator, seed, thread) if m.id > posted.message.id]
    assert answers == [first, latest], "nothing said twice"


async def test_a_reply_edited_while_it_is_read_is_read_again_after(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    issues = newsbot.archive.issues
    archived_link = issues.archived_link
    checking, go_on = asyncio.Event(), asyncio.Event()

    async def slow_first(url: str) -> Any:
        """The reply's first link checked slowly against the archive, as a busy one may."""
        if not checking.is_set():
            checking.set()
            await go_on.wait()
        return await archived_link(url)

    monkeypatch.setattr(issues, "archived_link", slow_first)
    text = "https://x.example/a1 and https://x.example/a2"
    posted = await emulator.post_message(threads["industry"], seed.reader, text)
    await asyncio.wait_for(checking.wait(), 10)
    # The reader edits the reply while its first link is being checked: the edit is read
    # after the reply, so the reply's second link is not suggested once the edit took it out.
    await emulator.edit_message(posted.message, seed.reader, "sorry: https://x.example/b")
    cog = suggestions_cog(newsbot)
    await polled(lambda: cog._waiting == 2, within=10)  # the edit waits its turn
    go_on.set()

    async def only_the_edit() -> bool:
        return set(await queued(newsbot)) == {"https://x.example/b"}

    await eventually(only_the_edit, "suggest only what the reply says now")

    def all_read() -> bool:  # no event of the reply left to suggest an old link late
        return posted.message.id not in cog._answering and cog._waiting == 0

    await polled(all_read, within=10)
    (kept,) = (await queued(newsbot)).values()
    assert [s.note for s in kept.supporters] == ["sorry:"]
    read = await newsbot.archive.suggestions.reply_read(posted.message.id)
    assert read is not None and "x.example/b" in read and "x.example/a" not in read


async def test_a_page_spelled_with_or_without_its_slash_is_one_suggestion(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    first = await emulator.post_message(
        threads["industry"], seed.manager, "https://blog.example/agents/"
    )
    assert await first.bot_reaction() == "✅"
    (stored,) = (await queued(newsbot)).values()
    answer = await suggest(emulator, seed, seed.owner, url="https://blog.example/agents")
    assert "✅ +1 for <https://blog.example/agents>: 2 readers suggested it." in answer.content
    posted = await emulator.post_message(
        threads["learning"], seed.reader, "+1 http://blog.example/agents"
    )
    assert await posted.bot_reaction() == "✅"
    # The reader respells the link and adds another: once the other is queued, the edit was
    # read, and the page keeps its one suggestion with the reader's support from the reply.
    await emulator.edit_message(
        posted.message, seed.reader, "+1 https://blog.example/agents/ and https://x.example/q"
    )

    async def read() -> bool:
        return "https://x.example/q" in await queued(newsbot)

    await eventually(read, "suggest the link the edit added")
    found = await queued(newsbot)
    assert set(found) == {"https://blog.example/agents/", "https://x.example/q"}
    page = found["https://blog.example/agents/"]
    assert page.id == stored.id
    assert [(s.user_id, s.source) for s in page.supporters] == [
        (seed.manager.id, "reply"),
        (seed.owner.id, "command"),
        (seed.reader.id, "reply"),
    ]


async def test_a_page_archived_with_or_without_its_slash_is_answered_once(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    thread = threads["industry"]
    posted = await emulator.post_message(thread, seed.reader, "see https://news.example/chips/")
    (answer,) = await posted.replies()
    assert "is already in #205 · Industry: “Chips, analog”" in silent(answer)
    await emulator.edit_message(
        posted.message,
        seed.reader,
        "see https://news.example/chips and https://learn.example/course/",
    )
    first, latest = await posted.replies(2)
    assert first is answer
    assert "is already in #205 · Learning" in silent(latest)
    assert "news.example" not in latest.content, "the same page respelled is not new"
    answers = [m for m in await nothing_more(emulator, seed, thread) if m.id > posted.message.id]
    assert answers == [first, latest], "nothing said twice"
    assert await queued(newsbot) == {}


async def test_an_edit_takes_the_check_mark_away_after_discord_gave_it(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    reaction = "/channels/*/messages/*/reactions/*/@me"
    given = emulator.inject("PUT", reaction, 204, after_handler=True, hang=True)
    taken = emulator.inject("DELETE", reaction, 204, after_handler=True, hang=True)
    posted = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
    await emulator.wait_until(lambda: given.hits or None)
    # Discord has not answered the ✅ yet when the reply is edited to no link, and read again.
    await emulator.edit_message(posted.message, seed.reader, "never mind")

    async def taken_back() -> bool:
        return await queued(newsbot) == {}

    await eventually(taken_back, "take the suggestion back")
    # The edit's answer waits for the reply's (or, were it out of order, takes the ✅ away).
    await polled(lambda: bool(taken.hits or parked("after_earlier")), within=10)
    assert not taken.hits, "the ✅ is taken away once given, not before"
    given.release()
    await emulator.wait_until(lambda: taken.hits or None)
    taken.release()
    await no_ack(emulator, seed, posted.message)


async def test_an_edit_that_failed_still_keeps_the_answers_in_order(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    assert newsbot.services is not None
    service = newsbot.services.suggestions
    revise = service.revise
    failed: list[int] = []

    async def faulty_once(*args: Any, **kwargs: Any) -> Any:
        """Newsbot's own error met by the reply's first edit only."""
        if not failed:
            failed.append(1)
            raise TypeError("a bug")
        return await revise(*args, **kwargs)

    monkeypatch.setattr(service, "revise", faulty_once)
    reaction = "/channels/*/messages/*/reactions/*/@me"
    given = emulator.inject("PUT", reaction, 204, after_handler=True, hang=True)
    taken = emulator.inject("DELETE", reaction, 204, after_handler=True, hang=True)
    posted = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
    await emulator.wait_until(lambda: given.hits or None)
    # While Discord has not answered the ✅, an edit fails (no answer of its own), and the
    # next takes the link out: its answer still waits for the ✅ before taking it away.
    await emulator.edit_message(posted.message, seed.reader, "so: https://ok.example/1")
    await emulator.edit_message(posted.message, seed.reader, "never mind")

    async def taken_back() -> bool:
        return await queued(newsbot) == {}

    await eventually(taken_back, "take the suggestion back")
    assert failed, "the first edit failed"
    await polled(lambda: bool(taken.hits or parked("after_earlier")), within=10)
    assert not taken.hits, "the ✅ is taken away once given, not before"
    given.release()
    await emulator.wait_until(lambda: taken.hits or None)
    taken.release()
    await no_ack(emulator, seed, posted.message)
