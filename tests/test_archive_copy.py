"""`newsbot archive copy`: an archive moved whole between SQLite and PostgreSQL, checked."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot._settings_plain import without_settings
from bot.cli import app
from bot.issuefiles import load_issue
from bot.models import OutboxEntry, StepState, Subscription, SuggestionStatus, Supporter
from bot.store import Archive
from tests.conftest import ISSUES
from tests.factories import issue, item
from tests.store.old_archive import make_old_archive

AT = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)


async def fill(location: Path | str) -> None:
    """An archive with something in every table."""
    async with await Archive.open(location) as archive:
        await archive.issues.ingest(load_issue(ISSUES / "202.md"))
        await archive.issues.ingest(
            issue(203, {"News": [item("机器学习入门", "https://a.example/x")]})
        )
        # An edit leaves a gap in the item slots: ids must come along as they are.
        await archive.issues.ingest(issue(203, {"News": [item("Robots", "https://a.example/r")]}))
        await archive.subscriptions.add(Subscription(guild_id=1, channel_id=11, kind="text"))
        await archive.ledger.record(
            OutboxEntry(key="202/discord/11/digest", issue_number=202, outlet="discord",
                        target="11", action="message", state=StepState.SENT, remote_id="99")
        )  # fmt: skip
        reader = Supporter(user_id=5, name="Ada", source="command")
        added = await archive.suggestions.add("https://b.example/", reader, at=AT)
        await archive.suggestions.review(added.id, SuggestionStatus.ACCEPTED, by="ed")
        replier = Supporter(user_id=6, name="Bob", source="reply")
        taken_back = await archive.suggestions.add(
            "https://c.example/", replier, at=AT, message_id=300
        )
        await archive.suggestions.withdraw(taken_back.id, 300)
        await archive.suggestions.keep_reply_read(300, '{"links": []}')
        await archive.state.set("last_firing", "{}")


SECTION_SEARCHES = [("learning", "mobile-edge"), ("lea*", "mobile-edge"), ("robots", "news")]
"""Searches in one section, each finding some of the copied items."""


async def everything(location: Path | str) -> tuple[object, ...]:
    """What readers, publishing and editors read back from an archive."""
    async with await Archive.open(location, create=False) as archive:
        found = (await archive.issues.search("robots")).hits
        in_sections = [
            sorted(hit.item_id for hit in (await archive.issues.search(text, section=slug)).hits)
            for text, slug in SECTION_SEARCHES
        ]
        return (
            await archive.issues.issue(202),
            await archive.issues.issue(203),
            [(hit.item_id, hit.item.title) for hit in found],
            in_sections,
            await archive.subscriptions.list(),
            await archive.ledger.entries(202, "discord"),
            await archive.suggestions.list([SuggestionStatus.ACCEPTED]),
            await archive.state.get("last_firing"),
            await archive.suggestions.suggested_since(6, AT - dt.timedelta(hours=1)),
            await archive.suggestions.reply_read(300),
            await archive.counts(),
        )


def newsbot(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_copy_there_and_back_keeps_everything(tmp_path: Path, pg_url: str) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    asyncio.run(fill(first))
    code, out, err = newsbot("archive", "copy", str(first), pg_url)
    assert code == 0, err
    assert "2 issues" in out and "checked: the same rows" in out
    code, out, err = newsbot("archive", "copy", pg_url, str(back))
    assert code == 0, err
    original = asyncio.run(everything(first))
    in_sections = original[3]
    assert isinstance(in_sections, list) and all(in_sections), in_sections
    assert asyncio.run(everything(pg_url)) == original
    assert asyncio.run(everything(back)) == original


def test_a_destination_that_is_not_empty_is_refused(tmp_path: Path, pg_url: str) -> None:
    source, other = tmp_path / "a.db", tmp_path / "b.db"
    asyncio.run(fill(source))
    asyncio.run(fill(other))
    for destination in (pg_url, str(other)):
        if destination == pg_url:
            assert newsbot("archive", "copy", str(source), pg_url)[0] == 0
        code, _, err = newsbot("archive", "copy", str(source), destination)
        assert code != 0
        assert "is not empty (2 issues" in err
        assert "Traceback" not in err


def test_a_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = newsbot("archive", "copy", str(tmp_path / "none.db"), str(tmp_path / "b.db"))
    assert code != 0
    assert "no such archive file" in err
    assert not (tmp_path / "b.db").exists()


def test_a_source_that_is_not_an_archive_is_named_with_why(tmp_path: Path) -> None:
    """A folder, a file of another kind or a damaged archive as SOURCE is said so, naming
    SOURCE: "the archive database failed" could be either of the two, and a folder is there."""
    damaged, notes, destination = tmp_path / "damaged.db", tmp_path / "notes.txt", tmp_path / "b.db"
    asyncio.run(fill(damaged))
    with damaged.open("r+b") as handle:
        handle.truncate(8192)  # the header is whole; the tables' pages are gone
    notes.write_text("my notes\n", encoding="utf-8")
    refused = {
        tmp_path: f"cannot open the archive {tmp_path}: it is a folder",
        notes: f"cannot open the archive {notes}: it is not a newsbot archive (not an SQLite "
        "database)",
        damaged: f"cannot read {damaged}: database disk image is malformed",
    }
    for source, why in refused.items():
        code, out, err = newsbot("archive", "copy", str(source), str(destination))
        assert (code, out, err) == (1, "", f"error: {why}\n"), source
        assert not destination.exists()
    assert notes.read_text(encoding="utf-8") == "my notes\n"


def test_a_destination_that_cannot_be_an_archive_is_refused_and_no_folder_made(
    tmp_path: Path,
) -> None:
    """As `--db` is: a command never creates a folder for an archive, and says why it cannot
    open one."""
    source, notes = tmp_path / "a.db", tmp_path / "notes.txt"
    asyncio.run(fill(source))
    notes.write_text("my notes\n", encoding="utf-8")
    missing = tmp_path / "no" / "such" / "x.db"
    refused = {
        missing: f"folder {missing.parent} does not exist",
        tmp_path: "it is a folder",
        notes: "it is not a newsbot archive (not an SQLite database)",
        notes / "x.db": f"{notes} is not a folder",
    }
    for destination, why in refused.items():
        code, out, err = newsbot("archive", "copy", str(source), str(destination))
        assert (code, out) == (1, ""), destination
        assert err == f"error: cannot open the archive {destination}: {why}\n"
    assert not (tmp_path / "no").exists()
    assert notes.read_text(encoding="utf-8") == "my notes\n"


def _small_files() -> None:
    """In the child: no file may grow past 100,000 bytes, as on a disk that is full; the
    write past it fails (EFBIG) instead of killing the process (SIGXFSZ)."""
    import resource  # POSIX only

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


@pytest.mark.skipif(sys.platform == "win32", reason="file size limits are POSIX")
def test_a_copy_that_fails_midway_leaves_no_file_behind(tmp_path: Path) -> None:
    """A copy is whole or not there: the file a failed copy made goes, so that the next try,
    once there is room, finds DEST empty instead of refusing a half-copied archive."""
    source, destination = tmp_path / "a.db", tmp_path / "copies" / "b.db"
    asyncio.run(fill(source))
    destination.parent.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "archive", "copy", str(source), str(destination)],
        preexec_fn=_small_files,
        env=without_settings(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    assert done.stderr.startswith(f"error: cannot write the copy {destination}: "), done.stderr
    assert list(destination.parent.iterdir()) == []
    code, out, err = newsbot("archive", "copy", str(source), str(destination))
    assert code == 0, err
    assert "checked: the same rows" in out


def test_an_older_source_is_left_as_it_is_and_said_how_to_upgrade(tmp_path: Path) -> None:
    """SOURCE is only read: an archive an older newsbot made (the backup to go back to,
    say) is not upgraded by copying it, which would leave that newsbot unable to read it."""
    source, destination = tmp_path / "old.db", tmp_path / "copy.db"
    make_old_archive(source, 3, [("Robots learn", "A blurb about robots")])
    code, out, err = newsbot("archive", "copy", str(source), str(destination))
    assert (code, out) == (1, "")
    assert " ".join(err.split()).startswith(
        f"error: {source} was made by an older newsbot (schema version 3; this one writes "
    )
    assert f"`newsbot --db {source} status` applies the migrations" in " ".join(err.split())
    with closing(sqlite3.connect(source)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    assert not destination.exists()
    # Upgraded as the error says, it copies.
    assert newsbot("--db", str(source), "status")[0] == 0
    code, out, err = newsbot("archive", "copy", str(source), str(destination))
    assert code == 0, err
    assert "1 issues, 1 sections, 1 items" in out
