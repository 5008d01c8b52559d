"""Reader commands end to end: the real discord.py bot, the Discord emulator, a real archive."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import SORRY, Newsbot
from bot.models import Issue, SearchHit, SearchPage, Section
from bot.sandbox.discord import (
    CallbackType,
    DefaultWorld,
    Emulator,
    Message,
    MessageFlag,
    User,
)
from bot.store import Archive
from bot.store.sqlite.database import READERS
from cogs.reader._views import Answer, Answers, SearchRequest
from tests.cogs.conftest import StartBot
from tests.conftest import StartNewsbot
from tests.factories import issue, item
from tests.render.test_markdown_render import hit

EPHEMERAL = int(MessageFlag.EPHEMERAL)
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


async def slash(emulator: Emulator, seed: DefaultWorld, name: str, **options: Any) -> Message:
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, name, options)
    return await handle.original(timeout=5)


async def turn_page(emulator: Emulator, message: Message, button: str, user: User) -> None:
    """Press a pager's `button` on `message` as `user`, and wait until the message shows the
    page turned to. The page comes in the press's answer (UPDATE_MESSAGE), or, when it is slow
    to come (as on a loaded machine, past the reader's `DEFER_AFTER`), the press is acknowledged
    (DEFERRED_UPDATE_MESSAGE) and the message edited after: either is a page turned."""
    pressed = await emulator.press_button(message, button, user)
    answer = await pressed.updated()
    assert answer.type in (CallbackType.UPDATE_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE)


def text_of(message: Message) -> str:
    return message.content + "".join(str(embed) for embed in message.embeds)


def assert_private_and_silent(message: Message) -> None:
    assert message.flags & EPHEMERAL, "only the asker sees it"
    assert message.allowed_mentions is not None, "allowed_mentions passed explicitly"
    assert message.allowed_mentions.get("parse") == []
    assert not message.mentions and not message.mention_roles and not message.mention_everyone


async def test_synced_commands_describe_every_option(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    commands = {c.name: c for c in emulator.synced_commands(seed.guild)}
    assert set(commands) == {
        "latest",
        "issue",
        "search",
        "newsletter",
        "Find related links",
        "suggest",
        "suggestions",
        "Suggest for the newsletter",
    }
    assert commands["Find related links"].type == 3
    for name in ("latest", "issue", "search", "newsletter"):
        command = commands[name]
        assert command.data["description"], name
        for option in command.options:
            assert option["description"], f"/{name} {option['name']}"
            assert len(option["description"]) <= 100
    search = {o["name"]: o for o in commands["search"].options}
    assert search["query"]["required"] and search["query"]["max_length"] == 200
    assert search["section"]["autocomplete"] and search["issue"]["autocomplete"]


async def test_commands_are_synced_only_when_they_change(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    first = await start_bot()
    route = "/applications/{application_id}/guilds/{guild_id}/commands"
    assert len(emulator.requests_to("PUT", route)) == 1
    await first.close()
    await start_bot()
    assert len(emulator.requests_to("PUT", route)) == 1, "an unchanged set is not re-sent"


async def test_latest_shows_the_newest_issue(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    message = await slash(emulator, seed, "latest")
    assert_private_and_silent(message)
    (embed,) = message.embeds
    assert embed["title"] == "#203 · Test Weekly: Issue #203"
    assert [f["name"] for f in embed["fields"]] == ["Libraries & Code", "Learning"]
    assert "[Torch trick number 0](https://torch.example/0)" in embed["fields"][0]["value"]
    assert embed["footer"]["text"] == "Use /latest section:<name> or /search to read more."


async def test_latest_section_and_a_public_answer(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    message = await slash(emulator, seed, "latest", section="learning", public=True)
    assert not message.flags & EPHEMERAL
    (embed,) = message.embeds
    assert embed["title"] == "#203 · Learning"
    assert "Distilling knowledge" in embed["description"]


async def test_an_unknown_section_is_explained(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    message = await slash(emulator, seed, "latest", section="Sports")
    assert_private_and_silent(message)
    assert message.content == (
        "Issue #203 has no section “Sports”. Its sections are: Libraries & Code, Learning."
    )
    # Picked from another issue's choices (by its slug), it is named as the issues name it.
    message = await slash(emulator, seed, "latest", section="mobile-edge")
    assert message.content == (
        "Issue #203 has no section “Mobile & Edge”. Its sections are: Libraries & Code, Learning."
    )


async def test_issue_by_number_and_an_unknown_number(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    message = await slash(emulator, seed, "issue", number=202)
    (embed,) = message.embeds
    assert embed["title"] == "#202 · Deep Learning Weekly: Issue #202"
    assert len(embed["fields"]) == 5
    assert "Does Knowledge Distillation Really Work?" in embed["fields"][4]["value"]
    # An older issue's sections are not the latest's: the footer names this issue.
    assert embed["footer"]["text"] == (
        "Use /issue number:202 section:<name> or /search to read more."
    )
    message = await slash(emulator, seed, "issue", number=7)
    assert_private_and_silent(message)
    assert message.content == "Issue #7 isn't in the archive. The latest is #203."


async def test_issue_autocomplete_offers_numbers_with_titles(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "issue", {"number": "20"}, "number"
    )
    choices = await handle.choices()
    assert [c["value"] for c in choices] == [203, 202]
    assert choices[1]["name"].startswith("#202 · Quantum AI, Global AI Index")
    assert all(len(c["name"]) <= 100 for c in choices)
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "issue", {"number": "9"}, "number"
    )
    assert await handle.choices() == []


async def test_section_autocomplete(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "search", {"query": "x", "section": "l"}, "section"
    )
    choices = await handle.choices()
    assert [(c["name"], c["value"]) for c in choices] == [
        ("Learning", "learning"),
        ("Libraries & Code", "libraries-code"),
    ]


async def test_choices_show_issue_text_defused(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    loud = issue(204, {"@everyone <#1> picks": [item("x")]}, title="Weekly <@!2> @here")
    await newsbot.archive.issues.ingest(loud)
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "search", {"query": "x", "section": "@"}, "section"
    )
    assert await handle.choices() == [
        {"name": "@\u200beveryone <\u200b#1> picks", "value": "everyone-1-picks"}
    ]
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "issue", {"number": "204"}, "number"
    )
    assert await handle.choices() == [
        {"name": "#204 · Weekly <\u200b@!2> @\u200bhere", "value": 204}
    ]


async def test_search_answers_with_ranked_highlighted_results(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    message = await slash(emulator, seed, "search", query="knowledge distillation")
    assert_private_and_silent(message)
    (embed,) = message.embeds
    assert embed["title"] == "Search: knowledge distillation"
    blocks = embed["description"].split("\n")
    assert blocks[0] == (
        "**[Distilling knowledge into small students](https://distil.example/a)** — #203 · Learning"
    )
    assert "**knowledge distillation**" in embed["description"].lower() or (
        "**knowledge** **distillation**" in embed["description"].lower()
    )
    assert "Does Knowledge Distillation Really Work?" in embed["description"]
    assert not message.components, "one page needs no buttons"


async def test_search_tells_the_reader_what_was_limited(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    message = await slash(emulator, seed, "search", query="the distillation")
    assert_private_and_silent(message)
    (embed,) = message.embeds
    assert embed["footer"]["text"].endswith(" · very common words were left out: “the”")
    message = await slash(emulator, seed, "search", query="k* @everyone")
    assert_private_and_silent(message)
    assert "Limited: a prefix needs at least 2 letters: “k\\*” was searched as the word “k”" in (
        message.content
    )


async def test_search_filters(newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld) -> None:
    message = await slash(emulator, seed, "search", query="pytorch", section="learning")
    description = message.embeds[0]["description"]
    assert "#202 · Learning" in description and "#202 · Industry" not in description
    message = await slash(emulator, seed, "search", query="knowledge", issue=202)
    assert "#203" not in message.embeds[0]["description"]


async def test_a_section_renamed_in_place_is_found_by_its_new_name(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    course = item("A PyTorch course", "https://example.com/course", "Learn PyTorch.")
    courses = Section(name="Courses", slug="learning", items=(course,))
    await newsbot.archive.issues.ingest(issue(203, {}).model_copy(update={"sections": (courses,)}))
    message = await slash(emulator, seed, "search", query="pytorch", section="Courses")
    description = message.embeds[0]["description"]
    assert "#203 · Courses" in description and "#202 · Learning" in description
    assert "#202 · Industry" not in description
    message = await slash(emulator, seed, "latest", section="Courses")
    assert "A PyTorch course" in text_of(message)
    # An older issue's section, by the name a newer issue gives it.
    message = await slash(emulator, seed, "issue", number=202, section="Courses")
    assert "#202 · Learning" in text_of(message)


async def test_search_pages_turn_for_the_asker_only(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    first = await slash(emulator, seed, "search", query="torch", public=True)
    assert first.embeds[0]["footer"]["text"] == "Results 1–5 · more on the next page"
    buttons = {c["custom_id"]: c for row in first.components for c in row["components"]}
    assert buttons["search:previous"]["disabled"] and not buttons["search:next"].get("disabled")

    intruder = await emulator.press_button(first, "search:next", seed.manager)
    refusal = await intruder.response()
    assert refusal.type == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE
    assert refusal.message is not None and refusal.message.flags & EPHEMERAL
    assert "Only the person who searched" in refusal.message.content

    await turn_page(emulator, first, "search:next", seed.reader)
    assert first.embeds[0]["footer"]["text"] == "Results 6–10 · more on the next page"
    buttons = {c["custom_id"]: c for row in first.components for c in row["components"]}
    assert not buttons["search:previous"].get("disabled")

    await turn_page(emulator, first, "search:previous", seed.reader)
    assert first.embeds[0]["footer"]["text"] == "Results 1–5 · more on the next page"


async def test_the_same_search_moments_apart_is_answered_from_memory(
    newsbot: Newsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    filled_archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    searched: list[tuple[str, int]] = []
    search = filled_archive.issues.search

    async def counted(text: str, **options: Any) -> SearchPage:
        searched.append((text, options["offset"]))
        return await search(text, **options)

    monkeypatch.setattr(filled_archive.issues, "search", counted)
    first = await slash(emulator, seed, "search", query="torch")
    again = await slash(emulator, seed, "search", query="torch")
    assert again.embeds == first.embeds
    assert_private_and_silent(again)
    for button in ("search:next", "search:previous", "search:next"):
        await turn_page(emulator, again, button, seed.reader)
    assert again.embeds[0]["footer"]["text"] == "Results 6–10 · more on the next page"
    nothing = [await slash(emulator, seed, "search", query="qubits") for _ in range(2)]
    assert all("Nothing in the archive matches" in m.content for m in nothing)
    assert searched == [("torch", 0), ("torch", 5), ("qubits", 0), ("qubits", 0)], (
        "each page searched once; a search that found nothing is searched again"
    )


def torch_hit() -> SearchHit:
    """One hit, as a search page carries it."""
    return hit("Torch", title="Torch")


def test_kept_answers_expire_and_the_oldest_go_first() -> None:
    empty = SearchPage(hits=(), offset=0, has_more=False)
    hit = torch_hit()
    found = SearchPage(hits=(hit,), offset=0, has_more=False)
    answers = Answers(ttl=60, kept=2)
    for query in ("a", "b", "c"):
        answers.put(SearchRequest(query), Answer(found, discord.Embed(title=query)))
    answers.put(SearchRequest("d"), Answer(empty, discord.Embed(title="d")))
    assert [answers.get(SearchRequest(q)) is not None for q in "abcd"] == [
        False,
        True,
        True,
        False,
    ]
    expired = Answers(ttl=0)
    expired.put(SearchRequest("a"), Answer(found, discord.Embed(title="a")))
    time.sleep(0.001)
    assert expired.get(SearchRequest("a")) is None


async def test_a_pager_stops_cleanly_after_its_timeout(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    reader = newsbot.get_cog("Reader")
    assert reader is not None
    reader.pager_timeout = 0.3  # type: ignore[attr-defined]
    message = await slash(emulator, seed, "search", query="torch")

    def all_disabled() -> bool | None:
        buttons = [c for row in message.components for c in row["components"]]
        return True if buttons and all(b.get("disabled") for b in buttons) else None

    assert await emulator.wait_until(all_disabled, timeout=5)


async def test_a_pager_keeps_the_searchs_answer_not_its_whole_interaction(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # A pager lives five minutes. The interaction holds the reader, the channel and Discord's
    # whole payload: kept for every search of a burst, it all stayed in memory, walked by
    # every full garbage collection.
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.reader, "search", {"query": "torch"}
    )
    first = await handle.original(timeout=5)
    assert first.components, "a search with more pages has a pager"
    answering = [t for t in asyncio.all_tasks() if t.get_name() == "CommandTree-invoker"]
    await asyncio.wait(answering, timeout=5)  # the command has sent its answer and ended
    gc.collect()
    kept = [o for o in gc.get_objects() if isinstance(o, discord.Interaction) and o.id == handle.id]
    assert kept == []
    await turn_page(emulator, first, "search:next", seed.reader)
    assert first.embeds[0]["footer"]["text"] == "Results 6–10 · more on the next page"


async def test_pages_of_a_search_from_before_a_restart_are_said_to_have_expired(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    before = await start_bot()
    first = await slash(emulator, seed, "search", query="torch")
    await before.close()
    await start_bot()
    pressed = await emulator.press_button(first, "search:next", seed.reader)
    answer = await pressed.response()
    (told,) = await pressed.followups(1)
    assert told.flags & EPHEMERAL
    assert "These pages have expired: search again with /search." in told.content
    assert first.embeds[0]["footer"]["text"] == "Results 1–5 · more on the next page"
    # The pager restart forgot is greyed out: its buttons no longer invite a press.
    assert answer.type == CallbackType.UPDATE_MESSAGE
    buttons = [c for row in first.components for c in row["components"]]
    assert buttons and all(b.get("disabled") for b in buttons)


def test_an_answer_is_rendered_once_for_every_reader_shown_it() -> None:
    hit = torch_hit()
    shown = Answer(SearchPage(hits=(hit,), offset=0, has_more=True), discord.Embed(title="t"))
    private = shown.reply(ephemeral=True)
    assert shown.reply(ephemeral=True) is private, "the same bytes, not rendered again"
    sent = json.loads(private)
    assert sent["type"] == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE
    assert sent["data"]["flags"] == EPHEMERAL
    assert sent["data"]["allowed_mentions"] == {"parse": []}
    assert [c["custom_id"] for c in sent["data"]["components"][0]["components"]] == [
        "search:previous",
        "search:next",
    ]
    assert "flags" not in json.loads(shown.reply(ephemeral=False))["data"]


@pytest.mark.parametrize(
    ("options", "answer"),
    [
        ({"query": "a"}, "Search for at least 2 letters or digits"),
        ({"query": "*** !!!"}, "Search for at least 2 letters or digits"),
        # Exclusions alone would list nearly the whole archive: the reader is told how to write it.
        (
            {"query": "-distillation -pytorch"},
            "A `-word` leaves out the items holding it: add a word to find, like `torch -trick`.",
        ),
        # A language named with signs is searched as its letter, and the reader told so.
        (
            {"query": "c++"},
            "Nothing in the archive matches “c++”. Try fewer or other words, or a prefix like "
            "`distil*`.\nLimited: the search reads letters and digits only: “c++” was searched "
            "as the word “c”, which also finds a plain “C”.",
        ),
        ({"query": "F#"}, "Nothing in the archive matches “F\\#”."),
        # Typed full-width (a CJK keyboard) or ending a sentence, the same.
        ({"query": "Ｃ＃"}, "Nothing in the archive matches “Ｃ＃”."),
        ({"query": "C#."}, "Nothing in the archive matches “C\\#.”."),
        ({"query": "torch", "since": "last week"}, "is not a date: write it like 2021-06-16"),
        ({"query": "zebra"}, "Nothing in the archive matches “zebra”"),
        # A phrase search's own quotes are not quoted again.
        ({"query": '"zebra crossing"'}, "Nothing in the archive matches “zebra crossing”. Try"),
        ({"query": "torch", "issue": 999}, "Issue #999 isn't in the archive. The latest is #203."),
        (
            {"query": "torch", "issue": 999, "section": "Nope"},
            "Issue #999 isn't in the archive. The latest is #203.",
        ),
        (
            {"query": "learning", "section": "Nope"},
            "No issue has a section “Nope”. The sections are: Industry, Learning, Libraries & "
            "Code, Mobile & Edge, Papers & Publications.",
        ),
        (
            {"query": "learning", "issue": 203, "section": "Industry"},
            "Issue #203 has no section “Industry”. Its sections are: Libraries & Code, Learning.",
        ),
        (
            {"query": "zebra", "issue": 203, "section": "Learning"},
            "Nothing in the archive matches “zebra” with those filters",
        ),
        (
            {"query": "distillation", "since": "2000-01-01"},
            "Nothing in the archive matches “distillation” with those filters. #202, #203 "
            "match but have no date, so no date window holds them: search without `since` to "
            "see them.",
        ),
    ],
)
async def test_search_mistakes_get_specific_private_answers(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, options: dict[str, Any], answer: str
) -> None:
    message = await slash(emulator, seed, "search", **options)
    assert_private_and_silent(message)
    assert answer in message.content


async def test_nothing_a_reader_types_pings_anyone(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    hostile = f"@everyone <@&{seed.newsletter_role.id}> <@{seed.owner.id}> **zebra**"
    message = await slash(emulator, seed, "search", query=hostile, public=True)
    assert message.allowed_mentions is not None and message.allowed_mentions.get("parse") == []
    assert not message.mentions and not message.mention_roles and not message.mention_everyone
    assert not LIVE_MENTION.search(message.content)


async def test_find_related_links_suggests_past_items(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    question = await emulator.post_message(
        seed.general, seed.reader, "Does anyone have a good read on knowledge distillation?"
    )
    handle = await emulator.message_context_menu(
        "Find related links", question.message, seed.manager
    )
    answer = await handle.original()
    assert_private_and_silent(answer)
    (embed,) = answer.embeds
    assert embed["title"] == "Related links from the archive"
    assert "Distilling knowledge into small students" in embed["description"]

    chatter = await emulator.post_message(seed.general, seed.reader, "ok 👍")
    handle = await emulator.message_context_menu("Find related links", chatter.message, seed.reader)
    assert (
        await handle.original()
    ).content == "Nothing in the archive looks related to that message."


async def test_a_bug_gets_an_apology_and_a_log_line(
    newsbot: Newsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    filled_archive: Archive,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await filled_archive.close()  # the database going away under the bot is a bug to report
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        message = await slash(emulator, seed, "latest")
        await asyncio.sleep(0)
    assert_private_and_silent(message)
    assert message.content == SORRY
    record = next(r for r in caplog.records if "command 'latest' failed" in r.getMessage())
    assert f"user {seed.reader.id}" in record.getMessage() and record.exc_info


async def test_a_slow_answer_is_deferred_then_followed_up(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules["cogs.reader._answering"], "DEFER_AFTER", 0)
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.reader, "search", {"query": "torch"}
    )
    first = await handle.response()
    assert first.type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    answer = await handle.original()
    assert_private_and_silent(answer)
    assert answer.embeds[0]["footer"]["text"] == "Results 1–5 · more on the next page"
    turned = await emulator.press_button(answer, "search:next", seed.reader)
    assert (await turned.response()).type == CallbackType.DEFERRED_UPDATE_MESSAGE, "so is a page"
    footer = "Results 6–10 · more on the next page"
    await emulator.wait_until(lambda: answer.embeds[0]["footer"]["text"] == footer or None)


async def test_an_answer_behind_many_others_is_deferred_at_once(
    newsbot: Newsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    filled_archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answering = sys.modules["cogs.reader._answering"]
    monkeypatch.setattr(answering, "DEFER_AFTER", 60)  # no answer here is deferred for its time
    ahead = answering.DEFER_QUEUE
    database = filled_archive.issues._database  # type: ignore[attr-defined]
    async with contextlib.AsyncExitStack() as held:
        # Every read connection taken: each search waits, its answer worked on meanwhile.
        for _ in range(READERS):
            await held.enter_async_context(database.reader())
        handles = [
            await emulator.run_slash_command(
                seed.guild, seed.general, seed.reader, "search", {"query": "torch"}
            )
            for _ in range(ahead + 2)
        ]
        behind = [await handle.response() for handle in handles[ahead:]]
        assert {callback.type for callback in behind} == {
            CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        }
        assert [handle.callback for handle in handles[:ahead]] == [None] * ahead
    answers = [await handle.original() for handle in handles]
    assert [handle.callback_type for handle in handles] == [
        CallbackType.CHANNEL_MESSAGE_WITH_SOURCE
    ] * ahead + [CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE] * 2
    assert {answer.embeds[0]["title"] for answer in answers} == {"Search: torch"}


async def test_many_readers_at_once_all_get_answers(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    handles = await asyncio.gather(
        *(
            emulator.run_slash_command(
                seed.guild, seed.general, seed.reader, "search", {"query": query}
            )
            for query in ["torch", "knowledge", "pytorch", "learning"] * 10
        )
    )
    answers = await asyncio.gather(*(handle.original(timeout=10) for handle in handles))
    assert all(
        answer.embeds and answer.embeds[0]["title"].startswith("Search: ") for answer in answers
    )
    assert all(handle.callback and handle.callback.seconds < 3 for handle in handles)


async def test_an_issue_stays_hidden_from_readers_until_its_publish_at(
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
    issue_202: Issue,
) -> None:
    at = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)
    now = [at - dt.timedelta(minutes=1)]
    upcoming = issue(
        204,
        {"Quantum": [item("Qubits in silicon", "https://q.example/1", "Coherent qubits.")]},
        publish_at=at,
    )
    archive = await Archive.open(tmp_path / "held.db", clock=lambda: now[0])
    try:
        await archive.issues.ingest_many([(issue_202, None), (upcoming, None)])
        await start_newsbot(archive)

        async def choices(command: str, options: dict[str, str], name: str) -> list[Any]:
            handle = await emulator.autocomplete(
                seed.guild, seed.general, seed.reader, command, options, name
            )
            return [c["value"] for c in await handle.choices()]

        async def related() -> str:
            asked = await emulator.post_message(
                seed.general, seed.reader, "Anyone know about coherent qubits in silicon?"
            )
            handle = await emulator.message_context_menu(
                "Find related links", asked.message, seed.reader
            )
            return text_of(await handle.original())

        latest = await slash(emulator, seed, "latest")
        assert latest.embeds[0]["title"].startswith("#202 · ")
        asked = await slash(emulator, seed, "issue", number=204)
        assert asked.content == "Issue #204 isn't in the archive. The latest is #202."
        found = await slash(emulator, seed, "search", query="qubits")
        assert "Nothing in the archive matches “qubits”" in found.content
        assert await choices("issue", {"number": "20"}, "number") == [202]
        assert await choices("search", {"query": "x", "section": "q"}, "section") == []
        assert "Qubits" not in await related()

        now[0] = at
        latest = await slash(emulator, seed, "latest")
        assert latest.embeds[0]["title"] == "#204 · Test Weekly: Issue #204"
        asked = await slash(emulator, seed, "issue", number=204)
        assert asked.embeds[0]["title"] == "#204 · Test Weekly: Issue #204"
        found = await slash(emulator, seed, "search", query="qubits")
        assert "Qubits in silicon" in found.embeds[0]["description"]
        assert await choices("issue", {"number": "20"}, "number") == [204, 202]
        assert await choices("search", {"query": "x", "section": "q"}, "section") == ["quantum"]
        assert "Qubits in silicon" in await related()
    finally:
        await archive.close()
