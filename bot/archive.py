"""The archive: every issue and item in SQLite, with full-text search. The only place with SQL.

Migrations are the numbered files in `bot/migrations/`, applied in order, each in one
transaction; the schema version is `PRAGMA user_version`.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.errors import ArchiveMissing, IssueNotFound, NewsbotError
from bot.models import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ArchiveStats,
    Issue,
    IssueSummary,
    Item,
    SearchHit,
    SearchPage,
    Section,
)

log = logging.getLogger(__name__)

SLOT_BITS = 20
"""An item id is `issue_number << SLOT_BITS | slot`."""

MAX_QUERY_TERMS = 16
MAX_QUERY_LENGTH = 300
SEARCH_CANDIDATES = 2_000
"""How many of the newest matches a search ranks; a rarer term ranks all its matches."""

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_QUERY_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ArchiveVersionError(NewsbotError):
    """The database was written by a newer newsbot than this one."""


class IngestOutcome(enum.Enum):
    """What ingesting one issue did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The bundled migrations, in version order."""
    found: list[Migration] = []
    for entry in resources.files("bot.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1, 2, 3 … without gaps: {versions}")
    return found


def fts_query(text: str) -> str | None:
    """Turn a reader's search text into a safe FTS5 query, or None if nothing is searchable.

    `"a phrase"` stays a phrase and `word*` a prefix; everything else is taken literally, each
    word quoted as an FTS5 string, so no input reaches MATCH as syntax.
    """
    terms: list[str] = []
    # FTS5 strings end at a NUL, so control characters become plain separators first.
    text = _CONTROL.sub(" ", text[:MAX_QUERY_LENGTH])
    for match in _QUERY_TOKEN.finditer(text):
        phrase, word = match.group(1), match.group(2)
        raw = phrase if phrase is not None else word
        prefix = phrase is None and raw.endswith("*")
        raw = raw.rstrip("*") if prefix else raw
        if not any(ch.isalnum() for ch in raw):
            continue
        quoted = '"' + raw.replace('"', '""') + '"'
        terms.append(quoted + "*" if prefix else quoted)
        if len(terms) == MAX_QUERY_TERMS:
            break
    return " ".join(terms) if terms else None


def content_hash(issue: Issue) -> str:
    """A fingerprint of an issue's content: equal hashes mean nothing to update."""
    return hashlib.sha256(issue.model_dump_json().encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Archive:
    """The newsletter's archive in one SQLite file. Open with `await Archive.open(path)`."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path | str, *, create: bool = True) -> Self:
        """Open (and with `create`, create and migrate) the archive at `path`."""
        path = Path(path)
        if not create and not path.exists():
            raise ArchiveMissing(path)
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA busy_timeout = 5000")
            archive = cls(db, path)
            await archive._migrate()
        except BaseException:
            await db.close()
            raise
        return archive

    async def close(self) -> None:
        """Close the database; the archive cannot be used afterwards."""
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- schema -----------------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The version of the last migration applied."""
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        known = migrations()
        current = await self.schema_version()
        if current > len(known):
            raise ArchiveVersionError(
                f"{self.path} has schema version {current}, but this newsbot knows only "
                f"{len(known)}: upgrade newsbot"
            )
        for migration in known[current:]:
            log.info("applying migration %s to %s", migration.name, self.path)
            try:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                    f"PRAGMA user_version = {migration.version};\nCOMMIT;"
                )
            except sqlite3.Error:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        await self._db.execute("COMMIT")

    # --- ingest -----------------------------------------------------------------------------

    async def ingest(self, issue: Issue, source: Path | None = None) -> IngestOutcome:
        """Store one issue in one transaction; an edited issue is updated in place."""
        outcomes = await self.ingest_many([(issue, source)])
        return outcomes[0]

    async def ingest_many(
        self,
        issues: Sequence[tuple[Issue, Path | None]],
        *,
        progress: Callable[[Issue, IngestOutcome], None] | None = None,
    ) -> list[IngestOutcome]:
        """Store several issues in one transaction: all of them, or on error none."""
        outcomes: list[IngestOutcome] = []
        async with self._transaction() as db:
            for issue, source in issues:
                outcome = await self._ingest(db, issue, source)
                outcomes.append(outcome)
                if progress is not None:
                    progress(issue, outcome)
        return outcomes

    async def _ingest(
        self, db: aiosqlite.Connection, issue: Issue, source: Path | None
    ) -> IngestOutcome:
        digest = content_hash(issue)
        async with db.execute(
            "SELECT content_hash, next_slot FROM issues WHERE number = ?", (issue.number,)
        ) as cursor:
            existing = await cursor.fetchone()
        if existing is not None and existing["content_hash"] == digest:
            return IngestOutcome.UNCHANGED
        now = _now()
        fields = (
            issue.title,
            issue.subtitle,
            issue.date.isoformat() if issue.date else None,
            issue.link,
            issue.intro,
            digest,
            str(source) if source else None,
        )
        if existing is None:
            await db.execute(
                "INSERT INTO issues (title, subtitle, date, link, intro, content_hash, source_path,"
                " number, next_slot, ingested_at, updated_at) VALUES (?,?,?,?,?,?,?,?,0,?,?)",
                (*fields, issue.number, now, now),
            )
            next_slot = 0
        else:
            await db.execute(
                "UPDATE issues SET title = ?, subtitle = ?, date = ?, link = ?, intro = ?,"
                " content_hash = ?, source_path = ?, updated_at = ? WHERE number = ?",
                (*fields, now, issue.number),
            )
            next_slot = int(existing["next_slot"])
        section_ids = await self._store_sections(db, issue)
        next_slot = await self._store_items(db, issue, section_ids, next_slot)
        await db.execute(
            "UPDATE issues SET next_slot = ? WHERE number = ?", (next_slot, issue.number)
        )
        return IngestOutcome.ADDED if existing is None else IngestOutcome.UPDATED

    async def _store_sections(self, db: aiosqlite.Connection, issue: Issue) -> dict[str, int]:
        section_ids: dict[str, int] = {}
        for position, section in enumerate(issue.sections):
            async with db.execute(
                "INSERT INTO sections (issue_number, slug, name, position) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (issue_number, slug)"
                " DO UPDATE SET name = excluded.name, position = excluded.position"
                " RETURNING id",
                (issue.number, section.slug, section.name, position),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            section_ids[section.slug] = int(row[0])
        await db.execute(
            f"DELETE FROM sections WHERE issue_number = ? AND id NOT IN "
            f"({','.join('?' * len(section_ids))})",
            (issue.number, *section_ids.values()),
        )
        return section_ids

    async def _store_items(
        self,
        db: aiosqlite.Connection,
        issue: Issue,
        section_ids: dict[str, int],
        next_slot: int,
    ) -> int:
        async with db.execute(
            "SELECT id, key FROM items WHERE issue_number = ?", (issue.number,)
        ) as cursor:
            ids_by_key = {row["key"]: int(row["id"]) async for row in cursor}
        kept: list[int] = []
        for position, (section, item) in enumerate(issue.items):
            values = (
                section_ids[section.slug],
                position,
                item.title,
                item.link,
                item.blurb,
                item.abstract,
                item.editor_note,
            )
            item_id = ids_by_key.get(item.key)
            if item_id is None:
                item_id = (issue.number << SLOT_BITS) | next_slot
                next_slot += 1
                await db.execute(
                    "INSERT INTO items (section_id, position, title, link, blurb, abstract,"
                    " editor_note, id, issue_number, key) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (*values, item_id, issue.number, item.key),
                )
            else:
                await db.execute(
                    "UPDATE items SET section_id = ?, position = ?, title = ?, link = ?,"
                    " blurb = ?, abstract = ?, editor_note = ? WHERE id = ?",
                    (*values, item_id),
                )
            kept.append(item_id)
        stale = set(ids_by_key.values()) - set(kept)
        await db.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in sorted(stale)])
        return next_slot

    # --- reading ----------------------------------------------------------------------------

    async def latest(self) -> Issue | None:
        """The issue with the highest number, if the archive has any."""
        async with self._db.execute("SELECT max(number) FROM issues") as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] is None:
            return None
        return await self.issue(int(row[0]))

    async def issue(self, number: int) -> Issue:
        """The archived issue with that number; raise `IssueNotFound` if there is none."""
        async with self._db.execute("SELECT * FROM issues WHERE number = ?", (number,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise IssueNotFound(number)
        async with self._db.execute(
            "SELECT s.slug, s.name, i.title, i.link, i.blurb, i.abstract, i.editor_note"
            " FROM items i JOIN sections s ON s.id = i.section_id"
            " WHERE i.issue_number = ? ORDER BY s.position, i.position",
            (number,),
        ) as cursor:
            rows = await cursor.fetchall()
        sections: dict[str, tuple[str, list[Item]]] = {}
        for item_row in rows:
            _, items = sections.setdefault(item_row["slug"], (item_row["name"], []))
            items.append(_item(item_row))
        return Issue(
            number=row["number"],
            title=row["title"],
            subtitle=row["subtitle"],
            date=row["date"],
            link=row["link"],
            intro=row["intro"],
            sections=tuple(
                Section(name=name, slug=slug, items=tuple(items))
                for slug, (name, items) in sections.items()
            ),
        )

    async def issue_hash(self, number: int) -> str | None:
        """The content hash stored for an issue, or None if it is not archived."""
        async with self._db.execute(
            "SELECT content_hash FROM issues WHERE number = ?", (number,)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def issues(self, *, prefix: str = "", limit: int = 25) -> list[IssueSummary]:
        """Archived issues, newest first; `prefix` keeps numbers starting with those digits."""
        digits = "".join(ch for ch in prefix if ch.isdigit())
        async with self._db.execute(
            "SELECT number, title, subtitle, date FROM issues"
            " WHERE CAST(number AS TEXT) LIKE ? || '%' ORDER BY number DESC LIMIT ?",
            (digits, max(0, limit)),
        ) as cursor:
            return [IssueSummary.model_validate(dict(row)) async for row in cursor]

    async def section_names(self, *, prefix: str = "", limit: int = 25) -> list[tuple[str, str]]:
        """(slug, name) of sections seen in any issue, most recent name, matching `prefix`."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        async with self._db.execute(
            "SELECT slug, name FROM sections WHERE id IN (SELECT max(id) FROM sections"
            " GROUP BY slug) AND (name LIKE ? || '%' ESCAPE '\\' OR slug LIKE ? || '%'"
            " ESCAPE '\\') ORDER BY name LIMIT ?",
            (pattern, pattern, max(0, limit)),
        ) as cursor:
            return [(row["slug"], row["name"]) async for row in cursor]

    async def stats(self) -> ArchiveStats:
        """How many issues, sections and items the archive holds."""
        async with self._db.execute(
            "SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM sections),"
            " (SELECT count(*) FROM items), (SELECT max(number) FROM issues)"
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return ArchiveStats(issues=row[0], sections=row[1], items=row[2], latest_issue=row[3])

    # --- search -----------------------------------------------------------------------------

    async def search(
        self,
        text: str,
        *,
        section: str | None = None,
        issue: int | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> SearchPage:
        """Items matching `text`, best first (bm25, titles weighted most, ties to newer issues).

        A term matching very many items is ranked among its newest `SEARCH_CANDIDATES` matches,
        which keeps every query fast on a large archive; rarer terms rank all their matches.
        """
        limit = max(1, min(limit, 100))
        offset = max(0, offset)
        statement = _search_statement(
            text, section=section, issue=issue, since=since, until=until, limit=limit, offset=offset
        )
        if statement is None:
            return SearchPage(hits=(), offset=offset, has_more=False)
        sql, params = statement
        async with self._db.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        hits = tuple(_hit(row) for row in rows[:limit])
        return SearchPage(hits=hits, offset=offset, has_more=len(rows) > limit)


def _search_statement(
    text: str,
    *,
    section: str | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    limit: int,
    offset: int,
) -> tuple[str, dict[str, Any]] | None:
    """The SQL and parameters `Archive.search` runs (one extra row tells `has_more`).

    None when `text` has nothing searchable. Module-level so benchmarks run the very same SQL.
    """
    query = fts_query(text)
    if query is None:
        return None
    filters, params = _search_filters(section=section, issue=issue, since=since, until=until)
    sql = f"""
        WITH candidates AS (
            SELECT items_fts.rowid AS id FROM items_fts
            JOIN items i ON i.id = items_fts.rowid
            JOIN sections s ON s.id = i.section_id
            JOIN issues n ON n.number = i.issue_number
            WHERE items_fts MATCH :query {filters}
            ORDER BY items_fts.rowid DESC LIMIT :candidates
        )
        SELECT i.id, i.title, i.link, i.blurb, i.abstract, i.editor_note,
               i.issue_number, n.title AS issue_title, n.date AS issue_date,
               s.name AS section_name, s.slug AS section_slug, items_fts.rank AS score,
               snippet(items_fts, -1, :start, :end, '…', 16) AS snippet
        FROM items_fts
        JOIN items i ON i.id = items_fts.rowid
        JOIN sections s ON s.id = i.section_id
        JOIN issues n ON n.number = i.issue_number
        WHERE items_fts MATCH :query
          AND items_fts.rowid >= (SELECT coalesce(min(id), 0) FROM candidates) {filters}
        ORDER BY items_fts.rank, i.issue_number DESC, i.position
        LIMIT :limit OFFSET :offset
    """  # noqa: S608 - `filters` is built from fixed clauses; every value is a parameter
    params.update(
        query=query,
        candidates=SEARCH_CANDIDATES,
        start=HIGHLIGHT_START,
        end=HIGHLIGHT_END,
        limit=limit + 1,
        offset=offset,
    )
    return sql, params


def _search_filters(
    *, section: str | None, issue: int | None, since: dt.date | None, until: dt.date | None
) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if section:
        clauses.append("AND s.slug = :section")
        params["section"] = section
    if issue is not None:
        # The id range of one issue: lets the full-text index skip every other issue.
        clauses.append("AND items_fts.rowid BETWEEN :first_id AND :last_id")
        params["first_id"] = issue << SLOT_BITS
        params["last_id"] = ((issue + 1) << SLOT_BITS) - 1
    if since is not None:
        clauses.append("AND n.date >= :since")
        params["since"] = since.isoformat()
    if until is not None:
        clauses.append("AND n.date <= :until")
        params["until"] = until.isoformat()
    return " ".join(clauses), params


def _item(row: aiosqlite.Row) -> Item:
    return Item(
        title=row["title"],
        link=row["link"],
        blurb=row["blurb"],
        abstract=row["abstract"],
        editor_note=row["editor_note"],
    )


def _hit(row: aiosqlite.Row) -> SearchHit:
    return SearchHit(
        item_id=row["id"],
        item=_item(row),
        issue_number=row["issue_number"],
        issue_title=row["issue_title"],
        issue_date=row["issue_date"],
        section_name=row["section_name"],
        section_slug=row["section_slug"],
        score=row["score"],
        snippet=row["snippet"] or "",
    )

