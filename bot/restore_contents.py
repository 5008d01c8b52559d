"""What a `pg_dump` backup holds, read from its table of contents (`pg_restore --list
--verbose`): whether it is a newsbot archive, when it was taken, and which of its entries are
newsbot's archive, the only ones a restore loads.

The archive's database may be shared with another application, and a dump (`newsbot backup`'s,
or pg_dump's by hand) holds the whole database: restored whole, it would put every table of
that application back as it was then, losing what it wrote since. So a restore loads only the
entries of newsbot's tables and functions, and of what belongs to them, named in a list for
`pg_restore --use-list` (`newsbots_part`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.backup import UTC_MARK
from bot.store.migrations import Migration, bundled


def pg_migrations() -> list[Migration]:
    """The PostgreSQL migrations this newsbot bundles (read without the PostgreSQL driver)."""
    return bundled("bot.store.postgres.migrations")


def newsbot_objects() -> tuple[list[str], list[str]]:
    """The tables and the functions newsbot's PostgreSQL migrations create, by name: those it
    owns in the archive's schema (`newsbot_schema` among the tables)."""
    tables, functions = {"newsbot_schema"}, set[str]()
    for migration in pg_migrations():
        for kind, name in migration.created():
            (tables if kind == "TABLE" else functions).add(name.lower())
    return sorted(tables), sorted(functions)


PG_TABLES = frozenset({"newsbot_schema", "issues", "state"})
"""Tables every newsbot archive on PostgreSQL has, whatever its schema version."""

_LISTED_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", re.MULTILINE)
"""A table in `pg_restore --list`'s table of contents (`ID; OID OID TABLE SCHEMA NAME OWNER`)."""

_LISTED_DATA = re.compile(r"^\d+; \d+ \d+ TABLE DATA \S+ (\S+) ", re.MULTILINE)
"""The rows of a table in `pg_restore --list`'s table of contents."""

_LARGE_OBJECTS = re.compile(
    r"^\d+; \d+ \d+ (?:BLOBS?|BLOB METADATA|LARGE OBJECT|(?:ACL|COMMENT) - LARGE OBJECT) ",
    re.MULTILINE,
)
"""A large object, its data, or what is said of it, in `pg_restore --list`'s table of contents
(`BLOB`, `BLOBS`; `BLOB METADATA` from PostgreSQL 17)."""


def holds_large_objects(contents: str) -> bool:
    """Whether the table of contents `contents` lists a large object (`_LARGE_OBJECTS`)."""
    return _LARGE_OBJECTS.search(contents) is not None


_ENTRY = re.compile(
    r"^(\d+); \d+ \d+ (TABLE DATA|FK CONSTRAINT|SEQUENCE OWNED BY|SEQUENCE SET|ROW SECURITY"
    r"|SECURITY LABEL|STATISTICS DATA|DEFAULT ACL|INDEX ATTACH|TABLE|FUNCTION|CONSTRAINT|TRIGGER"
    r"|DEFAULT|POLICY|RULE|INDEX|SEQUENCE|STATISTICS|COMMENT|ACL) (\S+) (\S+)"
)
"""An entry of `pg_restore --list`'s table of contents (`ID; OID OID KIND SCHEMA TAG OWNER`) of
a kind newsbot's archive may hold, the kinds whose names hold a space tried first; its id,
kind, schema and the first word of its tag (a table, for what names its table first)."""

_LISTED = re.compile(r"^\d+; ")
"""An entry of `pg_restore --list`'s table of contents, of any kind."""

_DEPENDS = re.compile(r"^;\s*depends on:((?: \d+)+)\s*$")
"""The entries the entry above depends on, as `pg_restore --list --verbose` prints them."""

_OF_THE_TABLE_NAMED = frozenset(
    {"TABLE DATA", "CONSTRAINT", "FK CONSTRAINT", "TRIGGER", "DEFAULT", "POLICY", "RULE"}
    | {"ROW SECURITY"}
)
"""What belongs to the table its tag names first (`CONSTRAINT public items items_pkey`)."""

_OF_A_TABLE = frozenset({"INDEX", "SEQUENCE", "STATISTICS"})
"""What belongs to the table it depends on, which its tag does not name: an index, a sequence a
column takes its values from (its identity, or one it owns), extended statistics."""

_SAID_OF = frozenset(
    {"SEQUENCE OWNED BY", "SEQUENCE SET", "COMMENT", "ACL", "SECURITY LABEL", "STATISTICS DATA"}
)
"""What is said of the objects it depends on: a sequence's owner and value, a comment, grants,
a label, the planner's statistics (from PostgreSQL 18)."""


@dataclass(frozen=True)
class _Entry:
    """An entry of a table of contents: its line as listed, and what it is."""

    line: str
    id: int
    kind: str
    schema: str
    named: str
    """The first word of its tag: the name of a table, a function with its arguments, or of
    the table what belongs to it names first."""
    depends: frozenset[int]


def _entries(contents: str) -> list[_Entry]:
    """The entries of the kinds `_ENTRY` knows in the verbose table of contents `contents`."""
    entries: list[_Entry] = []
    for line in contents.splitlines():
        depends = _DEPENDS.match(line)
        if depends and entries and not entries[-1].depends:
            last = entries[-1]
            ids = frozenset(int(number) for number in depends.group(1).split())
            entries[-1] = _Entry(last.line, last.id, last.kind, last.schema, last.named, ids)
        elif found := _ENTRY.match(line):
            number, kind, schema, named = found.groups()
            entries.append(_Entry(line, int(number), kind, schema, named, frozenset()))
        elif _LISTED.match(line):  # of another kind: what it depends on is not this one's
            entries.append(_Entry(line, -1, "", "", "", frozenset()))
    return entries


def archive_schemas(contents: str) -> list[str]:
    """The schemas in which the table of contents `contents` lists a table `newsbot_schema`: that
    of newsbot's archive, if one (a dump of a database holding another newsbot's archive, in a
    schema of its own, lists two)."""
    return sorted(
        {entry.schema for entry in _entries(contents) if _is_table(entry, "newsbot_schema")}
    )


def missing_tables(contents: str, schema: str | None) -> list[str]:
    """The tables every newsbot archive has (`PG_TABLES`) that the table of contents `contents`
    does not list in `schema`."""
    listed = {
        entry.named
        for entry in _entries(contents)
        if entry.kind == "TABLE" and entry.schema == schema
    }
    return sorted(PG_TABLES - listed)


def _is_table(entry: _Entry, name: str) -> bool:
    return entry.kind == "TABLE" and entry.named == name


class NoDependencies(ValueError):
    """A table of contents listed without what its entries depend on (no `--verbose`)."""


def newsbots_part(contents: str, schema: str) -> str:
    """The lines of the verbose table of contents `contents` that are newsbot's archive in
    `schema`, for `pg_restore --use-list`: its tables (`newsbot_objects`) and their rows,
    indexes, constraints, triggers, defaults, sequences and their values, and newsbot's
    functions; with the comments and grants of each. Nothing of another application: not its
    tables, views, functions or sequences, nor its foreign keys to newsbot's tables, nor its
    indexes that call newsbot's functions.

    An entry is told newsbot's by name (a table, a function, what names its table) or by what
    it depends on (an index, a sequence; what is said of a kept entry), which the listing
    gives: an index's tag names no table, and newsbot's are not all named in its migrations
    (a constraint's, an identity's sequence: the server names them)."""
    tables, functions = map(frozenset, newsbot_objects())
    entries = [entry for entry in _entries(contents) if entry.schema == schema]
    if any(entry.kind == "TABLE DATA" for entry in entries) and not any(
        entry.depends for entry in entries
    ):
        raise NoDependencies("the table of contents says nothing of what its entries depend on")
    kind_of = {entry.id: entry.kind for entry in entries}
    kept: set[int] = set()
    for _ in range(len(entries) + 1):  # each pass keeps what depends on what the last kept
        before = len(kept)
        kept |= {
            entry.id for entry in entries if _newsbots(entry, tables, functions, kept, kind_of)
        }
        if len(kept) == before:
            break
    return "".join(f"{entry.line}\n" for entry in entries if entry.id in kept)


def _newsbots(
    entry: _Entry,
    tables: frozenset[str],
    functions: frozenset[str],
    kept: set[int],
    kind_of: dict[int, str],
) -> bool:
    """Whether `entry` is newsbot's, given the entries `kept` so far (of the kinds `kind_of`)."""
    if entry.kind in ("TABLE", *_OF_THE_TABLE_NAMED):
        return entry.named in tables
    if entry.kind == "FUNCTION":
        return entry.named.partition("(")[0] in functions
    if entry.kind in _OF_A_TABLE:
        return any(kind_of.get(number) == "TABLE" and number in kept for number in entry.depends)
    if entry.kind in _SAID_OF:
        return bool(entry.depends) and entry.depends <= kept
    return False


_CREATED_AT = re.compile(r"^; Archive created at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", re.MULTILINE)
"""The time in the header `pg_restore --list` prints (`; Archive created at 2026-12-06
08:00:00 UTC`): the clock time pg_dump wrote, in the zone pg_dump ran in, which the dump does
not name. pg_dump keeps whether that zone was on summer time, and pg_restore reads the clock
time in its own zone: run in UTC, it prints it as written (an hour early, if on summer time)."""

_WIDEST_OFFSET = dt.timedelta(hours=14)
"""How far ahead of UTC a clock may read: its zone's offset at most (Kiribati's, UTC+14)."""


def taken_at(contents: str) -> dt.datetime | None:
    """When the dump whose table of contents (printed in UTC) is `contents` was taken, never
    after it. A dump `newsbot backup` took (its rows of `UTC_MARK` left out) has its header's
    time in UTC; another was taken in a zone the dump does not name, which may be up to
    `_WIDEST_OFFSET` ahead of UTC: its time is read as that early. A lookup from too early
    reads more messages than it needs; one from too late misses what was published in
    between, and posts it again."""
    found = _CREATED_AT.search(contents)
    if found is None:
        return None
    written = dt.datetime.fromisoformat(found.group(1)).replace(tzinfo=dt.UTC)
    newsbots = UTC_MARK in _LISTED_TABLE.findall(contents)
    if newsbots and UTC_MARK not in _LISTED_DATA.findall(contents):
        return written
    return written - _WIDEST_OFFSET
