"""Plain-text issues whose items are a numbered or bulleted list, spaced out and indented as
an email lays them out: the list's markers are layout, not part of the items' titles."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.importers import parse_text_issue
from bot.issuefiles import load_issue
from bot.models import Issue
from bot.store import Archive
from tests.importers.conftest import Run

LISTED = """Deep Learning Weekly: Issue #220
Agents, chips, and more


Hi everyone,

   This week: agents and chips.\t

Until next week!


Industry


1.  Nvidia ships a new chip
    Nvidia's new chip doubles training throughput, the company says.

2)  Agents at work
    A survey finds agents are used in 30% of companies.


Learning

*  A course on diffusion models
   Fast.ai published a free course on diffusion models.

•  Reading list:   RL
   Ten papers to get started with reinforcement learning.

- 3D printing with robots
- A lab prints houses with a fleet of small robots.
"""

TITLES = [
    "Nvidia ships a new chip",
    "Agents at work",
    "A course on diffusion models",
    "Reading list: RL",
    "3D printing with robots",
]


def test_list_markers_are_left_out_of_titles() -> None:
    # Before, the titles were published as `1.  Nvidia ships a new chip` and `* A course …`.
    issue = parse_text_issue(LISTED, "220.txt").issue
    assert [item.title for _, item in issue.items] == TITLES
    assert [section.name for section in issue.sections] == ["Industry", "Learning"]
    # A blurb's text is the editor's, a leading dash included.
    assert issue.sections[1].items[-1].blurb == (
        "\\- A lab prints houses with a fleet of small robots."
    )


def test_a_number_without_a_list_marker_stays_in_its_title() -> None:
    text = LISTED.replace("2)  Agents at work", "2024 in review")
    assert "2024 in review" in [
        item.title for _, item in parse_text_issue(text, "220.txt").issue.items
    ]


def test_import_text_ingests_the_titles_as_read(newsbot: Run, tmp_path: Path) -> None:
    source = tmp_path / "dlw-220.txt"
    source.write_text(LISTED, encoding="utf-8")
    out = tmp_path / "issues"
    result = newsbot("import", "text", str(source), "--out", str(out), "--ingest")
    assert result.exit_code == 0, result.stderr
    written = load_issue(out / "220.md")
    assert [item.title for _, item in written.items] == TITLES

    async def archived() -> Issue:
        async with await Archive.open(tmp_path / "archive.db", create=False) as archive:
            return await archive.issues.issue(220)

    assert asyncio.run(archived()) == written
