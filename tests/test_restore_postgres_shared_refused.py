"""`newsbot restore` into an archive on PostgreSQL whose database another application shares,
refused up front (before anything is locked or dumped) for each object of that application
the restore would drop or lose, named: those depending on newsbot's tables' row types or in
function bodies, domains calling newsbot's functions, sequences owned by newsbot's columns,
constraints and defaults newsbot's migrations do not make."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg

from tests.pg_server import shimmed
from tests.test_restore import newsbot
from tests.test_restore_postgres_shared import (
    archive_rows,
    archive_to_back_up,
    back_up,
    backed_up,
    objects,
    refusal,
    shop,
)

NOTING_PG_DUMP = """#!/bin/sh
# pg_dump noting each time it runs.
echo dumped >> {dumps}
exec {real} "$@"
"""


async def refused_before_dumping(dump: Path, env: dict[str, str], tmp_path: Path) -> str:
    """What `newsbot restore` of `dump` says, refused before it dumped the archive it would
    replace (its pg_dump noting each run in `tmp_path`)."""
    dumps = tmp_path / "dumps"
    env["PATH"] = await asyncio.to_thread(
        shimmed, tmp_path / "bin", "pg_dump", NOTING_PG_DUMP.replace("{dumps}", str(dumps))
    )
    code, _, err = await newsbot("restore", str(dump), env=env)
    said = refusal(code, err)
    assert not dumps.exists(), "refused before the archive it replaces was dumped"
    return said


async def refused_up_front(url: str, tmp_path: Path, made: str) -> str:
    """What `newsbot restore` of a backup of the archive at `url` (holding #202) says, once
    another application ran `made` on it: refused, nothing dumped, the archive and that
    application's objects left as they were."""
    _, dump, env = await backed_up(url, tmp_path)
    await asyncio.to_thread(shop, url, made)
    archive_now = await asyncio.to_thread(archive_rows, url)
    objects_now = await asyncio.to_thread(objects, url)
    said = await refused_before_dumping(dump, env, tmp_path)
    assert await asyncio.to_thread(archive_rows, url) == archive_now
    assert await asyncio.to_thread(objects, url) == objects_now
    return said


ON_ROW_TYPES = """
CREATE FUNCTION app_title(i issues) RETURNS text LANGUAGE sql AS 'SELECT i.title';
CREATE DOMAIN app_era AS tsvector CHECK (VALUE <> newsbot_era(1));
CREATE TABLE app_copy (issue issues, items items[]);
"""
"""Another application's objects depending on newsbot's archive other than by a table's or
an index's definition: a function taking an `issues` row, a domain whose check calls
newsbot's function, a table with columns of newsbot's row types."""

IN_A_BODY = """
CREATE FUNCTION app_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC
SELECT count(*) FROM issues; END;
"""
"""A function whose SQL body (from PostgreSQL 14) reads newsbot's `issues`."""


def server_version(url: str) -> int:
    """The version of the server at `url`, as `server_version_num` says it (150004)."""
    with psycopg.connect(url, autocommit=True) as database:
        return database.info.server_version


async def test_what_depends_on_newsbots_tables_row_types_or_in_a_body_is_refused(
    pg_url: str, tmp_path: Path
) -> None:
    bodies = await asyncio.to_thread(server_version, pg_url) >= 140000
    said = await refused_up_front(pg_url, tmp_path, ON_ROW_TYPES + IN_A_BODY * bodies)
    in_a_body = "function app_count() depends on table issues; " * bodies
    assert said == (
        "error: objects of another application are attached to newsbot's archive or depend on"
        " it (column issue of table app_copy depends on type issues; column items of table"
        " app_copy depends on type items[]; constraint app_era_check depends on function"
        f" newsbot_era(bigint); {in_a_body}function app_title(issues) depends on type issues),"
        " which a restore would drop: drop them first, and make them again once it is"
        " restored; the archive is left as it was"
    ), said


async def test_another_applications_sequence_owned_by_newsbots_column_is_refused(
    pg_url: str, tmp_path: Path
) -> None:
    """Dropped with newsbot's table, it would be lost, its values given again."""
    said = await refused_up_front(
        pg_url, tmp_path, "CREATE SEQUENCE app_tickets OWNED BY issues.number;"
    )
    assert "(sequence app_tickets owned by issues.number)" in said, said


def tickets(url: str) -> object:
    """The last value of another application's sequence `app_tickets`."""
    with psycopg.connect(url, autocommit=True) as database:
        return database.execute("SELECT last_value FROM app_tickets").fetchone()


async def test_another_applications_sequence_a_dump_holds_is_not_loaded_back(
    pg_url: str, tmp_path: Path
) -> None:
    """Owned by newsbot's column when the backup was taken, no longer once the refusal asked:
    the restore leaves it at its value now, not the dump's, which would give its values again."""
    _, dump, env = await backed_up(
        pg_url,
        tmp_path,
        "CREATE SEQUENCE app_tickets OWNED BY issues.number; SELECT setval('app_tickets', 100);",
    )
    await asyncio.to_thread(
        shop, pg_url, "ALTER SEQUENCE app_tickets OWNED BY NONE; SELECT setval('app_tickets', 500);"
    )
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert await asyncio.to_thread(tickets, pg_url) == (500,)


ON_NEWSBOTS_COLUMNS = """
CREATE FUNCTION app_ok(bigint) RETURNS bool IMMUTABLE LANGUAGE sql AS 'SELECT $1 > 0';
ALTER TABLE issues ADD CONSTRAINT app_checked CHECK (app_ok(number));
ALTER TABLE issues ADD CONSTRAINT app_positive CHECK (number > 0) NOT VALID;
ALTER TABLE issues ALTER COLUMN title SET DEFAULT 'untitled';
"""
"""Another application's constraints on newsbot's table, one calling its function, and its
default for newsbot's column: none made by newsbot's migrations."""


async def test_another_applications_constraints_and_defaults_are_refused(
    pg_url: str, tmp_path: Path
) -> None:
    said = await refused_up_front(pg_url, tmp_path, ON_NEWSBOTS_COLUMNS)
    assert (
        "(constraint app_checked on issues; constraint app_positive on issues; default of"
        " issues.title)"
    ) in said, said


async def test_a_dump_whose_table_calls_another_applications_function_is_refused(
    pg_url: str, new_machine: str, tmp_path: Path
) -> None:
    """On a new machine, nothing is on the archive to refuse; the dump's table checks its rows
    with that application's function, which a restore does not load: refused before anything
    is loaded, saying which, not failing half way on a function that does not exist."""
    _, dump, env = await backed_up(pg_url, tmp_path, ON_NEWSBOTS_COLUMNS)
    code, _, err = await newsbot(
        "restore", str(dump), env={**env, "NEWSBOT_ARCHIVE__URL": new_machine}
    )
    said = refusal(code, err)
    assert said.endswith(
        f"error: newsbot's archive in {dump} depends on another application's objects, which a"
        " restore does not load (table issues depends on FUNCTION public app_ok(bigint)): drop"
        " them from newsbot's tables where the backup was taken, and take it again; the archive"
        " is left as it was"
    ), said
    assert await asyncio.to_thread(objects, new_machine) == {"newsbot": {}, "other": {}}


def constraints_of_issues(url: str) -> list[tuple[str, str]]:
    """The constraints on `issues`, by name, with their definitions."""
    with psycopg.connect(url, autocommit=True) as database:
        return database.execute(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'issues'::regclass ORDER BY 1"
        ).fetchall()


async def test_a_check_listed_apart_from_its_table_is_restored_with_it(
    pg_url: str, new_machine: str, tmp_path: Path
) -> None:
    """A check not yet validated is listed apart from its table (`CHECK CONSTRAINT`): it is
    the table's, loaded with it, as one listed in the table's definition is."""
    _, dump, env = await archive_to_back_up(pg_url, tmp_path)
    await asyncio.to_thread(
        shop, pg_url, "ALTER TABLE issues ADD CONSTRAINT positive CHECK (number > 0) NOT VALID"
    )
    then = await asyncio.to_thread(constraints_of_issues, pg_url)
    assert ("positive", "CHECK ((number > 0)) NOT VALID") in then
    await back_up(dump, env)
    code, _, err = await newsbot(
        "restore", str(dump), env={**env, "NEWSBOT_ARCHIVE__URL": new_machine}
    )
    assert code == 0, err
    assert await asyncio.to_thread(constraints_of_issues, new_machine) == then


async def test_a_refusal_names_twenty_objects_and_counts_the_rest(
    pg_url: str, tmp_path: Path
) -> None:
    """An application may have hundreds of objects on newsbot's tables: the error stays
    readable."""
    said = await refused_up_front(
        pg_url,
        tmp_path,
        "DO $$ BEGIN FOR i IN 10..34 LOOP"
        " EXECUTE format('CREATE INDEX app_%s ON items (position)', i); END LOOP; END $$;",
    )
    named = "; ".join(f"index app_{number} on items" for number in range(10, 30))
    assert f"({named}; and 5 more), which" in said, said


async def test_a_trigger_named_like_newsbots_on_another_of_its_tables_is_refused(
    pg_url: str, tmp_path: Path
) -> None:
    """Newsbot's trigger `item_links_insert` is on `items`: one of that name on `issues` is
    another application's."""
    said = await refused_up_front(
        pg_url,
        tmp_path,
        """CREATE FUNCTION app_noted() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER item_links_insert AFTER INSERT ON issues
        FOR EACH ROW EXECUTE FUNCTION app_noted();""",
    )
    assert "(trigger item_links_insert on issues)" in said, said
