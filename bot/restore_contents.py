"""What a `pg_dump` backup holds, read from its table of contents (`pg_restore --list
--verbose`): whether it is a newsbot archive, when it was taken, and which of its entries are
newsbot's archive, the only ones a restore loads.

The archive's database may be shared with another application, and a dump (`newsbot backup`'s,
or pg_dump's by hand) holds the whole database: restored whole, it would put every table of
that application back as it was then, losing what it wrote since. So a restore loads only
newsbot's entries: its tables and functions, the indexes and triggers its migrations make on
them, and what belongs to those, named in a list for `pg_restore --use-list`
(`newsbots_part`)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.backup import UTC_MARK
from bot.store.migrations import Migration, bundled


@functools.cache
def pg_migrations() -> tuple[Migration, ...]:
    """The PostgreSQL migrations this newsbot bundles (read without the PostgreSQL driver),
    read once: what newsbot's archive is made of is asked of them several times a restore."""
    return tuple(bundled("bot.store.postgres.migrations"))


@functools.cache
def newsbot_objects(through: int | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tables and the functions newsbot's PostgreSQL migrations create, by name: those it
    owns in the archive's schema (`newsbot_schema` among the tables); with `through`, those
    its migrations up to that schema version create, all an archive at that version has."""
    tables, functions = {"newsbot_schema"}, set[str]()
    for migration in pg_migrations():
        if through is not None and migration.version > through:
            break
        for kind, name in migration.created():
            if kind in ("TABLE", "FUNCTION"):
                (tables if kind == "TABLE" else functions).add(name.lower())
    return tuple(sorted(tables)), tuple(sorted(functions))


@functools.cache
def newsbot_attached() -> Mapping[str, tuple[str, ...]]:
    """What newsbot's PostgreSQL migrations make on its tables, by kind (`_ATTACHED`) and
    name: its indexes and triggers; a trigger, rule or policy (`_ON_A_TABLE`, named on its
    table alone) as `TABLE NAME`, as pg_restore lists it. Another application's on them,
    named like newsbot's on another table, are not newsbot's."""
    made: dict[str, set[str]] = {kind: set() for kind in _ATTACHED}
    for migration in pg_migrations():
        for kind, name in migration.created():
            if kind in made and kind not in _ON_A_TABLE:
                made[kind].add(name.lower())
        for kind, name, to, on in _MADE_ON.findall(migration.uncommented):
            made[kind.upper()].add(f"{(on or to).lower()} {name.lower()}")
    return {kind: tuple(sorted(names)) for kind, names in made.items()}


_MADE_ON = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?(TRIGGER|RULE|POLICY)\s+(\w+)\s+"
    r"(?:AS\s+ON\s+\w+\s+TO\s+(\w+)|[^;]*?\bON\s+(\w+))",
    re.IGNORECASE,
)
"""A statement making a trigger, a rule or a policy, and the table it is made on."""

_TABLE_BODY = re.compile(
    r"\b(?:CREATE\s+TABLE(?:\s+IF\s+NOT\s+EXISTS)?\s+(\w+)\s*\((.*?)\n\)"
    r"|ALTER\s+TABLE\s+(\w+)\s+ADD\s+(?:COLUMN\s+)?(.*?);)",
    re.IGNORECASE | re.DOTALL,
)
"""A table's columns as a migration declares them: made with it, or added after."""

_COUNTING = re.compile(
    r"^\s*(\w+)\s+(?:\w+\s+GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY"
    r"|(?:SMALL|BIG)?SERIAL)\b",
    re.IGNORECASE | re.MULTILINE,
)
"""A column taking its values from a sequence of its own: an identity or serial column."""


@functools.cache
def newsbot_sequences() -> tuple[str, ...]:
    """The sequences of newsbot's identity and serial columns, by name (PostgreSQL's,
    `TABLE_COLUMN_seq`): its own. Another application's sequence owned by one of newsbot's
    columns (`OWNED BY`) is dropped with the table, and is not newsbot's to load back."""
    found: set[str] = set()
    for migration in pg_migrations():
        for made, columns, altered, added in _TABLE_BODY.findall(migration.uncommented):
            table = (made or altered).lower()
            for column in _COUNTING.findall(columns or added):
                found.add(f"{table}_{column.lower()}_seq")
    return tuple(sorted(found))


_DEFAULTING = re.compile(
    r"^\s*(\w+)\s+[^,\n]*?\b(?:(?<!BY )DEFAULT\b|GENERATED\s+ALWAYS\s+AS\s*\()",
    re.IGNORECASE | re.MULTILINE,
)
"""A column with a default, or generated from the others."""

_SET_DEFAULT = re.compile(
    r"\bALTER\s+TABLE\s+(\w+)\s+ALTER\s+(?:COLUMN\s+)?(\w+)\s+SET\s+DEFAULT\b", re.IGNORECASE
)
"""A default given to a column after it was made."""

_NAMED_CONSTRAINT = re.compile(r"\bCONSTRAINT\s+(?!TRIGGER\b)(\w+)", re.IGNORECASE)
"""A constraint a migration names (not a constraint trigger, which is a trigger)."""

MADE_CONSTRAINT = "^{table}_(?:[a-z0-9_]+_)?(?:pkey|key|fkey|check|excl|not_null)[0-9]*$"
"""The names PostgreSQL gives the constraints a migration does not name, on the table
`{table}` (a regular expression, as Python and PostgreSQL read it alike)."""


@functools.cache
def newsbot_made() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The constraints newsbot's PostgreSQL migrations name, and the columns they give a
    default or generate (`table.column`): on newsbot's tables, another application's, or one
    calling its functions, would be dropped with them or fail to load."""
    constraints: set[str] = set()
    defaults: set[str] = set()
    for migration in pg_migrations():
        sql = migration.uncommented
        constraints.update(name.lower() for name in _NAMED_CONSTRAINT.findall(sql))
        for made, columns, altered, added in _TABLE_BODY.findall(sql):
            table = (made or altered).lower()
            defaults.update(f"{table}.{c.lower()}" for c in _DEFAULTING.findall(columns or added))
        defaults.update(f"{t.lower()}.{c.lower()}" for t, c in _SET_DEFAULT.findall(sql))
    return tuple(sorted(constraints)), tuple(sorted(defaults))


PG_TABLES = frozenset({"newsbot_schema", "issues", "state"})
"""Tables every newsbot archive on PostgreSQL has, whatever its schema version."""

_NAMED = frozenset({"TABLE", "FUNCTION"})
"""The kinds of newsbot's objects told by their name alone (`newsbot_objects`): they are what
the rest of its archive belongs to."""

_ATTACHED = frozenset({"INDEX", "TRIGGER", "RULE", "POLICY", "STATISTICS"})
"""What is made on a table (extended statistics, for STATISTICS): newsbot's only if its
migrations make one of that name (`newsbot_attached`) and it depends on nothing but newsbot's;
another application may make its own on newsbot's tables."""

_ON_A_TABLE = frozenset({"TRIGGER", "RULE", "POLICY"})
"""What is listed with its table's name before its own (`TRIGGER public items item_links_insert
owner`)."""

_BELONGING = frozenset(
    {"TABLE DATA", "CONSTRAINT", "CHECK CONSTRAINT", "FK CONSTRAINT", "DEFAULT", "ROW SECURITY"}
    | {"SEQUENCE SET", "COMMENT", "ACL", "SECURITY LABEL", "STATISTICS DATA"}
)
"""What belongs to, or is said of, the objects it depends on, whoever made it: a table's rows,
its constraints (the server names them; a check listed apart from its table, as one `NOT
VALID` is), a column's default, a sequence's value, a comment,
grants, a label, the planner's statistics (from PostgreSQL 18)."""

_SEQUENCES = frozenset({"SEQUENCE", "SEQUENCE OWNED BY"})
"""A sequence, and the column owning it: newsbot's only if one of its identity or serial
columns takes its values from it (`newsbot_sequences`)."""

_LOOKALIKE = frozenset({"TABLE ATTACH", "INDEX ATTACH", "DEFAULT ACL", "SCHEMA"})
"""Kinds never newsbot's whose names start as one of those above do (a partition attached, the
grants new objects get), told apart; and a schema, which what is in it depends on."""

_KINDS = sorted(_NAMED | _ATTACHED | _BELONGING | _SEQUENCES | _LOOKALIKE, key=len, reverse=True)
"""The kinds `_entries` tells, the longest first: any other is never newsbot's."""

_LISTED = re.compile(r"^(\d+); \d+ \d+ (.*)$")
"""An entry of `pg_restore --list`'s table of contents (`ID; OID OID KIND SCHEMA TAG OWNER`):
its id, and what follows the object ids. pg_restore quotes no name: a tag may hold spaces
(`TABLE public state history owner`), and only the owner, last, is told by them."""

_DEPENDS = re.compile(r"^;\s*depends on:((?: \d+)+)\s*$")
"""The entries the entry above depends on, as `pg_restore --list --verbose` prints them."""


@dataclass(frozen=True)
class _Entry:
    """An entry of a table of contents: its line as listed, and what it is."""

    line: str
    id: int
    kind: str
    """One of `_KINDS`, or empty for another kind."""
    schema: str
    tag: str
    """Its name, whole: a table's, a function's with its arguments, an index's; the table's
    and its own for what `_ON_A_TABLE`; what is said of, for a comment or grants."""
    depends: frozenset[int]


@functools.lru_cache(maxsize=1)
def _entries(contents: str) -> tuple[_Entry, ...]:
    """The entries listed in the verbose table of contents `contents`, read once a restore
    (the last table of contents read is kept): a large dump lists tens of thousands."""
    entries: list[_Entry] = []
    for line in contents.splitlines():
        depends = _DEPENDS.match(line)
        if depends and entries and not entries[-1].depends:
            last = entries[-1]
            ids = frozenset(int(number) for number in depends.group(1).split())
            entries[-1] = _Entry(last.line, last.id, last.kind, last.schema, last.tag, ids)
        elif found := _LISTED.match(line):
            number, described = found.groups()
            kind = next((kind for kind in _KINDS if described.startswith(f"{kind} ")), "")
            schema, _, named = described[len(kind) + 1 :].partition(" ") if kind else ("", "", "")
            tag = named.rpartition(" ")[0]  # the owner's name last
            entries.append(_Entry(line, int(number), kind, schema, tag, frozenset()))
    return tuple(entries)


def archive_schemas(contents: str) -> list[str]:
    """The schemas in which the table of contents `contents` lists a table `newsbot_schema`: that
    of newsbot's archive, if one (a dump of a database holding another newsbot's archive, in a
    schema of its own, lists two)."""
    return sorted(
        {entry.schema for entry in _entries(contents) if _is_table(entry, "newsbot_schema")}
    )


_SPACED = re.compile(r"^\d+; \d+ \d+ TABLE \S+ (?:\S+ )*newsbot_schema (?:\S+ )+\S+$", re.MULTILINE)
"""A table `newsbot_schema` listed with more words than a schema, its name and an owner: a
schema's or owner's name holding a space, which pg_restore's listing does not quote."""


SPACED = (
    " that newsbot can tell apart (newsbot_schema is listed with a schema or owner whose name"
    " holds a space, which pg_restore's listing does not quote: rename it where the backup"
    " was taken, and take it again)"
)
"""What a refusal adds when `among_spaced_names`."""


def among_spaced_names(contents: str) -> bool:
    """Whether the table of contents `contents` lists a table `newsbot_schema` whose schema or
    owner (`_SPACED`) cannot be told apart: newsbot's archive in it cannot be found."""
    return _SPACED.search(contents) is not None


def missing_tables(contents: str, schema: str | None) -> list[str]:
    """The tables every newsbot archive has (`PG_TABLES`) that the table of contents `contents`
    does not list in `schema`; without one (no `newsbot_schema` listed), in any schema."""
    listed = {
        entry.tag
        for entry in _entries(contents)
        if entry.kind == "TABLE" and schema in (None, entry.schema)
    }
    return sorted(PG_TABLES - listed)


def _is_table(entry: _Entry, name: str) -> bool:
    return entry.kind == "TABLE" and entry.tag == name


class NotLoaded(ValueError):
    """A table of newsbot's in a dump depends on an entry that is not newsbot's, which a
    restore does not load (another application's function its check calls, its type a column
    has): the table could not be made."""


class NoDependencies(ValueError):
    """A table of contents listed without what its entries depend on: pg_restore lists them
    with `--verbose`, so the listing was changed on its way."""


def newsbots_part(contents: str, schema: str, *, with_schema: bool = False) -> str:
    """The lines of the verbose table of contents `contents` that are newsbot's archive in
    `schema`, for `pg_restore --use-list`: nothing of another application sharing the
    database, whose objects a restore leaves as they are now.

    Newsbot's are, in `schema`: its tables and functions, by their whole names
    (`newsbot_objects`; not another application's `state history`); the indexes and triggers
    its migrations make (`newsbot_attached`), and those of the search window it makes as it
    runs (`WINDOW_INDEX`, on `items`); the sequences of its identity and serial columns
    (`newsbot_sequences`); and what belongs to those (`_BELONGING`: rows,
    constraints, defaults, sequences' values, comments, grants), told by what it
    depends on, which the listing gives (the server names constraints and sequences). Each of
    these but the tables and functions depends on nothing but newsbot's (its schema aside):
    not another application's foreign key to newsbot's tables, its index or trigger on them,
    or its index calling newsbot's functions. Nor its rules, policies, extended statistics on
    newsbot's tables, or their place in its publications: none is newsbot's.

    `with_schema` (the restore makes `schema`, a schema of newsbot's archive's own), what is
    said of the schema too: its comment and grants, and the default privileges in it."""
    tables, functions = map(frozenset, newsbot_objects())
    attached = {kind: frozenset(names) for kind, names in newsbot_attached().items()}
    attached |= dict.fromkeys(_SEQUENCES, frozenset(newsbot_sequences()))
    entries = _entries(contents)
    # Not imported with the module: reading a dump's contents needs no PostgreSQL driver.
    from bot.store.postgres.recent import WINDOW_INDEX

    window = re.compile(WINDOW_INDEX)
    if any(entry.kind == "TABLE DATA" for entry in entries) and not any(
        entry.depends for entry in entries
    ):
        raise NoDependencies("the table of contents says nothing of what its entries depend on")
    kind_of = {entry.id: entry.kind for entry in entries}
    ours = [entry for entry in entries if entry.schema == schema]
    kept = {
        entry.id
        for entry in ours
        if (entry.kind == "TABLE" and entry.tag in tables)
        or (entry.kind == "FUNCTION" and entry.tag.partition("(")[0] in functions)
    }
    named = [
        entry
        for entry in ours
        if _named_as_newsbots(entry, attached)
        or (entry.kind == "INDEX" and window.match(entry.tag))
    ]
    for _ in range(len(named) + 1):  # each pass keeps what depends on what the last kept
        more = {
            entry.id
            for entry in named
            if entry.id not in kept and _depends_on_only(entry, kept, kind_of)
        }
        if not more:
            break
        kept |= more
    needed = {
        number: table.tag
        for table in entries
        if table.id in kept and table.kind == "TABLE"
        for number in table.depends
        if number not in kept and kind_of.get(number, "SCHEMA") != "SCHEMA"
    }
    if needed:
        raise NotLoaded(
            "; ".join(
                f"table {needed[entry.id]} depends on {_described(entry)}"
                for entry in entries
                if entry.id in needed
            )
        )
    if with_schema:
        kept |= _said_of_schema(entries, schema)
    return "".join(f"{entry.line}\n" for entry in entries if entry.id in kept)


def _said_of_schema(entries: tuple[_Entry, ...], schema: str) -> set[int]:
    """The entries of `entries` saying something of the schema `schema`: its comment and
    grants (listed depending on it), the default privileges of objects made in it."""
    made = {entry.id for entry in entries if entry.kind == "SCHEMA" and entry.tag == schema}
    return {
        entry.id
        for entry in entries
        if (
            entry.kind in ("COMMENT", "ACL")
            and entry.tag == f"SCHEMA {schema}"
            and entry.depends & made
        )
        or (entry.kind == "DEFAULT ACL" and entry.schema == schema)
    }


def _described(entry: _Entry) -> str:
    """What `entry` is, as listed (`FUNCTION public app_ok(bigint)`), its owner left out."""
    found = _LISTED.match(entry.line)
    return found.group(2).rpartition(" ")[0] if found else entry.line


def _named_as_newsbots(entry: _Entry, attached: dict[str, frozenset[str]]) -> bool:
    """Whether `entry` may be newsbot's, by its kind and name (with its table's, for what is
    `_ON_A_TABLE`), given what it depends on."""
    return entry.kind in _BELONGING or entry.tag in attached.get(entry.kind, frozenset())


def _depends_on_only(entry: _Entry, kept: set[int], kind_of: dict[int, str]) -> bool:
    """Whether `entry` depends on an entry `kept`, and on no listed entry not kept but a schema
    (what is in it depends on it: newsbot's archive may have a schema of its own)."""
    depends = {number for number in entry.depends if kind_of.get(number, "SCHEMA") != "SCHEMA"}
    return bool(depends) and depends <= kept


_CREATED_AT = re.compile(r"^; Archive created at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", re.MULTILINE)
"""The time in the header `pg_restore --list` prints (`; Archive created at 2026-12-06
08:00:00 UTC`): the clock time pg_dump wrote, in the zone pg_dump ran in, which the dump does
not name. pg_dump keeps whether that zone was on summer time, and pg_restore reads the clock
time in its own zone: run in UTC, it prints it as written (an hour early, if on summer time)."""

_WIDEST_OFFSET = dt.timedelta(hours=14)
"""How far ahead of UTC a clock may read: its zone's offset at most (Kiribati's, UTC+14)."""


def taken_at(contents: str, schema: str | None) -> dt.datetime | None:
    """When the dump whose table of contents (printed in UTC) is `contents` was taken, never
    after it. A dump `newsbot backup` took (its rows of `UTC_MARK` left out: listed in newsbot's
    archive's `schema` without its rows) has its header's time in UTC; another was taken in a
    zone the dump does not name, which may be up to `_WIDEST_OFFSET` ahead of UTC: its time is
    read as that early. A lookup from too early reads more messages than it needs; one from
    too late misses what was published in between, and posts it again."""
    found = _CREATED_AT.search(contents)
    if found is None:
        return None
    written = dt.datetime.fromisoformat(found.group(1)).replace(tzinfo=dt.UTC)
    marked = {
        entry.kind
        for entry in _entries(contents)
        if entry.schema == schema and entry.tag == UTC_MARK
    }
    if "TABLE" in marked and "TABLE DATA" not in marked:
        return written
    return written - _WIDEST_OFFSET
