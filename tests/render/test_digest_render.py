"""The digest of a large issue: its line per section lists as many item titles as the message
has room for, shared across the sections, and says how many more are in each thread."""

from __future__ import annotations

import re

from bot.models import Issue
from bot.render.discord import EMBED_TOTAL_MAX
from bot.render.publish import digest
from tests.factories import issue, item

TITLE = "A fairly long item title number {n} that goes on for quite a while to fill the digest"


def many_sections(count: int, per_section: int, *, name: str = "Section {s}") -> Issue:
    return issue(
        301,
        {
            name.format(s=s): [
                item(TITLE.format(n=f"{s}.{n}"), f"https://example.com/{s}/{n}")
                for n in range(per_section)
            ]
            for s in range(count)
        },
    )


def test_every_section_of_a_large_issue_lists_titles_in_the_room_there_is() -> None:
    source = many_sections(30, 7)
    post = digest(source, threads={s.slug: 10**18 + n for n, s in enumerate(source.sections)})
    assert post.problems() == []
    fields = [f for e in post.embeds for f in e.fields]
    assert len(fields) == 30
    for field in fields:
        assert "](https://example.com/" in field.value, field.value
        assert re.search(r"…and \d more in the thread$", field.value), field.value
    # The room is used: no other title would have fitted.
    assert post.embed_total() > EMBED_TOTAL_MAX - 300, post.embed_total()


def test_a_section_with_no_title_shown_says_how_many_items_its_thread_holds() -> None:
    source = many_sections(40, 4, name="A section with a name long enough to take room {s}")
    post = digest(source)
    assert post.problems() == []
    values = [f.value for e in post.embeds for f in e.fields if f.name != "More sections"]
    assert values
    for value in values:
        assert "more in the thread" not in value or "](https://" in value, value
        assert re.search(r"(\d+ more in the thread|4 items in the thread)$", value), value


def test_a_long_named_sections_line_still_counts_its_items() -> None:
    source = many_sections(30, 4, name="{s} " + ("Section name that is long " * 8).strip())
    post = digest(source)
    assert post.problems() == []
    values = [f.value for e in post.embeds for f in e.fields if f.name != "More sections"]
    assert values
    for value in values:
        assert re.search(r"in the thread$", value), value


def test_one_section_left_out_of_the_digest_is_counted_in_the_singular() -> None:
    # 46 sections with long names leave room for all but one: "…and 1 more sections" read badly.
    source = issue(
        5,
        {f"S{s:03d} " + "x" * 80: [item(f"Title {s}")] for s in range(46)},
    )
    post = digest(source, threads={s.slug: 10**17 + n for n, s in enumerate(source.sections)})
    assert post.problems() == []
    (more,) = [f for e in post.embeds for f in e.fields if f.name == "More sections"]
    assert more.value == "…and 1 more section in its thread"
