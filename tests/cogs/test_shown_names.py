"""A section's name and an issue's title are Markdown: where Discord renders Markdown (an
embed's title, a field's name) the reader sees the editor's Markdown, and where it shows plain
text (an embed's footer, an autocomplete choice) the text it reads as, never its syntax."""

from __future__ import annotations

from typing import Any

from bot.app import Newsbot
from bot.models import Section
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.cogs.test_reader import assert_private_and_silent, slash
from tests.conftest import StartNewsbot
from tests.factories import issue, item
from tests.publishing.test_newsletter_cog import newsletter, private
from tests.suggestions.test_discord import suggest

SECTION = "*Mobile* \\& Edge &amp; AI"
"""A heading written `## *Mobile* \\& Edge &amp; AI`: emphasis, an escape and an entity."""
TITLE = "Weekly \\*\\*kwargs\\*\\* **Digest**"

SECTION_AS_MARKDOWN = "*Mobile* \\& Edge & AI"
"""As Discord's Markdown reads it as the issue does: the entity is made its character."""
SECTION_AS_TEXT = "*Mobile* & Edge & AI"
"""As plain text reads it: escapes resolved, emphasis marked as plain text marks it."""
TITLE_AS_TEXT = "Weekly **kwargs** Digest"


async def ingest_marked(newsbot: Newsbot) -> str:
    """Archive an issue whose section name and title use Markdown; return the section's slug."""
    marked = issue(204, {SECTION: [item("An item", "https://example.com/item")]}, title=TITLE)
    await newsbot.archive.issues.ingest(marked)
    return marked.sections[0].slug


async def choices(emulator: Emulator, seed: DefaultWorld, *args: Any, **kw: Any) -> list[Any]:
    handle = await emulator.autocomplete(seed.guild, seed.general, *args, **kw)
    return list(await handle.choices())


async def test_embeds_keep_markdown_where_discord_renders_it_and_plain_text_elsewhere(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    slug = await ingest_marked(newsbot)
    whole = await slash(emulator, seed, "issue", number=204)
    assert_private_and_silent(whole)
    (embed,) = whole.embeds
    assert embed["title"] == f"#204 · {TITLE}"
    assert [field["name"] for field in embed["fields"]] == [SECTION_AS_MARKDOWN]

    one = await slash(emulator, seed, "issue", number=204, section=slug)
    assert_private_and_silent(one)
    (embed,) = one.embeds
    assert embed["title"] == f"#204 · {SECTION_AS_MARKDOWN}"
    assert embed["footer"]["text"] == TITLE_AS_TEXT, "a footer shows no Markdown"

    found = await slash(emulator, seed, "search", query="An item")
    (embed,) = found.embeds
    heading = "**[An item](https://example.com/item)**"
    assert f"{heading} — #204 · {SECTION_AS_MARKDOWN}\n" in embed["description"]


async def test_choices_show_names_and_titles_as_they_read(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    slug = await ingest_marked(newsbot)
    reader = seed.reader
    # `*M` is how the choice starts; its words find the seeded `Mobile & Edge` too.
    seeded = {"name": "Mobile & Edge", "value": "mobile-edge"}
    options: dict[str, Any] = {"query": "x", "section": "*M"}
    assert await choices(emulator, seed, reader, "search", options, "section") == [
        {"name": SECTION_AS_TEXT, "value": slug},
        seeded,
    ]
    assert await choices(emulator, seed, reader, "issue", {"number": "204"}, "number") == [
        {"name": f"#204 · {TITLE_AS_TEXT}", "value": 204}
    ]
    # The issue's own sections, once its number is given.
    options = {"number": 204, "section": ""}
    assert await choices(emulator, seed, reader, "issue", options, "section") == [
        {"name": SECTION_AS_TEXT, "value": slug}
    ]
    options = {"url": "https://example.com/new", "section": "*M"}
    assert await choices(emulator, seed, reader, "suggest", options, "section") == [
        {"name": SECTION_AS_TEXT, "value": slug},
        seeded,
    ]


async def test_setup_and_publish_choices_show_names_and_titles_as_they_read(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await ingest_marked(newsbot)
    manager = seed.manager
    options = {"channel": seed.general, "sections": "Industry, *M"}
    setup = await choices(
        emulator, seed, manager, "newsletter", options, "sections", subcommand="setup"
    )
    # The value is the name as written, which setup matches sections by.
    assert setup == [
        {"name": f"Industry, {SECTION_AS_TEXT}", "value": f"Industry, {SECTION}"},
        {"name": "Industry, Mobile & Edge", "value": "Industry, Mobile & Edge"},
    ]
    options = {"issue": "204"}
    publish = await choices(
        emulator, seed, manager, "newsletter", options, "issue", subcommand="publish"
    )
    assert publish == [{"name": f"#204 · {TITLE_AS_TEXT}", "value": 204}]


async def test_sections_listed_in_messages_read_as_the_issues_write_them(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    slug = await ingest_marked(newsbot)
    unknown = await slash(emulator, seed, "latest", section="nope")
    assert f"Its sections are: {SECTION_AS_MARKDOWN}." in unknown.content
    refused = await suggest(emulator, seed, url="https://example.com/new", section="nope")
    assert f"The sections are: {SECTION_AS_MARKDOWN}, Industry, " in refused.content
    chosen = await newsletter(emulator, seed, "setup", channel=seed.general, sections=SECTION)
    assert f"Sections: {SECTION_AS_MARKDOWN}." in private(chosen).splitlines()

    # A review card names the section in its text, and in its menu as plain text.
    await suggest(emulator, seed, url="https://example.com/new", section=slug)
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {}, subcommand="review"
    )
    (card,) = await handle.followups(1)
    assert f"Section: {SECTION_AS_MARKDOWN} · " in card.embeds[0]["description"]
    (menu,) = [c for row in card.components for c in row["components"] if c.get("options")]
    assert {"label": SECTION_AS_TEXT, "value": slug} in [
        {"label": option["label"], "value": option["value"]} for option in menu["options"]
    ]


async def test_choices_are_found_by_what_they_show_from_any_word(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    slug = await ingest_marked(newsbot)
    reader, manager = seed.reader, seed.manager
    marked = {"name": SECTION_AS_TEXT, "value": slug}
    seeded = {"name": "Mobile & Edge", "value": "mobile-edge"}
    # What the choice shows, in any case, from its start or from any of its words.
    for typed, found in [
        ("Mob", [seeded, marked]),  # a name that starts so comes first
        ("mobile & edge & a", [marked]),
        ("edge", [marked, seeded]),
        ("  Edge & a", [marked]),
        ("ai", [marked]),
        ("dge", []),
    ]:
        options: dict[str, Any] = {"query": "x", "section": typed}
        assert await choices(emulator, seed, reader, "search", options, "section") == found
        options = {"url": "https://example.com/new", "section": typed}
        assert await choices(emulator, seed, reader, "suggest", options, "section") == found
        # The issue's own sections, once its number is given.
        options = {"number": 204, "section": typed}
        own = await choices(emulator, seed, reader, "issue", options, "section")
        assert own == [marked] if marked in found else own == []
        options = {"channel": seed.general, "sections": f"Industry, {typed}"}
        setup = await choices(
            emulator, seed, manager, "newsletter", options, "sections", subcommand="setup"
        )
        names = {"*Mobile* & Edge & AI": SECTION, "Mobile & Edge": "Mobile & Edge"}
        assert setup == [
            {"name": f"Industry, {choice['name']}", "value": f"Industry, {names[choice['name']]}"}
            for choice in found
        ]


async def test_an_archive_without_sections_says_there_are_none_yet(
    start_newsbot: StartNewsbot, archive: Archive, emulator: Emulator, seed: DefaultWorld
) -> None:
    await start_newsbot(archive)
    chosen = await newsletter(emulator, seed, "setup", channel=seed.general, sections="Industry")
    assert private(chosen) == "No section is called “Industry”. The sections are: none yet."
    refused = await suggest(emulator, seed, url="https://example.com/new", section="Industry")
    assert refused.content.endswith("The sections are: none yet.")


async def test_a_section_asked_for_by_name_is_that_section_not_one_with_the_word(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # A choice is found from any word of its name; a section asked for by name is that one:
    # "edge" is only a word of "Mobile & Edge", so the latest issue has no section "edge".
    await newsbot.archive.issues.ingest(
        issue(205, {"Mobile & Edge": [item("Phones")], "Industry": [item("Chips")]})
    )
    told = await slash(emulator, seed, "latest", section="edge")
    assert_private_and_silent(told)
    assert not told.embeds
    assert told.content.startswith("Issue #205 has no section “edge”. Its sections are: ")
    shown = await slash(emulator, seed, "latest", section="mobile & edge")
    assert shown.embeds[0]["title"] == "#205 · Mobile & Edge"


async def test_a_section_typed_by_its_first_words_is_that_section(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # A reader who types `section:Papers` and sends without picking the choice means
    # "Papers & Publications" when no other section's name begins with that word.
    await newsbot.archive.issues.ingest(
        issue(205, {"Papers & Publications": [item("Attention")], "Industry": [item("Chips")]})
    )
    shown = await slash(emulator, seed, "latest", section="Papers")
    assert shown.embeds[0]["title"] == "#205 · Papers & Publications"
    found = await slash(emulator, seed, "search", query="attention", section="papers")
    assert "Attention" in found.embeds[0]["description"]
    await newsbot.archive.issues.ingest(issue(206, {"Papers with Code": [item("Attention")]}))
    told = await slash(emulator, seed, "search", query="attention", section="Papers")
    assert told.content.startswith("No issue has a section “Papers”. The sections are: ")
    # Within one issue, the one section there that begins so, as /latest reads it.
    for number, name in ((206, "Papers with Code"), (205, "Papers & Publications")):
        found = await slash(
            emulator, seed, "search", query="attention", section="Papers", issue=number
        )
        assert f"#{number} · {name}" in found.embeds[0]["description"]
    latest = await slash(emulator, seed, "latest", section="Papers")
    assert latest.embeds[0]["title"] == "#206 · Papers with Code"


async def test_a_section_renamed_in_place_is_found_by_its_name_however_its_slug_reads_it(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # `## Café news {#cafe}`: its slug is not its name's. "Cafe news" names it (as a slug
    # reads it), though no choice shows it so.
    renamed = Section(name="Café news", slug="cafe", items=(item("Espresso robots"),))
    await newsbot.archive.issues.ingest(issue(205, {}).model_copy(update={"sections": (renamed,)}))
    shown = await slash(emulator, seed, "issue", number=205, section="Cafe news")
    assert shown.embeds[0]["title"] == "#205 · Café news"
    found = await slash(emulator, seed, "search", query="espresso", section="Cafe news")
    assert "Espresso robots" in found.embeds[0]["description"]
