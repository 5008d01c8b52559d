"""An item heading whose link was left out or left open is an error at its line: published as
written, it would show its brackets and half a link to every reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import IssueFileErrors
from bot.issuefiles import parse_issue

FRONT = "---\nnumber: 7\ntitle: Weekly #7\n---\n\n## News\n\n"


def reasons(body: str) -> list[tuple[int, str]]:
    with pytest.raises(IssueFileErrors) as caught:
        parse_issue(FRONT + body, Path("issues/7.md"))
    return [(error.line, error.reason) for error in caught.value.errors]


def test_a_title_in_brackets_without_its_link_is_an_error() -> None:
    assert reasons("### [Diffusion goes mainstream]\n\nIts blurb.\n") == [
        (
            8,
            "this title is in brackets but has no link: add it, as in "
            "`### [Title](https://example.com/page)`, or write the title without brackets",
        )
    ]


def test_a_link_without_its_closing_parenthesis_is_an_error() -> None:
    assert reasons("### [Agents](https://example.com/agents\n\nIts blurb.\n") == [
        (8, "this link is not closed: end it with `)`")
    ]


@pytest.mark.parametrize(
    ("heading", "title", "link"),
    [
        ("[R] A title tagged as on a forum", "[R] A title tagged as on a forum", None),
        ("A title [with brackets] inside", "A title [with brackets] inside", None),
        ("\\[Bracketed on purpose\\]", "\\[Bracketed on purpose\\]", None),
        ("[Linked](https://example.com/ok)", "Linked", "https://example.com/ok"),
    ],
)
def test_brackets_that_are_not_a_forgotten_link_are_kept(
    heading: str, title: str, link: str | None
) -> None:
    ((_, item),) = parse_issue(f"{FRONT}### {heading}\n\nIts blurb.\n", Path("issues/7.md")).items
    assert (item.title, item.link) == (title, link)


def test_a_reference_link_with_its_definition_is_a_link() -> None:
    text = f"{FRONT}### [Ref]\n\nIts blurb.\n\n[Ref]: https://example.com/ref\n"
    ((_, item),) = parse_issue(text, Path("issues/7.md")).items
    assert item.link == "https://example.com/ref"
