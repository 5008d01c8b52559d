"""Issues in SQLite: storing them, and reading them back as readers and editors see them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import IssueNotFound, IssueNotPublic
from bot.models import ArchivedLink, IngestOutcome, SearchHit, SearchPage
from bot.models.links import twins
from bot.store.held import release_words
from bot.store.interfaces import IssueStream
from bot.store.query import fts_query
from bot.store.rows import read_issue, sections_shown
from bot.store.sections import known_today, sought_section
from bot.store.sqlite import ingest as storing
from bot.store.sqlite import search as fts
from bot.store.sqlite.database import Database, all_rows, first_row
from bot.store.sqlite.suggestions import refresh_item_links

if TYPE_CHECKING:
    from bot.models import ArchiveStats, Issue, IssueSummary

_NAMES_UNDER = (
    "SELECT DISTINCT slug, name FROM sections"
    " WHERE slug IN (SELECT value FROM json_each(:slugs)) ORDER BY slug, name"
)
"""Every (slug, name) of a section archived under one of the slugs (a JSON list)."""


class SqliteIssues:
    """The archived issues and their items, with full-text search, in one SQLite file.

    What readers see (`latest`, `issue`, `search`, `related`, `archived_link`) leaves out an
    issue whose own publish_at is still ahead by the database's clock, unless part of it was
    already sent; editors and publishing pass `held=True`.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._db = database.db

    async def ingest(self, issue: Issue, source: Path | None = None) -> IngestOutcome:
        """Store one issue in one transaction; an edited issue is updated in place."""
        outcomes = await self.ingest_many([(issue, source)])
        return outcomes[0]

    async def ingest_many(
        self,
        issues: IssueStream,
        *,
        progress: Callable[[Issue, IngestOutcome], None] | None = None,
    ) -> list[IngestOutcome]:
        """Store several issues in one transaction: all of them, or on error none."""
        return await storing.ingest_many(self._database, issues, progress=progress)

    async def latest(self, *, held: bool = False) -> Issue | None:
        """The issue with the highest number readers can see (any, with `held`), if there is one."""
        visible, params = self._database.hiding(held, "number")
        row = await first_row(
            self._db,
            f"SELECT number FROM issues WHERE {visible} ORDER BY number DESC LIMIT 1",  # noqa: S608
            params,
        )
        if row is None:
            return None
        return await self.issue(int(row[0]), held=True)

    async def issue(self, number: int, *, held: bool = False) -> Issue:
        """The archived issue with that number; raise `IssueNotFound` if there is none.

        An issue readers cannot see yet raises `IssueNotPublic`, unless `held` asks for it.
        """
        visible, params = self._database.hiding(held, "number")
        row = await first_row(
            self._db,
            f"SELECT *, {visible} AS visible FROM issues WHERE number = :number",  # noqa: S608
            {**params, "number": number},
        )
        if row is None:
            raise IssueNotFound(number)
        if not row["visible"]:
            raise IssueNotPublic(number, release_words(row["publish_at"], self._database.zone))
        rows = await all_rows(
            self._db,
            "SELECT s.slug, s.name, i.title, i.link, i.blurb, i.abstract, i.editor_note"
            " FROM items i JOIN sections s ON s.id = i.section_id"
            " WHERE i.issue_number = ? ORDER BY s.position, i.position",
            (number,),
        )
        return read_issue(row, rows)

    async def issue_hash(self, number: int) -> str | None:
        """The content hash stored for an issue, or None if it is not archived."""
        row = await first_row(
            self._db, "SELECT content_hash FROM issues WHERE number = ?", (number,)
        )
        return str(row[0]) if row else None

    async def issues(
        self, *, prefix: str = "", limit: int = 25, held: bool = True
    ) -> list[IssueSummary]:
        """Archived issues, newest first; `prefix` keeps numbers starting with those digits.

        Editors' list: issues held back from readers are in it, unless `held` is False.
        """
        from bot.models import IssueSummary

        # Numbers are written in ASCII digits; `²` and `٣` are digits to `isdigit` alone.
        digits = "".join(ch for ch in prefix if "0" <= ch <= "9")
        visible, params = self._database.hiding(held, "number")
        return [
            IssueSummary.model_validate(dict(row))
            for row in await all_rows(
                self._db,
                "SELECT number, title, subtitle, date, publish_at FROM issues"  # noqa: S608
                f" WHERE CAST(number AS TEXT) LIKE :digits || '%' AND {visible}"
                " ORDER BY number DESC LIMIT :limit",
                {**params, "digits": digits, "limit": max(0, limit)},
            )
        ]

    async def section_names(
        self, *, limit: int | None = 25, held: bool = True
    ) -> list[tuple[str, str]]:
        """(slug, name) of the first `limit` sections (all with None) by name, each named as in
        the newest issue that has it.

        Sections of issues held back from readers count too, unless `held` is False.
        """
        visible, params = self._database.hiding(held, "issue_number")
        return [
            (row["slug"], row["name"])
            for row in await all_rows(
                self._db,
                # The name of each slug's newest issue (by number: an older issue ingested
                # later does not bring a renamed section's old name back).
                "SELECT slug, name FROM sections WHERE (slug, issue_number) IN"  # noqa: S608
                " (SELECT slug, max(issue_number) FROM sections"
                f" WHERE {visible} GROUP BY slug) ORDER BY name LIMIT :limit",
                {**params, "limit": -1 if limit is None else max(0, limit)},
            )
        ]

    async def sections_today(
        self, *, limit: int | None = 25, held: bool = True
    ) -> list[tuple[str, str]]:
        """(slug, name) of the first `limit` sections (all with None) by name, as readers know
        them today (`known_today`): each once, by the slug its name has today.

        Sections of issues held back from readers count too, unless `held` is False.
        """
        visible, params = self._database.hiding(held, "issue_number")
        rows = await all_rows(
            self._db,
            # Read from the index `sections_by_name` alone, grouped as it is read. Every issue
            # tells an older newsbot's slug (`known_today`); the newest one shown names it.
            "SELECT slug, name, max(CASE WHEN "  # noqa: S608
            f"{visible} THEN issue_number END) AS newest FROM sections GROUP BY slug, name",
            params,
        )
        return known_today(sections_shown(rows), limit=None if limit is None else max(0, limit))

    async def names_under(self, slugs: Collection[str]) -> list[tuple[str, str]]:
        """Every (slug, name) of a section archived under one of `slugs`, each once."""
        rows = await all_rows(self._db, _NAMES_UNDER, {"slugs": json.dumps(sorted(slugs))})
        return [(str(row["slug"]), str(row["name"])) for row in rows]

    async def stats(self) -> ArchiveStats:
        """How many issues, sections and items the archive holds."""
        from bot.models import ArchiveStats

        row = await first_row(
            self._db,
            "SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM sections),"
            " (SELECT count(*) FROM items), (SELECT max(number) FROM issues)",
        )
        assert row is not None
        return ArchiveStats(issues=row[0], sections=row[1], items=row[2], latest_issue=row[3])

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
        A query that cannot be answered fast is bounded, and the page's `limited` says how.
        Issues readers cannot see yet are left out. Runs on a read-only connection of its own.
        A section is found under the slug an older newsbot gave it too (`sought_section`).
        """
        async with self._database.reader() as reader:

            async def names_under(slugs: Collection[str]) -> list[tuple[str, str]]:
                # Out of its budget (never so far: a few rows by an index), as if none were.
                rows = await reader.rows(_NAMES_UNDER, {"slugs": json.dumps(sorted(slugs))})
                return [(str(row["slug"]), str(row["name"])) for row in rows or ()]

            sought = await sought_section(section, names_under) if section else None
            return await fts.search(
                reader,
                self._database.clock,
                text,
                section=sought,
                issue=issue,
                since=since,
                until=until,
                limit=limit,
                offset=offset,
            )

    async def related(self, text: str, *, limit: int = 5) -> list[SearchHit]:
        """Items sharing the telling words of `text` (a reader's message), best first."""
        async with self._database.reader() as reader:
            return await fts.related(reader, self._database.clock, text, limit=limit)

    def searchable(self, text: str) -> bool:
        """Whether a reader's `text` has anything `search` can look for."""
        return fts_query(text) is not None

    async def archived_link(self, url: str, *, held: bool = False) -> ArchivedLink | None:
        """The newest item readers can see (any, with `held`) whose link normalises to `url`
        or to another spelling of its page (`twins`); in one issue, the nearest spelling first."""
        await refresh_item_links(self._db)
        visible, params = self._database.hiding(held, "i.issue_number")
        row = await first_row(
            self._db,
            "SELECT i.issue_number, s.name, i.title, i.link"  # noqa: S608
            " FROM json_each(:twins) AS twin JOIN item_links l ON l.url = twin.value"
            " JOIN items i ON i.id = l.item_id"
            f" JOIN sections s ON s.id = i.section_id WHERE {visible}"
            " ORDER BY i.issue_number DESC, twin.key, i.id LIMIT 1",
            {**params, "twins": json.dumps(twins(url))},
        )
        if row is None:
            return None
        return ArchivedLink(int(row[0]), str(row[1]), str(row[2]), str(row[3]))
