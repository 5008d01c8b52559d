"""`newsbot import text|feed`, run as a user runs them."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from aiohttp import web

from bot.importers._fetch import CACHE_FILE, COPIES
from bot.issuefiles import load_issue
from bot.store import Archive
from tests.importers.conftest import DATA, ISSUE_202, SAMPLE, FeedServer, Run


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and mtime; mtimes are set far in the past first so a rewrite shows."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def age(folder: Path) -> None:
    for path in folder.iterdir():
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))


async def stored_numbers(db: Path) -> list[int]:
    async with await Archive.open(db, create=False) as archive:
        return [summary.number for summary in await archive.issues.issues()]


def test_import_text_writes_exactly_issue_202(newsbot: Run, tmp_path: Path) -> None:
    out = tmp_path / "issues"
    result = newsbot("import", "text", str(SAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert (out / "202.md").read_bytes() == ISSUE_202.read_bytes()
    assert f"{SAMPLE}:11: no title line for this item: guessed 'The Global AI Index'" in (
        result.stderr
    )
    assert f"{out / '202.md'}: created" in result.stdout
    age(out)
    before = snapshot(out)
    again = newsbot("import", "text", str(SAMPLE), "--out", str(out))
    assert again.exit_code == 0
    assert f"{out / '202.md'}: unchanged" in again.stdout
    assert "0 created, 0 updated, 1 unchanged." in again.stdout
    assert snapshot(out) == before


def test_import_text_writes_to_the_issues_directory_setting(
    newsbot: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_ISSUES__DIRECTORY", str(tmp_path / "from-settings"))
    assert newsbot("import", "text", str(SAMPLE)).exit_code == 0
    assert load_issue(tmp_path / "from-settings" / "202.md").number == 202


def test_import_text_sets_date_and_link(newsbot: Run, tmp_path: Path) -> None:
    result = newsbot(
        "import",
        "text",
        str(SAMPLE),
        "--out",
        str(tmp_path),
        "--date",
        "2021-06-16",
        "--link",
        "https://example.com/issues/202",
    )
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "202.md").read_text(encoding="utf-8")
    assert "date: 2021-06-16\nlink: https://example.com/issues/202\n---" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "16/06/2021"], "--date takes a date written YYYY-MM-DD, not '16/06/2021'"),
        (
            ["--link", "javascript:alert(1)"],
            "--link 'javascript:alert(1)': a link must start with http",
        ),
        (["--date", "2021-06-16", str(SAMPLE)], "--date and --link describe one issue"),
    ],
)
def test_import_text_refuses_bad_options(
    newsbot: Run, tmp_path: Path, args: list[str], message: str
) -> None:
    result = newsbot("import", "text", str(SAMPLE), "--out", str(tmp_path / "out"), *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_import_text_writes_nothing_if_any_file_fails(newsbot: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("No number on this line\nNews\nTitle\nBlurb.\n", encoding="utf-8")
    result = newsbot("import", "text", str(SAMPLE), str(bad), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert f"{bad}:1: the first line names the issue" in result.stderr
    assert "1 file(s) could not be imported; nothing was written" in result.stderr
    assert not (tmp_path / "out").exists()


def test_import_text_reads_a_file_named_twice_once(
    newsbot: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(SAMPLE.parent)
    out = tmp_path / "out"
    result = newsbot(
        "import", "text", str(SAMPLE), SAMPLE.name, f"./{SAMPLE.name}", "--out", str(out)
    )
    assert result.exit_code == 0, result.stderr
    assert "1 created, 0 updated, 0 unchanged." in result.stdout
    assert (out / "202.md").read_bytes() == ISSUE_202.read_bytes()


def test_import_text_names_both_files_of_one_number(newsbot: Run, tmp_path: Path) -> None:
    again = tmp_path / "again.txt"
    shutil.copy(SAMPLE, again)
    result = newsbot("import", "text", str(SAMPLE), str(again), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert f"{again}:1: issue #202 is also the issue of {SAMPLE}: import one of them\n" in (
        result.stderr
    )
    assert "1 file(s) could not be imported; nothing was written" in result.stderr
    assert not (tmp_path / "out").exists()


def test_import_text_ingest_stores_the_issue(newsbot: Run, tmp_path: Path) -> None:
    result = newsbot("import", "text", str(SAMPLE), "--out", str(tmp_path / "out"), "--ingest")
    assert result.exit_code == 0, result.stderr
    assert "1 added, 0 updated, 0 unchanged." in result.stdout
    assert asyncio.run(stored_numbers(tmp_path / "archive.db")) == [202]


def test_import_never_overwrites_an_unreadable_issue_file(newsbot: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "202.md").write_text("hand-edited, broken\n", encoding="utf-8")
    result = newsbot("import", "text", str(SAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"{out / '202.md'}: not written by newsbot import; kept — use --force" in result.stderr
    assert "0 created, 0 updated, 0 unchanged, 1 kept." in result.stdout
    assert (out / "202.md").read_text(encoding="utf-8") == "hand-edited, broken\n"


def test_import_feed_twice_changes_nothing_and_an_edit_updates(
    newsbot: Run, tmp_path: Path
) -> None:
    feed = tmp_path / "substack.xml"
    shutil.copy(DATA / "substack.xml", feed)
    out = tmp_path / "issues"
    first = newsbot("import", "feed", str(feed), "--out", str(out))
    assert first.exit_code == 0, first.stderr
    assert "2 created, 0 updated, 0 unchanged." in first.stdout
    assert [load_issue(out / f"{n}.md").number for n in (41, 42)] == [41, 42]
    age(out)
    before = snapshot(out)
    second = newsbot("import", "feed", str(feed), "--out", str(out))
    assert second.exit_code == 0
    assert "0 created, 0 updated, 2 unchanged." in second.stdout
    assert snapshot(out) == before
    feed.write_text(
        feed.read_text(encoding="utf-8").replace("useless in sunlight", "hopeless in sunlight"),
        encoding="utf-8",
    )
    third = newsbot("import", "feed", str(feed), "--out", str(out))
    assert f"{out / '42.md'}: updated" in third.stdout
    assert f"{out / '41.md'}: unchanged" in third.stdout
    assert "hopeless in sunlight" in (out / "42.md").read_text(encoding="utf-8")
    assert snapshot(out)["41.md"] == before["41.md"]


def test_import_feed_reports_what_it_changed(newsbot: Run, tmp_path: Path) -> None:
    result = newsbot("import", "feed", str(DATA / "hostile.xml"), "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "dropped a link that is not http(s): \"javascript:alert('pwned')\"" in result.stderr
    assert "removed 1 <script> element(s)" in result.stderr
    assert load_issue(tmp_path / "9.md").sections[0].items[0].link is None


@pytest.mark.parametrize("name", ["broken.xml", "not-a-feed.html", "missing.xml"])
def test_import_feed_fails_clearly_and_writes_nothing(
    newsbot: Run, tmp_path: Path, name: str
) -> None:
    result = newsbot("import", "feed", str(DATA / name), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {DATA / name}: ")
    assert not (tmp_path / "out").exists()


REPEATED = (
    "<item><title>Issue #10: Main</title><link>https://n.example.com/p/10</link>"
    "<guid>a10</guid><description>x</description></item>"
)


def test_a_feed_that_repeats_an_entry_is_reimported_in_place(newsbot: Run, tmp_path: Path) -> None:
    feed = tmp_path / "exact.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://n.example.com/</link><description>d</description>"
        f"{REPEATED}{REPEATED}</channel></rss>",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    first = newsbot("import", "feed", str(feed), "--out", str(out), "--ingest")
    assert first.exit_code == 0, first.stderr
    assert f"{feed}: entry 2 repeats entry 1 (guid a10): skipped" in first.stderr
    assert "1 created, 0 updated, 0 unchanged." in first.stdout
    age(out)
    before = snapshot(out)
    for _ in range(2):
        again = newsbot("import", "feed", str(feed), "--out", str(out), "--ingest")
        assert again.exit_code == 0, again.stderr
        assert "0 created, 0 updated, 1 unchanged." in again.stdout
    assert sorted(p.name for p in out.glob("*.md")) == ["10.md"]
    assert snapshot(out) == before
    assert asyncio.run(stored_numbers(tmp_path / "archive.db")) == [10]


def test_an_empty_feed_file_is_a_clear_error(newsbot: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    result = newsbot("import", "feed", str(empty), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert (
        f"error: {empty}: not a valid RSS or Atom feed: it is empty (0 bytes); "
        "nothing was written\n"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_empty_answer_is_a_clear_error(
    newsbot: Run, tmp_path: Path, feed_server: FeedServer
) -> None:
    async def empty(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"", headers={"ETag": '"e"'})

    feed_server.routes["/feed"] = empty
    url = feed_server.url("/feed")
    out = tmp_path / "out"
    result = newsbot("import", "feed", url, "--out", str(out))
    assert result.exit_code == 1
    assert (
        f"error: {url}: not a valid RSS or Atom feed: it is empty (0 bytes); nothing was written\n"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    # Nothing is remembered, so the next import fetches in full.
    assert not out.exists()


def test_import_feed_since_and_limit(newsbot: Run, tmp_path: Path) -> None:
    result = newsbot(
        "import",
        "feed",
        str(DATA / "substack.xml"),
        "--out",
        str(tmp_path),
        "--since",
        "2025-03-05",
    )
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["42.md"]
    assert newsbot("import", "feed", str(DATA / "substack.xml"), "--limit", "0").exit_code == 2
    assert result.exit_code == 0


def test_import_feed_over_http_is_conditional(
    newsbot: Run, tmp_path: Path, feed_server: FeedServer
) -> None:
    async def feed(request: web.Request) -> web.StreamResponse:
        if request.headers.get("If-None-Match") == '"abc"':
            return web.Response(status=304)
        return web.Response(body=(DATA / "ghost.atom").read_bytes(), headers={"ETag": '"abc"'})

    feed_server.routes["/rss/"] = feed
    url = feed_server.url("/rss/")
    out = tmp_path / "issues"
    first = newsbot("import", "feed", url, "--out", str(out), "--ingest")
    assert first.exit_code == 0, first.stderr
    assert sorted(p.name for p in out.glob("*.md")) == ["7.md", "8.md"]
    assert (out / CACHE_FILE).exists()
    assert asyncio.run(stored_numbers(tmp_path / "archive.db")) == [8, 7]
    second = newsbot("import", "feed", url, "--out", str(out))
    assert second.exit_code == 0
    assert f"{url}: feed unchanged (HTTP 304); importing the copy from the last fetch." in (
        second.stdout
    )
    assert "0 created, 0 updated, 2 unchanged." in second.stdout
    assert feed_server.headers_of("/rss/")[1]["If-None-Match"] == '"abc"'
    refreshed = newsbot("import", "feed", url, "--out", str(out), "--refresh")
    assert "0 created, 0 updated, 2 unchanged." in refreshed.stdout


async def serve_substack(request: web.Request) -> web.StreamResponse:
    if request.headers.get("If-None-Match") == '"v1"':
        return web.Response(status=304)
    return web.Response(body=(DATA / "substack.xml").read_bytes(), headers={"ETag": '"v1"'})


@pytest.mark.parametrize(
    ("narrow", "wide"),
    [
        (["--limit", "1"], []),
        (["--since", "2025-03-05"], ["--since", "2025-01-01"]),
        (["--since", "2025-03-05"], ["--limit", "2"]),
    ],
    ids=["limit-then-all", "since-then-earlier", "since-then-limit"],
)
def test_a_304_still_imports_the_entries_a_narrower_import_left_out(
    newsbot: Run, tmp_path: Path, feed_server: FeedServer, narrow: list[str], wide: list[str]
) -> None:
    feed_server.routes["/feed"] = serve_substack
    url = feed_server.url("/feed")
    out = tmp_path / "issues"
    first = newsbot("import", "feed", url, "--out", str(out), *narrow)
    assert first.exit_code == 0, first.stderr
    assert sorted(p.name for p in out.glob("*.md")) == ["42.md"]
    second = newsbot("import", "feed", url, "--out", str(out), *wide)
    assert second.exit_code == 0, second.stderr
    assert feed_server.headers_of("/feed")[1]["If-None-Match"] == '"v1"'
    assert "feed unchanged (HTTP 304)" in second.stdout
    assert f"{out / '41.md'}: created" in second.stdout
    assert "1 created, 0 updated, 1 unchanged." in second.stdout
    assert load_issue(out / "41.md").number == 41


def test_a_304_restores_a_deleted_issue_file(
    newsbot: Run, tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.routes["/feed"] = serve_substack
    url = feed_server.url("/feed")
    out = tmp_path / "issues"
    assert newsbot("import", "feed", url, "--out", str(out)).exit_code == 0
    imported = (out / "41.md").read_bytes()
    (out / "41.md").unlink()
    again = newsbot("import", "feed", url, "--out", str(out))
    assert again.exit_code == 0, again.stderr
    assert "feed unchanged (HTTP 304)" in again.stdout
    assert (out / "41.md").read_bytes() == imported


def test_a_failed_ingest_is_retried_in_full_next_time(
    newsbot: Run, tmp_path: Path, feed_server: FeedServer
) -> None:
    async def feed(request: web.Request) -> web.StreamResponse:
        return web.Response(body=(DATA / "ghost.atom").read_bytes(), headers={"ETag": '"abc"'})

    feed_server.routes["/rss/"] = feed
    with closing(sqlite3.connect(tmp_path / "archive.db")) as db:
        db.execute("PRAGMA user_version = 999")  # from a newer newsbot: the ingest fails
    out = tmp_path / "issues"
    result = newsbot("import", "feed", feed_server.url("/rss/"), "--out", str(out), "--ingest")
    assert result.exit_code == 1
    assert "has schema version 999" in result.stderr
    assert "nothing was ingested" in result.stderr
    assert sorted(p.name for p in out.glob("*.md")) == ["7.md", "8.md"]
    assert not (out / CACHE_FILE).exists()


def test_import_feed_timeout_option(newsbot: Run, tmp_path: Path, feed_server: FeedServer) -> None:
    async def silent(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(30)
        return web.Response()

    feed_server.routes["/slow"] = silent
    url = feed_server.url("/slow")
    result = newsbot("import", "feed", url, "--out", str(tmp_path), "--timeout", "0.3")
    assert result.exit_code == 1
    assert f"error: {url}: no complete answer within 0.3 s" in result.stderr


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set the process umask for one test, and put the old one back after it."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)], ids=["022", "027", "002"]
)
def test_imported_files_get_the_mode_of_any_new_file(
    newsbot: Run, tmp_path: Path, umask: Callable[[int], int], mask: int, mode: int
) -> None:
    umask(mask)
    feed = tmp_path / "substack.xml"
    shutil.copy(DATA / "substack.xml", feed)
    out = tmp_path / "issues"
    assert newsbot("import", "text", str(SAMPLE), "--out", str(out)).exit_code == 0
    assert newsbot("import", "feed", str(feed), "--out", str(out)).exit_code == 0
    assert set(modes(out).values()) == {mode}
    feed.write_text(
        feed.read_text(encoding="utf-8").replace("useless in sunlight", "hopeless in sunlight"),
        encoding="utf-8",
    )
    updated = newsbot("import", "feed", str(feed), "--out", str(out))
    assert f"{out / '42.md'}: updated" in updated.stdout
    assert modes(out)["42.md"] == mode
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []


def test_the_feed_cache_gets_the_mode_of_any_new_file(
    newsbot: Run, tmp_path: Path, feed_server: FeedServer, umask: Callable[[int], int]
) -> None:
    async def feed(request: web.Request) -> web.StreamResponse:
        return web.Response(body=(DATA / "ghost.atom").read_bytes(), headers={"ETag": '"abc"'})

    feed_server.routes["/rss/"] = feed
    out = tmp_path / "issues"
    assert newsbot("import", "feed", feed_server.url("/rss/"), "--out", str(out)).exit_code == 0
    assert modes(out)[CACHE_FILE] == 0o644


SMALL_ISSUE = "Tiny Weekly: Issue #3\nNews\nA hammer\nIt hits nails.\n"


def test_an_issue_file_edited_since_import_is_kept_and_the_rest_goes_on(
    newsbot: Run, tmp_path: Path
) -> None:
    small = tmp_path / "small.txt"
    small.write_text(SMALL_ISSUE, encoding="utf-8")
    out = tmp_path / "issues"
    first = newsbot("import", "text", str(SAMPLE), str(small), "--out", str(out))
    assert first.exit_code == 0, first.stderr
    edited = ISSUE_202.read_text(encoding="utf-8").replace("scaringly", "alarmingly")
    (out / "202.md").write_text(edited, encoding="utf-8")
    small.write_text(SMALL_ISSUE.replace("nails", "nails hard"), encoding="utf-8")
    age(out)
    before = snapshot(out)
    again = newsbot("import", "text", str(SAMPLE), str(small), "--out", str(out), "--ingest")
    assert again.exit_code == 0, again.stderr
    assert (
        f"{out / '202.md'}: edited since import; kept — use --force to replace it" in again.stderr
    )
    assert snapshot(out)["202.md"] == before["202.md"]
    assert f"{out / '3.md'}: updated" in again.stdout
    assert "It hits nails hard." in (out / "3.md").read_text(encoding="utf-8")
    assert "0 created, 1 updated, 0 unchanged, 1 kept." in again.stdout
    # The archive gets what the files hold: the kept file is not what was imported.
    assert asyncio.run(stored_numbers(tmp_path / "archive.db")) == [3]


def without_section(text: str, name: str) -> str:
    start = text.index(f"## {name}\n")
    end = text.find("\n## ", start + 1)
    return text[:start] + (text[end + 1 :] if end != -1 else "")


def test_a_section_removed_by_hand_stays_removed_until_force(newsbot: Run, tmp_path: Path) -> None:
    feed = str(DATA / "substack.xml")
    out = tmp_path / "issues"
    assert newsbot("import", "feed", feed, "--out", str(out)).exit_code == 0
    imported = (out / "42.md").read_text(encoding="utf-8")
    edited = without_section(imported, "Jobs")
    assert edited != imported and "## Tools" in edited
    (out / "42.md").write_text(edited, encoding="utf-8")
    again = newsbot("import", "feed", feed, "--out", str(out))
    assert again.exit_code == 0, again.stderr
    assert f"{out / '42.md'}: edited since import; kept" in again.stderr
    assert "0 created, 0 updated, 1 unchanged, 1 kept." in again.stdout
    assert (out / "42.md").read_text(encoding="utf-8") == edited

    forced = newsbot("import", "feed", feed, "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    backup = out / "42.md.~1~"
    assert f"{out / '42.md'}: replaced (#42 " in forced.stdout
    assert f"what was there is kept in {backup}" in forced.stdout
    assert "0 created, 0 updated, 1 unchanged, 1 replaced." in forced.stdout
    assert (out / "42.md").read_text(encoding="utf-8") == imported
    assert backup.read_text(encoding="utf-8") == edited
    # After --force the file is import's own again: a plain re-import leaves it as it is.
    assert (
        "0 created, 0 updated, 2 unchanged."
        in newsbot("import", "feed", feed, "--out", str(out)).stdout
    )
    (out / "42.md").write_text(edited, encoding="utf-8")
    newsbot("import", "feed", feed, "--out", str(out), "--force")
    assert (out / "42.md.~2~").read_text(encoding="utf-8") == edited
    # The copies are not issue files: check and ingest see 41 and 42 only.
    checked = newsbot("check", str(out))
    assert checked.exit_code == 0, checked.stderr
    ingested = newsbot("ingest", str(out))
    assert ingested.exit_code == 0, ingested.stderr
    assert asyncio.run(stored_numbers(tmp_path / "archive.db")) == [42, 41]


def test_a_file_import_never_wrote_is_kept(newsbot: Run, tmp_path: Path) -> None:
    out = tmp_path / "issues"
    out.mkdir()
    hand_written = ISSUE_202.read_text(encoding="utf-8").replace("Hey folks,", "Hi all,")
    (out / "202.md").write_text(hand_written, encoding="utf-8")
    result = newsbot("import", "text", str(SAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"{out / '202.md'}: not written by newsbot import; kept — use --force" in (result.stderr)
    assert (out / "202.md").read_text(encoding="utf-8") == hand_written


@pytest.mark.parametrize("command", ["text", "feed"])
def test_an_out_folder_that_is_a_file_is_a_clear_error(
    newsbot: Run, tmp_path: Path, command: str
) -> None:
    not_a_folder = tmp_path / "issues"
    not_a_folder.write_text("notes\n", encoding="utf-8")
    source = SAMPLE if command == "text" else DATA / "substack.xml"
    result = newsbot("import", command, str(source), "--out", str(not_a_folder))
    assert result.exit_code == 1
    assert f"error: {not_a_folder}: is not a folder" in result.stderr
    assert not_a_folder.read_text(encoding="utf-8") == "notes\n"


def test_a_feed_copy_that_cannot_be_kept_is_a_warning(
    newsbot: Run, tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.routes["/feed"] = serve_substack
    out = tmp_path / "issues"
    out.mkdir()
    (out / COPIES).write_text("in the way\n", encoding="utf-8")
    result = newsbot("import", "feed", feed_server.url("/feed"), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "2 created, 0 updated, 0 unchanged." in result.stdout
    assert "cannot keep a copy of the feed" in result.stderr
    assert "it is fetched in full next time" in result.stderr
