"""Links whose path is in another script than Latin: shown in a few letters, stored
percent-encoded in nine characters for each (`機` is `%E6%A9%9F`). Every answer naming ten of
them names all ten within Discord's 2,000 characters, and still says what to do."""

from __future__ import annotations

from contextlib import closing

from bot.app import Newsbot
from bot.models.idn import shown_url
from bot.render.discord import CONTENT_MAX
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.suggestions import normalise
from cogs.suggestions._text import NOTE_LINK_MAX, note_markdown
from tests.factories import issue, item
from tests.suggestions.conftest import StartBot, publish_threads
from tests.suggestions.test_discord import silent
from tests.suggestions.test_reply_outage import fail_inserts

WIKI = "https://ja.wikipedia.org/wiki/"
POST_AGAIN = " — newsbot can't save suggestions just now. Post them again in a few minutes."


POSTED = [f"{WIKI}{n}" + "機械学習" * 22 for n in range(10)]
"""Japanese Wikipedia addresses as a reader writes them, in 120 characters or fewer."""
LINKS = [normalise(url) for url in POSTED]
"""As stored: each over 800 characters."""


def test_the_links_are_as_long_as_said() -> None:
    assert all(len(shown_url(url)) <= 120 and len(url) > 800 for url in LINKS)
    assert [shown_url(url) for url in LINKS] == POSTED


async def test_a_message_of_ten_long_links_is_answered_for_each(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await start_bot(suggestions={"per_reader_per_day": 10})
    posted = await emulator.post_message(seed.general, seed.owner, " ".join(POSTED))
    for thanked in ("✅ Thanks! ", "✅ You already suggested "):
        handle = await emulator.message_context_menu(
            "Suggest for the newsletter", posted.message, seed.reader
        )
        answer = silent(await handle.original())
        assert len(answer) <= CONTENT_MAX and "more" not in answer
        lines = answer.splitlines()
        assert [line.startswith(thanked) for line in lines] == [True] * 10
        assert all(shown_url(url) in line for url, line in zip(LINKS, lines, strict=True))


async def test_a_reply_told_ten_long_links_were_not_recorded_is_told_to_post_them_again(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    with closing(await fail_inserts(newsbot, "suggestions", "NEW.url LIKE '%wiki%'")) as other:
        reply = await emulator.post_message(
            thread, seed.reader, " ".join(["https://ok.example/1", *POSTED[:9]])
        )
        (told,) = await reply.replies()
        other.execute("DROP TRIGGER failing")
    answer = silent(told)
    assert len(answer) <= CONTENT_MAX
    assert answer.startswith("✖ Not recorded: ")
    assert answer.endswith(POST_AGAIN)
    assert all(shown_url(url) in answer for url in LINKS[:9]), "every link named"


async def test_links_not_recorded_are_told_first_among_links_already_in_an_issue(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    """Lines about links already in an issue, each with its title, fill a message: the line
    saying which links to post again was the one left out for room."""
    title = "A long title of a page on machine learning, " * 3
    archived = [item(f"{title}{n}", url) for n, url in enumerate(LINKS[:7])]
    await newsbot.archive.issues.ingest(issue(209, {"Industry": archived}))
    thread = (await publish_threads(newsbot, emulator, seed))["industry"]
    with closing(await fail_inserts(newsbot, "suggestions", "NEW.url LIKE '%wiki%'")) as other:
        reply = await emulator.post_message(
            thread, seed.reader, " ".join(["https://ok.example/1", *POSTED[:9]])
        )
        (told,) = await reply.replies()
        other.execute("DROP TRIGGER failing")
    answer = silent(told)
    assert len(answer) <= CONTENT_MAX
    first, *rest = answer.splitlines()
    assert first.startswith("✖ Not recorded: ") and first.endswith(POST_AGAIN)
    assert all(shown_url(url) in first for url in LINKS[7:9]), "every link not recorded named"
    assert "is already in #209 · Industry: “A long title of a page" in rest[0]
    assert rest[-1] == "…and 1 more", "a line too many for the message is counted"


def test_a_notes_link_of_some_length_stays_a_link() -> None:
    # Its path as read makes its Markdown too long for a note; linked by its host, it fits.
    url = normalise(f"{WIKI}" + "機械学習" * 4)
    assert len(f"[ja.wikipedia.org/wiki/{'機械学習' * 4}](<{url}>)") > NOTE_LINK_MAX
    shown = note_markdown(f"see {url} first")
    assert shown == f"see [ja.wikipedia.org/…](<{url}>) first"


def test_a_stored_link_too_long_to_link_in_a_note_is_named_by_its_site() -> None:
    shown = note_markdown(f"see {LINKS[0]} first")
    assert shown == "see ja.wikipedia.org/… first"
