"""How often newsbot answers a reader in a section thread: each thing once an hour, in a
message, so that no reader can have it post a message for each of theirs."""

from __future__ import annotations

import datetime as dt

from bot.app import Newsbot
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, Message, Permission, User
from cogs.suggestions._answers import ANSWERS_PER_WINDOW, READERS_KEPT, RecentAnswers
from tests.conftest import eventually
from tests.suggestions.conftest import StartBot, publish_threads
from tests.suggestions.test_discord import silent

FILE_LINK = "✖ Not taken: a file: link — only web links (http:// or https://) can be suggested."
PRIVATE = "✖ Not taken: 10.0.0.1 — it points to a private or local network address, not the web."


def answers(emulator: Emulator, seed: DefaultWorld, thread: Channel) -> list[Message]:
    """The bot's answers to replies in `thread` (not the issue's own messages)."""
    return [
        m
        for m in emulator.messages_in(thread)
        if m.author.id == seed.bot.id and m.message_reference is not None
    ]


def member(emulator: Emulator, seed: DefaultWorld, name: str) -> User:
    user = emulator.world.add_user(name, global_name=name.title())
    emulator.world.add_member(seed.guild, user)
    return user


async def test_a_reader_repeating_refused_links_is_answered_once_then_with_a_reaction(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    now = [dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)]
    bot = await start_bot(clock=lambda: now[0])
    thread = (await publish_threads(bot, emulator, seed))["industry"]

    first = await emulator.post_message(thread, seed.reader, "see file:///etc/passwd")
    (answer,) = await first.replies()
    assert silent(answer) == FILE_LINK
    for n in range(4):
        again = await emulator.post_message(thread, seed.reader, f"and file:///x{n}")
        assert await again.bot_reaction() == "❌"
    assert answers(emulator, seed, thread) == [answer], "one message for five replies"

    other = member(emulator, seed, "ada")
    theirs = await emulator.post_message(thread, other, "file:///etc/shadow")
    (told,) = await theirs.replies()
    assert silent(told) == FILE_LINK, "another reader is told for themselves"

    # Something the reader was not told yet is still told, with what else the reply says.
    mixed = await emulator.post_message(thread, seed.reader, "http://10.0.0.1/ file:///y")
    (told,) = await mixed.replies()
    assert silent(told) == f"{PRIVATE}\n{FILE_LINK}"

    # An hour after the first answer, the reader is told again.
    now[0] += dt.timedelta(hours=1)
    later = await emulator.post_message(thread, seed.reader, "file:///z")
    (told,) = await later.replies()
    assert silent(told) == FILE_LINK
    assert len(answers(emulator, seed, thread)) == 4


async def test_a_reader_is_answered_a_few_times_an_hour_at_most(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["learning"]
    refused = [
        "file:///a",
        "http://10.0.0.1/",
        "https://user:pw@a.example/",
        "https://discord.gg/abc",
        "http://localhost/",
    ]
    for n, link in enumerate(refused):
        posted = await emulator.post_message(thread, seed.reader, f"see {link}")
        if n < ANSWERS_PER_WINDOW:
            await posted.replies()
        else:
            assert await posted.bot_reaction() == "❌"
    assert len(answers(emulator, seed, thread)) == ANSWERS_PER_WINDOW


async def test_a_page_already_in_an_issue_is_told_once_and_another_too(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    chips = await emulator.post_message(thread, seed.reader, "https://news.example/chips")
    (told,) = await chips.replies()
    assert "is already in #205 · Industry" in silent(told)
    again = await emulator.post_message(thread, seed.reader, "https://news.example/chips")
    assert await again.bot_reaction() == "❌"
    course = await emulator.post_message(thread, seed.reader, "https://learn.example/course")
    (told,) = await course.replies()
    assert "is already in #205 · Learning" in silent(told)
    assert len(answers(emulator, seed, thread)) == 2


async def test_an_edit_is_answered_as_a_reply_is(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    first = await emulator.post_message(thread, seed.reader, "file:///a")
    await first.replies()
    posted = await emulator.post_message(thread, seed.reader, "a page https://ok.example/a")
    assert await posted.bot_reaction() == "✅"
    await emulator.edit_message(posted.message, seed.reader, "https://ok.example/a file:///b")

    def crossed() -> bool | None:
        reaction = posted.message.reactions.get("❌")
        return True if reaction is not None and seed.bot.id in reaction.user_ids else None

    await emulator.wait_until(crossed)
    assert len(answers(emulator, seed, thread)) == 1


async def test_a_refused_link_edited_out_takes_its_cross_away(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    first = await emulator.post_message(thread, seed.reader, "file:///a")
    await first.replies()
    fixed = await emulator.post_message(thread, seed.reader, "oops file:///b")
    dropped = await emulator.post_message(thread, seed.reader, "and file:///c")
    kept = await emulator.post_message(thread, seed.reader, "file:///d")
    for posted in (fixed, dropped, kept):
        assert await posted.bot_reaction() == "❌"

    def bot_reactions(message: Message) -> set[str]:
        return {n for n, r in message.reactions.items() if seed.bot.id in r.user_ids}

    # The link corrected: taken, and the reply no longer says it was not.
    await emulator.edit_message(fixed.message, seed.reader, "oops https://ok.example/b")
    await emulator.wait_until(lambda: bot_reactions(fixed.message) == {"✅"} or None)
    # The link removed: nothing is refused any more.
    await emulator.edit_message(dropped.message, seed.reader, "never mind")
    await emulator.wait_until(lambda: not bot_reactions(dropped.message) or None)
    # Still refused after the edit: the cross stays. (Replies are read in order, so the edit
    # has been read once a later reply is answered.)
    await emulator.edit_message(kept.message, seed.reader, "file:///d and file:///e")
    later = await emulator.post_message(thread, seed.reader, "https://ok.example/later")
    assert await later.bot_reaction() == "✅"
    assert bot_reactions(kept.message) == {"❌"}
    assert len(answers(emulator, seed, thread)) == 1


async def test_the_cross_stays_while_a_link_of_the_reply_is_still_not_taken(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    bot = await start_bot(suggestions={"per_reader_per_day": 1})
    thread = (await publish_threads(bot, emulator, seed))["industry"]
    first = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
    assert await first.bot_reaction() == "✅"
    # Over the daily limit, and a refused link besides: told, then crossed.
    told = await emulator.post_message(thread, seed.reader, "https://ok.example/2 file:///a")
    await told.replies()
    over = await emulator.post_message(thread, seed.reader, "https://ok.example/3 file:///b")
    assert await over.bot_reaction() == "❌"
    # The refused link edited out: /3 is still over the limit, so the cross stays.
    await emulator.edit_message(over.message, seed.reader, "https://ok.example/3")
    later = await emulator.post_message(thread, seed.reader, "file:///c")
    assert await later.bot_reaction() == "❌"  # read after the edit: replies go in order
    assert over.message.reactions["❌"].user_ids == [seed.bot.id]


async def test_without_add_reactions_a_reply_is_still_answered(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    emulator.deny(seed.general, int(Permission.ADD_REACTIONS))
    posted = await emulator.post_message(
        thread, seed.reader, "https://ok.example/a and file:///etc/passwd"
    )
    (answer,) = await posted.replies()
    assert silent(answer) == FILE_LINK
    assert not posted.message.reactions, "no ✅: newsbot may not add reactions here"
    assert [s.url for s in await newsbot.archive.suggestions.list()] == ["https://ok.example/a"]

    # Told already, the reader gets nothing: not a reaction, not a message.
    await emulator.post_message(thread, seed.reader, "file:///again")
    other = member(emulator, seed, "ada")
    after = await emulator.post_message(thread, other, "file:///theirs")
    await after.replies()  # replies are read in turn: the one before is done
    assert len(answers(emulator, seed, thread)) == 2
    assert all(not m.reactions for m in emulator.messages_in(thread))


async def test_an_answer_discord_refused_is_given_with_the_next_reply(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    refused = emulator.inject("POST", "/channels/{channel_id}/messages", 403)
    first = await emulator.post_message(thread, seed.reader, "see file:///etc/passwd")
    # A refused request changes nothing the emulator tells its waiters of: poll for it.
    await eventually(lambda: refused.exhausted, within=10)
    assert not answers(emulator, seed, thread)

    # The reader was never told: their next reply is answered, not crossed.
    again = await emulator.post_message(thread, seed.reader, "file:///etc/shadow")
    (answer,) = await again.replies()
    assert silent(answer) == FILE_LINK
    assert not again.message.reactions and not first.message.reactions


async def test_a_reader_whose_reply_went_with_its_answer_is_told_again(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    bot = await start_bot(suggestions={"per_reader_per_day": 1})
    thread = (await publish_threads(bot, emulator, seed))["industry"]
    first = await emulator.post_message(thread, seed.reader, "https://ok.example/1")
    assert await first.bot_reaction() == "✅"
    over = await emulator.post_message(thread, seed.reader, "https://ok.example/2")
    (answer,) = await over.replies()
    assert "reached your limit" in silent(answer)
    await emulator.delete_message(over.message, seed.reader)
    await emulator.wait_until(lambda: answer.deleted or None)

    # Nothing in the thread says why any more: the next reply over the limit is told.
    again = await emulator.post_message(thread, seed.reader, "https://ok.example/3")
    (told,) = await again.replies()
    assert "reached your limit" in silent(told)
    assert not again.message.reactions


def test_an_answer_deleted_is_told_again_but_still_counts() -> None:
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    told = RecentAnswers(lambda: now)
    told.told((1, 1), {"limited"}, answering=10)
    told.told((1, 1), {"dropped"}, answering=11)
    told.unsaid(10)
    told.unsaid(12)  # no answer to that one: nothing changes
    assert told.due((1, 1), {"limited"}) and not told.due((1, 1), {"dropped"})
    told.told((1, 1), {"limited"}, answering=13)
    assert not told.due((1, 1), {"file"}), "three answers in the hour, the deleted one too"


def test_what_a_later_answer_still_tells_is_not_told_again() -> None:
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    told = RecentAnswers(lambda: now)
    told.told((1, 1), {"limited"}, answering=10)
    told.told((1, 1), {"limited", "dropped"}, answering=11)
    told.unsaid(10)
    assert not told.due((1, 1), {"limited"}), "the answer to 11 still says it"


def test_every_answer_to_a_reply_goes_with_it() -> None:
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    told = RecentAnswers(lambda: now)
    told.told((1, 1), {"limited"}, answering=10)
    told.told((1, 1), {"dropped"}, answering=10)  # the answer to its edit
    told.unsaid(10)
    assert told.due((1, 1), {"limited"}) and told.due((1, 1), {"dropped"})


def test_an_answer_counts_from_the_moment_it_is_decided_until_it_fails() -> None:
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    told = RecentAnswers(lambda: now)
    sending = told.reserve((1, 1), {"limited"}, answering=10)
    assert sending is not None
    assert told.reserve((1, 1), {"limited"}, answering=11) is None, "being told already"
    told.release(sending)  # Discord refused it
    assert told.reserve((1, 1), {"limited"}, answering=11) is not None
    for n in range(ANSWERS_PER_WINDOW - 1):
        assert told.reserve((1, 1), {f"new {n}"}) is not None
    assert told.reserve((1, 1), {"other"}) is None, "the failed answer did not count"


def answered(told: RecentAnswers, reader: tuple[int, int], topics: set[str]) -> bool:
    """Whether `reader` is answered about `topics`, counted as told when so."""
    if not told.due(reader, topics):
        return False
    told.told(reader, topics)
    return True


def test_what_was_told_is_kept_for_a_bounded_number_of_readers() -> None:
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    told = RecentAnswers(lambda: now)
    for user_id in range(READERS_KEPT + 1):
        assert answered(told, (1, user_id), {"limited"})
    assert not answered(told, (1, READERS_KEPT), {"limited"}), "the latest reader is remembered"
    assert answered(told, (1, 0), {"limited"}), "the least recently answered was forgotten"
    assert answered(told, (2, 1), {"limited"}), "a reader is told in each server"


def test_the_readers_forgotten_first_are_those_whose_hour_ends_soonest() -> None:
    start = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    now = [start]
    told = RecentAnswers(lambda: now[0])
    assert answered(told, (1, 0), {"limited"})  # reader 0's hour ends at 13:00
    now[0] = start + dt.timedelta(minutes=10)
    for user_id in range(1, READERS_KEPT):  # theirs at 13:10
        assert answered(told, (1, user_id), {"limited"})
    now[0] = start + dt.timedelta(minutes=20)
    assert answered(told, (1, 0), {"dropped"}), "something new for reader 0, in their same hour"
    assert answered(told, (1, READERS_KEPT), {"limited"}), "one reader more than are kept"
    assert told.due((1, 0), {"limited"}), "reader 0's hour, the first to end, was forgotten"
    assert not told.due((1, 1), {"limited"}), "reader 1's, answered less lately, was not"

    # Once their hour is over, every reader is forgotten to make room, the latest too.
    now[0] = start + dt.timedelta(hours=2)
    assert answered(told, (1, 1), {"limited"})
    for user_id in range(2, READERS_KEPT + 1):
        assert answered(told, (1, user_id), {"limited"})
