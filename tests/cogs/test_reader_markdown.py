"""Issue text is Markdown, end to end: readers see titles and blurbs as they read in the issue,
never their syntax or escapes shown twice."""

from __future__ import annotations

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator
from tests.cogs.test_reader import assert_private_and_silent, slash
from tests.factories import issue, item
from tests.render.test_markdown_render import KWARGS, LINK_AT_THE_CUT


async def ingest_markdown(newsbot: Newsbot) -> None:
    """An issue whose title and blurbs use Markdown, as an editor writes it."""
    marked = issue(
        204,
        {
            "Industry": [
                item(
                    "Archived item with link",
                    "https://example.com/archived-item",
                    "A blurb with @everyone and <@123> and **bold**.",
                ),
                item(KWARGS, "https://example.com/kwargs", LINK_AT_THE_CUT),
            ]
        },
    )
    await newsbot.archive.issues.ingest(marked)


def block_of(description: str, heading: str) -> str:
    """The result (heading line and snippet) whose heading holds `heading`."""
    lines = description.split("\n")
    at = next(n for n, line in enumerate(lines) if heading in line)
    return "\n".join(lines[at : at + 2])


async def test_search_results_read_as_the_issue_does(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await ingest_markdown(newsbot)
    message = await slash(emulator, seed, "search", query="blurb bold")
    assert_private_and_silent(message)
    found = block_of(message.embeds[0]["description"], "Archived item with link")
    assert found.endswith("\nA **blurb** with @\u200beveryone and \\<\u200b@123\\> and **bold**.")

    message = await slash(emulator, seed, "search", query="cut point")
    found = block_of(message.embeds[0]["description"], "kwargs")
    heading, snippet = found.split("\n")
    assert heading.startswith(f"**[{KWARGS}](https://example.com/kwargs)** — #204 · Industry")
    assert "a link placed right at the **cut** **point** of the blurb and then" in snippet
    assert "[" not in snippet and "https" not in snippet

    message = await slash(emulator, seed, "search", query="kwargs")
    heading, snippet = block_of(message.embeds[0]["description"], "kwargs").split("\n")
    assert heading.startswith(f"**[{KWARGS}](https://example.com/kwargs)** — #204 · Industry")
    # The title matched: under it is the start of its blurb, not the title again.
    assert snippet.startswith("word word word") and "kwargs" not in snippet


async def test_related_links_show_a_title_as_it_reads(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await ingest_markdown(newsbot)
    question = await emulator.post_message(
        seed.general, seed.reader, "anyone know about kwargs in python?"
    )
    handle = await emulator.message_context_menu(
        "Find related links", question.message, seed.reader
    )
    answer = await handle.original()
    description = answer.embeds[0]["description"]
    assert f"**[{KWARGS}](https://example.com/kwargs)**" in description
    assert "\\\\" not in description, "no escape is escaped again"


async def test_a_section_cuts_a_long_blurb_outside_its_links(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await ingest_markdown(newsbot)
    message = await slash(emulator, seed, "issue", number=204, section="Industry")
    (embed,) = message.embeds
    found = block_of(embed["description"], "kwargs")
    assert found == f"**[{KWARGS}](https://example.com/kwargs)**\n" + "word " * 59 + "word…"
