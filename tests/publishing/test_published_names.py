"""A published issue names its sections and itself as Discord shows them: the editor's Markdown
in an embed's title and a field's name, the text it reads as in a thread's or post's name."""

from __future__ import annotations

from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator
from tests.cogs.test_shown_names import (
    SECTION,
    SECTION_AS_MARKDOWN,
    SECTION_AS_TEXT,
    TITLE,
    TITLE_AS_TEXT,
)
from tests.factories import issue, item
from tests.publishing.conftest import text_target, threads_of
from tests.publishing.test_publish import assert_no_bad_requests


async def test_a_markdown_section_name_and_title_as_published(
    engine: Engine, outlet: DiscordOutlet, emulator: Emulator, seed: DefaultWorld
) -> None:
    marked = issue(209, {SECTION: [item("An item", "https://example.com/item")]}, title=TITLE)
    targets = [text_target(seed, seed.general), text_target(seed, seed.forum)]
    report = await engine.publish(marked, outlet, targets)
    assert report.ok, [t.error for t in report.targets]
    assert_no_bad_requests(emulator)

    (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0]
    (embed,) = digest.embeds
    assert embed["title"] == f"#209 · {TITLE}"
    assert [field["name"] for field in embed["fields"]] == [SECTION_AS_MARKDOWN]

    (thread,) = threads_of(emulator, seed.general)
    assert thread.name == f"#209 · {SECTION_AS_TEXT}", "a thread's name shows no Markdown"
    first = emulator.messages_in(thread)[0]
    assert first.embeds[0]["title"] == SECTION_AS_MARKDOWN

    posts = threads_of(emulator, seed.forum)
    assert [p.name for p in posts] == [f"#209 · {SECTION_AS_TEXT}", f"#209 · {TITLE_AS_TEXT}"]
