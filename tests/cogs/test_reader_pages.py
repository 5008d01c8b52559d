"""Turning a search's pages over time: while the archive changes, and in quick succession."""

from __future__ import annotations

import gc
import re
import sys

import pytest

from bot.app import Newsbot
from bot.models import Issue
from bot.render.discord import section_pages
from bot.sandbox.discord import CallbackType, DefaultWorld, Emulator, Message, MessageFlag
from bot.store import Archive
from cogs.reader._sections import SectionPage
from tests.cogs.test_reader import assert_private_and_silent, slash, turn_page
from tests.factories import issue, item

SHOWN = re.compile(r"\*\*\[([^\]]+)\]")


def shown(message: Message) -> tuple[str, list[str]]:
    """The footer of the page `message` shows, and the titles of its results."""
    embed = message.embeds[0]
    return embed["footer"]["text"], SHOWN.findall(embed["description"])


def tricks(*numbers: int) -> list[str]:
    return [f"Torch trick number {n}" for n in numbers]


async def turn(emulator: Emulator, seed: DefaultWorld, message: Message, direction: str) -> None:
    await turn_page(emulator, message, f"search:{direction}", seed.reader)


async def test_pages_turned_while_an_issue_is_archived_neither_repeat_nor_shift(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, filled_archive: Archive
) -> None:
    reader = newsbot.get_cog("Reader")
    assert reader is not None
    reader.answers.ttl = 0  # type: ignore[attr-defined]  # each page searched afresh
    first = await slash(emulator, seed, "search", query="torch")
    await turn(emulator, seed, first, "next")
    assert shown(first) == ("Results 6–10 · more on the next page", tricks(5, 6, 7, 8, 9))

    # An issue lands with more torch items, which rank above those shown.
    news = [
        item(f"Torch news {n}", f"https://new.example/{n}", f"Torch blurb {n}.") for n in (1, 2, 3)
    ]
    await filled_archive.issues.ingest_many([(issue(204, {"Libraries & Code": news}), None)])

    await turn(emulator, seed, first, "next")
    assert shown(first) == ("Results 11–12", tricks(10, 11)), "no result shown twice"
    await turn(emulator, seed, first, "previous")
    assert shown(first) == ("Results 6–10 · more on the next page", tricks(5, 6, 7, 8, 9))
    await turn(emulator, seed, first, "previous")
    assert shown(first) == ("Results 1–5 · more on the next page", tricks(0, 1, 2, 3, 4))


async def test_quick_presses_turn_one_page_each_in_order(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    first = await slash(emulator, seed, "search", query="torch")
    presses = [await emulator.press_button(first, "search:next", seed.reader) for _ in range(2)]
    turned = (CallbackType.UPDATE_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE)
    for pressed in presses:
        assert (await pressed.response()).type in turned
    # A page slow to come (past `DEFER_AFTER`) is acknowledged first, and shown after.
    await emulator.wait_until(lambda: shown(first)[0] == "Results 11–12" or None)
    assert shown(first) == ("Results 11–12", tricks(10, 11)), "two presses, two pages on"
    await turn(emulator, seed, first, "previous")
    assert shown(first) == ("Results 6–10 · more on the next page", tricks(5, 6, 7, 8, 9))


async def test_results_the_archive_no_longer_has_end_the_pages_where_they_are(
    newsbot: Newsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    filled_archive: Archive,
    issue_203: Issue,
) -> None:
    reader = newsbot.get_cog("Reader")
    assert reader is not None
    reader.answers.ttl = 0  # type: ignore[attr-defined]  # each page searched afresh
    first = await slash(emulator, seed, "search", query="torch")
    await turn(emulator, seed, first, "next")
    assert shown(first) == ("Results 6–10 · more on the next page", tricks(5, 6, 7, 8, 9))

    # The issue is archived again with only the torch items already shown.
    fewer = tuple(s.model_copy(update={"items": s.items[:10]}) for s in issue_203.sections)
    await filled_archive.issues.ingest(issue_203.model_copy(update={"sections": fewer}))

    await turn(emulator, seed, first, "next")
    assert shown(first) == ("Results 6–10", tricks(5, 6, 7, 8, 9)), "the same page, as the end"
    await turn(emulator, seed, first, "previous")
    assert shown(first) == ("Results 1–5 · more on the next page", tricks(0, 1, 2, 3, 4))


async def test_pagers_are_capped_and_the_oldest_dropped_says_it_expired(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    reader = newsbot.get_cog("Reader")
    assert reader is not None
    reader.pagers.kept = 2  # type: ignore[attr-defined]
    oldest, middle, newest = [await slash(emulator, seed, "search", query="torch") for _ in "abc"]

    pressed = await emulator.press_button(oldest, "search:next", seed.reader)
    answer = await pressed.response()
    (told,) = await pressed.followups(1)
    assert told.flags & MessageFlag.EPHEMERAL
    assert told.content == "These pages have expired: search again with /search."
    assert answer.type == CallbackType.UPDATE_MESSAGE
    buttons = [c for row in oldest.components for c in row["components"]]
    assert buttons and all(b.get("disabled") for b in buttons), "greyed out once pressed"
    assert shown(oldest) == ("Results 1–5 · more on the next page", tricks(0, 1, 2, 3, 4))

    for live in (middle, newest):
        await turn(emulator, seed, live, "next")
        assert shown(live) == ("Results 6–10 · more on the next page", tricks(5, 6, 7, 8, 9))


async def test_every_result_of_a_page_is_shown_however_long_its_link(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, filled_archive: Archive
) -> None:
    # Links of 1,500 characters: five results with theirs overflow a page's 4,096.
    lanterns = [
        item(f"Lantern {n}", f"https://long.example/{n}/{'a' * 1500}", f"Lantern blurb {n}.")
        for n in range(6)
    ]
    await filled_archive.issues.ingest(issue(204, {"Industry": lanterns}))
    first = await slash(emulator, seed, "search", query="lantern")
    description = first.embeds[0]["description"]
    assert "more on this page" not in description, "a result left out is on no page"
    shown = [
        n for n in range(6) if f"Lantern {n}**" in description or f"Lantern {n}]" in description
    ]
    assert len(shown) == 5
    assert "https://long.example/" in description, "the links that fit are kept"
    await turn(emulator, seed, first, "next")
    assert first.embeds[0]["footer"]["text"] == "Results 6–6"
    (last,) = set(range(6)) - set(shown)
    assert f"[Lantern {last}](https://long.example/{last}/" in first.embeds[0]["description"]


LANTERNS = [
    item(f"Lantern {n}", f"https://lantern.example/{n}", f"Lantern blurb {n}. " + "word " * 60)
    for n in range(40)
]
"""A section too long for one message: Discord's 4,096 characters hold about ten of these."""
LANTERN = re.compile(r"\*\*\[Lantern (\d+)\]")


def lanterns(message: Message) -> tuple[str, list[int]]:
    """The footer of the section page `message` shows, and the numbers of its items."""
    (embed,) = message.embeds
    return embed["footer"]["text"], [int(n) for n in LANTERN.findall(embed["description"])]


def page_buttons(message: Message) -> dict[str, bool]:
    """The message's buttons by custom_id, each with whether it can be pressed."""
    return {
        button["custom_id"]: not button.get("disabled")
        for row in message.components
        for button in row["components"]
    }


async def test_a_long_section_is_read_whole_a_page_at_a_time(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, filled_archive: Archive
) -> None:
    await filled_archive.issues.ingest(issue(209, {"Industry": LANTERNS}))
    for command, options in (("latest", {}), ("issue", {"number": 209})):
        first = await slash(emulator, seed, command, section="Industry", **options)
        assert_private_and_silent(first)
        footer, shown = lanterns(first)
        assert "more in this section" not in first.embeds[0]["description"]
        assert footer.startswith(f"Items 1–{len(shown)} of 40 · ")
        assert page_buttons(first) == {f"{command}:previous": False, f"{command}:next": True}
        read, pages = list(shown), [footer]
        while page_buttons(first)[f"{command}:next"]:
            await turn_page(emulator, first, f"{command}:next", seed.reader)
            footer, shown = lanterns(first)
            assert footer.startswith(f"Items {len(read) + 1}–{len(read) + len(shown)} of 40")
            assert first.allowed_mentions == {"parse": []}
            read += shown
            pages.append(footer)
        assert read == list(range(40)), "every item once, in order"
        assert page_buttons(first)[f"{command}:previous"], "the last page turns back"
        await turn_page(emulator, first, f"{command}:previous", seed.reader)
        assert lanterns(first)[0] == pages[-2]


async def test_a_section_pager_is_its_askers_and_shares_the_cap_with_searches(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, filled_archive: Archive
) -> None:
    await filled_archive.issues.ingest(issue(209, {"Industry": LANTERNS}))
    reader = newsbot.get_cog("Reader")
    assert reader is not None
    reader.pagers.kept = 1  # type: ignore[attr-defined]
    section = await slash(emulator, seed, "latest", section="Industry", public=True)
    handle = await emulator.press_button(section, "latest:next", seed.manager)
    refused = await handle.original()
    assert_private_and_silent(refused)
    assert (
        refused.content == "Only the person who asked can turn these pages. Try /latest yourself!"
    )

    await slash(emulator, seed, "search", query="torch")  # the one pager left open
    handle = await emulator.press_button(section, "latest:next", seed.reader)
    (told,) = await handle.followups(1)
    assert told.flags & MessageFlag.EPHEMERAL
    assert told.content == "These pages have expired: ask again with /latest."
    assert not any(page_buttons(section).values()), "greyed out once pressed"
    assert lanterns(section)[1][0] == 0, "still the first page"


async def test_a_page_slow_to_come_is_acknowledged_then_shown(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules["cogs.reader._answering"], "DEFER_AFTER", 0)
    first = await slash(emulator, seed, "search", query="torch")
    pressed = await emulator.press_button(first, "search:next", seed.reader)
    assert (await pressed.response()).type == CallbackType.DEFERRED_UPDATE_MESSAGE
    await emulator.wait_until(lambda: shown(first)[0].startswith("Results 6–10") or None)
    assert shown(first) == ("Results 6–10 · more on the next page", tricks(5, 6, 7, 8, 9))
    assert page_buttons(first) == {"search:previous": True, "search:next": True}
    assert first.allowed_mentions == {"parse": []}


def section_pages_alive() -> list[object]:
    """The pages of sections in memory. Counted by their class's name: each newsbot started
    loads its reader commands' modules anew."""
    gc.collect()
    return [o for o in gc.get_objects() if type(o).__qualname__ == SectionPage.__qualname__]


async def test_pagers_of_a_long_section_share_its_pages(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, filled_archive: Archive
) -> None:
    """A section has no cap on its items, and each reader's pager held every page of it, made
    for them: 2,000 pagers of a 500-item section held hundreds of megabytes. Pagers of the
    same section share one set of its pages."""
    beacons = [
        item(f"Beacon {n}", f"https://beacon.example/{n}", f"Beacon blurb {n}. " + "word " * 60)
        for n in range(500)
    ]
    long = issue(209, {"Industry": beacons})
    await filled_archive.issues.ingest(long)
    asked = [await slash(emulator, seed, "latest", section="Industry") for _ in range(20)]
    one_section = len(section_pages(long, long.sections[0]))
    assert one_section > 40, "a long section: many pages"
    assert len(section_pages_alive()) == one_section, "twenty pagers, one section's pages"
    for message in (asked[0], asked[-1]):
        await turn_page(emulator, message, "latest:next", seed.reader)
        assert message.embeds[0]["footer"]["text"].startswith("Items 12–22 of 500")
    more = [await slash(emulator, seed, "issue", number=209, section="Industry") for _ in "ab"]
    assert len(section_pages_alive()) == 2 * one_section, "each command's pages, once"

    # Archived again, changed: asked for anew, the section's pages are made anew; a pager of
    # the section as it was turns the pages it showed.
    changed = [beacons[0].model_copy(update={"title": "Beacon renamed"}), *beacons[1:]]
    await filled_archive.issues.ingest(issue(209, {"Industry": changed}))
    renamed = await slash(emulator, seed, "latest", section="Industry")
    assert "Beacon renamed" in renamed.embeds[0]["description"]
    for turned in ("issue:next", "issue:previous"):
        await turn_page(emulator, more[0], turned, seed.reader)
    assert "**[Beacon 0]" in more[0].embeds[0]["description"], "as it was"
    assert "Beacon renamed" not in more[0].embeds[0]["description"]
