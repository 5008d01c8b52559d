"""Another application's objects on newsbot's archive on PostgreSQL, which a restore would
lose: it drops newsbot's tables and functions, and loads nothing but newsbot's archive back.

Those made on newsbot's tables (an index, a trigger, a rule, a policy, extended statistics,
a sequence owned by a column, a constraint or a default newsbot's migrations do not make or
that calls that application's function; the tables' place in a publication) are dropped with
them, and PostgreSQL says nothing of it; those depending on them (a view, a foreign key, an
index or a domain calling newsbot's function, a function reading its tables in its body or
taking their rows, a column of their row type) make the drop fail half way through the
restore. Both are found in the live database's catalogue before anything is locked or dumped,
and the restore refused naming them; and again in the restore's transaction, newsbot's tables
locked, before it drops them (`clearing`). Refused up front too: another application's tables
with newsbot's names where the restore would drop or load them, and a live archive in another
schema than the dump's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import RestoreError
from bot.publishing.restored import RESTORED
from bot.restore_contents import (
    MADE_CONSTRAINT,
    newsbot_attached,
    newsbot_made,
    newsbot_objects,
    newsbot_sequences,
)


def literal(text: str) -> str:
    """`text` as an SQL string literal (standard_conforming_strings, PostgreSQL's default)."""
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """`name` as a quoted SQL identifier (as `quote_ident` or `format('%I')` quote it)."""
    return '"' + name.replace('"', '""') + '"'


def _names(names: Iterable[str]) -> str:
    """`names`, identifiers from newsbot's migrations (`\\w+`), as an SQL array of text."""
    return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]::text[]"


def _finding(schema: str) -> str:
    """SQL selecting, one a row, what another application has on newsbot's archive in the
    schema `schema` (`refuse_what_is_attached`'s: never one the search path falls through to,
    which may hold that application's tables named like newsbot's). First what it made on
    newsbot's tables but newsbot's migrations did not (`newsbot_attached`, a trigger, rule or
    policy with its table's name; a sequence owned by their columns but those of newsbot's
    identity columns, `newsbot_sequences`; a constraint or a default not named as newsbot's,
    `newsbot_made`, or reaching outside its archive), but the indexes of the search window
    (`WINDOW_INDEX`, which newsbot makes as it runs) and of constraints. Then the objects that
    depend on newsbot's tables, their row types, or its functions, and are not of newsbot's
    tables."""
    # Not imported with the module: an archive in a file never loads the PostgreSQL driver.
    from bot.store.postgres.recent import WINDOW_INDEX

    tables, functions = newsbot_objects()
    made = newsbot_attached()
    constraints, defaults = newsbot_made()
    return f"""WITH archive AS (
SELECT oid FROM pg_namespace WHERE nspname = {literal(schema)}
), newsbots AS (
SELECT c.oid, c.relname FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM archive)
AND c.relkind IN ('r', 'p') AND c.relname::text = ANY ({_names(tables)})
), row_types AS (
SELECT t.oid FROM pg_type t JOIN newsbots n ON t.typrelid = n.oid
UNION ALL SELECT t.typarray FROM pg_type t JOIN newsbots n ON t.typrelid = n.oid
), functions AS (
SELECT p.oid FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM archive)
AND p.proname::text = ANY ({_names(functions)})
), sequences AS (
SELECT c.oid FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM archive)
AND c.relkind = 'S' AND c.relname::text = ANY ({_names(newsbot_sequences())})
), held (classid, objid, said, made) AS (
SELECT 'pg_constraint'::regclass, k.oid, format('constraint %s on %s', k.conname, t.relname),
k.conname::text = ANY ({_names(constraints)})
OR k.conname::text ~ replace({literal(MADE_CONSTRAINT)}, '{{table}}', t.relname::text)
FROM pg_constraint k JOIN newsbots t ON t.oid = k.conrelid
UNION ALL SELECT 'pg_attrdef'::regclass, a.oid, format('default of %s.%s', t.relname, c.attname),
t.relname::text || '.' || c.attname::text = ANY ({_names(defaults)})
FROM pg_attrdef a JOIN newsbots t ON t.oid = a.adrelid
JOIN pg_attribute c ON c.attrelid = a.adrelid AND c.attnum = a.adnum
), reaching (said) AS (
SELECT h.said FROM held h WHERE NOT h.made
UNION SELECT format('%s depends on %s', h.said, pg_describe_object(d.refclassid, d.refobjid, 0))
FROM held h JOIN pg_depend d ON d.classid = h.classid AND d.objid = h.objid AND d.deptype = 'n'
WHERE h.made AND NOT ((d.refclassid = 'pg_class'::regclass AND (d.refobjid IN (SELECT oid
FROM newsbots) OR d.refobjid IN (SELECT x.indexrelid FROM pg_index x JOIN newsbots t
ON t.oid = x.indrelid) OR d.refobjid IN (SELECT oid FROM sequences)))
OR (d.refclassid = 'pg_proc'::regclass AND d.refobjid IN (SELECT oid FROM functions))
OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT oid FROM row_types)))
), attached (said) AS (
SELECT said FROM reaching
UNION ALL SELECT format('index %s on %s', i.relname, t.relname) FROM pg_index x
JOIN newsbots t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
WHERE i.relname::text <> ALL ({_names(made["INDEX"])})
AND NOT (t.relname = 'items' AND i.relname ~ {literal(WINDOW_INDEX)})
AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid
AND k.conrelid = x.indrelid)
UNION ALL SELECT format('trigger %s on %s', g.tgname, t.relname) FROM pg_trigger g
JOIN newsbots t ON t.oid = g.tgrelid
WHERE NOT g.tgisinternal AND t.relname || ' ' || g.tgname <> ALL ({_names(made["TRIGGER"])})
UNION ALL SELECT format('rule %s on %s', r.rulename, t.relname) FROM pg_rewrite r
JOIN newsbots t ON t.oid = r.ev_class
WHERE t.relname || ' ' || r.rulename <> ALL ({_names(made["RULE"])})
UNION ALL SELECT format('policy %s on %s', p.polname, t.relname) FROM pg_policy p
JOIN newsbots t ON t.oid = p.polrelid
WHERE t.relname || ' ' || p.polname <> ALL ({_names(made["POLICY"])})
UNION ALL SELECT format('statistics %s on %s', s.stxname, t.relname) FROM pg_statistic_ext s
JOIN newsbots t ON t.oid = s.stxrelid
WHERE s.stxname::text <> ALL ({_names(made["STATISTICS"])})
UNION ALL SELECT format('sequence %s owned by %s.%s', s.relname, t.relname, a.attname)
FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN newsbots t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
AND d.deptype IN ('a', 'i') AND s.relname::text <> ALL ({_names(newsbot_sequences())})
UNION ALL SELECT format('publication %s of %s', b.pubname, t.relname) FROM pg_publication_rel r
JOIN pg_publication b ON b.oid = r.prpubid JOIN newsbots t ON t.oid = r.prrelid
), dependents AS (
SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, CASE d.classid
WHEN 'pg_class'::regclass THEN coalesce(
(SELECT x.indrelid FROM pg_index x WHERE x.indexrelid = d.objid),
(SELECT o.refobjid FROM pg_depend o WHERE o.classid = 'pg_class'::regclass
AND o.objid = d.objid AND o.refclassid = 'pg_class'::regclass AND o.deptype IN ('a', 'i')
LIMIT 1), d.objid)
WHEN 'pg_constraint'::regclass THEN (SELECT conrelid FROM pg_constraint WHERE oid = d.objid)
WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid)
WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = d.objid)
WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid)
WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = d.objid)
WHEN 'pg_statistic_ext'::regclass THEN (SELECT stxrelid FROM pg_statistic_ext WHERE oid = d.objid)
END AS of_table FROM pg_depend d WHERE d.deptype = 'n' AND (
(d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM newsbots))
OR (d.refclassid = 'pg_proc'::regclass AND d.refobjid IN (SELECT oid FROM functions))
OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT oid FROM row_types)))
), depending (said) AS (
SELECT DISTINCT format('%s depends on %s', CASE WHEN d.classid = 'pg_rewrite'::regclass
AND (SELECT rulename FROM pg_rewrite WHERE oid = d.objid) = '_RETURN'
THEN pg_describe_object('pg_class'::regclass, d.of_table, 0)
ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END,
pg_describe_object(d.refclassid, d.refobjid, 0)) FROM dependents d
WHERE NOT coalesce(d.of_table IN (SELECT oid FROM newsbots), false)
AND NOT (d.classid = 'pg_proc'::regclass AND d.objid IN (SELECT oid FROM functions))
)
SELECT said FROM (SELECT 1, said FROM attached UNION ALL SELECT 2, said FROM depending)
AS found (shown, said) ORDER BY shown, said COLLATE "C";
"""  # noqa: S608 - names from newsbot's migrations (`\w+` identifiers), the schema a literal


_ARCHIVE_SCHEMA = """SELECT n.nspname AS name FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('newsbot_schema')"""
"""The schema of the table `newsbot_schema` newsbot finds by its search path, if one."""


_NAMED_AT_MOST = 20
"""How many of the objects refusing a restore its error names: the rest are counted (an
application may have hundreds on newsbot's tables, and the first to drop are enough to say)."""

ATTACHED = (
    "objects of another application are attached to newsbot's archive or depend on it ({}),"
    " which a restore would drop: drop them first, and make them again once it is restored"
)
"""The refusal of a restore for what another application has on newsbot's archive."""


def _taken(schema: str, version: int) -> str:
    """SQL selecting, one a row, the relations and functions of the schema `schema` named as
    newsbot's tables and functions that an archive at schema `version` (0: none) does not
    have: another application's, which a restore would drop or load into."""
    tables, functions = newsbot_objects()
    had_tables, had_functions = newsbot_objects(version) if version else ((), ())
    return f"""SELECT relname::text AS name FROM pg_class WHERE relnamespace IN
(SELECT oid FROM pg_namespace WHERE nspname = {literal(schema)})
AND relname::text = ANY ({_names(set(tables) - set(had_tables))})
UNION SELECT 'function ' || proname FROM pg_proc WHERE pronamespace IN
(SELECT oid FROM pg_namespace WHERE nspname = {literal(schema)})
AND proname::text = ANY ({_names(set(functions) - set(had_functions))})
ORDER BY 1"""  # noqa: S608 - names from newsbot's migrations (`\w+`), the schema a literal


@dataclass(frozen=True)
class Live:
    """What the database a restore loads into holds in the schema of the dump's archive."""

    version: int
    """The schema version of the archive there (0: none)."""
    schema_made: bool
    """Whether the schema is there already: if not, the restore makes it."""


async def refuse_what_is_attached(url: str, dumped: str) -> Live:
    """What the database at `url` holds in the schema `dumped` of the dump's archive, where
    the restore loads it: the schema version of the archive there it replaces, and whether the
    schema is there. Refuse the restore, naming what stops it, when newsbot finds an archive in
    another schema (restored in `dumped`, it would leave that one, and replace another
    application's tables there); when another application's tables or functions have names
    newsbot's archive there does not have but the restore drops or loads; or while another
    application's objects are on newsbot's archive there (`_finding`): they are to be dropped
    first. Asked before anything is locked or dumped; the restore's transaction asks again
    (`clearing`)."""
    # Not imported with the module: an archive in a file never loads the PostgreSQL driver.
    from bot.store.postgres.database import open_database

    database = await open_database(url, migrate=False)
    try:
        live = await database.row(_ARCHIVE_SCHEMA)
        if live is not None and str(live["name"]) != dumped:
            raise RestoreError(
                f"the archive is in schema {live['name']}, the backup's in {dumped}: restore"
                f" into a database where newsbot's archive is in schema {dumped}, or none is;"
                " the archive is left as it was"
            )
        made = await database.row(
            "SELECT 1 FROM pg_namespace WHERE nspname = %(schema)s", {"schema": dumped}
        )
        table = literal(f"{identifier(dumped)}.newsbot_schema")
        version = 0
        if await database.row(f"SELECT 1 WHERE to_regclass({table}) IS NOT NULL"):
            held = await database.row(
                "SELECT coalesce(max(version), 0) AS version"  # noqa: S608 - the schema quoted
                f" FROM {identifier(dumped)}.newsbot_schema"
            )
            version = int(held["version"]) if held else 0
        taken = [str(row["name"]) for row in await database.rows(_taken(dumped, version))]
        found = [] if taken else [str(row["said"]) for row in await database.rows(_finding(dumped))]
    finally:
        await database.close()
    if taken:
        raise RestoreError(
            f"another application's tables have newsbot's names in {dumped}: {', '.join(taken)},"
            " which a restore would drop or load into: restore into a schema of its own or a"
            " database of its own; the archive is left as it was"
        )
    if found:
        named = "; ".join(found[:_NAMED_AT_MOST])
        more = len(found) - _NAMED_AT_MOST
        raise RestoreError(
            ATTACHED.format(f"{named}{f'; and {more} more' if more > 0 else ''}")
            + "; the archive is left as it was"
        )
    return Live(version, made is not None)


HELD_BACK = "newsbot restore refused: "
"""The start of the exceptions refusing the restore for what the database holds now: a publish
sends from the archive, another application's objects are on it (`clearing`)."""

REPLACED = "newsbot.replaced_through"
"""The setting, for the restore's transaction, holding the highest issue number the archive it
replaces knows (`clearing`), through which the restored archive is marked."""


def clearing(schema: str, version: int) -> bytes:
    """SQL making the schema `schema` of the dump's archive if there is none (a new machine,
    the archive in a schema of its own: the entries loaded are newsbot's, not the schema's);
    noting the highest issue number the archive there knows, in it or through which it was
    marked restored (`REPLACED`); then, where `newsbot_schema` is (the archive at schema
    `version`, 0 for none), locking newsbot's tables, refusing (`ATTACHED`) what another
    application made on them since `refuse_what_is_attached` looked, and dropping the tables
    and functions that version has, or raising an exception if another application's objects
    depend on one: dropped with them, those would be lost, as the restore loads nothing but
    newsbot's archive. Every name is qualified with `schema`: one the search path fell through
    to may be another application's table (`public.items`), rows and all; one a later migration
    makes may be another application's (refused up front).

    `pg_restore --clean` drops only what the dump holds: a table a later migration made would
    stay, and the next start, applying that migration again, fail on it."""
    made, at = identifier(schema), f"{identifier(schema)}."
    issues, state = f"{at}issues", f"{at}state"
    script = f"""DO $schema$ BEGIN
IF to_regnamespace({literal(made)}) IS NULL THEN CREATE SCHEMA {made}; END IF;
END $schema$;
DO $replaced$ BEGIN
IF to_regclass({literal(issues)}) IS NOT NULL AND to_regclass({literal(state)}) IS NOT NULL THEN
PERFORM set_config('{REPLACED}', coalesce(greatest((SELECT max(number) FROM {issues}),
(SELECT max(value::numeric) FROM {state} WHERE key = {literal(RESTORED)} AND value ~ '^[0-9]+$')),
0)::text, true);
END IF;
END $replaced$;
"""  # noqa: S608 - the schema quoted, each value `literal`
    if not version:
        return script.encode()
    tables, functions = newsbot_objects(version)
    finding = _finding(schema).rstrip().removesuffix(";")
    refused = literal(HELD_BACK + ATTACHED.format("%s"))
    dropping = f"""DO $clearing$ DECLARE depending TEXT; named TEXT; counted INT; held NAME; BEGIN
IF to_regclass({literal(f"{at}newsbot_schema")}) IS NULL THEN RETURN; END IF;
FOR held IN SELECT relname FROM pg_class WHERE relnamespace = {literal(made)}::regnamespace
AND relkind IN ('r', 'p') AND relname::text = ANY ({_names(tables)}) ORDER BY relname LOOP
EXECUTE format('LOCK TABLE %I.%I IN ACCESS EXCLUSIVE MODE', {literal(schema)}, held);
END LOOP;
SELECT string_agg(said, '; ' ORDER BY shown) FILTER (WHERE shown <= {_NAMED_AT_MOST}), count(*)
INTO named, counted FROM (SELECT said, row_number() OVER () AS shown FROM ({finding}) AS found)
AS numbered;
IF counted > {_NAMED_AT_MOST} THEN named := format('%s; and %s more', named,
counted - {_NAMED_AT_MOST}); END IF;
IF counted > 0 THEN RAISE EXCEPTION '%', format({refused}, named); END IF;
DROP TABLE IF EXISTS {", ".join(at + table for table in tables)};
{f"DROP FUNCTION IF EXISTS {', '.join(at + function for function in functions)};" * bool(functions)}
EXCEPTION WHEN dependent_objects_still_exist THEN
GET STACKED DIAGNOSTICS depending = PG_EXCEPTION_DETAIL;
RAISE EXCEPTION '{HELD_BACK}objects of another application depend on newsbot''s archive \
(%), which a restore would drop: drop them first, and make them again once it is restored',
replace(depending, chr(10), '; ');
END $clearing$;
"""  # noqa: S608 - names: the migrations' identifiers, the schema quoted; values `literal`
    return (script + dropping).encode()
