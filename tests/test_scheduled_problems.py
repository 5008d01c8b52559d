"""What the firings tell the editors of the issue files' problems: each problem once while it
lasts, whatever else is told between two firings. A back issue left as archived is not told
again because a new file broke and was fixed meanwhile."""

from __future__ import annotations

import os
from pathlib import Path

from bot.issuefiles import format_issue
from bot.sandbox.x import XEmulator
from bot.schedule.reports import LEFT_AS_ARCHIVED, STOPPED_INGEST
from bot.store import Archive
from tests.factories import issue, item
from tests.test_scheduled import Told, scheduled_on, settings_for


def save(path: Path, text: str) -> None:
    """An issue file, saved long ago as far as settling goes."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, (0, 0))


async def test_each_problem_of_the_issue_files_is_told_once(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    told = Told()
    work = scheduled_on(archive, settings_for(x_emulator, folder), told=told)
    # Archived by a newsbot that let raw HTML through; the file is still in the folder as it was.
    back = issue(1, {"Rust": [item("A faster Vec", "https://example.com/vec", "Use Vec<T> less.")]})
    save(folder / "1.md", format_issue(back))
    await archive.issues.ingest(back)
    await work.fire()
    (left,) = told.messages
    assert left.startswith(f"{LEFT_AS_ARCHIVED}:\n{folder / '1.md'}:")

    # A new file saved broken stops the ingest: that is news, and only it is.
    new = format_issue(issue(2, {"Rust": [item("Smaller strings", "https://example.com/s")]}))
    save(folder / "2.md", new.replace("number: 2\n", ""))
    await work.fire()
    assert len(told.messages) == 2
    assert told.messages[1].startswith(f"{STOPPED_INGEST}:\n{folder / '2.md'}:")
    assert "1.md" not in told.messages[1]
    # A second file broken while the first still is: only the second is news.
    save(folder / "3.md", "---\nnumber: 3\n---\n")
    await work.fire()
    assert len(told.messages) == 3
    assert told.messages[2].startswith(f"{STOPPED_INGEST}:\n{folder / '3.md'}:")
    assert "2.md" not in told.messages[2]
    assert told.messages[2].endswith("\n…and 1 told before, still there")
    assert "told before" not in told.messages[1]

    # Both fixed: the ingest goes on, and the back issue, told already, is not news again.
    save(folder / "2.md", new)
    (folder / "3.md").unlink()
    fixed = await work.fire()
    assert [n.number for n in await archive.issues.issues()] == [2, 1]
    assert any(f.startswith(LEFT_AS_ARCHIVED) for f in fixed.failures), "newsbot status says"
    assert len(told.messages) == 3, told.messages[3:]

    # The same problem broken anew, after it was gone, is news again.
    save(folder / "2.md", new.replace("number: 2\n", ""))
    await work.fire()
    assert len(told.messages) == 4
    assert told.messages[3].startswith(f"{STOPPED_INGEST}:\n{folder / '2.md'}:")
