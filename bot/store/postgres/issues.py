"""Issues in PostgreSQL: storing them, and reading them back as readers and editors see them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path

from bot.errors import IssueNotFound, IssueNotPublic
from bot.models import (
    ArchivedLink,
    ArchiveStats,
    IngestOutcome,
    Issue,
    IssueSummary,
    SearchHit,
    SearchPage,
)
from bot.models.links import twins
from bot.store.held import release_words
from bot.store.interfaces import IssueStream
from bot.store.postgres import ingest as storing
from bot.store.postgres import search as fts
from bot.store.postgres.database import PgDatabase
from bot.store.postgres.suggestions import refresh_item_links
from bot.store.query import fts_query
from bot.store.rows import read_issue, sections_shown
from bot.store.sections import known_today, sought_section


class PgIssues:
    """The archived issues and their items, with full-text search, in PostgreSQL.

    What readers see (`latest`, `issue`, `search`, `related`, `archived_link`) leaves out an
    issue whose own publish_at is still ahead by the database's clock, unless part of it was
    already sent; editors and publishing pass `held=True`. Readers' questions wait only briefly
    for the server (`PgDatabase.answering`): out of reach, they are told so at once.
    """

    def __init__(self, database: PgDatabase) -> None:
        self._database = database

    def _asked(self, held: bool) -> AbstractAsyncContextManager[None]:
        """How a question is waited on: a reader's (not `held`) briefly, other work as usual."""
        return nullcontext() if held else self._database.answering()

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
        async with self._asked(held):
            visible, params = await self._database.hiding(held, "number")
            row = await self._database.row(
                f"SELECT number FROM issues WHERE {visible} ORDER BY number DESC LIMIT 1",  # noqa: S608
                params,
            )
            return None if row is None else await self.issue(int(row["number"]), held=True)

    async def issue(self, number: int, *, held: bool = False) -> Issue:
        """The archived issue with that number; raise `IssueNotFound` if there is none.

        An issue readers cannot see yet raises `IssueNotPublic`, unless `held` asks for it.
        """
        async with self._asked(held):
            visible, params = await self._database.hiding(held, "number")
            row = await self._database.row(
                f"SELECT *, {visible} AS visible FROM issues WHERE number = %(number)s",  # noqa: S608
                {**params, "number": number},
            )
            if row is None:
                raise IssueNotFound(number)
            if not row["visible"]:
                raise IssueNotPublic(number, release_words(row["publish_at"], self._database.zone))
            rows = await self._database.rows(
                "SELECT s.slug, s.name, i.title, i.link, i.blurb, i.abstract, i.editor_note"
                " FROM items i JOIN sections s ON s.id = i.section_id"
                " WHERE i.issue_number = %s ORDER BY s.position, i.position",
                (number,),
            )
            return read_issue(row, rows)

    async def issue_hash(self, number: int) -> str | None:
        """The content hash stored for an issue, or None if it is not archived."""
        row = await self._database.row(
            "SELECT content_hash FROM issues WHERE number = %s", (number,)
        )
        return str(row["content_hash"]) if row else None

    async def issues(
        self, *, prefix: str = "", limit: int = 25, held: bool = True
    ) -> list[IssueSummary]:
        """Archived issues, newest first; `prefix` keeps numbers starting with those digits.

        Editors' list: issues held back from readers are in it, unless `held` is False.
        """
        async with self._asked(held):
            # Numbers are written in ASCII digits; `²` and `٣` are digits to `isdigit` alone.
            digits = "".join(ch for ch in prefix if "0" <= ch <= "9")
            visible, params = await self._database.hiding(held, "number")
            rows = await self._database.rows(
                "SELECT number, title, subtitle, date, publish_at FROM issues"  # noqa: S608
                f" WHERE starts_with(number::text, %(digits)s) AND {visible}"
                " ORDER BY number DESC LIMIT %(limit)s",
                {**params, "digits": digits, "limit": max(0, limit)},
            )
            return [IssueSummary.model_validate(dict(row)) for row in rows]

    async def section_names(
        self, *, limit: int | None = 25, held: bool = True
    ) -> list[tuple[str, str]]:
        """(slug, name) of the first `limit` sections (all with None) by name, each named as in
        the newest issue that has it.

        Sections of issues held back from readers count too, unless `held` is False.
        """
        async with self._asked(held):
            visible, params = await self._database.hiding(held, "issue_number")
            rows = await self._database.rows(
                # The name of each slug's newest issue (by number: an older issue ingested later
                # does not bring a renamed section's old name back).
                "SELECT slug, name FROM sections WHERE (slug, issue_number) IN"  # noqa: S608
                " (SELECT slug, max(issue_number) FROM sections"
                f' WHERE {visible} GROUP BY slug) ORDER BY name COLLATE "C" LIMIT %(limit)s',
                {**params, "limit": None if limit is None else max(0, limit)},
            )
            return [(str(row["slug"]), str(row["name"])) for row in rows]

    async def sections_today(
        self, *, limit: int | None = 25, held: bool = True
    ) -> list[tuple[str, str]]:
        """(slug, name) of the first `limit` sections (all with None) by name, as readers know
        them today (`known_today`): each once, by the slug its name has today.

        Sections of issues held back from readers count too, unless `held` is False.
        """
        async with self._asked(held):
            visible, params = await self._database.hiding(held, "issue_number")
            rows = await self._database.rows(
                # Read from the index `sections_by_name` alone, grouped as it is read. Every
                # issue tells an older newsbot's slug (`known_today`); the newest shown names it.
                "SELECT slug, name, max(CASE WHEN "  # noqa: S608
                f"{visible} THEN issue_number END) AS newest FROM sections GROUP BY slug, name",
                params,
            )
        return known_today(sections_shown(rows), limit=None if limit is None else max(0, limit))

    async def names_under(self, slugs: Collection[str]) -> list[tuple[str, str]]:
        """Every (slug, name) of a section archived under one of `slugs`, each once."""
        # PostgreSQL's text holds no NUL: no section has a slug with one (a reader typed it).
        asked = sorted(slug for slug in slugs if "\x00" not in slug)
        rows = await self._database.rows(
            'SELECT DISTINCT slug COLLATE "C" AS slug, name COLLATE "C" AS name FROM sections'
            " WHERE slug = ANY(%(slugs)s) ORDER BY slug, name",
            {"slugs": asked},
        )
        return [(str(row["slug"]), str(row["name"])) for row in rows]

    async def stats(self) -> ArchiveStats:
        """How many issues, sections and items the archive holds."""
        row = await self._database.row(
            "SELECT (SELECT count(*) FROM issues) AS issues,"
            " (SELECT count(*) FROM sections) AS sections,"
            " (SELECT count(*) FROM items) AS items, (SELECT max(number) FROM issues) AS latest"
        )
        assert row is not None
        return ArchiveStats(
            issues=row["issues"],
            sections=row["sections"],
            items=row["items"],
            latest_issue=row["latest"],
        )

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
        """Items matching `text`, best first; the same hits as on SQLite (see `search.search`),
        a section under the slug an older newsbot gave it too (`sought_section`)."""
        async with self._asked(False):
            sought = await sought_section(section, self.names_under) if section else None
            return await fts.search(
                self._database,
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
        async with self._asked(False):
            return await fts.related(self._database, text, limit=limit)

    def searchable(self, text: str) -> bool:
        """Whether a reader's `text` has anything `search` can look for."""
        return fts_query(text) is not None

    async def archived_link(self, url: str, *, held: bool = False) -> ArchivedLink | None:
        """The newest item readers can see (any, with `held`) whose link normalises to `url`
        or to another spelling of its page (`twins`); in one issue, the nearest spelling first."""
        async with self._asked(held):
            await refresh_item_links(self._database)
            visible, params = await self._database.hiding(held, "i.issue_number")
            row = await self._database.row(
                "SELECT i.issue_number, s.name, i.title, i.link FROM item_links l"  # noqa: S608
                " JOIN items i ON i.id = l.item_id JOIN sections s ON s.id = i.section_id"
                f" WHERE l.url = ANY(%(twins)s) AND {visible}"
                " ORDER BY i.issue_number DESC, array_position(%(twins)s, l.url), i.id LIMIT 1",
                {**params, "twins": twins(url)},
            )
            if row is None:
                return None
            return ArchivedLink(
                int(row["issue_number"]), str(row["name"]), str(row["title"]), str(row["link"])
            )
