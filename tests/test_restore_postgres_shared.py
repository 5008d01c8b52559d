"""`newsbot restore` into an archive on PostgreSQL whose database another application shares:
newsbot's archive is restored, and every object of that application (its tables and their
rows, sequences, indexes, triggers, functions, views, grants) is left as it is now, not put
back as the dump holds it."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.models import OutboxEntry, StepState
from bot.pg_tools import pg_client
from bot.publishing.restored import RESTORED, SINCE, TAKEN
from bot.restore_contents import newsbot_objects
from bot.store import Archive
from tests.pg_server import shimmed
from tests.test_restore import archive_of_202, issue_203, names_in, newsbot

SHOP = """
CREATE TABLE orders (id serial PRIMARY KEY, total integer NOT NULL, note text);
CREATE INDEX orders_by_total ON orders (total);
CREATE FUNCTION orders_noted() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN NEW.note := coalesce(NEW.note, 'noted'); RETURN NEW; END $$;
CREATE TRIGGER orders_noting BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_noted();
CREATE VIEW large_orders AS SELECT id, total FROM orders WHERE total > 10;
CREATE TABLE coupons (code text PRIMARY KEY);
INSERT INTO orders (total) VALUES (5), (50);
INSERT INTO coupons VALUES ('WINTER');
"""
"""Another application's objects, in the archive's database (its schema, public): a table with
a sequence, an index, a trigger and its function; a view; a second table."""

SHOP_SINCE = """
CREATE OR REPLACE FUNCTION orders_noted() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN NEW.note := coalesce(NEW.note, 'noted since'); RETURN NEW; END $$;
INSERT INTO orders (total) VALUES (500);
DELETE FROM orders WHERE total = 5;
CREATE OR REPLACE VIEW large_orders AS SELECT id, total FROM orders WHERE total > 100;
DROP INDEX orders_by_total;
CREATE INDEX orders_by_note ON orders (note);
DROP TABLE coupons;
CREATE TABLE refunds (order_id integer, amount integer);
INSERT INTO refunds VALUES (2, 5);
GRANT SELECT ON orders TO PUBLIC;
"""
"""What that application does after the backup: rows written and deleted, a function and a
view redefined, an index and a table dropped, others made, a grant given."""

_SHOWN = """
SELECT 'relation', c.relname, concat_ws(' | ', c.relkind, c.relacl::text, pg_get_viewdef(c.oid),
    pg_get_indexdef(c.oid), (SELECT string_agg(concat_ws(' ', a.attname,
    format_type(a.atttypid, a.atttypmod), a.attidentity, pg_get_expr(d.adbin, d.adrelid)), ', '
    ORDER BY a.attnum) FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid
    AND d.adnum = a.attnum WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'function', p.proname, pg_get_functiondef(p.oid)
FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', t.tgname, pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
"""
"""Every object of the schema: its kind, name and definition (a relation's with its columns,
their defaults, and its grants)."""

_OWNERS = """
SELECT i.relname, t.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid WHERE t.relnamespace = 'public'::regnamespace
UNION ALL
SELECT conname, t.relname FROM pg_constraint JOIN pg_class t ON t.oid = conrelid
WHERE t.relnamespace = 'public'::regnamespace
UNION ALL
SELECT tgname, t.relname FROM pg_trigger JOIN pg_class t ON t.oid = tgrelid
WHERE t.relnamespace = 'public'::regnamespace
UNION ALL
SELECT s.relname, t.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
AND s.relkind = 'S' JOIN pg_class t ON t.oid = d.refobjid AND d.refobjsubid > 0
WHERE t.relnamespace = 'public'::regnamespace
"""
"""The table each index, constraint, trigger and sequence of a column of the schema is of."""


def shop(url: str, sql: str) -> None:
    """`sql` run in the database at `url`, as the other application runs it."""
    with psycopg.connect(url, autocommit=True) as database:
        database.execute(sql)


def rows_in(url: str, tables: tuple[str, ...]) -> list[object]:
    """Every row of each of `tables` (or sequences) in the database at `url`, in order."""
    with psycopg.connect(url, autocommit=True) as database:
        return [
            database.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in tables
        ]


async def archive_to_back_up(
    url: str, tmp_path: Path, named: str = "newsbot-Mon.dump"
) -> tuple[Path, Path, dict[str, str]]:
    """The archive at `url` holding #202, its issue files in `tmp_path`'s `issues`: that
    folder, where its backup goes (`named` in `tmp_path`, a folder made for it), and the
    environment newsbot runs on it with."""
    folder, dump = tmp_path / "issues", tmp_path / named
    folder.mkdir()
    dump.parent.mkdir(exist_ok=True)
    return folder, dump, await archive_of_202(url, folder)


async def back_up(dump: Path, env: dict[str, str]) -> None:
    """`newsbot backup` of the archive `env` names to `dump`, done."""
    code, _, err = await newsbot("backup", str(dump), env=env)
    assert code == 0, err


async def backed_up(
    url: str, tmp_path: Path, made: str = "", named: str = "newsbot-Mon.dump"
) -> tuple[Path, Path, dict[str, str]]:
    """`archive_to_back_up`, once another application ran `made` on it, backed up."""
    folder, dump, env = await archive_to_back_up(url, tmp_path, named)
    if made:
        await asyncio.to_thread(shop, url, made)
    await back_up(dump, env)
    return folder, dump, env


async def ingested_203(folder: Path, env: dict[str, str]) -> None:
    """#203 written into `folder` and ingested, after the backup."""
    assert (await newsbot("ingest", str(issue_203(folder / "203.md")), env=env))[0] == 0


def pg_dump_after(sql: str) -> str:
    """A pg_dump (a template for `shimmed`) before which another application runs `sql` on the
    database it dumps: as a restore keeps the archive it replaces, after its checks."""
    return f"""#!/bin/sh
for each in "$@"; do
case "$each" in --dbname=*) database="${{{{each#--dbname=}}}}" ;; esac
done
psql --no-psqlrc --quiet "--dbname=$database" --command="{sql}" || exit 1
exec {{real}} "$@"
"""


async def refused_meanwhile(url: str, tmp_path: Path, pg_dump: str) -> str:
    """The refusal of a restore of #202's backup into the archive at `url` (holding #203 since),
    whose pg_dump, keeping the archive it replaces, is the script `pg_dump` (another application
    acting meanwhile): the archive left as it was and nothing kept beside the backup."""
    folder, dump, env = await backed_up(url, tmp_path, named="backups/newsbot-Mon.dump")
    await ingested_203(folder, env)
    archive_now = await asyncio.to_thread(archive_rows, url)
    env["PATH"] = await asyncio.to_thread(shimmed, tmp_path / "bin", "pg_dump", pg_dump)
    code, _, err = await newsbot("restore", str(dump), env=env)
    said = refusal(code, err)
    assert await asyncio.to_thread(archive_rows, url) == archive_now
    assert names_in(dump.parent) == ["newsbot-Mon.dump"]
    return said


def refusal(code: int, err: str) -> str:
    """What newsbot said, exiting 1, refusing: on one line, past asyncio's child-watcher
    warnings."""
    assert code == 1, err
    said = " ".join(err.split())
    return said[max(0, said.find("error: ")) :]


def objects(url: str) -> dict[str, dict[str, str]]:
    """The objects of the database at `url`, by name, each with its definition, split into
    newsbot's (of its tables, by the table named, and its functions) and the others."""
    tables, functions = newsbot_objects()
    found: dict[str, dict[str, str]] = {"newsbot": {}, "other": {}}
    with psycopg.connect(url, autocommit=True) as database:
        owners: dict[str, str] = dict(database.execute(_OWNERS).fetchall())
        for kind, name, definition in database.execute(_SHOWN).fetchall():
            of = owners.get(name, name)
            whose = "newsbot" if of in tables or name in functions else "other"
            found[whose][f"{kind} {name}"] = definition
    return found


def rows(url: str, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of each of `tables` in the database at `url` that has it, in order, and the
    last value of the sequences of those tables."""
    held: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(url, autocommit=True) as database:
        for table in tables:
            if database.execute("SELECT to_regclass(%s)", (table,)).fetchone() != (None,):
                held[table] = database.execute(
                    f"SELECT * FROM {table} AS t ORDER BY t::text"
                ).fetchall()
        held["sequences"] = [
            (name, value)
            for name, value in database.execute(
                "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1"
            ).fetchall()
            if any(name.startswith(f"{table}_") for table in tables)
        ]
    return held


def shop_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The other application's rows, and every sequence's value."""
    return rows(url, ["orders", "coupons", "refunds"])


def archive_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of newsbot's tables (but `claims`, a backup leaves out) and their sequences'
    values, the restore's marks (in `state`) left out."""
    tables = [table for table in newsbot_objects()[0] if table != "claims"]
    held = rows(url, tables)
    held["state"] = [row for row in held["state"] if row[0] not in (TAKEN, RESTORED, SINCE)]
    return held


async def with_a_ledger(url: str) -> None:
    """A step of #202 recorded sent in the archive's ledger."""
    async with await Archive.open(url, create=False) as archive:
        await archive.ledger.plan([OutboxEntry("202/a", 202, "discord", "c1", "message")])
        await archive.ledger.record(
            OutboxEntry("202/a", 202, "discord", "c1", "message", StepState.SENT, remote_id="9")
        )


def dump_as_before(url: str, file: Path) -> None:
    """A dump of the whole database, as `newsbot backup` takes it: in UTC, the rows of claims
    and large objects left out."""
    with pg_client(url) as (client_url, environment):
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={file}", f"--dbname={client_url}",
             "--exclude-table-data=claims", "-B"],
            env=environment | {"TZ": "UTC"}, check=True,
        )  # fmt: skip


def dump_by_hand(url: str, file: Path) -> None:
    """A dump an operator, or a newsbot before `newsbot backup` ran pg_dump in UTC, took of the
    whole database: in the zone of the machine (14 hours ahead of UTC here), every table's
    rows in it (the claims' too)."""
    with pg_client(url) as (client_url, environment):
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={file}", f"--dbname={client_url}"],
            env=environment | {"TZ": "Pacific/Kiritimati"}, check=True,
        )  # fmt: skip


async def with_a_claim(url: str) -> None:
    """A claim of #202 on Discord that ran out, as a publish that ended leaves it."""
    async with await Archive.open(url, create=False) as archive:
        until = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        assert await archive.ledger.claim(202, "discord", "c1", "elsewhere:1:ab", until)


@pytest.mark.parametrize("taken_by", ["newsbot backup", "pg_dump by hand"])
async def test_a_restore_leaves_another_applications_objects_as_they_are_now(
    pg_url: str, tmp_path: Path, taken_by: str
) -> None:
    """The wrong day's backup restored puts newsbot's archive back (its issues, ledger, tables
    and their indexes, triggers, sequences and functions) and nothing of the other
    application's: what it wrote, made, dropped or redefined since the backup stays."""
    folder, dump, env = await archive_to_back_up(pg_url, tmp_path)
    await with_a_ledger(pg_url)
    await with_a_claim(pg_url)
    await asyncio.to_thread(shop, pg_url, SHOP)
    if taken_by == "newsbot backup":
        await back_up(dump, env)
    else:
        await asyncio.to_thread(dump_by_hand, pg_url, dump)
    dumped_by = dt.datetime.now(dt.UTC)
    archive_then = await asyncio.to_thread(archive_rows, pg_url)
    newsbots_then = (await asyncio.to_thread(objects, pg_url))["newsbot"]
    await ingested_203(folder, env)
    await asyncio.to_thread(shop, pg_url, SHOP_SINCE)
    others_now = (await asyncio.to_thread(objects, pg_url))["other"]
    shop_now = await asyncio.to_thread(shop_rows, pg_url)
    assert shop_now["orders"] == [(2, 50, "noted"), (3, 500, "noted since")]

    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert await asyncio.to_thread(shop_rows, pg_url) == shop_now
    after = await asyncio.to_thread(objects, pg_url)
    assert after["other"] == others_now
    # newsbot's archive as the backup holds it, marked restored through #203.
    assert await asyncio.to_thread(archive_rows, pg_url) == archive_then
    assert after["newsbot"] == newsbots_then
    with psycopg.connect(pg_url, autocommit=True) as database:
        marks: dict[str, str] = dict(database.execute("SELECT key, value FROM state").fetchall())
    assert marks.get(RESTORED) == "203", marks
    assert dt.datetime.fromisoformat(marks[SINCE]) <= dumped_by  # never after it was taken
    # The other application works on as it did: its trigger as redefined, its sequence on.
    await asyncio.to_thread(shop, pg_url, "INSERT INTO orders (total) VALUES (7)")
    assert (await asyncio.to_thread(shop_rows, pg_url))["orders"][-1] == (4, 7, "noted since")


async def test_the_archive_kept_beside_restores_only_newsbots_archive_back(
    pg_url: str, tmp_path: Path
) -> None:
    """The dump of the archive a restore replaced undoes that restore: newsbot's archive as it
    was before it, the other application's objects as they are now."""
    folder, dump, env = await backed_up(pg_url, tmp_path, SHOP, "backups/newsbot-Mon.dump")
    backups = dump.parent
    await ingested_203(folder, env)
    archive_then = await asyncio.to_thread(archive_rows, pg_url)
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    [kept] = [name for name in names_in(backups) if name != "newsbot-Mon.dump"]
    await asyncio.to_thread(shop, pg_url, SHOP_SINCE)
    others_now = (await asyncio.to_thread(objects, pg_url))["other"]
    shop_now = await asyncio.to_thread(shop_rows, pg_url)

    code, _, err = await newsbot("restore", str(backups / kept), env=env)
    assert code == 0, err
    assert await asyncio.to_thread(archive_rows, pg_url) == archive_then
    assert await asyncio.to_thread(shop_rows, pg_url) == shop_now
    assert (await asyncio.to_thread(objects, pg_url))["other"] == others_now


SHOP_ON_THE_ARCHIVE = """
CREATE VIEW issues_sold AS SELECT number FROM issues;
CREATE TABLE issue_orders (issue integer REFERENCES issues (number));
"""
"""Objects of the other application that depend on newsbot's archive: a view of its issues, a
foreign key to them."""


async def test_a_restore_is_refused_while_another_applications_objects_depend_on_the_archive(
    pg_url: str, tmp_path: Path
) -> None:
    """Dropped with newsbot's tables, they would be lost (the restore loads nothing else): the
    restore is refused naming them, the archive and they left as they are."""
    folder, dump, env = await backed_up(pg_url, tmp_path)
    await ingested_203(folder, env)
    await asyncio.to_thread(shop, pg_url, SHOP_ON_THE_ARCHIVE)
    archive_now = await asyncio.to_thread(archive_rows, pg_url)
    others_now = (await asyncio.to_thread(objects, pg_url))["other"]
    code, _, err = await newsbot("restore", str(dump), env=env)
    said = refusal(code, err)
    assert said == (
        "error: objects of another application are attached to newsbot's archive or depend on"
        " it (constraint issue_orders_issue_fkey on table issue_orders depends on table issues;"
        " view issues_sold depends on table issues), which a restore would drop: drop them"
        " first, and make them again once it is restored; the archive is left as it was"
    ), said
    assert await asyncio.to_thread(archive_rows, pg_url) == archive_now
    assert (await asyncio.to_thread(objects, pg_url))["other"] == others_now


async def test_a_dump_holding_two_newsbot_archives_is_refused(pg_url: str, tmp_path: Path) -> None:
    """A database holding a second newsbot archive, in a schema of its own: which of the two
    to restore cannot be told from the dump, so neither is, before anything changes."""
    folder, dump, env = await archive_to_back_up(pg_url, tmp_path, "whole.dump")
    await asyncio.to_thread(
        shop, pg_url, "CREATE SCHEMA second; CREATE TABLE second.newsbot_schema (version int)"
    )
    await asyncio.to_thread(dump_as_before, pg_url, dump)
    await ingested_203(folder, env)
    archive_now = await asyncio.to_thread(archive_rows, pg_url)
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert refusal(code, err).endswith(
        f"error: {dump} holds a newsbot archive in each of the schemas public, second, and"
        " which one to restore cannot be told; the archive is left as it was"
    ), err
    assert await asyncio.to_thread(archive_rows, pg_url) == archive_now


UNTOLD_PG_RESTORE = """#!/bin/sh
# pg_restore listing a dump without saying what its entries depend on.
case " $* " in
*" --list "*) {real} "$@" | grep -v "depends on:"; exit 0 ;;
esac
exec {real} "$@"
"""
"""A pg_restore that does not say what a dump's entries depend on (`--list --verbose`)."""


async def test_a_dump_whose_dependencies_pg_restore_does_not_list_is_refused(
    pg_url: str, tmp_path: Path
) -> None:
    """Without them newsbot's indexes and sequences cannot be told from another application's:
    restored without them, the archive would lack them, so it is refused."""
    folder, dump, env = await backed_up(pg_url, tmp_path)
    await ingested_203(folder, env)
    archive_now = await asyncio.to_thread(archive_rows, pg_url)
    env["PATH"] = await asyncio.to_thread(
        shimmed, tmp_path / "bin", "pg_restore", UNTOLD_PG_RESTORE
    )
    code, _, err = await newsbot("restore", str(dump), env=env)
    said = refusal(code, err)
    assert said.endswith(
        f"error: pg_restore listed the entries of {dump} without what they depend on (which"
        " `pg_restore --list --verbose` says, and tells newsbot's archive from another"
        " application's in the same database): the pg_restore on the PATH is not PostgreSQL's,"
        " or is wrapped by something changing what it says; the archive is left as it was"
    ), said
    assert await asyncio.to_thread(archive_rows, pg_url) == archive_now
