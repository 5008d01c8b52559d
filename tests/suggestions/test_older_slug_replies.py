"""Readers' replies in the section threads of issues an older newsbot archived, when it gave
their sections the slug of the ASCII letters of their names (`## 業界ニュース` as `section`,
`## AI ニュース` as `ai`): each is filed, shown and drafted under its own section as readers
know it today, not another given the same slug then or since."""

from __future__ import annotations

from bot.app import Newsbot
from bot.models import Issue, SuggestionStatus, ascii_slug
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.suggestions import export_draft
from tests.factories import issue, item
from tests.suggestions.conftest import publish_threads
from tests.suggestions.test_reply_edits import eventually, queued
from tests.suggestions.test_review_cards import review_card


def archived_before(number: int, name: str) -> Issue:
    """Issue `number` with the one section `name`, as an older newsbot archived it."""
    found = issue(number, {name: [item(f"Item {number}", f"https://n.example/{number}")]})
    (section,) = found.sections
    slug = ascii_slug(section.name)
    return found.model_copy(update={"sections": (section.model_copy(update={"slug": slug}),)})


async def test_a_reply_in_an_older_threads_section_is_filed_under_that_section(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """#300's `## 業界ニュース` and #301's `## 論文` were both `section`: a reply in the thread
    of #300's, and a link added to it by an edit, are 業界ニュース's, on its card and in the
    draft."""
    await newsbot.archive.issues.ingest(archived_before(300, "業界ニュース"))
    await newsbot.archive.issues.ingest(archived_before(301, "論文"))
    threads = await publish_threads(newsbot, emulator, seed, 300)
    assert threads["section"].name == "#300 · 業界ニュース"

    posted = await emulator.post_message(threads["section"], seed.reader, "https://r.example/a")
    assert await posted.bot_reaction() == "✅"
    (stored,) = (await queued(newsbot)).values()
    assert stored.section == "業界ニュース"
    card = await review_card(emulator, seed)
    assert "Section: 業界ニュース ·" in card.embeds[0]["description"]

    await emulator.edit_message(
        posted.message, seed.reader, "https://r.example/a and https://r.example/b"
    )

    async def both_queued() -> bool:
        return len(await queued(newsbot)) == 2

    await eventually(both_queued, "suggest the link the edit added")
    both = await queued(newsbot)
    assert {s.url: s.section for s in both.values()} == {
        "https://r.example/a": "業界ニュース",
        "https://r.example/b": "業界ニュース",
    }

    for suggestion in both.values():
        await newsbot.archive.suggestions.review(suggestion.id, SuggestionStatus.ACCEPTED, by="t")
    done = await export_draft(newsbot.archive, newsbot.settings.issues.directory)
    assert [(s.name, s.slug, len(s.items)) for s in done.issue.sections] == [
        ("業界ニュース", "業界ニュース", 2)
    ]


async def test_a_reply_in_an_older_thread_is_not_filed_under_the_section_its_slug_is_today(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """#300's `## AI ニュース` was `ai`, which #301's `## AI` has today: a reply in the thread
    of #300's is AI ニュース's."""
    await newsbot.archive.issues.ingest(archived_before(300, "AI ニュース"))
    await newsbot.archive.issues.ingest(issue(301, {"AI": [item("A", "https://a.example/a")]}))
    threads = await publish_threads(newsbot, emulator, seed, 300)
    assert threads["ai"].name == "#300 · AI ニュース"

    posted = await emulator.post_message(threads["ai"], seed.reader, "https://r.example/a")
    assert await posted.bot_reaction() == "✅"
    (stored,) = (await queued(newsbot)).values()
    assert stored.section == "ai-ニュース"

    await newsbot.archive.suggestions.review(stored.id, SuggestionStatus.ACCEPTED, by="t")
    done = await export_draft(newsbot.archive, newsbot.settings.issues.directory)
    assert [(s.name, s.slug) for s in done.issue.sections] == [("AI ニュース", "ai-ニュース")]
