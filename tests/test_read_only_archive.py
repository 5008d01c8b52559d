"""An archive on a read-only filesystem: the commands that read it work, one that writes is
refused naming the file, why and what to do.

The archive's folder is mounted read-only for the newsbot process alone, in a user and mount
namespace of its own (`unshare --map-root-user --mount`, which needs no privileges where the
kernel allows unprivileged user namespaces, and leaves no mount behind). A read-only mount is
what SQLite meets on read-only media, and it binds root too: the tests run as root, for whom
permission bits on the file and folder would change nothing. Where namespaces are refused the
tests are skipped, saying so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

import pytest

from bot._settings_plain import without_settings
from bot.cli._console import CONFIG_EXIT
from bot.models import Supporter
from bot.store import Archive
from tests.conftest import ISSUES, ROOT

UNSHARE = ["unshare", "--map-root-user", "--mount", "sh", "-c"]
"""Run a shell command as root in a user and mount namespace of its own."""
READ_ONLY_MOUNT = 'mount --bind -o ro "$0" "$0" && exec "$@"'
"""Mount the folder `$0` read-only over itself, then run the rest of the arguments."""


def _namespaces_refused() -> str | None:
    """Why a read-only mount of its own cannot be made here, or None when it can."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return "read-only mounts of the test's own need Linux and unshare(1)"
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(
            [*UNSHARE, READ_ONLY_MOUNT, folder, "sh", "-c", 'if touch "$0/x"; then exit 9; fi'],
            capture_output=True,
            text=True,
            check=False,
        )
    if probe.returncode != 0:
        return f"this system refuses a read-only mount of the test's own: {probe.stderr.strip()}"
    return None


needs_read_only_mount = pytest.mark.skipif(
    (refused := _namespaces_refused()) is not None, reason=refused or ""
)


def newsbot(folder: Path) -> list[str]:
    """The command line of `newsbot --db folder/newsbot.db`."""
    return [sys.executable, "-m", "bot", "--db", str(folder / "newsbot.db")]


def on_read_only_mount(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`newsbot --db folder/newsbot.db ARGS`, with `folder` mounted read-only for it alone."""
    return subprocess.run(
        [*UNSHARE, READ_ONLY_MOUNT, str(folder), *newsbot(folder), *args],
        cwd=ROOT,
        env=without_settings(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive with #202 that `newsbot ingest` made and closed as newsbot leaves it (no -wal,
    no -shm), made once for the module: each test copies it."""
    archived = tmp_path_factory.mktemp("ingested")
    subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(archived / "newsbot.db"), "ingest", str(ISSUES)],
        cwd=ROOT,
        env=without_settings(os.environ),
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert sorted(p.name for p in archived.iterdir()) == ["newsbot.db"]
    return archived / "newsbot.db"


@pytest.fixture
def folder(tmp_path: Path, ingested: Path) -> Path:
    """A folder of the test's own holding a copy of that archive, its mode and times kept."""
    archived = tmp_path / "archive"
    archived.mkdir()
    shutil.copy2(ingested, archived / "newsbot.db")
    return archived


def changed_issue(tmp_path: Path) -> Path:
    """A folder of issue files holding #202 with another title: ingesting it writes."""
    issues = tmp_path / "issues"
    issues.mkdir()
    text = (ISSUES / "202.md").read_text(encoding="utf-8")
    (issues / "202.md").write_text(text.replace("title: ", "title: Retitled ", 1))
    return issues


@needs_read_only_mount
def test_the_commands_that_read_work_on_a_read_only_mount(folder: Path) -> None:
    """SQLite cannot create the -shm file a WAL archive needs there, and opened it not at all
    ("unable to open database file", without the file's name)."""
    before = (folder / "newsbot.db").read_bytes()
    latest = on_read_only_mount(folder, "latest")
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout.startswith("#202 · Deep Learning Weekly: Issue #202\n")
    status = on_read_only_mount(folder, "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("Archive: 1 issue, 18 items, newest #202")
    search = on_read_only_mount(folder, "search", "autograd")  # on a reader connection
    assert search.returncode == 0, search.stderr
    assert "Overview of PyTorch Autograd Engine" in search.stdout
    assert (folder / "newsbot.db").read_bytes() == before


@needs_read_only_mount
def test_a_command_that_writes_is_refused_naming_the_file(folder: Path, tmp_path: Path) -> None:
    unchanged = on_read_only_mount(folder, "ingest", str(ISSUES))
    assert unchanged.returncode == 0, "nothing to write: nothing is refused"
    assert "0 added, 0 updated, 1 unchanged" in unchanged.stdout
    ingest = on_read_only_mount(folder, "ingest", str(changed_issue(tmp_path)))
    assert ingest.returncode == CONFIG_EXIT, ingest.stderr
    assert ingest.stderr.strip() == (  # after an empty line where ingest's progress was
        f"error: {folder}/newsbot.db: this command writes to the archive, but its folder "
        f"{folder} is read-only here: make the file and its folder writable for the user "
        "newsbot runs as (not on a read-only mount), or give --db a writable copy of it"
    )


def crash_with_a_change_in_the_wal(folder: Path) -> None:
    """Leave #202 retitled in the -wal file only, as a process killed while writing does."""
    code = (
        "import os, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "db.execute(\"UPDATE issues SET title = 'Only in the WAL' WHERE number = 202\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(folder / "newsbot.db")], check=True)
    assert {p.name for p in folder.iterdir()} >= {"newsbot.db-wal", "newsbot.db-shm"}


@needs_read_only_mount
def test_a_wal_left_beside_it_is_read_or_named(folder: Path, tmp_path: Path) -> None:
    """With its -wal and -shm files SQLite reads what the file lacks; with a -wal alone it
    could not, and reading the file without it would show an older archive."""
    crash_with_a_change_in_the_wal(folder)
    latest = on_read_only_mount(folder, "latest")
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout.startswith("#202 · Only in the WAL\n")
    ingest = on_read_only_mount(folder, "ingest", str(changed_issue(tmp_path)))
    assert ingest.returncode == CONFIG_EXIT
    assert "this command writes to the archive, but its folder" in ingest.stderr
    (folder / "newsbot.db-shm").unlink()  # copied without it, as backup tools may
    without_shm = on_read_only_mount(folder, "latest")
    assert without_shm.returncode == CONFIG_EXIT
    assert without_shm.stderr.startswith(
        f"error: {folder}/newsbot.db: SQLite cannot read the archive here: its folder {folder} "
        "is read-only here, and newsbot.db-wal beside it holds changes not yet in the file"
    )
    with closing(sqlite3.connect(folder / "newsbot.db")) as db:  # writable: the change is there
        (title,) = db.execute("SELECT title FROM issues WHERE number = 202").fetchone()
    assert title == "Only in the WAL"


async def suggest(database: Path) -> int:
    """Add a reader's suggestion to the archive, closed again as newsbot leaves it; its id."""
    async with await Archive.open(database, create=False) as archive:
        reader = Supporter(user_id=5, name="Ada", source="command")
        at = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
        suggestion = await archive.suggestions.add("https://b.example/", reader, at=at)
    return suggestion.id


@needs_read_only_mount
def test_a_write_outside_a_transaction_is_refused_the_same_way(folder: Path) -> None:
    """A suggestion is reviewed on the archive's shared connection, not in a transaction: the
    write SQLite refuses there is refused as any other, naming the file and what to do."""
    suggestion = asyncio.run(suggest(folder / "newsbot.db"))
    assert sorted(p.name for p in folder.iterdir()) == ["newsbot.db"]
    accept = on_read_only_mount(folder, "suggestions", "accept", str(suggestion))
    assert accept.returncode == CONFIG_EXIT, accept.stderr
    assert accept.stderr.strip() == (
        f"error: {folder}/newsbot.db: this command writes to the archive, but its folder "
        f"{folder} is read-only here: make the file and its folder writable for the user "
        "newsbot runs as (not on a read-only mount), or give --db a writable copy of it"
    )


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="running newsbot as another user needs root and setpriv(1)",
)
@pytest.mark.parametrize("mode", [0o644, 0o666], ids=["file-read-only", "file-writable"])
def test_a_folder_read_only_for_this_user_alone_is_not_read_as_immutable(
    folder: Path, mode: int
) -> None:
    """Another user may be writing the archive there (its `newsbot run`): reading it as
    immutable, with no lock and no look at the -wal file it makes, could read a half-written
    archive. Opening it fails, naming the file, as a failure a retry may mend."""
    shared = Path(tempfile.mkdtemp())  # not under the test's own folder, which only root reads
    try:
        shared.chmod(0o755)
        shutil.copy(folder / "newsbot.db", shared / "newsbot.db")
        (shared / "newsbot.db").chmod(mode)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        probe = subprocess.run(
            [*as_nobody, sys.executable, "-c", "import bot.cli"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if probe.returncode != 0:  # e.g. a Python installed under /root, which nobody reads
            first = (probe.stderr.strip().splitlines() or ["?"])[0]
            pytest.skip(f"this Python cannot run as another user here: {first}")
        latest = subprocess.run(
            [*as_nobody, *newsbot(shared), "latest"],
            cwd=ROOT,
            env=without_settings(os.environ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(shared)
    assert latest.returncode == 1, latest.stdout + latest.stderr
    said = latest.stderr.strip()
    assert said.startswith(f"error: {shared}/newsbot.db: SQLite cannot open the archive ("), said
    assert said.endswith(f"): its folder {shared} is read-only here"), said


def test_a_file_sqlite_cannot_open_on_writable_media_is_not_read_as_immutable(
    folder: Path,
) -> None:
    """SQLite cannot open a file for reasons that pass (too many files open) or that a writer
    elsewhere does not share: where the filesystem is writable the file is not read as
    immutable, and the failure is not one no retry can mend. A -shm file SQLite cannot create
    (a link to nowhere) stands in for them."""
    (folder / "newsbot.db-shm").symlink_to(folder / "nowhere" / "newsbot.db-shm")
    latest = subprocess.run(
        [*newsbot(folder), "latest"],
        cwd=ROOT,
        env=without_settings(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert latest.returncode == 1, latest.stdout + latest.stderr
    assert latest.stderr.strip() == (
        f"error: {folder}/newsbot.db: SQLite cannot open the archive (unable to open database file)"
    )


@needs_read_only_mount
def test_an_archive_that_needs_upgrading_says_it_cannot_be(folder: Path) -> None:
    """An archive of an older newsbot is migrated when opened: not where it is read-only."""
    with closing(sqlite3.connect(folder / "newsbot.db")) as db:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        db.execute(f"PRAGMA user_version = {version - 1}")  # as the newsbot before wrote it
    latest = on_read_only_mount(folder, "latest")
    assert latest.returncode == CONFIG_EXIT
    assert latest.stderr.startswith(
        f"error: {folder}/newsbot.db needs upgrading to this newsbot's archive version "
        f"({version - 1} → {version}), but its folder {folder} is read-only here"
    )
