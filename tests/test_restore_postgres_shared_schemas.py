"""`newsbot restore` of an archive in a schema of its own, into a database whose `public`
schema another application uses: every name the restore drops or reads is newsbot's archive's
schema's, never one the search path falls through to; and a dump whose schema or owner name
holds a space, which pg_restore's listing cannot tell apart, refused saying so."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import psycopg

from bot.publishing.restored import RESTORED
from tests.pg_server import PgServer
from tests.test_restore import archive_of_202, newsbot, state_of
from tests.test_restore_postgres_shared import back_up, refusal, rows_in, shop
from tests.test_restore_postgres_shared_objects import (
    database_with_own_schema,
    owned_by,
    schema_of_issues,
)

PUBLIC_LIKE_NEWSBOTS = """
CREATE TABLE public.items (sku text PRIMARY KEY, stock integer);
INSERT INTO public.items VALUES ('a', 1), ('b', 2);
CREATE INDEX items_by_stock ON public.items (stock);
CREATE TABLE public.issues (number integer PRIMARY KEY, title text);
INSERT INTO public.issues VALUES (4711, 'printer on fire');
CREATE TABLE public.state (key text PRIMARY KEY, value text);
INSERT INTO public.state VALUES ('mode', 'on');
"""
"""Another application's tables in `public`, named like newsbot's, with rows and an index: no
foreign key or view depends on them, so nothing stops a DROP TABLE reaching them."""


def public_rows(url: str) -> list[object]:
    """The rows of `PUBLIC_LIKE_NEWSBOTS`'s tables."""
    return rows_in(url, ("public.items", "public.issues", "public.state"))


async def test_an_archive_in_its_own_schema_leaves_publics_tables_named_like_its_own(
    pg_server: PgServer, role: str, new_machine: str, tmp_path: Path
) -> None:
    """Restored onto a new machine whose `public` holds another application's `items`,
    `issues` and `state`: those keep their rows, and the archive is not marked restored
    through that application's issue numbers."""
    folder, dump = tmp_path / "issues", tmp_path / "newsbot-Mon.dump"
    folder.mkdir()
    async with database_with_own_schema(pg_server, role) as url:
        env = await archive_of_202(url, folder)
        await back_up(dump, env)
    target = owned_by(pg_server, new_machine, role)
    await asyncio.to_thread(shop, target, PUBLIC_LIKE_NEWSBOTS)
    before = await asyncio.to_thread(public_rows, target)
    code, _, err = await newsbot("restore", str(dump), env={**env, "NEWSBOT_ARCHIVE__URL": target})
    assert code == 0, err
    assert await asyncio.to_thread(public_rows, target) == before
    assert await asyncio.to_thread(schema_of_issues, target) == role
    # Marked restored through its own newest issue, not through that application's #4711.
    assert await state_of(target, RESTORED) == "202"


async def test_a_dump_whose_owner_has_a_space_in_its_name_is_refused_saying_so(
    pg_server: PgServer, new_machine: str, tmp_path: Path
) -> None:
    """pg_restore lists names unquoted: an owner `news bot` cannot be told from a table
    `newsbot_schema news`, and the refusal says why no newsbot archive is found."""
    folder, dump = tmp_path / "issues", tmp_path / "newsbot-Mon.dump"
    folder.mkdir()
    spaced = f"news bot {os.getpid()}"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{spaced}" LOGIN')
    try:
        url = owned_by(pg_server, new_machine, spaced).replace(" ", "%20")
        env = await archive_of_202(url, folder)
        await back_up(dump, env)
        code, _, err = await newsbot("restore", str(dump), env=env)
    finally:
        with psycopg.connect(new_machine, autocommit=True) as database:
            database.execute(f'DROP OWNED BY "{spaced}"')
        with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{new_machine.rpartition("/")[2]}" OWNER TO postgres')
            admin.execute(f'DROP ROLE "{spaced}"')
    said = refusal(code, err)
    assert said.endswith(
        f"error: {dump} is not a newsbot backup: it has no table issues, newsbot_schema, state"
        " that newsbot can tell apart (newsbot_schema is listed with a schema or owner whose"
        " name holds a space, which pg_restore's listing does not quote: rename it where the"
        " backup was taken, and take it again); the archive is left as it was"
    ), said


def said_of_schema(url: str, schema: str) -> tuple[object, ...]:
    """The comment and grants of the schema `schema` at `url`, and its default privileges."""
    with psycopg.connect(url, autocommit=True) as database:
        found = database.execute(
            "SELECT obj_description(n.oid, 'pg_namespace'), n.nspacl::text,"
            " (SELECT string_agg(d.defaclobjtype::text || ' ' || d.defaclacl::text, ', ')"
            " FROM pg_default_acl d WHERE d.defaclnamespace = n.oid)"
            " FROM pg_namespace n WHERE n.nspname = %s",
            (schema,),
        ).fetchone()
    assert found is not None
    return tuple(found)


async def test_an_archive_in_its_own_schema_is_restored_with_what_is_said_of_the_schema(
    pg_server: PgServer, role: str, new_machine: str, tmp_path: Path
) -> None:
    """Restored onto a new machine, where the restore makes its schema, the schema's comment,
    grants and default privileges come with it: a reader granted them reads the archive."""
    folder, dump = tmp_path / "issues", tmp_path / "newsbot-Mon.dump"
    folder.mkdir()
    async with database_with_own_schema(pg_server, role) as url:
        env = await archive_of_202(url, folder)
        await asyncio.to_thread(
            shop,
            url,
            f"""COMMENT ON SCHEMA "{role}" IS 'newsbot''s archive';
            GRANT USAGE ON SCHEMA "{role}" TO PUBLIC;
            ALTER DEFAULT PRIVILEGES IN SCHEMA "{role}" GRANT SELECT ON TABLES TO PUBLIC;""",
        )
        then = await asyncio.to_thread(said_of_schema, url, role)
        await back_up(dump, env)
    assert then[0] == "newsbot's archive"
    assert "=U/" in str(then[1]) and "=r/" in str(then[2]), then
    target = owned_by(pg_server, new_machine, role)
    code, _, err = await newsbot("restore", str(dump), env={**env, "NEWSBOT_ARCHIVE__URL": target})
    assert code == 0, err
    assert await asyncio.to_thread(said_of_schema, target, role) == then
