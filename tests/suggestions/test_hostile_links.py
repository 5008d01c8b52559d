"""Links a careless or hostile reader suggests, end to end: the real discord.py bot, the Discord
emulator, a real archive."""

from __future__ import annotations

import pytest

from bot.app import Newsbot
from bot.sandbox.discord import DefaultWorld, Emulator, MessageHandle
from bot.sandbox.discord._models import JSON
from tests.suggestions.conftest import StartBot, publish_threads
from tests.suggestions.test_discord import feed_bot_posts, silent, suggest
from tests.suggestions.test_reply_edits import eventually

INVITE = "it is an invite to a Discord server, not a page to read"
INSIDE = "it opens a Discord message or channel, which only that server's members can see"
ATTACHED = "it is a file attached on Discord, and such links expire within a day"
API = "it is an address of Discord's API, not a page to read"


async def test_links_into_discord_are_not_taken_and_say_why(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    reply = (
        "join us https://discord.gg/abcdef and see https://discord.com/channels/1/2/3, "
        "https://cdn.discordapp.com/attachments/1/2/chart.png?ex=68dc7ce1&is=68db2b61&hm=59 "
        "https://media.discordapp.net/attachments/1/2/chart.png and the write-up "
        "https://discord.com/blog/how-discord-stores-trillions-of-messages"
    )
    posted = await emulator.post_message(threads["industry"], seed.reader, reply)
    assert await posted.bot_reaction() == "✅", "Discord's public blog is a page like any other"
    (answer,) = await posted.replies()
    assert silent(answer).split("\n") == [
        f"✖ Not taken: discord.gg — {INVITE}.",
        f"✖ Not taken: discord.com — {INSIDE}.",
        f"✖ Not taken: cdn.discordapp.com — {ATTACHED}.",
        f"✖ Not taken: media.discordapp.net — {ATTACHED}.",
    ]
    stored = [s.url for s in await newsbot.archive.suggestions.list()]
    assert stored == ["https://discord.com/blog/how-discord-stores-trillions-of-messages"]

    for url, reason in [
        ("https://discord.com/invite/abcdef", INVITE),
        ("https://canary.discord.com/channels/1/2", INSIDE),
        ("https://cdn.discordapp.com/ephemeral-attachments/1/2/bug.png", ATTACHED),
        # A webhook's address holds the secret that posts through it.
        ("https://discord.com/api/webhooks/123/s3cr3t-t0ken", API),
        ("https://discordapp.com/api/v10/webhooks/123/s3cr3t-t0ken", API),
    ]:
        answer = await suggest(emulator, seed, url=url)
        assert answer.content.endswith(f" — {reason}."), answer.content
    assert len(await newsbot.archive.suggestions.list()) == 1


async def test_a_pipe_inside_a_link_is_part_of_it_and_a_spoilers_fence_is_not(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    fonts = "https://fonts.googleapis.com/css?family=Roboto|Open+Sans"
    posted = await emulator.post_message(
        threads["industry"], seed.reader, f"both fonts {fonts} and ||https://spoiler.example/a||"
    )
    assert await posted.bot_reaction() == "✅"
    stored = {s.url: s.supporters[0].note for s in await newsbot.archive.suggestions.list()}
    assert stored == {
        "https://fonts.googleapis.com/css?family=Roboto%7COpen+Sans": (
            "both fonts and ||https://spoiler.example/a||"
        ),
        "https://spoiler.example/a": f"both fonts {fonts} and",
    }
    answer = await suggest(emulator, seed, seed.manager, url=f"||{fonts}||")
    assert (
        "✅ +1 for <https://fonts.googleapis.com/css?family=Roboto%7COpen+Sans>" in answer.content
    )


async def test_a_markdown_link_whose_text_is_its_address_is_one_link(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    threads = await publish_threads(newsbot, emulator, seed)
    posted = await emulator.post_message(
        threads["industry"],
        seed.reader,
        "see [https://same.example/a](https://same.example/a) and "
        "[https://shown.example/b](https://other.example/c)",
    )
    assert await posted.bot_reaction() == "✅"
    stored = sorted(s.url for s in await newsbot.archive.suggestions.list())
    assert stored == [
        "https://other.example/c",
        "https://same.example/a",
        "https://shown.example/b",
    ], "each address as it is written, none run into the next"
    answer = await suggest(emulator, seed, url="[https://paste.example/x](https://paste.example/x)")
    assert answer.content == "✅ Thanks! <https://paste.example/x> is suggested for the next issue."


VIDEO_PREVIEW = {
    "type": "video",
    "url": "https://www.youtube.com/watch?v=abc",
    "title": "A talk on distillation",
    "description": "Slides: https://slides.example/deck · support me https://patreon.example/me",
}
"""Discord's preview of a youtu.be link: the video's own address, and its page's text."""
RICH_PREVIEW = {
    "type": "rich",
    "url": "https://twitter.com/someone/status/1",
    "description": "A thread on distillation https://t.co/abc",
}
"""Discord's preview of a post on X, which comes as a `rich` embed like a bot's own."""
PREVIEWS = pytest.mark.parametrize("preview", [VIDEO_PREVIEW, RICH_PREVIEW], ids=["video", "rich"])


async def preview_reply(
    bot: Newsbot, emulator: Emulator, seed: DefaultWorld, preview: JSON = VIDEO_PREVIEW
) -> MessageHandle:
    """A reader's reply with a youtu.be link, suggested, then previewed by Discord."""
    threads = await publish_threads(bot, emulator, seed)
    posted = await emulator.post_message(
        threads["industry"], seed.reader, "great talk https://youtu.be/abc"
    )
    assert await posted.bot_reaction() == "✅"
    await emulator.preview_links(posted.message, [preview])
    return posted


@PREVIEWS
async def test_the_menu_suggests_a_messages_links_not_their_previews(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld, preview: JSON
) -> None:
    posted = await preview_reply(newsbot, emulator, seed, preview)
    handle = await emulator.message_context_menu(
        "Suggest for the newsletter", posted.message, seed.manager
    )
    answer = await handle.original()
    assert silent(answer) == "✅ +1 for <https://youtu.be/abc>: 2 readers suggested it."
    assert [s.url for s in await newsbot.archive.suggestions.list()] == ["https://youtu.be/abc"]


@PREVIEWS
async def test_an_edit_read_after_a_restart_suggests_no_preview_of_a_link(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld, preview: JSON
) -> None:
    bot = await start_bot()
    posted = await preview_reply(bot, emulator, seed, preview)
    # Edited once newsbot has forgotten the reply as it was: what the reader wrote is read
    # again, not the preview Discord made of their link.
    await bot.close()
    bot = await start_bot()
    edited = "great talk: https://youtu.be/abc and its paper https://paper.example/p"
    await emulator.edit_message(posted.message, seed.reader, edited)

    async def read_again() -> bool:
        kept = await bot.archive.suggestions.reply_read(posted.message.id)
        return "paper.example" in (kept or "")

    await eventually(read_again, "read the edited reply")
    stored = sorted(s.url for s in await bot.archive.suggestions.list())
    assert stored == ["https://paper.example/p", "https://youtu.be/abc"]


async def test_a_bots_own_embeds_are_suggested_and_discords_previews_of_its_links_are_not(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """A feed's bot posts a link with an embed of its own; Discord previews the link too."""
    posted = await feed_bot_posts(
        emulator,
        seed,
        "new on the blog https://youtu.be/abc",
        {"title": "Our post", "url": "https://blog.example/post"},
    )
    await emulator.preview_links(posted.message, [*posted.message.embeds, VIDEO_PREVIEW])
    handle = await emulator.message_context_menu(
        "Suggest for the newsletter", posted.message, seed.reader
    )
    await handle.original()
    stored = sorted(s.url for s in await newsbot.archive.suggestions.list())
    assert stored == ["https://blog.example/post", "https://youtu.be/abc"]
