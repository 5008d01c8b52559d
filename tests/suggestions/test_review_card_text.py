"""What a review card says, on the emulator: the link once and clickable, and readers' notes
with their links, shown safely and within Discord's limits."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.suggestions import MAX_URL_LENGTH
from cogs.suggestions._text import note_markdown
from tests.suggestions.conftest import publish_threads
from tests.suggestions.test_discord import ANY_MENTION, suggest
from tests.suggestions.test_reply_edits import eventually, queued
from tests.suggestions.test_review_cards import review_card

EMBED_DESCRIPTION_MAX = 4096  # Discord's limit (docs: resources/message.md, embed limits)
QUOTE = re.compile(r"^> (?P<name>[^:]+): (?P<note>.*)$", re.MULTILINE)


def shown_anywhere(embed: dict[str, Any]) -> str:
    """Every text of an embed an editor sees."""
    return "\n".join(
        [embed.get("title", ""), embed.get("description", ""), embed["footer"]["text"]]
    )


def notes(embed: dict[str, Any]) -> dict[str, str]:
    """The card's quoted notes, by reader name."""
    return {m["name"]: m["note"] for m in QUOTE.finditer(embed["description"])}


async def test_the_card_shows_the_link_once_and_clickable(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    url = "https://paper.example/x"
    await suggest(emulator, seed, url=url)
    (embed,) = (await review_card(emulator, seed)).embeds
    assert "title" not in embed, "no page title: the link says what it is"
    assert shown_anywhere(embed).count(url) == 1
    assert embed["description"].splitlines()[0] == f"<{url}>", "a link, without a preview"

    (stored,) = await newsbot.archive.suggestions.list()
    await newsbot.archive.suggestions.set_title(stored.id, "A paper about _things_")
    (embed,) = (await review_card(emulator, seed)).embeds
    assert embed["title"] == r"A paper about \_things\_"
    assert shown_anywhere(embed).count(url) == 1


async def test_a_note_keeps_its_links_and_nothing_else_is_markup(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    note = (
        "Discussed at https://news.example/item_1?id=2 and [the thread](https://forum.example/t-1)"
        " **wow** @everyone <@123> [not a link](javascript:alert(1))"
    )
    await suggest(emulator, seed, url="https://paper.example/x", note=note)
    (embed,) = (await review_card(emulator, seed)).embeds
    quoted = notes(embed)["Grace"]
    assert quoted.startswith(r"Discussed at <https://news.example/item_1?id=2> and ")
    assert "[the thread](<https://forum.example/t-1>)" in quoted
    assert r"\*\*wow\*\*" in quoted, "the reader's Markdown is shown as written"
    assert r"\[not a link\]\(javascript:alert\(1\)\)" in quoted, "only web links are links"
    assert not ANY_MENTION.search(embed["description"])


async def test_a_replys_note_keeps_the_links_it_names_besides_the_suggested_one(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    text = "https://a.example/paper is great, discussed [here](https://news.example/t/1)"
    posted = await emulator.post_message(threads["industry"], seed.reader, text)
    assert await posted.bot_reaction() == "✅"

    async def both() -> bool:
        return len(await queued(newsbot)) == 2

    await eventually(both, "suggest both links")
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {}, subcommand="review"
    )
    cards = {
        card.embeds[0]["description"].splitlines()[0]: card for card in await handle.followups(2)
    }
    paper = notes(cards["<https://a.example/paper>"].embeds[0])["Grace"]
    assert paper == "is great, discussed [here](<https://news.example/t/1>)"
    thread = notes(cards["<https://news.example/t/1>"].embeds[0])["Grace"]
    assert thread == "<https://a.example/paper> is great, discussed here"


async def test_a_card_with_long_links_and_notes_fits_discords_limits(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    url = "https://paper.example/" + "p" * (MAX_URL_LENGTH - 30)
    for n in range(7):
        reader = emulator.world.add_user(f"reader{n}", global_name=f"Reader {n} " + "x" * 30)
        emulator.world.add_member(seed.guild, reader)
        note = f"see https://short.example/{n} " + "*_" * 130  # each one escaped
        await suggest(emulator, seed, reader, url=url, note=note)
    (embed,) = (await review_card(emulator, seed)).embeds
    description = embed["description"]
    assert len(description) <= EMBED_DESCRIPTION_MAX
    assert description.count(url) == 1
    quoted = notes(embed)
    assert 0 < len(quoted) < 5 and description.endswith(f"…and {5 - len(quoted)} more notes")
    for note in quoted.values():
        assert note.startswith("see <https://short.example/") and note.endswith(r"\*\_")


async def test_a_long_link_in_a_note_is_named_by_its_site(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    long = "https://long.example/" + "n" * 200
    await suggest(emulator, seed, url="https://paper.example/x", note=f"see {long} please")
    (embed,) = (await review_card(emulator, seed)).embeds
    assert notes(embed)["Grace"] == "see long.example/… please"


@given(
    st.lists(
        st.sampled_from(["@", "every", "one", "here", "<", ">", "@&", "12", "[", "](", ")", " "])
        | st.sampled_from(["https://a.example/x", "<https://b.example>", "`", "\\", "_", "*"]),
        max_size=14,
    ).map("".join)
)
def test_a_note_on_a_card_never_pings(note: str) -> None:
    assert not ANY_MENTION.search(note_markdown(note))
