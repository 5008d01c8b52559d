"""newsbot's commands on an archive on PostgreSQL: `archive.url` selects it, `--db FILE` still
means a file, and its password is never shown."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.network import shown_url
from bot.settings import load_settings
from bot.store import Archive
from tests.conftest import ISSUES
from tests.newsbot_process import newsbot_completed, without_settings
from tests.pg_server import ROLE_PASSWORD, PgServer

PASSWORD = "pw-never-shown-9f3"


@pytest.fixture
def url(pg_url: str) -> str:
    """The test's database, with a password in the URL (the test server trusts loopback)."""
    return pg_url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")


def newsbot(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert PASSWORD not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_archive_url_puts_the_archive_on_postgresql(url: str, tmp_path: Path) -> None:
    env = {"NEWSBOT_ARCHIVE__URL": url, "NEWSBOT_ARCHIVE__PATH": str(tmp_path / "unused.db")}
    code, out, err = newsbot("ingest", str(ISSUES), env=env)
    assert code == 0, err
    assert url.rpartition("/")[2] in out
    code, out, err = newsbot("status", "--json", env=env)
    assert code == 0, err
    archive = json.loads(out)["archive"]
    assert archive["backend"] == "postgresql"
    assert (archive["issues"], archive["items"], archive["latest_issue"]) == (1, 18, 202)
    assert archive["bytes"] > 0
    assert not (tmp_path / "unused.db").exists()
    code, out, err = newsbot("status", env=env)
    assert code == 0, err
    assert "Archive: 1 issue, 18 items, newest #202" in out
    assert f"(PostgreSQL: {shown_url(url)})" in out


def test_db_still_means_a_file(url: str, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    env = {"NEWSBOT_ARCHIVE__URL": url}
    code, _, err = newsbot("--db", str(db), "ingest", str(ISSUES), env=env)
    assert code == 0, err
    code, out, err = newsbot("--db", str(db), "status", "--json", env=env)
    assert json.loads(out)["archive"]["backend"] == "sqlite"
    code, out, err = newsbot("status", "--json", env=env)
    assert json.loads(out)["archive"]["issues"] == 0


def test_search_answers_the_same_json_on_both(url: str, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    answers = []
    for where in (["--db", str(db)], []):
        env = {"NEWSBOT_ARCHIVE__URL": url}
        assert newsbot(*where, "ingest", str(ISSUES), env=env)[0] == 0
        code, out, err = newsbot(*where, "search", "learning", "--json", env=env)
        assert code == 0, err
        answers.append(json.loads(out))
    on_sqlite, on_postgres = answers
    assert on_sqlite.keys() == on_postgres.keys()
    assert on_sqlite["hits"], "the sample issue has learning in it"

    def found(answer: dict[str, list[dict[str, object]]]) -> set[tuple[object, object]]:
        return {(hit["issue"], hit["title"]) for hit in answer["hits"]}

    assert found(on_sqlite) == found(on_postgres)
    assert on_sqlite["hits"][0].keys() == on_postgres["hits"][0].keys()


def test_an_unreachable_server_is_a_clear_error() -> None:
    env = {"NEWSBOT_ARCHIVE__URL": f"postgresql://newsbot:{PASSWORD}@127.0.0.1:1/newsbot"}
    code, _, err = newsbot("status", env=env)
    assert code != 0
    # The driver's reason, on the same line, without its layout.
    assert err.splitlines() == [
        "error: cannot reach the archive at postgresql://127.0.0.1:1/newsbot: connection refused"
    ]

    # A reason that happens to quote a piece of the password is not shown at all.
    env = {"NEWSBOT_ARCHIVE__URL": "postgresql://newsbot:Connection%20refused@127.0.0.1:1/news"}
    code, _, err = newsbot("status", env=env)
    assert code != 0
    assert err.splitlines() == [
        "error: cannot reach the archive at postgresql://127.0.0.1:1/news: the driver's reason"
        " is not shown, as it quotes the password"
    ]


_HOLDS = "its user name or password holds"
MALFORMED = {
    "Super Secret PW123": f"{_HOLDS} a space, which must be percent-encoded as %20",
    "Secret%zzPW123": f"{_HOLDS} a % not followed by two hex digits: write a % as %25",
    "Secret/PW123": f"{_HOLDS} a /, which must be percent-encoded as %2F",
    "Secret@PW123": "it has more than one @: an @ in its password (or after it) must be"
    " percent-encoded as %40",
    "Secret#PW123": f"{_HOLDS} a #, which must be percent-encoded as %23",
    "Secret?PW123": f"{_HOLDS} a ?, which must be percent-encoded as %3F",
}
"""Passwords not percent-encoded, and what newsbot says of a URL holding each as its user's."""

IN_QUERY = {
    "Super Secret PW123": "its query's password holds a space, which must be percent-encoded"
    " as %20",
    "Secret%zzPW123": "its query's password holds a % not followed by two hex digits: write a %"
    " as %25",
    "Secret@PW123": MALFORMED["Secret@PW123"],
}
"""What newsbot says of a URL holding each as `?password=`; the others are read as written."""

REFUSED = "cannot reach the archive at postgresql://127.0.0.1:1/db: connection refused"


@pytest.mark.parametrize("password", list(MALFORMED))
@pytest.mark.parametrize("where", ["user", "query"])
def test_a_password_never_shows_whatever_the_url_holds(
    password: str, where: str, tmp_path: Path
) -> None:
    if where == "user":
        url = f"postgresql://u:{password}@127.0.0.1:1/db"
        problem: str | None = MALFORMED[password]
    else:
        url = f"postgresql://u@127.0.0.1:1/db?password={password}"
        problem = IN_QUERY.get(password)
    said = REFUSED if problem is None else f"the archive URL is not valid: {problem}"
    env = without_settings(os.environ) | {"NEWSBOT_ARCHIVE__URL": url}
    copy = ["archive", "copy", url, str(tmp_path / "copy.db")]
    for args in (["-v", "latest"], ["-v", *copy]):
        # A process of its own, logging everything it does at DEBUG on stderr.
        done = newsbot_completed(*args, env=env)
        shown = done.stdout + done.stderr
        assert done.returncode == 1, shown
        assert "Traceback" not in shown
        for piece in [password, *re.split(r"[^A-Za-z0-9]+", password)]:
            assert piece not in shown, (piece, shown)
        assert done.stderr.splitlines()[-1] == f"error: {said}"


def test_a_percent_encoded_password_is_read_and_given_to_pg_dump(
    pg_server: PgServer, pg_url: str, tmp_path: Path
) -> None:
    """A role the server lets in only with its password, which holds every character a URL
    must percent-encode: newsbot and pg_dump both give it as the server expects."""
    env = {"NEWSBOT_ARCHIVE__URL": pg_server.password_url(pg_url)}
    code, out, err = newsbot("status", "--json", env=env)
    assert code == 0, err
    assert json.loads(out)["archive"]["backend"] == "postgresql"
    code, out, err = newsbot("backup", str(tmp_path / "archive.dump"), env=env)
    assert code == 0, err
    assert (tmp_path / "archive.dump").read_bytes().startswith(b"PGDMP")
    for piece in re.split(r"[^A-Za-z0-9]+", ROLE_PASSWORD):
        assert len(piece) < 4 or piece not in out + err
    # The server does check it: a wrong password is refused.
    env = {"NEWSBOT_ARCHIVE__URL": pg_server.password_url(pg_url).replace("K7qz", "K7qy")}
    code, _, err = newsbot("status", env=env)
    assert code == 1 and "password authentication failed" in err, err


def test_backup_of_a_postgresql_archive_is_a_pg_dump(url: str, tmp_path: Path) -> None:
    env = {"NEWSBOT_ARCHIVE__URL": url}
    assert newsbot("ingest", str(ISSUES), env=env)[0] == 0
    code, out, err = newsbot("backup", str(tmp_path / "archive.dump"), env=env)
    assert code == 0, err
    assert (tmp_path / "archive.dump").read_bytes().startswith(b"PGDMP")
    assert "1 issue(s), 18 item(s)" in out
    # Without pg_dump: refused, saying what to install.
    env["PATH"] = str(tmp_path / "empty")
    code, _, err = newsbot("backup", str(tmp_path / "again.dump"), env=env)
    assert code != 0
    assert "pg_dump is not installed here" in err
    assert not (tmp_path / "again.dump").exists()


def test_the_url_must_be_postgresql(tmp_path: Path) -> None:
    os.environ.pop("NEWSBOT_ARCHIVE__URL", None)
    with pytest.raises(Exception, match="must be a PostgreSQL URL"):
        load_settings(archive={"url": "mysql://x@y/z"})
    with_password = tmp_path / "a.toml"
    with_password.write_text(f'[archive]\nurl = "postgresql://u:{PASSWORD}@h/db"\n')
    code, _, err = newsbot("--config", str(with_password), "status")
    assert code != 0
    assert "NEWSBOT_ARCHIVE__URL" in err
    without = tmp_path / "b.toml"
    without.write_text('[archive]\nurl = "postgresql://u@h/db"\n')
    settings = load_settings(without)
    assert settings.archive.location() == "postgresql://u@h/db"


def test_status_shows_the_publishes_running_now(url: str) -> None:
    async def claim() -> None:
        async with await Archive.open(url) as archive:
            until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
            assert await archive.ledger.claim(202, "discord", "111", "host:42:ab", until)

    asyncio.run(claim())
    env = {"NEWSBOT_ARCHIVE__URL": url}
    code, out, err = newsbot("status", "--json", env=env)
    assert code == 0, err
    assert json.loads(out)["claims"] == [
        {"issue": 202, "outlet": "discord", "target": "111", "holder": "host:42:ab"}
    ]
    code, out, err = newsbot("status", env=env)
    assert "Publishing now: #202 on discord to 111, by host:42:ab" in out
