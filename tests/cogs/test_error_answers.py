"""A mistake newsbot explains (a `NewsbotError`) reaches Discord as written: a path or a
reader's words in it format nothing, and the commands it names in code stay code."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.render.text import literal_but_code
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.cogs.test_reader import assert_private_and_silent
from tests.conftest import StartNewsbot

MARKUP = "\\*_~`|<>[]()#-"
"""What Discord may read as Markdown, as `bot.render.text.escape_markdown` knows it."""
ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def unescaped(markdown: str) -> list[str]:
    """The characters of `markdown` that Discord may read as Markdown, not escaped."""
    return [char for char in ESCAPED.sub("", markdown) if char in MARKUP]


def as_shown(markdown: str) -> str:
    """Markdown whose markup is all escaped, as Discord shows it."""
    return ESCAPED.sub(r"\1", markdown)


async def test_a_path_in_a_mistake_reads_as_written(
    start_newsbot: StartNewsbot,
    filled_archive: Archive,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
) -> None:
    issues = tmp_path / "news_letter" / "weekly_issues"
    issues.mkdir(parents=True)
    written = issues / "206.md"
    written.write_text("---\nnumber: 206\n---\n")
    await start_newsbot(filled_archive, issues={"directory": issues})
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "suggestions", {"issue": 206}, subcommand="export"
    )
    answer = await handle.original(timeout=5)
    assert_private_and_silent(answer)
    assert as_shown(answer.content).startswith(f"{written} already holds issue #206, not yet")
    assert not unescaped(answer.content), "nothing in it formats the path"


@given(st.text(alphabet="ab_*~|<>#-\\ \n", max_size=40))
def test_text_outside_code_shows_as_written(text: str) -> None:
    # A backtick of the text's own would pair with the code's: it is alone below.
    code = "run `newsbot ingest issues_2024/` again"
    shown = literal_but_code(f"{text} {code}", 2000)
    written, kept = shown.rsplit(" run ", 1)
    assert as_shown(written) == text
    assert not unescaped(written), "nothing outside code formats"
    assert kept == code.removeprefix("run "), "code stays code"


def test_a_backtick_that_opens_no_code_shows_as_written() -> None:
    assert literal_but_code("it's `a_b and c_d", 2000) == r"it's \`a\_b and c\_d"


def test_a_long_mistake_fits_in_a_message() -> None:
    many = "\n".join(f"issues/{n}_draft.md:1: not an issue file" for n in range(200))
    shown = literal_but_code(many, 2000)
    assert len(shown) <= 2000 and shown.endswith("…")
    assert shown.startswith("issues/0\\_draft.md:1: not an issue file\nissues/1\\_draft.md")


def test_a_web_address_in_a_mistake_stays_a_link() -> None:
    told = "https://feeds.example/my_feed.xml: HTTP 404 (see `newsbot import --help`)"
    assert literal_but_code(told, 2000) == (
        "https://feeds.example/my_feed.xml: HTTP 404 \\(see `newsbot import --help`\\)"
    )
