"""Which of the database's errors are an outage, worth trying the same work again once it
answers, and which say something wrong with the statement, which would fail again."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from bot.store import failed_under
from tests.pg_server import PgServer


def _sqlite_error(path: Path, statement: str) -> sqlite3.Error:
    with closing(sqlite3.connect(path, timeout=0)) as db, pytest.raises(sqlite3.Error) as raised:
        db.execute(statement)
    return raised.value


def test_sqlite_a_lock_held_too_long_passes_a_wrong_statement_does_not(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("CREATE TABLE kept (key TEXT PRIMARY KEY)")
        writer.execute("INSERT INTO kept VALUES ('a')")
        assert not failed_under(_sqlite_error(path, "INSERT INTO kept VALUES ('a')"))
        assert not failed_under(_sqlite_error(path, "SELECT missing FROM kept"))
        assert not failed_under(_sqlite_error(path, "SELECT * FROM nowhere"))
        writer.execute("BEGIN EXCLUSIVE")
        locked = _sqlite_error(path, "SELECT * FROM kept")
        writer.execute("ROLLBACK")
    assert "locked" in str(locked)
    assert failed_under(locked)


def test_sqlite_a_full_disk_passes(tmp_path: Path) -> None:
    # Space can be made on a full disk: the same write then succeeds.
    with closing(sqlite3.connect(tmp_path / "archive.db", isolation_level=None)) as db:
        db.execute("CREATE TABLE kept (blob BLOB)")
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages + 1}")
        with pytest.raises(sqlite3.OperationalError) as full:
            db.execute("INSERT INTO kept VALUES (randomblob(1048576))")
    assert full.value.sqlite_errorcode == sqlite3.SQLITE_FULL
    assert failed_under(full.value)


def test_postgres_a_server_going_away_passes_a_wrong_statement_does_not(
    pg_server: PgServer, pg_url: str
) -> None:
    def error_of(statement: str) -> psycopg.Error:
        with psycopg.connect(pg_url, autocommit=True) as db, pytest.raises(psycopg.Error) as raised:
            db.execute(statement)
        return raised.value

    assert not failed_under(error_of("INSERT INTO state (key, value) VALUES (NULL, NULL)"))
    assert not failed_under(error_of("SELECT missing FROM state"))
    assert not failed_under(error_of("SELEKT 1"))
    assert not failed_under(error_of("SELECT 1/0"))
    # The connection ended by the server (an administrator, a restart): SQLSTATE 57P01.
    assert failed_under(error_of("SELECT pg_terminate_backend(pg_backend_pid())"))
    pg_server.read_only(pg_url, True)
    try:
        assert failed_under(error_of("DELETE FROM state"))  # 25006, a standby until promoted
    finally:
        pg_server.read_only(pg_url, False)
    with psycopg.connect(pg_url, autocommit=True) as db:
        pg_server.drop_connections(pg_url)
        with pytest.raises(psycopg.OperationalError) as lost:
            db.execute("SELECT 1")
    assert failed_under(lost.value)
