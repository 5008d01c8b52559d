"""Plain-text issues copied out of an email or a web page: each item's link at the end of its
blurb (`Read more: https://…`) or on a line of its own becomes the item's link, and the text
is read by its shape without it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.importers import Notice, parse_text_issue
from bot.issuefiles import load_issue
from bot.models import Issue
from bot.store import Archive
from tests.importers.conftest import Run
from tests.importers.safety import assert_round_trip

HEADER = """Deep Learning Weekly: Issue #208
Robots, Rust, transformers and more
Hey folks,
This week we have robots.
Until next week!
"""

LINKED = (
    HEADER
    + """Industry
Robots take over warehouses
Amazon deployed more robots in its warehouses, says a report. Read more: https://example.com/robots
Rust for ML
A look at Rust's ML ecosystem, from tensors to training loops.
https://example.com/rust
Learning
A tutorial on transformers
This tutorial walks you through transformers step by step. (https://example.com/tut)
Read more
Does Knowledge Distillation Really Work?
https://arxiv.org/abs/2106.05945
Abstract:
Knowledge distillation is a popular technique for training a small student network.
"""
)


def items_of(issue: Issue) -> list[tuple[str, str, str | None, str]]:
    return [
        (section.name, item.title, item.link, item.blurb)
        for section in issue.sections
        for item in section.items
    ]


def test_each_item_gets_the_link_written_after_its_blurb() -> None:
    # Before, a blurb ending in its link read as a title (no full stop at its end), and the
    # lines after it went astray: sections became items and items had no text.
    imported = parse_text_issue(LINKED, "208.txt")
    assert items_of(imported.issue) == [
        (
            "Industry",
            "Robots take over warehouses",
            "https://example.com/robots",
            "Amazon deployed more robots in its warehouses, says a report.",
        ),
        (
            "Industry",
            "Rust for ML",
            "https://example.com/rust",
            "A look at Rust's ML ecosystem, from tensors to training loops.",
        ),
        (
            "Learning",
            "A tutorial on transformers",
            "https://example.com/tut",
            "This tutorial walks you through transformers step by step.",
        ),
        (
            "Learning",
            "Does Knowledge Distillation Really Work?",
            "https://arxiv.org/abs/2106.05945",
            "",
        ),
    ]
    assert imported.issue.sections[1].items[1].abstract is not None
    # The `Read more` whose address the copy lost is the only thing left out, and said so.
    left_out = Notice("208.txt:15", "'Read more' has no address: left out")
    assert [notice for notice in imported.notices if "left out" in str(notice)] == [left_out]
    assert not [notice for notice in imported.notices if "no text" in str(notice)]
    assert_round_trip(imported.issue)


def test_a_second_link_stays_in_the_text() -> None:
    text = HEADER + (
        "Industry\nRobots take over warehouses - https://example.com/robots\n"
        "Amazon deployed more robots, says a report. Read more: https://example.com/report\n"
        "Rust for ML\nA look at Rust's ML ecosystem, see https://example.com/rust.\n"
    )
    robots, rust = parse_text_issue(text, "208.txt").issue.sections[0].items
    assert (robots.link, robots.blurb) == (
        "https://example.com/robots",
        "Amazon deployed more robots, says a report. Read more: https://example.com/report",
    )
    # An address run into a sentence is part of it.
    assert (rust.link, rust.blurb) == (
        None,
        "A look at Rust's ML ecosystem, see https://example.com/rust.",
    )


def test_a_link_on_the_first_line_is_the_issues_unless_one_is_given() -> None:
    text = LINKED.replace("Issue #208\n", "Issue #208 - https://example.com/issues/208\n", 1)
    issue = parse_text_issue(text, "208.txt").issue
    assert (issue.title, issue.link) == (
        "Deep Learning Weekly: Issue #208",
        "https://example.com/issues/208",
    )
    given = parse_text_issue(text, "208.txt", link="https://example.com/given").issue
    assert given.link == "https://example.com/given"
    assert given.title == "Deep Learning Weekly: Issue #208 - https://example.com/issues/208"


def test_a_read_more_over_a_sentence_is_still_a_title() -> None:
    text = HEADER + "Industry\nRead more\nA blurb under a title that says read more.\n"
    (item,) = parse_text_issue(text, "208.txt").issue.sections[0].items
    assert (item.title, item.blurb) == ("Read more", "A blurb under a title that says read more.")


def test_import_text_ingests_the_items_with_their_links(newsbot: Run, tmp_path: Path) -> None:
    source = tmp_path / "dlw-208.txt"
    source.write_bytes(LINKED.replace("\n", "\r\n").encode())
    out = tmp_path / "issues"
    result = newsbot("import", "text", str(source), "--out", str(out), "--ingest")
    assert result.exit_code == 0, result.stderr
    assert f"{source}:15: 'Read more' has no address: left out" in result.stderr
    written = load_issue(out / "208.md")

    async def archived() -> Issue:
        async with await Archive.open(tmp_path / "archive.db", create=False) as archive:
            return await archive.issues.issue(208)

    assert items_of(asyncio.run(archived())) == items_of(written)
    assert [link for _, _, link, _ in items_of(written)] == [
        "https://example.com/robots",
        "https://example.com/rust",
        "https://example.com/tut",
        "https://arxiv.org/abs/2106.05945",
    ]


def test_a_full_stop_after_the_link_still_ends_the_blurb() -> None:
    # `(https://…).`: taken off with its link, the full stop would leave a short line, read
    # as the next item's title.
    text = HEADER + (
        "Papers\nDistillation, revisited\nDetails are in the paper (https://arxiv.org/abs/1).\n"
        "Scaling laws\nFour hundred models, one curve - https://arxiv.org/abs/2.\n"
    )
    items = parse_text_issue(text, "208.txt").issue.sections[0].items
    assert [(item.title, item.link, item.blurb) for item in items] == [
        ("Distillation, revisited", "https://arxiv.org/abs/1", "Details are in the paper."),
        ("Scaling laws", "https://arxiv.org/abs/2", "Four hundred models, one curve."),
    ]


def test_punctuation_after_a_link_is_the_sentences_not_the_links() -> None:
    # Before, only a full stop was taken off: `…/chip,` and `…/model;` were published as the
    # items' links, which lead nowhere. A `)` or closing quote that closes what the text
    # opened stays with the text; one the address opened (`…_(language)`) stays with it.
    text = HEADER + (
        "Chips\nA faster chip\nThe chip is faster than the last one. https://ex.com/chip,\n"
        "A new model\nIt reads long papers in one go. Read more: https://ex.com/model;\n"
        "It ships\nAnd it is out today! https://ex.com/ship!\n"
        "An aside\n(It also runs on phones. https://ex.com/phones)\n"
        "A quote\n“It just works,” says its maker. https://ex.com/quote”\n"
        "A language\nRust has its own page. https://en.wikipedia.org/wiki/Rust_(language)\n"
    )
    items = parse_text_issue(text, "208.txt").issue.sections[0].items
    assert [(item.title, item.link, item.blurb) for item in items] == [
        ("A faster chip", "https://ex.com/chip", "The chip is faster than the last one."),
        ("A new model", "https://ex.com/model", "It reads long papers in one go."),
        ("It ships", "https://ex.com/ship", "And it is out today!"),
        ("An aside", "https://ex.com/phones", "(It also runs on phones.)"),
        ("A quote", "https://ex.com/quote", "“It just works,” says its maker."),
        (
            "A language",
            "https://en.wikipedia.org/wiki/Rust_(language)",
            "Rust has its own page.",
        ),
    ]


def test_a_section_named_source_or_link_is_kept() -> None:
    # Before, a line "Source" or "Link" was taken for a `Read more` whose address was lost,
    # and the section was silently dropped: its items went under the section above.
    text = HEADER + (
        "Industry\nRobots take over warehouses\nAmazon deployed more robots, says a report.\n"
        "Source\nThe paper behind it\nA team at a lab wrote it up for all.\n"
        "Source:\n"
        "Link\nA link to the data\nEvery robot's logs, as a table.\n"
        "Link\nhttps://example.com/logs\n"
    )
    imported = parse_text_issue(text, "208.txt")
    assert [
        (section.name, [(item.title, item.link) for item in section.items])
        for section in imported.issue.sections
    ] == [
        ("Industry", [("Robots take over warehouses", None)]),
        ("Source", [("The paper behind it", None)]),
        ("Link", [("A link to the data", "https://example.com/logs")]),
    ]
    # Marked as a label, or over an address, it is still one: left out, and said so only
    # when its address is lost.
    lost = [str(notice) for notice in imported.notices if "has no address" in str(notice)]
    assert lost == ["208.txt:12: 'Source:' has no address: left out"]
