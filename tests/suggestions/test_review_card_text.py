"""What a review card says, on the emulator: the link once and clickable, and readers' notes
with their links, shown safely and within Discord's limits."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.app import Newsbot
from bot.models import Supporter
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.suggestions import MAX_URL_LENGTH
from cogs.suggestions._text import note_markdown, plain
from tests.suggestions.conftest import publish_threads
from tests.suggestions.test_discord import ANY_MENTION, suggest
from tests.suggestions.test_reply_edits import eventually, queued
from tests.suggestions.test_review_cards import review_card

EMBED_DESCRIPTION_MAX = 4096  # Discord's limit (docs: resources/message.md, embed limits)
DIRECTION_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Embeddings, overrides and isolates: what turns the direction of the text after it."""
QUOTE = re.compile(r"^> (?P<name>[^:]+): (?P<note>.*)$", re.MULTILINE)


def shown_anywhere(embed: dict[str, Any]) -> str:
    """Every text of an embed an editor sees."""
    return "\n".join(
        [embed.get("title", ""), embed.get("description", ""), embed["footer"]["text"]]
    )


def isolates_close(line: str) -> bool:
    """Whether every isolate `line` opens is closed, and only those are."""
    depth = 0
    for char in line:
        depth += {"\u2068": 1, "\u2069": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


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


async def test_direction_controls_in_a_readers_name_or_note_are_not_kept(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # A right-to-left override would show the card's line after it backwards ("gpj.exe").
    reader = emulator.world.add_user("mallory", global_name="Mal\u202elory\u2066")
    emulator.world.add_member(seed.guild, reader)
    note = "really \u202egood\u202c, \u2067see\u2069 https://news.example/t \u202d"
    await suggest(emulator, seed, reader, url="https://paper.example/x", note=note)
    (stored,) = await newsbot.archive.suggestions.list()
    assert stored.supporters[0].name == "Mallory"
    assert stored.supporters[0].note == "really good, see https://news.example/t"
    (embed,) = (await review_card(emulator, seed)).embeds
    assert notes(embed) == {"Mallory": "really good, see <https://news.example/t>"}


async def test_direction_controls_kept_before_are_not_shown(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """A name or note kept with its direction controls (before they were left out) shows
    without them: on the card, and in the draft's editor note."""
    url = "https://paper.example/x"
    hostile = Supporter(7, "Eve\u202e", "nice \u202egpj.exe\u2069 \u202a", source="reply")
    at = dt.datetime.now(dt.UTC)
    await newsbot.archive.suggestions.add(url, hostile, at=at)
    (embed,) = (await review_card(emulator, seed)).embeds
    assert not DIRECTION_CONTROL.search(embed["description"])
    assert notes(embed) == {"Eve": "nice gpj.exe"}


async def test_right_to_left_names_and_notes_are_set_apart_and_read_in_order(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """Arabic or Hebrew stays as written, each name or note in an isolate of its own: two
    Arabic names beside each other keep their order, and a name's own pop ends nothing."""
    url = "https://paper.example/x"
    at = dt.datetime.now(dt.UTC)
    for user_id, name, note in [
        (7, "عمر\u2069\u202e", "مقال رائع"),
        (8, "سارة", "\u202eרעיון טוב, see https://news.example/t"),
    ]:
        await newsbot.archive.suggestions.add(url, Supporter(user_id, name, note), at=at)
    (embed,) = (await review_card(emulator, seed)).embeds
    description = embed["description"]
    assert "**2** readers: \u2068عمر\u2069, \u2068سارة\u2069\n" in description
    assert notes(embed) == {
        "\u2068عمر\u2069": "\u2068مقال رائع\u2069",
        "\u2068سارة\u2069": "\u2068רעיון טוב, see <https://news.example/t>\u2069",
    }
    for line in description.splitlines():
        assert set(DIRECTION_CONTROL.findall(line)) <= {"\u2068", "\u2069"}, "isolates only"
        assert isolates_close(line), line


@given(
    st.lists(
        st.sampled_from(["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067"])
        | st.sampled_from(["\u2068", "\u2069", "\u200f", "عمر", "שלום", "a b", "[", "](", ")"])
        | st.sampled_from(["https://a.example/x", " ", "*", "@everyone"]),
        max_size=20,
    ).map("".join)
)
def test_reader_text_shown_turns_no_direction_but_its_own(text: str) -> None:
    for shown in (note_markdown(text, 40), plain(text, 40)):
        assert set(DIRECTION_CONTROL.findall(shown)) <= {"\u2068", "\u2069"}
        assert isolates_close(shown)
        assert len(shown) <= 40
