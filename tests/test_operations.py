"""Running newsbot: logs as text or JSON with every secret redacted, and `newsbot backup`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from bot import logs
from bot._settings_plain import without_settings
from bot.app import SORRY
from bot.backup import back_up
from bot.cli import app
from bot.logs import REDACTED, configure_logging
from bot.models import Issue
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.settings import load_settings
from bot.store import Archive
from bot.store.postgres.database import ArchiveUnreachable
from tests.conftest import ISSUES, StartNewsbot
from tests.pg_server import PgServer

TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"
X_KEYS = {
    "NEWSBOT_X__CONSUMER_KEY": "xck-0123456789abcdef",
    "NEWSBOT_X__CONSUMER_SECRET": "xcs-fedcba9876543210",
    "NEWSBOT_X__ACCESS_TOKEN": "12345-xat-abcdefghijk",
    "NEWSBOT_X__ACCESS_TOKEN_SECRET": "xats-zyxwvutsrqponm",
}


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_DISCORD__TOKEN", TOKEN)
    for name, value in X_KEYS.items():
        monkeypatch.setenv(name, value)


Logged = Callable[[], str]


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """`configure_logging` sets the root logger and `sys.excepthook` for the process: each test
    here gives them back, so later tests on this worker do not log to its stderr."""
    root = logging.getLogger()
    handlers, level, hook = root.handlers[:], root.level, sys.excepthook
    apscheduler = logging.getLogger("apscheduler").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(apscheduler)
    sys.excepthook = hook


@pytest.fixture
def logged(capsys: pytest.CaptureFixture[str]) -> Logged:
    """What newsbot's log handler wrote so far (it writes to sys.stderr as it is at each record)."""
    return lambda: capsys.readouterr().err


def log_secrets_every_way() -> None:
    """Log the secrets in a message, in arguments, in an exception and in a chained one."""
    http = logging.getLogger("discord.http")
    http.debug("GET /users/@me with Authorization: Bot %s", TOKEN)
    http.debug(f"headers: {{'Authorization': 'Bot {TOKEN}'}}")
    logging.getLogger("tweepy.client").info("keys %s", list(X_KEYS.values()))
    try:
        try:
            raise ValueError(f"login refused for {TOKEN}")
        except ValueError as exc:
            raise RuntimeError(f"could not start with token {TOKEN!r}") from exc
    except RuntimeError:
        logging.getLogger("bot.app").exception("newsbot failed (token %s)", TOKEN)


def assert_no_secret(output: str) -> None:
    assert TOKEN not in output
    for value in X_KEYS.values():
        assert value not in output
    assert REDACTED in output


def test_text_logs_redact_secrets_in_messages_args_and_tracebacks(
    secrets: None, logged: Logged
) -> None:
    configure_logging(load_settings(), verbose=True)
    log_secrets_every_way()
    output = logged()
    assert_no_secret(output)
    assert "DEBUG discord.http: GET /users/@me with Authorization: Bot [redacted]" in output
    assert "ValueError: login refused for [redacted]" in output
    assert "RuntimeError: could not start with token '[redacted]'" in output
    assert "Traceback (most recent call last)" in output


def test_a_database_password_is_redacted_on_its_own_too(
    monkeypatch: pytest.MonkeyPatch, logged: Logged
) -> None:
    password = "K7qz@Wm9x R4yh/%#?[Jd8n]"
    url = f"postgresql://newsbot:{quote(password, safe='')}@127.0.0.1:5432/news"
    monkeypatch.setenv("NEWSBOT_ARCHIVE__URL", url)
    configure_logging(load_settings(), verbose=True)
    log = logging.getLogger("psycopg")
    log.warning("connecting to %s", url)
    log.warning("password for user newsbot is %r", password)
    log.warning("password in a URL: %s", quote(password, safe=""))
    output = logged()
    assert password not in output and quote(password, safe="") not in output
    assert "password for user newsbot is '[redacted]'" in output


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_token_in_an_interaction_or_webhook_route_is_redacted(
    monkeypatch: pytest.MonkeyPatch, logged: Logged, log_format: str
) -> None:
    """discord.py's webhook adapter, which answers interactions, logs the URL it called."""
    monkeypatch.setenv("NEWSBOT_LOG__FORMAT", log_format)
    configure_logging(load_settings(), verbose=True)
    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OnNlY3JldA.x_y-z"
    log = logging.getLogger("discord.webhook.async_")
    route = "https://discord.com/api/v10/{}/{}/{}"
    for kind, rest in (("interactions", "callback"), ("webhooks", "messages/@original")):
        url = route.format(kind, 1234, f"{token}/{rest}")
        log.debug("Webhook ID %s with %s %s has returned status code %s", 1234, "POST", url, 204)
    output = logged()
    assert token not in output
    assert "/interactions/1234/[redacted]/callback" in output
    assert "/webhooks/1234/[redacted]/messages/@original" in output


def test_json_logs_are_one_object_a_line_and_redacted(
    secrets: None, logged: Logged, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_LOG__FORMAT", "json")
    configure_logging(load_settings(), verbose=True)
    log_secrets_every_way()
    logging.getLogger("bot.publishing").warning("step failed", extra={"issue": 202})
    output = logged()
    assert_no_secret(output)
    records = [json.loads(line) for line in output.splitlines()]
    assert [record["logger"] for record in records] == [
        "discord.http",
        "discord.http",
        "tweepy.client",
        "bot.app",
        "bot.publishing",
    ]
    first = records[0]
    assert first["level"] == "DEBUG"
    assert first["message"] == "GET /users/@me with Authorization: Bot [redacted]"
    when = dt.datetime.fromisoformat(first["time"])
    assert when.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(minutes=1)
    failure = records[3]
    assert failure["level"] == "ERROR" and failure["message"] == "newsbot failed (token [redacted])"
    assert "ValueError: login refused for [redacted]" in failure["exc"]
    assert "RuntimeError" in failure["exc"]
    assert "exc" not in records[0]
    assert records[4]["issue"] == 202, "context given with extra= is kept"


def test_a_secret_that_json_escapes_is_redacted_in_json(
    monkeypatch: pytest.MonkeyPatch, logged: Logged
) -> None:
    token = 'tok"en\\with-quotes'
    monkeypatch.setenv("NEWSBOT_DISCORD__TOKEN", token)
    monkeypatch.setenv("NEWSBOT_LOG__FORMAT", "json")
    configure_logging(load_settings(), verbose=False)
    logging.getLogger("bot").warning("token %s", token)
    (record,) = [json.loads(line) for line in logged().splitlines()]
    assert record["message"] == f"token {REDACTED}"


def test_short_secrets_are_not_redacted_so_words_survive(
    monkeypatch: pytest.MonkeyPatch, logged: Logged
) -> None:
    monkeypatch.setenv("NEWSBOT_X__CONSUMER_KEY", "the")
    configure_logging(load_settings(), verbose=False)
    logging.getLogger("bot").warning("the archive is ready")
    assert "the archive is ready" in logged()


def test_an_uncaught_error_is_logged_redacted(secrets: None, logged: Logged) -> None:
    configure_logging(load_settings(), verbose=False)
    try:
        raise RuntimeError(f"crashed holding {TOKEN}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    output = logged()
    assert "CRITICAL newsbot: newsbot stopped on an unexpected error" in output
    assert "RuntimeError: crashed holding [redacted]" in output
    assert TOKEN not in output


def test_configuring_again_replaces_the_handler_and_drops_voice_warnings(
    logged: Logged,
) -> None:
    settings = load_settings()
    configure_logging(settings, verbose=False)
    configure_logging(settings, verbose=False)
    logging.getLogger("discord.client").warning(
        "PyNaCl is not installed, voice will NOT be supported"
    )
    logging.getLogger("bot").info("once")
    logging.getLogger("bot").debug("not at INFO")
    lines = logged().splitlines()
    assert len(lines) == 1 and lines[0].endswith("INFO bot: once")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_real_command_at_debug_never_logs_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_format: str
) -> None:
    monkeypatch.setenv("NEWSBOT_DISCORD__TOKEN", TOKEN)
    monkeypatch.setenv("NEWSBOT_LOG__FORMAT", log_format)
    # The token in the archive's path reaches the log as an argument of the migration lines.
    db = tmp_path / f"{TOKEN}.db"
    result = CliRunner().invoke(app, ["-v", "--db", str(db), "ingest", str(ISSUES / "202.md")])
    assert result.exit_code == 0, result.stderr
    assert TOKEN not in result.stderr
    migrations = [line for line in result.stderr.splitlines() if "applying migration" in line]
    assert migrations and all(f"{REDACTED}.db" in line for line in migrations)
    # newsbot's own DEBUG lines, not the parser's trace of each rule or each statement run.
    assert "markdown_it" not in result.stderr and "aiosqlite" not in result.stderr
    if log_format == "json":
        records = [json.loads(line) for line in result.stderr.splitlines() if line]
        assert {"time", "level", "logger", "message"} <= set(records[0])
        assert any(
            r["logger"] == "bot.store.sqlite.database" and r["level"] == "DEBUG" for r in records
        )


# --- backup -----------------------------------------------------------------------------------


async def test_a_backup_taken_while_another_connection_writes_is_whole(
    tmp_path: Path, issue_202: Issue
) -> None:
    source = tmp_path / "archive.db"
    async with await Archive.open(source) as archive:
        await archive.issues.ingest(issue_202)
    writer = await Archive.open(source)
    writes = 0
    stop, wrote = asyncio.Event(), asyncio.Event()

    async def keep_writing() -> None:
        nonlocal writes
        while not stop.is_set():
            number = 1000 + writes
            await writer.issues.ingest(issue_202.model_copy(update={"number": number}))
            await writer.state.set("last-written", str(number))
            writes += 1
            wrote.set()

    task = asyncio.create_task(keep_writing())
    try:
        for _ in range(3):
            await wrote.wait()
            wrote.clear()
        before = writes
        copy = await back_up(source, tmp_path / "copy.db")
        during = writes - before
    finally:
        stop.set()
        await task
        await writer.close()
    assert during > 0, "the writer kept writing while the backup ran"

    assert copy.path == tmp_path / "copy.db" and copy.size == copy.path.stat().st_size
    async with await Archive.open(copy.path, create=False) as restored:
        assert await restored.issues.stats() == copy.stats
        assert await restored.schema_version() == copy.schema_version
        assert await restored.issues.issue(202) == issue_202
        # A consistent snapshot: every issue whole, and the state written with the last one.
        numbers = [s.number for s in await restored.issues.issues(limit=10_000) if s.number >= 1000]
        assert numbers and sorted(numbers) == list(range(1000, 1000 + len(numbers)))
        assert await restored.state.get("last-written") in {
            str(max(numbers)),
            str(max(numbers) - 1),
        }
        for number in numbers:
            assert await restored.issues.issue(number) == issue_202.model_copy(
                update={"number": number}
            )
    assert copy.stats.issues == 1 + len(numbers)
    assert copy.stats.items == len(issue_202.items) * copy.stats.issues


@pytest.fixture
def archived(tmp_path: Path) -> Path:
    db = tmp_path / "archive.db"
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", str(ISSUES / "202.md")])
    assert result.exit_code == 0, result.stderr
    return db


def newsbot_backup(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), "backup", *args])
    return result.exit_code, result.stdout, result.stderr


def test_backup_writes_a_copy_and_says_what_it_holds(archived: Path, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "newsbot.db"
    target.parent.mkdir()
    code, out, err = newsbot_backup(archived, str(target))
    assert code == 0, err
    size = target.stat().st_size
    assert f"wrote {target} ({size:,} bytes): 1 issue(s), 18 item(s), schema version" in out
    with closing(sqlite3.connect(target)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",), "no -wal file needed"
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM items").fetchone() == (18,)
    assert sorted(p.name for p in target.parent.iterdir()) == ["newsbot.db"], "no temporary left"


def test_backup_replaces_an_existing_file_only_with_force(archived: Path, tmp_path: Path) -> None:
    target = tmp_path / "old.db"
    target.write_bytes(b"an older backup")
    code, _, err = newsbot_backup(archived, str(target))
    assert code == 1
    assert f"{target} exists: pass --force to replace it" in " ".join(err.split())
    assert target.read_bytes() == b"an older backup"
    code, _, err = newsbot_backup(archived, str(target), "--force")
    assert code == 0, err
    with closing(sqlite3.connect(target)) as db:
        assert db.execute("SELECT number FROM issues").fetchall() == [(202,)]


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("missing/copy.db", "missing: no such folder"),
        (".", "is a folder"),
        ("archive.db", "is the archive itself"),
    ],
)
def test_a_bad_destination_is_a_clear_error(
    archived: Path, tmp_path: Path, where: str, says: str
) -> None:
    before = sorted(tmp_path.iterdir())
    code, out, err = newsbot_backup(archived, str(tmp_path / where), "--force")
    assert code == 1 and out == ""
    assert says in " ".join(err.split())
    assert "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before, "nothing was written or left behind"


def _small_files() -> None:
    """In the child: no file may grow past 100,000 bytes, as on a disk that is full; the
    write past it fails (EFBIG) instead of killing the process (SIGXFSZ)."""
    import resource  # POSIX only

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


@pytest.mark.skipif(sys.platform == "win32", reason="file size limits are POSIX")
def test_a_backup_its_disk_cannot_hold_names_the_backup_not_the_archive(
    archived: Path, tmp_path: Path
) -> None:
    """The archive is only read: a failure to write the copy is the backup's, named as the
    editor gave it, and leaves nothing beside it."""
    target = tmp_path / "backups" / "newsbot.db"
    target.parent.mkdir()
    env = without_settings(os.environ)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(archived), "backup", str(target)],
        preexec_fn=_small_files,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    assert done.stderr.startswith(f"error: cannot write the backup {target}: "), done.stderr
    assert "is it full?" in done.stderr
    assert list(target.parent.iterdir()) == [], "no temporary file is left"


def test_backup_without_an_archive_says_how_to_create_one(tmp_path: Path) -> None:
    code, _, err = newsbot_backup(tmp_path / "none.db", str(tmp_path / "copy.db"))
    assert code == 1 and "newsbot ingest" in err
    assert not (tmp_path / "copy.db").exists()


async def test_a_backup_of_an_older_archive_is_not_migrated_first(
    tmp_path: Path, issue_202: Issue
) -> None:
    # Backing up before an upgrade: the copy (and the archive) keep the schema they had.
    path = tmp_path / "old.db"
    async with await Archive.open(path) as archive:
        await archive.issues.ingest(issue_202)
    with closing(sqlite3.connect(path)) as db:  # as if made before migration 5
        db.executescript(
            "DROP INDEX issues_by_publish_at; DROP INDEX outbox_unfinished;"
            " ALTER TABLE issues DROP COLUMN publish_at;"
            " PRAGMA user_version = 4;"
        )
    copy = await back_up(path, tmp_path / "copy.db")
    assert copy.schema_version == 4 and copy.stats.issues == 1
    for made in (path, tmp_path / "copy.db"):
        with closing(sqlite3.connect(made)) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == 4


async def test_readers_failing_alike_in_an_outage_are_logged_once_a_minute(
    start_newsbot: StartNewsbot,
    archive_202: Archive,
    emulator: Emulator,
    seed: DefaultWorld,
    logged: Logged,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every reader's command failed alike while the archive was out of reach, and each was
    # logged whole, traceback and all: 200 commands made 200 tracebacks.
    configure_logging(load_settings(), verbose=False)
    monkeypatch.setattr(logs, "REPEAT_SECONDS", 3600.0)  # however slow this machine is
    await start_newsbot(archive_202)
    await archive_202.close()  # the archive gone from under the running bot
    readers = [emulator.world.add_user(f"reader{n}") for n in range(200)]
    for reader in readers:
        emulator.world.add_member(seed.guild, reader)
        handle = await emulator.run_slash_command(seed.guild, seed.general, reader, "latest")
        assert SORRY in (await handle.original()).content, "each reader is still answered"
    first = logged()
    assert first.count("ERROR bot.app: command 'latest' failed") == 1
    assert first.count("Traceback (most recent call last)") == 1

    monkeypatch.setattr(logs, "REPEAT_SECONDS", 0.0)  # a minute later
    handle = await emulator.run_slash_command(seed.guild, seed.general, seed.reader, "latest")
    assert SORRY in (await handle.original()).content
    later = logged()
    assert later.count("ERROR bot.app: command 'latest' failed") == 1
    assert "[199 more like it in the " in later


async def test_the_pools_attempts_to_connect_in_an_outage_are_logged_once_a_minute(
    pg_server: PgServer,
    pg_url: str,
    logged: Logged,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The pool tries to connect every second while asked (RECONNECT_SECONDS), and warned of
    # each attempt: two lines a second, for as long as the server was down.
    configure_logging(load_settings(), verbose=False)
    monkeypatch.setattr(logs, "REPEAT_SECONDS", 3600.0)  # however slow this machine is

    def attempts() -> int:
        """The pool's warnings of an attempt so far, each as it was made (`caplog` sees them
        all, before newsbot's handler leaves out the repeats)."""
        return sum("error connecting in" in r.getMessage() for r in caplog.records)

    async with await Archive.open(pg_url) as archive:
        with pg_server.down():
            # Readers go on asking until the pool has tried three times (one question, which
            # waits 2 s, usually sees that many).
            for _ in range(20):
                with pytest.raises(ArchiveUnreachable):
                    await archive.issues.latest()
                if attempts() >= 3:
                    break
            assert attempts() >= 3, "the pool did not try again"
    output = logged()
    assert output.count("WARNING psycopg.pool: error connecting in") == 1, output
    assert "more like it" not in output  # none since: said with the next one alike


def missing_key() -> None:
    raise KeyError("issue")


def missing_index() -> None:
    raise IndexError("page")


def test_two_bugs_failing_alike_are_both_logged(logged: Logged) -> None:
    configure_logging(load_settings(), verbose=False)
    log = logging.getLogger("bot.app")
    for _ in range(3):
        for bug in (missing_key, missing_index):
            try:
                bug()
            except LookupError:
                log.exception("command %r failed", "search")
    try:
        raise KeyError("section")  # the same kind as the first, raised at another place
    except KeyError:
        log.exception("command %r failed", "search")
    output = logged()
    assert output.count("ERROR bot.app: command 'search' failed") == 3
    for error in ("KeyError: 'issue'", "IndexError: page", "KeyError: 'section'"):
        assert output.count(error) == 1, error


def test_warnings_written_whole_as_an_argument_are_each_logged(logged: Logged) -> None:
    # The schedule logs each of its warnings as `log.warning("%s", text)`: at a start, a
    # cron's warnings come one after another, each its own.
    configure_logging(load_settings(), verbose=False)
    log = logging.getLogger("bot.schedule.jobs")
    for text in ("the cron names a day and a weekday", "02:30 falls in a skipped hour"):
        log.warning("%s", text)
        log.warning("%s", text)
    log.warning("%s:\n%s", "Issue files have problems", "203.md:4: no title")
    output = logged()
    assert output.count("the cron names a day and a weekday") == 1
    assert output.count("02:30 falls in a skipped hour") == 1
    assert output.count("203.md:4: no title") == 1


def test_what_counts_repeats_stays_bounded_whatever_is_logged(logged: Logged) -> None:
    configure_logging(load_settings(), verbose=False)
    for n in range(10_000):  # each its own kind: a message written with its values in it
        logging.getLogger("bot.app").warning(f"channel {n} failed")
    assert logged().count("WARNING bot.app: channel") == 10_000, "none alike: each logged"
    (handler,) = [h for h in logging.getLogger().handlers if hasattr(h, "repeats")]
    assert len(handler.repeats._kinds) <= logs.KINDS_KEPT
