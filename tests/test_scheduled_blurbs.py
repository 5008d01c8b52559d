"""`newsbot run` tells the editors of items without a blurb in an issue file still to come (a
draft moved into place before its blurbs were written), within a minute of its arrival, as
`newsbot check` does: published so, readers would see bare titles."""

from __future__ import annotations

from pathlib import Path

from bot.issuefiles import format_issue
from bot.sandbox.x import XEmulator
from bot.schedule.files import UNWRITTEN_BLURBS
from bot.store import Archive
from tests.factories import issue, item
from tests.test_scheduled import Told, scheduled_on, settings_for


async def test_items_without_a_blurb_in_a_file_to_come_are_told_once(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    told = Told()
    work = scheduled_on(archive, settings_for(x_emulator, folder), told=told)
    # A back issue archived with a bare link, as imported ones may be: no news.
    back = issue(1, {"News": [item("A bare link", "https://example.com/1", blurb="")]})
    (folder / "1.md").write_text(format_issue(back), encoding="utf-8")
    await archive.issues.ingest(back)
    await work.rescan()
    assert told.messages == []

    draft = issue(2, {"News": [item("Written", "https://example.com/w")]})
    draft = draft.model_copy(
        update={
            "sections": (
                *draft.sections,
                *issue(
                    2, {"Papers": [item("Unwritten", "https://example.com/u", blurb="")]}
                ).sections,
            )
        }
    )
    (folder / "2.md").write_text(format_issue(draft), encoding="utf-8")
    await work.rescan()  # what the minutely look at the files does
    # Another file comes, with blurbs and then without: only what is new is told.
    (folder / "4.md").write_text(format_issue(issue(4)), encoding="utf-8")
    await work.rescan()
    (message,) = told.messages
    assert message.startswith(f"{UNWRITTEN_BLURBS}:\n{folder / '2.md'}:")
    assert "item 2 (Unwritten) has no blurb" in message
    assert "Written)" not in message and "1.md" not in message

    # Written since: nothing left to tell.
    written = format_issue(draft).replace(
        "### [Unwritten](https://example.com/u)\n",
        "### [Unwritten](https://example.com/u)\n\nNow written.\n",
    )
    assert written != format_issue(draft)
    (folder / "2.md").write_text(written, encoding="utf-8")
    await work.rescan()
    assert len(told.messages) == 1
    # Left bare and archived as it is (the editors chose so): no news either.
    (folder / "2.md").write_text(format_issue(draft), encoding="utf-8")
    await archive.issues.ingest(draft)
    await work.rescan()
    assert len(told.messages) == 1
    # The next draft left bare is told, as the first was, and alone.
    (folder / "3.md").write_text(format_issue(draft.model_copy(update={"number": 3})), "utf-8")
    await work.rescan()
    assert len(told.messages) == 2 and f"{folder / '3.md'}:" in told.messages[1]
    bare = issue(4, {"News": [item("Bare too", "https://example.com/b", blurb="")]})
    (folder / "4.md").write_text(format_issue(bare), encoding="utf-8")
    await work.rescan()
    assert len(told.messages) == 3
    assert "4.md:" in told.messages[2] and "3.md" not in told.messages[2]


async def test_nor_a_back_issue_whose_section_an_older_newsbot_slugged(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    told = Told()
    work = scheduled_on(archive, settings_for(x_emulator, folder), told=told)
    back = issue(1, {"業界": [item("A bare link", "https://example.com/1", blurb="")]})
    (folder / "1.md").write_text(format_issue(back), encoding="utf-8")
    # That newsbot archived `## 業界` under the slug of its ASCII letters: none, `section`.
    (industry,) = back.sections
    then = back.model_copy(update={"sections": (industry.model_copy(update={"slug": "section"}),)})
    await archive.issues.ingest(then)

    await work.rescan()

    assert told.messages == []


async def test_nor_one_edited_since_with_a_section_of_another_script_added(
    archive: Archive, x_emulator: XEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    told = Told()
    work = scheduled_on(archive, settings_for(x_emulator, folder), told=told)
    back = issue(1, {"業界": [item("A bare link", "https://example.com/1", blurb="")]})
    (industry,) = back.sections
    then = back.model_copy(update={"sections": (industry.model_copy(update={"slug": "section"}),)})
    await archive.issues.ingest(then)
    # Edited since the upgrade: `## 業界` keeps `section`, and `## 論文` gets its own slug.
    edited = issue(
        1,
        {
            "業界": [item("A bare link", "https://example.com/1", blurb="")],
            "論文": [item("A paper", "https://example.com/2")],
        },
    )
    (folder / "1.md").write_text(format_issue(edited), encoding="utf-8")
    await archive.issues.ingest(edited)
    stored = await archive.issues.issue(1)
    assert [s.slug for s in stored.sections] == ["section", "論文"]

    await work.rescan()

    assert told.messages == []
