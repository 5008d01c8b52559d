"""The `newsbot` command line, run as a user runs it with typer's runner (the demo, a real
subprocess, is in test_demo.py)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from contextlib import closing
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.issuefiles._loading
from bot.cli import app
from bot.cli._console import CONFIG_EXIT, SEARCH_OFFSET_MAX
from bot.errors import IssueFileError
from bot.models import Issue, Supporter
from bot.store import Archive
from bot.store.ingest import SLOT_BITS
from bot.suggestions import SuggestionService
from tests.conftest import ISSUES, ROOT
from tests.newsbot_process import newsbot_completed

SAMPLE = ROOT / "samples" / "deep-learning-weekly-202.txt"

BROKEN = """---
number: 203
title: Broken Weekly
---

## News

### [Bad link](javascript:alert(1))

Blurb.
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def issues_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    return folder


def newsbot(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def dump(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return list(db.iterdump())


def test_ingest_then_search_json_finds_the_paper(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    code, out, _ = newsbot(runner, db, "ingest", str(issues_dir))
    assert code == 0
    assert "1 added, 0 updated, 0 unchanged" in out
    code, out, _ = newsbot(runner, db, "search", "knowledge distillation", "--json")
    assert code == 0
    payload = json.loads(out)
    top = payload["hits"][0]
    assert top["title"] == "Does Knowledge Distillation Really Work?"
    assert (top["issue"], top["section"]) == (202, "Papers & Publications")
    assert [m.lower() for m in top["matches"]] == ["knowledge", "distillation"]


def test_search_tells_what_was_limited(runner: CliRunner, tmp_path: Path, issues_dir: Path) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, _ = newsbot(runner, db, "search", "the distillation", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["limited"] == "very common words were left out: “the”"
    assert payload["hits"]
    code, out, _ = newsbot(runner, db, "search", "pytorch", "--json")
    assert json.loads(out)["limited"] is None
    code, out, _ = newsbot(runner, db, "search", "di*")
    assert code == 0
    assert "Limited: “di*” is a short prefix: matches are listed newest first" in " ".join(
        out.split()
    )


def test_search_filters(runner: CliRunner, tmp_path: Path, issues_dir: Path) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))

    def sections(*args: str) -> set[str]:
        code, out, _ = newsbot(runner, db, "search", "pytorch", "--json", *args)
        assert code == 0
        return {hit["section"] for hit in json.loads(out)["hits"]}

    assert sections() == {"Industry", "Learning", "Libraries & Code"}
    assert sections("--section", "Learning") == {"Learning"}
    assert sections("--section", "libraries-code") == {"Libraries & Code"}
    assert sections("--issue", "202") == sections()
    assert sections("--section", "Learning", "--until", "2020-01-01") == set()


def test_a_section_renamed_in_place_is_found_by_either_name(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    (issues_dir / "203.md").write_text(
        "---\nnumber: 203\ntitle: Issue 203\n---\n\n## Courses {#learning}\n\n"
        "### [A PyTorch course](https://example.com/course)\n\nLearn PyTorch.\n",
        encoding="utf-8",
    )
    db = tmp_path / "a.db"
    assert newsbot(runner, db, "ingest", str(issues_dir))[0] == 0
    for name in ("Courses", "Learning", "learning"):
        code, out, _ = newsbot(runner, db, "search", "pytorch", "--json", "--section", name)
        assert code == 0
        found = {(hit["issue"], hit["section"]) for hit in json.loads(out)["hits"]}
        assert found == {(202, "Learning"), (203, "Courses")}, name
    code, out, _ = newsbot(runner, db, "latest", "--section", "Courses")
    assert code == 0 and "A PyTorch course" in out


def test_search_names_an_unknown_section_or_issue(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, err = newsbot(runner, db, "search", "pytorch", "--section", "Nope")
    assert code == 1 and not out
    assert err == (
        "error: no section 'Nope' in the archive; sections: Industry, Learning, "
        "Libraries & Code, Mobile & Edge, Papers & Publications\n"
    )
    code, out, err = newsbot(runner, db, "search", "pytorch", "--issue", "999")
    assert code == 1 and not out
    assert err == "error: issue #999 is not in the archive\n"
    # A known section and issue with nothing matching is an answer, not an error.
    code, out, _ = newsbot(runner, db, "search", "zebra", "--section", "Learning", "--issue", "202")
    assert code == 0 and "No items match 'zebra'" in out


def test_reingest_reports_unchanged(runner: CliRunner, tmp_path: Path, issues_dir: Path) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, _ = newsbot(runner, db, "ingest", str(issues_dir))
    assert code == 0
    assert "0 added, 0 updated, 1 unchanged" in out


def test_a_broken_file_fails_with_its_line_and_changes_nothing(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    before = dump(db)
    edited = (issues_dir / "202.md").read_text(encoding="utf-8").replace("Hey folks", "Hi all")
    (issues_dir / "202.md").write_text(edited, encoding="utf-8")
    (issues_dir / "203.md").write_text(BROKEN, encoding="utf-8")

    code, _, err = newsbot(runner, db, "ingest", str(issues_dir))
    assert code == 1
    assert f"{issues_dir / '203.md'}:8: this link is not valid" in err
    assert "nothing was ingested" in err
    assert dump(db) == before, "the valid, edited 202.md was not ingested either"

    code, _, err = newsbot(runner, db, "check", str(issues_dir))
    assert code == 1
    assert f"{issues_dir / '203.md'}:8:" in err


def test_a_file_broken_while_ingesting_fails_and_changes_nothing(
    runner: CliRunner, tmp_path: Path, issues_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    before = dump(db)
    for number in (203, 204):
        text = (issues_dir / "202.md").read_text(encoding="utf-8")
        (issues_dir / f"{number}.md").write_text(
            text.replace("number: 202", f"number: {number}"), encoding="utf-8"
        )
    read = bot.issuefiles._loading.load_issue
    reads: list[Path] = []

    def read_then_edit(path: Path | str, warnings: list[IssueFileError] | None = None) -> Issue:
        """Reads a file as newsbot does; once all were checked, an editor saves 204 broken."""
        reads.append(Path(path))
        issue = read(path, warnings)
        if len(reads) == 3:
            (issues_dir / "204.md").write_text(BROKEN.replace("203", "204"), encoding="utf-8")
        return issue

    monkeypatch.setattr(bot.issuefiles._loading, "load_issue", read_then_edit)
    code, _, err = newsbot(runner, db, "ingest", str(issues_dir))
    assert code == 1
    assert f"{issues_dir / '204.md'}:8: this link is not valid" in err
    assert "nothing was ingested" in err
    assert reads[3:] == [issues_dir / f"{n}.md" for n in (202, 203, 204)], "stored as re-read"
    assert dump(db) == before


def test_check_reports_every_problem_of_every_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "5.md").write_text(BROKEN.replace("203", "5").replace("## News", "# News"))
    (tmp_path / "6.md").write_text(BROKEN)
    code, _, err = newsbot(runner, tmp_path / "db", "check", str(tmp_path))
    assert code == 1
    assert f"{tmp_path / '5.md'}:6: a level-1 heading" in err
    assert f"{tmp_path / '5.md'}:8: this item comes before any section" in err
    assert f"{tmp_path / '6.md'}:2: number 203 does not match the file name 6.md" in err
    assert "5 problem(s) in 2 file(s)" in err
    assert not (tmp_path / "db").exists(), "check never touches the archive"


def test_check_passes_on_the_bundled_issues_and_shows_editor_notes(runner: CliRunner) -> None:
    code, out, err = newsbot(runner, Path("unused.db"), "check", str(ISSUES))
    assert code == 0
    assert "issue file(s) are valid" in out
    assert "The Global AI Index" in err and "title guessed" in err


def test_reading_commands_without_an_archive_say_how_to_create_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    for args in (["latest"], ["issue", "202"], ["search", "x"]):
        code, _, err = newsbot(runner, tmp_path / "none.db", *args)
        assert code == 1
        assert "newsbot ingest issues/" in err
    assert not (tmp_path / "none.db").exists()


def test_latest_and_issue(runner: CliRunner, tmp_path: Path, issues_dir: Path) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, _ = newsbot(runner, db, "latest")
    assert code == 0 and "#202" in out and "Papers & Publications" in out
    code, out, _ = newsbot(runner, db, "latest", "--section", "Mobile & Edge")
    assert code == 0 and "Mythic" in out and "Quantum AI campus" not in out
    code, _, err = newsbot(runner, db, "latest", "--section", "Sports")
    assert code == 1 and "no section 'Sports'" in err
    code, out, _ = newsbot(runner, db, "issue", "202", "--json")
    assert code == 0 and json.loads(out)["number"] == 202
    code, _, err = newsbot(runner, db, "issue", "7")
    assert code == 1 and "Issue #7 is not in the archive" in err


def test_search_with_nothing_found_and_bad_dates(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, _ = newsbot(runner, db, "search", "zebra")
    assert code == 0 and "No items match 'zebra'" in out
    code, _, err = newsbot(runner, db, "search", "x", "--since", "last week")
    assert code == 1 and "--since takes a date written YYYY-MM-DD" in err
    code, _, err = newsbot(runner, db, "search", "x", "--until", "last week " * 10_000)
    assert code == 1 and err.endswith("…'\n") and len(err) < 120, err


def usage_error(err: str) -> str:
    """What a usage error says, out of its box and on one line."""
    return " ".join(err.translate(str.maketrans("", "", "╭╮╰╯─│")).split())


def test_search_refuses_dates_that_leave_nothing_to_find(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    args = ("search", "learning", "--since", "2021-03-01", "--until", "2021-02-01")
    code, out, err = newsbot(runner, db, *args)
    assert (code, out) == (2, "")
    assert "Invalid value for '--until': 2021-02-01 is before --since 2021-03-01" in (
        usage_error(err)
    )
    code, _, err = newsbot(runner, db, "search", "learning", "--since", "2021-02-01",
                           "--until", "2021-02-01")  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize(
    ("date", "why"),
    [
        ("2021-02-30", "February 2021 has 28 days"),
        ("2024-02-30", "February 2024 has 29 days"),
        ("2021-04-31", "April 2021 has 30 days"),
        ("2021-13-01", "there is no month 13"),
        ("2021-06-00", "there is no day 0"),
    ],
)
def test_a_date_that_does_not_exist_is_said_so(
    runner: CliRunner, tmp_path: Path, issues_dir: Path, date: str, why: str
) -> None:
    """As an issue file's date is: written right, but no day of the calendar."""
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    for option in ("--since", "--until"):
        code, _, err = newsbot(runner, db, "search", "learning", option, date)
        assert (code, err) == (1, f"error: {option} {date} does not exist: {why}\n")
    out = tmp_path / "out"
    code, _, err = newsbot(runner, db, "import", "text", str(SAMPLE), "--out", str(out),
                           "--date", date)  # fmt: skip
    assert (code, err) == (1, f"error: --date {date} does not exist: {why}\n")
    assert not out.exists()


def test_search_bounds_its_offset_and_limit(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    """No archive holds more items than issue numbers times the slots of one issue."""
    assert SEARCH_OFFSET_MAX == 999_999 << SLOT_BITS
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    code, out, err = newsbot(runner, db, "search", "learning", "--offset", str(SEARCH_OFFSET_MAX))
    assert code == 0, err
    assert f"No items match 'learning' past result {SEARCH_OFFSET_MAX}." in out
    for offset in (str(SEARCH_OFFSET_MAX + 1), "99999999999999999999999"):
        code, out, err = newsbot(runner, db, "search", "learning", "--offset", offset)
        assert (code, out) == (2, "")
        assert (
            f"Invalid value for '--offset': Input should be less than or equal to"
            f" {SEARCH_OFFSET_MAX}" in usage_error(err)
        )
    for limit in ("101", "99999999999999999999999"):
        code, out, err = newsbot(runner, db, "search", "learning", "--limit", limit)
        assert (code, out) == (2, "")
        assert "'--limit': Input should be less than or equal to 100" in usage_error(err)


def test_a_long_query_found_nowhere_is_shown_short(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    query = "zebra " * 20_000
    code, out, err = newsbot(runner, db, "search", query)
    assert code == 0, err
    missing = out.splitlines()[-1]  # after a line saying what the archive limited
    assert missing.startswith("No items match 'zebra zebra") and missing.endswith("…'.")
    assert len(missing) < 150
    code, out, err = newsbot(runner, db, "search", query, "--json")
    assert json.loads(out)["query"] == query, "scripts get what they asked"


def test_config_file_and_environment(
    runner: CliRunner, tmp_path: Path, issues_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[archive]\npath = "{tmp_path / "from-file.db"}"\n')
    monkeypatch.setenv("NEWSBOT_ISSUES__DIRECTORY", str(issues_dir))
    result = runner.invoke(app, ["--config", str(config), "ingest"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "from-file.db").exists()
    monkeypatch.setenv("NEWSBOT_ARCHIVE__PATH", str(tmp_path / "from-env.db"))
    assert runner.invoke(app, ["--config", str(config), "ingest"]).exit_code == 0
    assert (tmp_path / "from-env.db").exists(), "the environment overrides the file"


def test_a_bad_config_names_the_key(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[archive]\npaht = "x.db"\n')
    result = runner.invoke(app, ["--config", str(config), "latest"])
    assert result.exit_code == CONFIG_EXIT
    assert "archive.paht: unknown setting" in result.stderr
    config.write_text("[archive\n")
    result = runner.invoke(app, ["--config", str(config), "latest"])
    assert result.exit_code == CONFIG_EXIT and "not valid TOML" in result.stderr


def test_schema_check(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["schema", "--check"])
    assert result.exit_code == 0, result.stderr
    monkeypatch.setenv("NEWSBOT_ISSUES__DIRECTORY", str(tmp_path))
    schema = tmp_path / "issue.schema.json"
    result = runner.invoke(app, ["schema", "--check"])
    assert result.exit_code == 1
    assert result.stderr == f"error: {schema} is missing: run `newsbot schema` to write it\n"
    assert runner.invoke(app, ["schema"]).exit_code == 0
    assert runner.invoke(app, ["schema", "--check"]).exit_code == 0
    schema.write_text("{}\n", encoding="utf-8")
    result = runner.invoke(app, ["schema", "--check"])
    assert result.exit_code == 1
    assert result.stderr == f"error: {schema} is stale: run `newsbot schema` to regenerate it\n"


def test_schema_names_a_missing_issues_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_ISSUES__DIRECTORY", str(tmp_path / "none"))
    for args in (["schema"], ["schema", "--check"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert f"the issues folder {tmp_path / 'none'} does not exist" in result.stderr
    assert not (tmp_path / "none").exists()


HUGE = str(2**63)
"""One past SQLite's largest integer."""


def test_version_comes_from_the_installed_package(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"newsbot {metadata.version('newsbot')}\n"
    done = newsbot_completed("--version")
    assert (done.returncode, done.stdout) == (0, result.stdout), done.stderr


def test_numbers_beyond_sqlite_get_an_answer(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "a.db"
    newsbot(runner, db, "ingest", str(issues_dir))
    for args in (
        ["issue", HUGE],
        ["search", "x", "--issue", HUGE],
        ["preview", HUGE],
        ["publish", HUGE, "--dry-run"],
        ["suggestions", "export", "--issue", "1000000"],
    ):
        code, _, err = newsbot(runner, db, *args)
        assert code == 2, args
        assert "less than or equal to 999999" in err, args
    code, _, err = newsbot(runner, db, "search", "learning", "--offset", HUGE)
    assert code == 2
    assert f"less than or equal to {SEARCH_OFFSET_MAX}" in usage_error(err)
    for command in ("accept", "reject"):
        code, _, err = newsbot(runner, db, "suggestions", command, HUGE)
        assert (code, err) == (1, f"error: no suggestion {HUGE}: see `newsbot suggestions list`\n")


def test_a_folder_as_the_archive_is_one_clear_error(tmp_path: Path) -> None:
    # A process of its own: aiosqlite's thread would print its own traceback after the error.
    done = newsbot_completed("--db", str(tmp_path), "status")
    assert done.returncode == CONFIG_EXIT, "a setting to change: retrying cannot mend it"
    assert done.stderr == f"error: cannot open the archive {tmp_path}: it is a folder\n"


def test_no_command_creates_the_archive_folder(
    runner: CliRunner, tmp_path: Path, issues_dir: Path
) -> None:
    db = tmp_path / "no" / "such" / "a.db"
    for args in (["ingest", str(issues_dir)], ["latest"], ["status"], ["suggestions", "list"]):
        code, out, err = newsbot(runner, db, *args)
        assert (code, out) == (CONFIG_EXIT, ""), args
        assert err == f"error: cannot open the archive {db}: folder {db.parent} does not exist\n"
    assert not (tmp_path / "no").exists()
    code, _, err = newsbot(
        runner, db, "import", "text", str(SAMPLE), "--out", str(tmp_path / "out"), "--ingest"
    )
    assert code == CONFIG_EXIT and f"folder {db.parent} does not exist" in err
    assert not (tmp_path / "out").exists(), "nothing is imported that cannot be ingested"


def test_a_file_that_is_not_an_archive_is_named(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("my notes\n", encoding="utf-8")
    code, _, err = newsbot(runner, db, "latest")
    assert code == CONFIG_EXIT
    assert err == (
        f"error: cannot open the archive {db}: it is not a newsbot archive "
        "(not an SQLite database)\n"
    )
    assert db.read_text(encoding="utf-8") == "my notes\n"


@pytest.mark.parametrize("name", ["[draft]", "[/draft]", "[bold]"])
def test_an_error_shows_brackets_in_a_name_as_written(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    # Rich would read `[draft]` as a style and drop it, and `[/draft]` as a tag it cannot close.
    missing = tmp_path / name
    result = runner.invoke(app, ["check", str(missing)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == f"error: {missing}: no such file or folder\n"
    config = tmp_path / f"{name}.toml"
    result = runner.invoke(app, ["--config", str(config), "latest"])
    assert result.exit_code == CONFIG_EXIT
    assert result.stderr == f"error: {config}: no such config file\n"


def test_ingest_names_an_archive_with_brackets_in_its_path_as_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "[site]"
    folder.mkdir()
    db = folder / "archive.db"
    result = runner.invoke(app, ["--db", str(db), "ingest", str(ISSUES / "202.md")])
    assert result.exit_code == 0, result.output
    assert f"{db}: 1 added, 0 updated, 0 unchanged." in result.stdout


def test_config_files_that_cannot_be_settings(runner: CliRunner, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[archive]\npath = "caf\xe9.db"\n'.encode("latin-1"))
    types = tmp_path / "types.toml"
    types.write_text('[archive]\npath = 5\n[schedule]\ncron = ["0 9 * * MON"]\n')
    for config, message in (
        (latin1, f"error: {latin1}:2: not UTF-8 text (byte 0xe9); save the config file as UTF-8"),
        (tmp_path, f"error: {tmp_path}: is a folder, not a config file"),
        (types, f"archive.path: not a path: write it as text in quotes, not 5 (from {types}"),
        (types, f"schedule.cron: Input should be a valid string (from {types}"),
    ):
        result = runner.invoke(app, ["--config", str(config), "latest"])
        assert result.exit_code == CONFIG_EXIT, result.stderr
        assert message in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_export_after_the_largest_issue_number_asks_for_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    last = (ISSUES / "202.md").read_text(encoding="utf-8").replace("number: 202", "number: 999999")
    (folder / "999999.md").write_text(last, encoding="utf-8")
    db = tmp_path / "a.db"
    assert newsbot(runner, db, "ingest", str(folder))[0] == 0

    async def suggest() -> None:
        async with await Archive.open(db) as archive:
            await SuggestionService(archive.issues, archive.suggestions).suggest(
                "https://example.org/paper", Supporter(1, "Ann")
            )

    asyncio.run(suggest())
    assert newsbot(runner, db, "suggestions", "accept", "1")[0] == 0
    code, _, err = newsbot(runner, db, "suggestions", "export")
    assert (code, err) == (
        1,
        "error: the issue after #999999 would be numbered beyond 999999, the largest issue "
        "number: pass --issue N\n",
    )
