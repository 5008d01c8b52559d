"""`newsbot restore` into a database whose other application has tables named like newsbot's
where the restore would drop or load newsbot's archive: refused up front, naming them, their
rows left as they are; and what that application makes on newsbot's tables while the restore
runs, refused as the restore's transaction drops them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg

from tests.pg_server import PgServer
from tests.test_restore import archive_of_202, newsbot
from tests.test_restore_postgres_shared import (
    backed_up,
    pg_dump_after,
    refusal,
    refused_meanwhile,
    rows_in,
    shop,
)
from tests.test_restore_postgres_shared_objects import database_with_own_schema

SUBSCRIBERS = """
CREATE TABLE public.subscriptions (email text PRIMARY KEY, plan text NOT NULL);
INSERT INTO public.subscriptions VALUES ('a@example.org', 'gold'), ('b@example.org', 'free');
CREATE TABLE public.state (key text PRIMARY KEY, value text);
INSERT INTO public.state VALUES ('app_cursor', '99');
"""
"""Another application's tables in `public`, named like two of newsbot's, with rows."""


def subscribers(url: str) -> list[object]:
    """The rows of `SUBSCRIBERS`'s tables."""
    return rows_in(url, ("public.subscriptions", "public.state"))


async def test_a_restore_onto_a_database_whose_tables_have_newsbots_names_is_refused(
    pg_url: str, new_machine: str, tmp_path: Path
) -> None:
    """A new machine whose `public` holds no newsbot archive but another application's
    `subscriptions` and `state`: restoring a backup of an archive in `public` there would drop
    them or load into them, so it is refused naming them, their rows kept."""
    _, dump, env = await backed_up(pg_url, tmp_path)
    await asyncio.to_thread(shop, new_machine, SUBSCRIBERS)
    before = await asyncio.to_thread(subscribers, new_machine)
    code, _, err = await newsbot(
        "restore", str(dump), env={**env, "NEWSBOT_ARCHIVE__URL": new_machine}
    )
    said = refusal(code, err)
    assert said.endswith(
        "error: another application's tables have newsbot's names in public: state,"
        " subscriptions, which a restore would drop or load into: restore into a schema of its"
        " own or a database of its own; the archive is left as it was"
    ), said
    assert await asyncio.to_thread(subscribers, new_machine) == before


async def test_a_backup_of_an_archive_in_another_schema_than_the_live_ones_is_refused(
    pg_server: PgServer, pg_url: str, role: str, tmp_path: Path
) -> None:
    """The live archive in a schema of its own, the backup's in `public`, where another
    application has `items`: restored, the live archive would be dropped and the backup
    loaded over that application's table. Refused, naming both schemas, nothing changed."""
    _, dump, env = await backed_up(pg_url, tmp_path)
    folder = tmp_path / "own"
    folder.mkdir()
    async with database_with_own_schema(pg_server, role) as url:
        own = {**await archive_of_202(url, folder), "NEWSBOT_ARCHIVE__URL": url}
        await asyncio.to_thread(
            shop,
            url,
            "CREATE TABLE public.items (sku text PRIMARY KEY, stock integer);"
            " INSERT INTO public.items VALUES ('a', 1), ('b', 2);",
        )
        before = await asyncio.to_thread(rows_in, url, ("public.items", f'"{role}".issues'))
        code, _, err = await newsbot("restore", str(dump), env={**env, **own})
        said = refusal(code, err)
        assert said.endswith(
            f"error: the archive is in schema {role}, the backup's in public: restore into a"
            " database where newsbot's archive is in schema public, or none is; the archive is"
            " left as it was"
        ), said
        assert await asyncio.to_thread(rows_in, url, ("public.items", f'"{role}".issues')) == before


AT_VERSION_9 = """
DROP TABLE replies_read;
UPDATE newsbot_schema SET version = 9;
CREATE TABLE replies_read (message text PRIMARY KEY, reader text NOT NULL);
INSERT INTO replies_read VALUES ('m1', 'r1'), ('m2', 'r2');
"""
"""The archive as a newsbot of schema version 9 left it (before it made `replies_read`), and
another application's table named like the one newsbot makes at version 10."""


async def test_a_table_named_like_one_a_later_schema_version_makes_is_refused(
    pg_url: str, tmp_path: Path
) -> None:
    """An archive at an older schema version has no `replies_read`: the one there is another
    application's, which the restore of a later backup would drop. Refused, naming it."""
    _, dump, env = await backed_up(pg_url, tmp_path)
    await asyncio.to_thread(shop, pg_url, AT_VERSION_9)
    archive_now = await asyncio.to_thread(rows_in, pg_url, ("replies_read", "newsbot_schema"))
    code, _, err = await newsbot("restore", str(dump), env=env)
    said = refusal(code, err)
    assert said.endswith(
        "error: another application's tables have newsbot's names in public: replies_read,"
        " which a restore would drop or load into: restore into a schema of its own or a"
        " database of its own; the archive is left as it was"
    ), said
    assert await asyncio.to_thread(rows_in, pg_url, ("replies_read", "newsbot_schema")) == (
        archive_now
    )


def indexes_of_issues(url: str) -> list[str]:
    """The names of the indexes on newsbot's `issues` but its primary key's."""
    with psycopg.connect(url, autocommit=True) as database:
        return [
            name
            for (name,) in database.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'issues'"
                " AND schemaname = 'public' AND indexname <> 'issues_pkey' ORDER BY 1"
            ).fetchall()
        ]


INDEXING_PG_DUMP = pg_dump_after("CREATE INDEX app_by_title ON issues (title)")
"""A pg_dump before which another application makes an index on newsbot's issues: after the
restore looked for such objects, before its transaction drops newsbot's tables."""


async def test_an_index_made_on_the_archive_as_the_restore_runs_refuses_it(
    pg_url: str, tmp_path: Path
) -> None:
    """Dropped with `issues` it would be lost without a word: the restore's transaction locks
    newsbot's tables and looks again, refusing as the check before it would have."""
    said = await refused_meanwhile(pg_url, tmp_path, INDEXING_PG_DUMP)
    assert said.endswith(
        "error: objects of another application are attached to newsbot's archive or depend on"
        " it (index app_by_title on issues), which a restore would drop: drop them first, and"
        " make them again once it is restored; the archive is left as it was"
    ), said
    assert await asyncio.to_thread(indexes_of_issues, pg_url) == [
        "app_by_title",
        "issues_by_date",
        "issues_by_publish_at",
    ]
