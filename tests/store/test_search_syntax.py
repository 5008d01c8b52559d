"""How a reader's search words are read, on every backend: a prefix's letters and an issue
number's digits are counted as the index and the numbers count them."""

from __future__ import annotations

from bot.store import Archive
from tests.factories import issue, item


async def test_an_issue_number_prefix_counts_ascii_digits_alone(archive: Archive) -> None:
    for number in (2, 21, 202, 31):
        await archive.issues.ingest(issue(number, {"News": [item(f"Item {number}")]}))
    numbers = [s.number for s in await archive.issues.issues(prefix="2²")]
    assert numbers == [202, 21, 2]
    assert [s.number for s in await archive.issues.issues(prefix="#3٣")] == [31]
