"""Writing imported issues: what import wrote is recorded, so an edited file is never lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.importers import Written, save_issues, scan_folder
from bot.importers._output import WriteOutcome
from bot.importers._record import RECORD_FILE, digest
from tests.factories import issue, item


class Stop(Exception):
    """Stands for the import being killed between two files."""


def record_accepts_every_file(folder: Path) -> bool:
    written = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))["written"]
    return all(digest(p.read_bytes()) in written.get(p.name, []) for p in folder.glob("*.md"))


def test_the_record_accepts_every_file_at_every_moment_of_an_import(tmp_path: Path) -> None:
    first = [issue(n) for n in (1, 2, 3)]
    save_issues(first, scan_folder(tmp_path))
    changed = [issue(n, {"News": [item(f"Changed {n}")]}) for n in (1, 2, 3)]
    seen: list[bool] = []

    def look(done: Written) -> None:
        seen.append(record_accepts_every_file(tmp_path))
        if done.issue.number == 2:
            raise Stop

    with pytest.raises(Stop):
        save_issues(changed, scan_folder(tmp_path), progress=look)
    assert seen == [True, True]
    # Killed half-way, the next import still takes every file for its own: none is kept.
    again = save_issues(changed, scan_folder(tmp_path))
    assert [done.outcome for done in again] == [
        WriteOutcome.UNCHANGED,
        WriteOutcome.UNCHANGED,
        WriteOutcome.UPDATED,
    ]


def test_an_unreadable_record_keeps_every_file_that_differs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    save_issues([issue(1), issue(2)], scan_folder(tmp_path))
    (tmp_path / RECORD_FILE).write_text("{not json", encoding="utf-8")
    changed = [issue(1), issue(2, {"News": [item("Changed")]})]
    done = save_issues(changed, scan_folder(tmp_path))
    assert [d.outcome for d in done] == [WriteOutcome.UNCHANGED, WriteOutcome.KEPT]
    assert f"{tmp_path / RECORD_FILE} is unreadable" in caplog.text


def test_a_file_named_in_digits_that_are_not_ascii_holds_no_issue(tmp_path: Path) -> None:
    """`²⁰².md` or `٢٠٢.md` is not issue 202's file (an issue's number is written `202`): an
    import beside it goes on, where `int("²⁰²")` stopped it with a traceback."""
    save_issues([issue(1)], scan_folder(tmp_path))
    for name in ("\u00b2\u2070\u00b2.md", "\u0662\u0660\u0662.md"):
        (tmp_path / name).write_text("# Notes\n", encoding="utf-8")
    found = scan_folder(tmp_path)
    assert found.numbers == {1}
    done = save_issues([issue(202)], found)
    assert [d.outcome for d in done] == [WriteOutcome.CREATED]
