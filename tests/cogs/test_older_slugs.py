"""A reader's /search in a section an older newsbot archived under another slug (`## 業界ニュース`
as `section`, before slugs kept the letters of other scripts): its issues from before the
upgrade are found with those after, by the section's name or its choice; not those of another
section given the same slug then (`## 論文`, `section` too)."""

from __future__ import annotations

import datetime as dt
import re

from bot.app import Newsbot
from bot.models import Issue, Supporter
from bot.sandbox.discord import DefaultWorld, Emulator, Message
from tests.cogs.test_reader import slash, text_of
from tests.factories import issue, item
from tests.store.test_older_slugs import as_archived_before, as_read_today
from tests.suggestions.test_review_cards import review_card

FOUND = re.compile(r"\*\*\[([^\]]+)\]")


def titles(message: Message) -> list[str]:
    """The titles of the results a /search answer shows."""
    return sorted(FOUND.findall(message.embeds[0]["description"]))


def industry(number: int) -> Issue:
    return issue(
        number, {"業界ニュース": [item(f"Robots {number}", f"https://n.example/{number}")]}
    )


def papers(number: int) -> Issue:
    return issue(
        number, {"論文": [item(f"Robots studied {number}", f"https://p.example/{number}")]}
    )


async def test_a_section_searched_by_its_name_is_found_in_the_issues_before_the_upgrade(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    archive = newsbot.archive
    await archive.issues.ingest(as_archived_before(industry(300)))
    await archive.issues.ingest(as_archived_before(papers(301)))
    await archive.issues.ingest(industry(302))

    message = await slash(emulator, seed, "search", query="robots", section="業界ニュース")
    assert titles(message) == ["Robots 300", "Robots 302"]

    # One choice for the section, which finds it in both.
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, "search", {"query": "x", "section": "業界"},
        "section",
    )  # fmt: skip
    (choice,) = await handle.choices()
    assert choice["name"] == "業界ニュース"
    message = await slash(emulator, seed, "search", query="robot*", section=choice["value"])
    assert titles(message) == ["Robots 300", "Robots 302"]


async def test_before_any_issue_after_the_upgrade_its_name_finds_that_section_alone(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await newsbot.archive.issues.ingest(as_archived_before(industry(300)))
    await newsbot.archive.issues.ingest(as_archived_before(papers(301)))

    message = await slash(emulator, seed, "search", query="robots", section="業界ニュース")
    assert titles(message) == ["Robots 300"]
    message = await slash(emulator, seed, "search", query="robots", section="論文")
    assert titles(message) == ["Robots studied 301"]


async def choices(emulator: Emulator, seed: DefaultWorld, command: str, typed: str) -> list[str]:
    """Each section choice offered for what a reader typed, as `name=value`."""
    options = {"query": "x"} if command == "search" else {"url": "https://x.example/"}
    handle = await emulator.autocomplete(
        seed.guild, seed.general, seed.reader, command, {**options, "section": typed}, "section"
    )
    return [f"{choice['name']}={choice['value']}" for choice in await handle.choices()]


async def test_a_section_another_took_the_older_slug_of_is_offered_too(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """`## 論文`, archived after `## 業界ニュース` under the same older slug, does not hide it."""
    await newsbot.archive.issues.ingest(as_archived_before(industry(300)))
    await newsbot.archive.issues.ingest(as_archived_before(papers(301)))

    assert await choices(emulator, seed, "search", "業界") == ["業界ニュース=業界ニュース"]
    assert await choices(emulator, seed, "suggest", "業界") == ["業界ニュース=業界ニュース"]
    assert await choices(emulator, seed, "search", "論") == ["論文=論文"]


async def test_each_section_is_named_once_across_the_upgrade(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await newsbot.archive.issues.ingest(as_archived_before(industry(300)))
    await newsbot.archive.issues.ingest(industry(302))

    message = await slash(emulator, seed, "search", query="robots", section="nothing")
    listed = text_of(message).split("The sections are: ")[1]
    assert listed.count("業界ニュース") == 1, listed
    assert await choices(emulator, seed, "suggest", "業界") == ["業界ニュース=業界ニュース"]


async def test_a_section_not_named_so_today_is_not_found_under_its_older_slug(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """`## AI ニュース` was archived as `ai`, which `## AI` has today: each finds its own."""
    await newsbot.archive.issues.ingest(as_archived_before(as_read_today()))
    ai = issue(9, {"AI": [item("Models compared", "https://news.example/compared")]})
    await newsbot.archive.issues.ingest(as_archived_before(ai))

    assert await choices(emulator, seed, "search", "AI") == ["AI=ai", "AI ニュース=ai-ニュース"]
    message = await slash(emulator, seed, "search", query="models", section="AI")
    assert titles(message) == ["Models compared"]
    message = await slash(emulator, seed, "search", query="models", section="ai-ニュース")
    assert titles(message) == ["Models"]


async def test_a_review_card_names_a_suggestion_filed_under_an_older_slug(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """Filed under `section` before the upgrade, when only `## 業界ニュース` had it: its card
    names that section, and offers each section by its slug today."""
    await newsbot.archive.issues.ingest(as_archived_before(industry(300)))
    await newsbot.archive.issues.ingest(industry(302))
    reader = Supporter(user_id=seed.reader.id, name="Ada", source="command")
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    await newsbot.archive.suggestions.add("https://s.example/a", reader, at=at, section="section")

    card = await review_card(emulator, seed)

    assert "Section: 業界ニュース ·" in card.embeds[0]["description"]
    (menu,) = [c for row in card.components for c in row["components"] if "options" in c]
    offered = {option["value"]: option["label"] for option in menu["options"]}
    assert offered["業界ニュース"] == "業界ニュース" and "section" not in offered
