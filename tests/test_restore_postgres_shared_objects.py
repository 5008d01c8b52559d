"""`newsbot restore` into an archive on PostgreSQL whose database another application shares:
that application's tables named like newsbot's, its objects made on newsbot's tables or
depending on them, are not newsbot's archive; a dump of the shared database restores onto a
new machine, newsbot's archive in a schema of its own or not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import psycopg
import pytest

from bot import restore_contents
from bot.restore_attached import _finding
from bot.store import Archive
from bot.store.postgres.recent import WINDOW_INDEX
from tests.pg_server import PgServer, shimmed
from tests.store.test_search_postgres import small_window, window_issues
from tests.test_restore import archive_of_202, names_in, newsbot
from tests.test_restore_postgres_shared import (
    archive_rows,
    archive_to_back_up,
    back_up,
    backed_up,
    ingested_203,
    objects,
    pg_dump_after,
    refusal,
    refused_meanwhile,
    rows_in,
    shop,
)
from tests.test_restore_postgres_shared_refused import refused_before_dumping

OTHER_TABLES = """
CREATE TABLE "state history" (id serial PRIMARY KEY, said text);
CREATE TABLE "issues archive" (number integer);
INSERT INTO "state history" (said) VALUES ('then');
INSERT INTO "issues archive" VALUES (1);
"""
"""Another application's tables, whose names start with those of newsbot's `state` and
`issues` (pg_restore lists names unquoted: `TABLE public state history owner`)."""


def other_tables(url: str) -> list[object]:
    """The rows of `OTHER_TABLES`, and the value of its sequence."""
    return rows_in(url, ('"state history"', '"issues archive"', '"state history_id_seq"'))


async def test_another_applications_tables_named_like_newsbots_are_left_as_they_are(
    pg_url: str, tmp_path: Path
) -> None:
    """What that application wrote since the backup stays: its tables are not newsbot's
    `state` and `issues`, whatever their names start with."""
    _, dump, env = await backed_up(pg_url, tmp_path, OTHER_TABLES)
    await asyncio.to_thread(
        shop,
        pg_url,
        """INSERT INTO "state history" (said) VALUES ('since');
        UPDATE "issues archive" SET number = 2;""",
    )
    now = await asyncio.to_thread(other_tables, pg_url)
    assert now[0] == [(1, "then"), (2, "since")]
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert await asyncio.to_thread(other_tables, pg_url) == now


def owned_by(pg_server: PgServer, url: str, role: str) -> str:
    """The database at `url` given to `role`, and the URL `role` connects to it with."""
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{url.rpartition("/")[2]}" OWNER TO "{role}"')
    return url.replace("postgresql://postgres@", f"postgresql://{role}@")


@asynccontextmanager
async def database_with_own_schema(pg_server: PgServer, role: str) -> AsyncIterator[str]:
    """A database given to `role`, with a schema of its own (`CREATE SCHEMA role
    AUTHORIZATION role`), dropped once done: the URL `role` connects to it with."""
    first = pg_server.database("template0")
    try:
        url = owned_by(pg_server, first, role)
        await asyncio.to_thread(shop, first, f'CREATE SCHEMA "{role}" AUTHORIZATION "{role}"')
        yield url
    finally:
        pg_server.drop(first)


def schema_of_issues(url: str) -> str:
    """The schema of the table `issues` newsbot finds at `url` (by its search path)."""
    with psycopg.connect(url, autocommit=True) as database:
        found = database.execute(
            "SELECT relnamespace::regnamespace::text FROM pg_class"
            " WHERE oid = to_regclass('issues')"
        ).fetchone()
    assert found is not None
    return str(found[0])


async def test_an_archive_in_a_schema_of_its_own_restores_onto_a_new_machine(
    pg_server: PgServer, role: str, new_machine: str, tmp_path: Path
) -> None:
    """The archive's role has a schema of its own (`CREATE SCHEMA role AUTHORIZATION role`),
    which the default search path ("$user", public) puts the archive in: on a new machine,
    the schema is made with the archive, which newsbot then finds there."""
    folder, dump = tmp_path / "issues", tmp_path / "newsbot-Mon.dump"
    folder.mkdir()
    async with database_with_own_schema(pg_server, role) as url:
        env = await archive_of_202(url, folder)
        assert await asyncio.to_thread(schema_of_issues, url) == role
        await back_up(dump, env)
    target = owned_by(pg_server, new_machine, role)
    code, out, err = await newsbot(
        "restore", str(dump), env={**env, "NEWSBOT_ARCHIVE__URL": target}
    )
    assert code == 0, err
    assert "created it from" in " ".join(out.split())
    assert await asyncio.to_thread(schema_of_issues, target) == role
    async with await Archive.open(target, create=False) as archive:
        assert (await archive.issues.stats()).latest_issue == 202


SHOP_ON_THE_ARCHIVE = """
CREATE TABLE audit (said text);
CREATE FUNCTION audited() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO audit VALUES (TG_TABLE_NAME); RETURN NEW; END $$;
CREATE TRIGGER issues_audited AFTER INSERT ON issues FOR EACH ROW EXECUTE FUNCTION audited();
CREATE FUNCTION folded(text) RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT lower($1) $$;
CREATE INDEX issues_by_folded_title ON issues (folded(title));
CREATE RULE issues_deleted AS ON DELETE TO issues DO ALSO INSERT INTO audit VALUES ('deleted');
CREATE POLICY state_shown ON state USING (true);
CREATE STATISTICS items_placed ON issue_number, position FROM items;
CREATE PUBLICATION shop_feed FOR TABLE issues, audit;
"""
"""Another application's objects made on newsbot's tables: a trigger and an index calling its
functions, a rule, a policy, extended statistics, a publication of newsbot's issues."""

SHOP_DEPENDING = """
CREATE TABLE docs (words tsvector);
CREATE INDEX docs_prefixes ON docs USING gin (newsbot_prefixes(words));
CREATE VIEW issues_sold AS SELECT number FROM issues;
"""
"""Another application's objects depending on newsbot's archive: an index calling newsbot's
function, a view of its issues."""

DROPPED_AS_ASKED = """
DROP TRIGGER issues_audited ON issues;
DROP INDEX issues_by_folded_title;
DROP RULE issues_deleted ON issues;
DROP POLICY state_shown ON state;
DROP STATISTICS items_placed;
ALTER PUBLICATION shop_feed DROP TABLE issues;
"""
"""`SHOP_ON_THE_ARCHIVE` taken off newsbot's archive, as the refusal of a restore asks."""


async def test_a_shared_databases_dump_restores_onto_a_new_machine(
    pg_url: str, new_machine: str, tmp_path: Path
) -> None:
    """The dump holds another application's trigger and index on newsbot's tables, and its
    foreign key to them, whose functions and tables are not restored: newsbot's archive is,
    without them, and nothing of that application."""
    _, dump, env = await backed_up(
        pg_url,
        tmp_path,
        SHOP_ON_THE_ARCHIVE
        + SHOP_DEPENDING
        + "CREATE TABLE issue_orders (issue integer REFERENCES issues (number));",
    )
    then = await asyncio.to_thread(objects, pg_url)
    rows_then = await asyncio.to_thread(archive_rows, pg_url)
    code, _, err = await newsbot(
        "restore", str(dump), env={**env, "NEWSBOT_ARCHIVE__URL": new_machine}
    )
    assert code == 0, err
    now = await asyncio.to_thread(objects, new_machine)
    assert now["other"] == {}
    attached = {"trigger issues_audited", "relation issues_by_folded_title"}
    assert attached <= then["newsbot"].keys()  # on newsbot's tables, but none of its own
    assert now["newsbot"] == {
        name: made for name, made in then["newsbot"].items() if name not in attached
    }
    assert await asyncio.to_thread(archive_rows, new_machine) == rows_then


def window_indexes(url: str) -> tuple[object, list[str]]:
    """The search window's first id and the names of its indexes at `url`."""
    with psycopg.connect(url, autocommit=True) as database:
        first = database.execute("SELECT first_id FROM search_window").fetchone()
        names = database.execute(
            "SELECT relname::text FROM pg_class WHERE relname ~ %s ORDER BY 1", (WINDOW_INDEX,)
        ).fetchall()
    return (first[0] if first else None), [name for (name,) in names]


async def with_a_window(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, list[str]]:
    """The archive at `url` grown past the (scaled down) size from which newsbot indexes its
    newest items apart, as it does as it runs: the window's first id and its indexes."""
    small_window(monkeypatch)
    async with await Archive.open(url) as archive:
        await archive.issues.ingest_many([(one, None) for one in window_issues(1, 12)])
    window = await asyncio.to_thread(window_indexes, url)
    assert window[0] is not None and len(window[1]) == 3, window
    return window


async def test_newsbot_knows_every_object_it_makes_on_its_tables(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restore refuses what is on newsbot's tables and not made by its migrations, as they
    name it, or as it runs (the search window's indexes): a migration making an index or a
    trigger another way than `CREATE INDEX` or `CREATE TRIGGER` must be taught to
    `newsbot_attached`, or every restore is refused."""
    await with_a_window(pg_url, monkeypatch)
    with psycopg.connect(pg_url, autocommit=True) as database:
        assert database.execute(_finding("public")).fetchall() == []


async def test_a_large_archive_restores_with_its_search_window(
    pg_url: str, new_machine: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A large archive's window indexes are newsbot's: its restore is not refused for them,
    and restores them with the window, in place and onto a new machine, so that searches ask
    them at once."""
    dump = tmp_path / "newsbot-Mon.dump"
    env = {"NEWSBOT_ARCHIVE__URL": pg_url, "NEWSBOT_ISSUES__DIRECTORY": str(tmp_path)}
    window = await with_a_window(pg_url, monkeypatch)
    await back_up(dump, env)
    for url in (pg_url, new_machine):
        code, _, err = await newsbot("restore", str(dump), env={**env, "NEWSBOT_ARCHIVE__URL": url})
        assert code == 0, err
        assert await asyncio.to_thread(window_indexes, url) == window


def on_the_archive(url: str) -> list[tuple[str, ...]]:
    """What is on newsbot's tables besides their columns: their indexes, triggers, rules,
    policies, extended statistics, publications, by name."""
    with psycopg.connect(url, autocommit=True) as database:
        return database.execute(
            """SELECT 'index', relname::text FROM pg_class
            WHERE relkind = 'i' AND relnamespace = current_schema()::regnamespace
            UNION ALL SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL SELECT 'rule', rulename FROM pg_rewrite WHERE rulename <> '_RETURN'
            UNION ALL SELECT 'policy', polname FROM pg_policy
            UNION ALL SELECT 'statistics', stxname FROM pg_statistic_ext
            UNION ALL SELECT 'publication', pubname || ' ' || tablename
            FROM pg_publication_tables ORDER BY 1, 2"""
        ).fetchall()


async def test_a_restore_is_refused_while_another_application_has_objects_on_the_archive(
    pg_url: str, tmp_path: Path
) -> None:
    """Dropped with newsbot's tables, which PostgreSQL would do without a word, or making the
    drop fail: the restore is refused naming them before anything is locked or dumped, the
    archive and they left as they are."""
    folder, dump, env = await backed_up(pg_url, tmp_path, named="backups/newsbot-Mon.dump")
    await ingested_203(folder, env)
    await asyncio.to_thread(shop, pg_url, SHOP_ON_THE_ARCHIVE + SHOP_DEPENDING)
    archive_now = await asyncio.to_thread(archive_rows, pg_url)
    objects_now = await asyncio.to_thread(objects, pg_url)
    on_it_now = await asyncio.to_thread(on_the_archive, pg_url)
    said = await refused_before_dumping(dump, env, tmp_path)
    assert said == (
        "error: objects of another application are attached to newsbot's archive or depend on"
        " it (index issues_by_folded_title on issues; policy state_shown on state; publication"
        " shop_feed of issues; rule issues_deleted on issues; statistics items_placed on"
        " items; trigger issues_audited on issues; index docs_prefixes depends on function"
        " newsbot_prefixes(tsvector); view issues_sold depends on table issues), which a"
        " restore would drop: drop them first, and make them again once it is restored; the"
        " archive is left as it was"
    ), said
    assert await asyncio.to_thread(archive_rows, pg_url) == archive_now
    assert await asyncio.to_thread(objects, pg_url) == objects_now
    assert await asyncio.to_thread(on_the_archive, pg_url) == on_it_now
    assert names_in(dump.parent) == ["newsbot-Mon.dump"]


async def test_another_applications_objects_a_dump_holds_on_the_archive_are_not_restored(
    pg_url: str, tmp_path: Path
) -> None:
    """Taken off the archive as the refusal asks, they stay off: the restore loads newsbot's
    tables, indexes and triggers from the dump, not that application's on them."""
    _, dump, env = await archive_to_back_up(pg_url, tmp_path)
    before = await asyncio.to_thread(on_the_archive, pg_url)
    await asyncio.to_thread(shop, pg_url, SHOP_ON_THE_ARCHIVE)
    assert len(await asyncio.to_thread(on_the_archive, pg_url)) == len(before) + 7
    await back_up(dump, env)
    await asyncio.to_thread(shop, pg_url, DROPPED_AS_ASKED)
    dropped = await asyncio.to_thread(on_the_archive, pg_url)
    assert set(dropped) - set(before) == {("publication", "shop_feed audit")}
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert await asyncio.to_thread(on_the_archive, pg_url) == dropped


SAID_OF_THE_ARCHIVE = """
SELECT obj_description('issues'::regclass, 'pg_class'),
    col_description('issues'::regclass, (SELECT attnum FROM pg_attribute
    WHERE attrelid = 'issues'::regclass AND attname = 'title')),
    obj_description('issues_by_date'::regclass, 'pg_class'),
    obj_description('newsbot_prefixes(tsvector)'::regprocedure, 'pg_proc'),
    (SELECT relacl::text FROM pg_class WHERE oid = 'issues'::regclass),
    (SELECT attacl::text FROM pg_attribute WHERE attrelid = 'items'::regclass
    AND attname = 'title'),
    (SELECT proacl::text FROM pg_proc WHERE oid = 'newsbot_pairs(tsvector)'::regprocedure)
"""
"""The comments and grants on newsbot's objects: a table, a column, an index, functions."""


def said_of_the_archive(url: str) -> tuple[object, ...]:
    with psycopg.connect(url, autocommit=True) as database:
        found = database.execute(SAID_OF_THE_ARCHIVE).fetchone()
    assert found is not None
    return tuple(found)


async def test_comments_and_grants_on_newsbots_archive_are_restored(
    pg_url: str, role: str, tmp_path: Path
) -> None:
    """They are newsbot's archive's: restored as the dump holds them, with it."""
    _, dump, env = await archive_to_back_up(pg_url, tmp_path)
    await asyncio.to_thread(
        shop,
        pg_url,
        f"""COMMENT ON TABLE issues IS 'the issues';
        COMMENT ON COLUMN issues.title IS 'as written';
        COMMENT ON INDEX issues_by_date IS 'for /latest';
        COMMENT ON FUNCTION newsbot_prefixes(tsvector) IS 'for /search';
        GRANT SELECT ON issues TO "{role}";
        GRANT SELECT (title) ON items TO "{role}";
        GRANT EXECUTE ON FUNCTION newsbot_pairs(tsvector) TO "{role}";""",
    )
    then = await asyncio.to_thread(said_of_the_archive, pg_url)
    assert then[:4] == ("the issues", "as written", "for /latest", "for /search")
    assert all(role in str(grants) for grants in then[4:])
    await back_up(dump, env)
    await asyncio.to_thread(
        shop,
        pg_url,
        f"""COMMENT ON TABLE issues IS NULL; REVOKE SELECT ON issues FROM "{role}";
        REVOKE SELECT (title) ON items FROM "{role}";""",
    )
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert await asyncio.to_thread(said_of_the_archive, pg_url) == then


COUNTING_PG_RESTORE = """#!/bin/sh
# pg_restore noting each time it lists a dump.
case " $* " in
*" --list "*) echo listed >> {listings} ;;
esac
exec {real} "$@"
"""


async def test_a_dump_is_listed_once_per_restore(pg_url: str, tmp_path: Path) -> None:
    """Its table of contents, read to check it, to choose newsbot's entries and when it was
    taken, is listed and read once: a large dump's lists tens of thousands of entries."""
    _, dump, env = await backed_up(pg_url, tmp_path)
    listings = tmp_path / "listings"
    env["PATH"] = await asyncio.to_thread(
        shimmed,
        tmp_path / "bin",
        "pg_restore",
        COUNTING_PG_RESTORE.replace("{listings}", str(listings)),
    )
    read = restore_contents._entries.cache_info().misses
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert code == 0, err
    assert listings.read_text().split() == ["listed"]
    assert restore_contents._entries.cache_info().misses == read + 1


async def test_a_dump_without_newsbots_schema_table_is_refused_saying_so(
    pg_url: str, tmp_path: Path
) -> None:
    """A dump listing `issues` and `state` but no `newsbot_schema` lacks that table only."""
    _, dump, env = await archive_to_back_up(pg_url, tmp_path, "other.dump")
    await asyncio.to_thread(shop, pg_url, "ALTER TABLE newsbot_schema RENAME TO versions")
    code, _, err = await newsbot("backup", str(dump), env=env)
    await asyncio.to_thread(shop, pg_url, "ALTER TABLE versions RENAME TO newsbot_schema")
    assert code == 0, err
    code, _, err = await newsbot("restore", str(dump), env=env)
    assert refusal(code, err).endswith(
        f"error: {dump} is not a newsbot backup: it has no table newsbot_schema; the archive"
        " is left as it was"
    ), err


MEANWHILE_PG_DUMP = pg_dump_after("CREATE VIEW issues_sold AS SELECT number FROM issues")
"""A pg_dump before which another application makes a view of newsbot's issues: after the
restore checked for such objects, while it dumps the archive it replaces."""


async def test_what_depends_on_the_archive_made_as_the_restore_runs_refuses_it(
    pg_url: str, tmp_path: Path
) -> None:
    """Made after the restore looked for it, it is still refused as newsbot's tables are
    dropped: the archive, the view, and nothing kept beside the backup."""
    said = await refused_meanwhile(pg_url, tmp_path, MEANWHILE_PG_DUMP)
    assert said.endswith(
        "error: objects of another application are attached to newsbot's archive or depend on"
        " it (view issues_sold depends on table issues), which a restore would drop: drop them"
        " first, and make them again once it is restored; the archive is left as it was"
    ), said
    assert "relation issues_sold" in (await asyncio.to_thread(objects, pg_url))["other"]
