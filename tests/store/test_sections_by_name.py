"""The sections as readers know them today (`IssueStore.sections_today`), which readers'
autocomplete asks on each keystroke, read from an index (`sections_by_name`): grouped as it
is read, not sorted afresh from every section row the archive holds."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import cast

import psycopg

from bot.store import Archive
from bot.store.sqlite.issues import SqliteIssues
from tests.factories import issue, item


async def test_sqlite_groups_the_sections_by_name_from_the_index(sqlite_archive: Archive) -> None:
    for number in (1, 2):
        await sqlite_archive.issues.ingest(
            issue(number, {"Industry": [item("Robots", f"https://n.example/{number}")]})
        )
    shared = cast(SqliteIssues, sqlite_archive.issues)._db
    ran: list[str] = []
    await shared.set_trace_callback(ran.append)  # the driver's statement hook, expanded
    for held in (True, False):
        ran.clear()
        assert await sqlite_archive.issues.sections_today(limit=None, held=held) == [
            ("industry", "Industry")
        ]
        (asked,) = [sql for sql in ran if "GROUP BY slug, name" in sql]
        file = sqlite_archive.file
        assert file is not None
        with closing(sqlite3.connect(file)) as db:
            db.create_function("newsbot_held", 1, lambda _: 1)  # newsbot's own
            plan = [str(row[3]) for row in db.execute(f"EXPLAIN QUERY PLAN {asked}")]
        assert "SCAN sections USING COVERING INDEX sections_by_name" in plan, plan
        assert not [line for line in plan if "TEMP B-TREE" in line], plan


def test_postgresql_groups_the_sections_by_name_from_the_index(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("SET enable_seqscan = off")  # the table is small: show what the index can do
        plan = [
            str(line)
            for (line,) in conn.execute(
                "EXPLAIN SELECT slug, name, max(issue_number) AS newest FROM sections"
                " WHERE true GROUP BY slug, name"
            )
        ]
    shown = "\n".join(plan)
    assert "Index Only Scan using sections_by_name on sections" in shown, shown
    assert "Sort" not in shown and "HashAggregate" not in shown, shown
