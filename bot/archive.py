"""The archive: every issue and item in SQLite, with full-text search. The only place with SQL.

Migrations are the numbered files in `bot/migrations/`, applied in order, each in one
transaction; the schema version is `PRAGMA user_version`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import hashlib
import json
import logging
import re
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
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
from bot.suggestions import ArchivedLink, LinkRejected, Suggestion, Supporter, twins
from bot.suggestions import Outcome as SuggestionOutcome
from bot.suggestions import Result as SuggestionResult
from bot.suggestions import normalise as normalise_link

log = logging.getLogger(__name__)

SLOT_BITS = 20
"""An item id is `issue_number << SLOT_BITS | slot`."""

MAX_QUERY_TERMS = 16
MAX_QUERY_LENGTH = 300
SEARCH_CANDIDATES = 2_000
"""How many of the newest matches a search ranks; a rarer term ranks all its matches."""

_INGEST_BATCH_ITEMS = 10_000
"""New issues are inserted in batches of up to about so many items."""
_ROWS_PER_INSERT = 500
"""Items per INSERT statement (13 values each: far below SQLite's 32,766 variables)."""
_NO_ROWID = 2**63 - 1
"""Above every item id (those stay below 2**40): `rowid >= _NO_ROWID` matches nothing."""

_PRAGMAS = (
    "journal_mode = WAL",
    "foreign_keys = ON",
    "synchronous = NORMAL",
    "busy_timeout = 5000",
    # 64 MB instead of 2: a filtered search looks up items all over a large archive.
    "cache_size = -65536",
)
"""Set on every connection `Archive.open` makes."""

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_QUERY_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_CJK_LETTERS = (
    "\u1100-\u11ff\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3041-\u3096"
    "\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97c\uac00-\ud7a3\ud7b0-\ud7fb\uf900-\ufaff\uff66-\uffdc"
    "\U00020000-\U0003134f"
)
"""Han, kana and Hangul letters: scripts written without spaces between words (a regex class)."""
_CJK_RUN = re.compile(f"[{_CJK_LETTERS}]+")
_HIRAGANA = re.compile("[\u3041-\u309f]+")
CJK_SEPARATOR = "\u200b"
"""Between the tokens of a CJK run in the indexed text: FTS5 splits there; readers see nothing."""
CJK_INDEX_FUNCTION = "newsbot_cjk_index"
"""The SQL name of `cjk_index_text`, which migration 6 uses to fill the index columns."""
_SNIPPET_PIECE = re.compile(
    f"([{_CJK_LETTERS}]+)|({CJK_SEPARATOR})|({HIGHLIGHT_START})|({HIGHLIGHT_END})"
    f"|([^{_CJK_LETTERS}{CJK_SEPARATOR}{HIGHLIGHT_START}{HIGHLIGHT_END}]+)"
)


class ArchiveVersionError(NewsbotError):
    """The database was written by a newer newsbot than this one."""


class IssueNotPublic(IssueNotFound):
    """The issue is archived, but readers cannot see it before its publish_at."""

    def __init__(self, number: int, publish_at: str) -> None:
        super().__init__(number)
        self.publish_at = publish_at
        self.args = (
            f"Issue #{number} is held back from readers until its publish_at, {publish_at} "
            f"(`newsbot preview {number}` shows it).",
        )


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
        raw, one_letter = _cjk_query_text(raw)
        quoted = '"' + raw.replace('"', '""') + '"'
        terms.append(quoted + "*" if prefix or one_letter else quoted)
        if len(terms) == MAX_QUERY_TERMS:
            break
    return " ".join(terms) if terms else None


# CJK words are phrases of overlapping bigrams in the one unicode61 index, not a second trigram
# table (whose queries need three letters): two-letter words (学習) need no special case, and
# CJK and other words rank together under one bm25 with the title, blurb and abstract weights.
def cjk_index_text(text: str | None) -> str | None:
    """`text` as the full-text index reads it if it holds CJK letters, else None.

    Each run of CJK letters becomes its overlapping bigrams and then its last letter, between
    zero-width spaces (機械学習 → 機械 械学 学習 習): a word of two letters or more is the
    phrase of its bigrams wherever it sits in a run, and a single letter starts a token.
    """
    # Most text is ASCII, and that test costs a fraction of the search for CJK letters.
    if not text or text.isascii() or _CJK_RUN.search(text) is None:
        return None
    return _CJK_RUN.sub(_indexed_run, text)


def _indexed_run(run: re.Match[str]) -> str:
    return CJK_SEPARATOR + CJK_SEPARATOR.join(_cjk_tokens(run.group())) + CJK_SEPARATOR


def _cjk_tokens(letters: str) -> list[str]:
    """A CJK run's tokens in the index: its overlapping bigrams, then its last letter."""
    return [letters[i : i + 2] for i in range(len(letters) - 1)] + [letters[-1]]


def _cjk_query_text(raw: str) -> tuple[str, bool]:
    """A reader's word or phrase with its CJK runs as the index holds them; True if it must be
    a prefix.

    A run followed by more letters in the query ends there in the text too, so it ends with
    its last letter as in the index. A run at the end may go on in the text: only its bigrams
    are asked for, and a single letter there is a prefix of the token it starts.
    """
    parts: list[str] = []
    end, one_letter = 0, False
    for run in _CJK_RUN.finditer(raw):
        letters = run.group()
        tokens = _cjk_tokens(letters)
        closed = any(ch.isalnum() for ch in raw[run.end() :])
        if not closed and len(letters) > 1:
            tokens.pop()
        one_letter = not closed and len(letters) == 1
        parts += [raw[end : run.start()], " ", " ".join(tokens), " "]
        end = run.end()
    if not parts:
        return raw, False
    parts.append(raw[end:])
    return "".join(parts), one_letter


def _as_written(snippet: str) -> str:
    """A snippet of indexed text as the item reads: CJK runs joined back from their bigrams,
    a letter highlighted when any token covering it is."""
    if CJK_SEPARATOR not in snippet:
        return snippet
    letters: list[str] = []
    marked: list[bool] = []
    highlighted = False
    previous = ""  # the last CJK token, while only separators and highlight marks follow it
    for piece in _SNIPPET_PIECE.finditer(snippet):
        token, _, start, end, other = piece.groups()
        if start or end:
            highlighted = bool(start)
        elif token:
            if len(previous) == 2 and token[0] == previous[1]:
                marked[-1] = marked[-1] or highlighted
                letters.extend(token[1:])
                marked.extend([highlighted] * (len(token) - 1))
            else:
                letters.extend(token)
                marked.extend([highlighted] * len(token))
            previous = token
        elif other:
            letters.extend(other)
            marked.extend([highlighted] * len(other))
            previous = ""
    written: list[str] = []
    on = False
    for letter, mark in zip(letters, marked, strict=True):
        if mark != on:
            written.append(HIGHLIGHT_START if mark else HIGHLIGHT_END)
            on = mark
        written.append(letter)
    if on:
        written.append(HIGHLIGHT_END)
    return "".join(written)


_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    """about after again also and any are because been before being but can could did does
    doing for from had has have having her here hers him his how into its just more most
    not now off once only other our out over own same she should some such than that the
    their them then there these they this those through too under until very was were what
    when where which while who whom why will with would you your yours anyone someone
    something anything know good read thanks thank please""".split()  # noqa: SIM905
)
RELATED_TERMS = 12


def fts_any_query(text: str) -> str | None:
    """An FTS5 query matching any of the telling words of `text` (for "related" lookups).

    Stop words and words under three letters are dropped, and CJK text gives the letter pairs
    of its runs; each word is quoted, so no input reaches MATCH as syntax. bm25 then favours
    items that share the rarer words.
    """
    words: list[str] = []
    for word in _telling_words(_CONTROL.sub(" ", text[: MAX_QUERY_LENGTH * 10])):
        if word not in words:
            words.append(word)
        if len(words) == RELATED_TERMS:
            break
    return " OR ".join(f'"{word}"' for word in words) if words else None


def _telling_words(text: str) -> Iterator[str]:
    """Words of three letters or more that are not stop words, and the bigrams of CJK runs
    that are not all hiragana (mostly particles and endings), in the order of `text`."""
    for match in _WORD.finditer(text.lower()):
        word, start = match.group(0), 0
        for run in _CJK_RUN.finditer(word):
            yield from _telling(word[start : run.start()])
            for pair in _cjk_tokens(run.group())[:-1]:
                if not _HIRAGANA.fullmatch(pair):
                    yield pair
            start = run.end()
        yield from _telling(word[start:])


def _telling(word: str) -> Iterator[str]:
    if len(word) >= 3 and word not in _STOPWORDS and not word.isdigit():
        yield word


def content_hash(issue: Issue) -> str:
    """A fingerprint of an issue's content: equal hashes mean nothing to update."""
    # Without `publish_at` an issue hashes as it did before the field existed, so archives
    # made then do not see every issue as changed.
    unset = {"publish_at"} if issue.publish_at is None else None
    return hashlib.sha256(issue.model_dump_json(exclude=unset).encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


Clock = Callable[[], dt.datetime]
"""Gives the current time, aware."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


HELD_FUNCTION = "newsbot_held"
"""The SQL name of the function `held_function` makes: is this stored publish_at still ahead?"""
_WESTERNMOST_OFFSET = dt.timedelta(hours=12)
"""UTC-12: a time without an offset has come everywhere 12 hours after it came in UTC."""
_HELD_ISSUES = (
    "SELECT number FROM issues WHERE publish_at > :horizon AND newsbot_held(publish_at)"
    " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.issue_number = issues.number"
    " AND outbox.state = 'sent')"
)
"""Issues readers cannot see yet: their publish_at is ahead and nothing of them was sent."""


def release_time(publish_at: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """When readers may see an issue with that `publish_at`.

    A time without an offset is read in `zone` (the schedule's); with no zone known, where it
    comes last, so that an issue is never shown early anywhere.
    """
    if publish_at.tzinfo is not None:
        return publish_at
    if zone is not None:
        return publish_at.replace(tzinfo=zone)
    return publish_at.replace(tzinfo=dt.UTC) + _WESTERNMOST_OFFSET


def held_function(clock: Clock, zone: dt.tzinfo | None) -> Callable[[str], bool]:
    """The SQL function `HELD_FUNCTION`: whether a stored publish_at is still ahead."""

    def held(publish_at: str) -> bool:
        try:
            at = dt.datetime.fromisoformat(publish_at)
        except ValueError:
            return True  # unreadable: held back, rather than shown early
        return release_time(at, zone) > clock()

    return held


def _held_horizon(now: dt.datetime) -> str:
    """A stored publish_at not after this (naive ISO, a day before `now`) has come everywhere."""
    day_before = now.astimezone(dt.UTC) - dt.timedelta(days=1)
    return day_before.replace(tzinfo=None).isoformat(timespec="seconds")


class Archive:
    """The newsletter's archive in one SQLite file. Open with `await Archive.open(path)`.

    What readers see (`latest`, `issue`, `search`, `related`, `archived_link`) leaves out an
    issue whose own publish_at is still ahead by `clock`, unless part of it was already sent;
    editors and publishing pass `held=True`.
    """

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        clock: Clock | None = None,
        zone: dt.tzinfo | None = None,
    ) -> None:
        self._db = db
        self.path = path
        self.clock = clock or _utc_now
        self.zone = zone

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        create: bool = True,
        migrate: bool = True,
        clock: Clock | None = None,
        zone: dt.tzinfo | None = None,
    ) -> Self:
        """Open (and with `create`, create) the archive at `path`, migrated to this version.

        Without `migrate` an older archive is left as it is (a backup copies it unchanged).
        `clock` tells readers' queries the time (default: the system's); `zone` is the one a
        publish_at without an offset is read in (the schedule's; unknown, it is read where it
        comes last).
        """
        path = Path(path)
        if not create and not path.exists():
            raise ArchiveMissing(path)
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = aiosqlite.Row
            for pragma in _PRAGMAS:
                await db.execute(f"PRAGMA {pragma}")
            await db.create_function(CJK_INDEX_FUNCTION, 1, cjk_index_text, deterministic=True)
            archive = cls(db, path, clock=clock, zone=zone)
            await db.create_function(HELD_FUNCTION, 1, held_function(archive.clock, zone))
            if migrate:
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
        # Upgrading an existing archive is news for whoever runs it; creating one is not.
        level = logging.INFO if current else logging.DEBUG
        for migration in known[current:]:
            log.log(level, "applying migration %s to %s", migration.name, self.path)
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
            for batch in _ingest_batches(issues):
                done = await self._ingest_batch(db, batch)
                outcomes.extend(done)
                if progress is not None:
                    for (issue, _), outcome in zip(batch, done, strict=True):
                        progress(issue, outcome)
        return outcomes

    async def _ingest_batch(
        self, db: aiosqlite.Connection, batch: Sequence[tuple[Issue, Path | None]]
    ) -> list[IngestOutcome]:
        """Store issues with distinct numbers: new ones in bulk, edited ones one by one."""
        numbers = [issue.number for issue, _ in batch]
        rows = await db.execute_fetchall(
            "SELECT number, content_hash, next_slot FROM issues"
            " WHERE number IN (SELECT value FROM json_each(?))",
            (json.dumps(numbers),),
        )
        stored = {int(row[0]): (str(row[1]), int(row[2])) for row in rows}
        outcomes: list[IngestOutcome] = []
        added: list[tuple[Issue, Path | None, str]] = []
        for issue, source in batch:
            digest = content_hash(issue)
            existing = stored.get(issue.number)
            if existing is None:
                added.append((issue, source, digest))
                outcomes.append(IngestOutcome.ADDED)
            elif existing[0] == digest:
                outcomes.append(IngestOutcome.UNCHANGED)
            else:
                # Store what came before first, so section ids follow the input order.
                await self._insert_new(db, added)
                added = []
                await self._update(db, issue, source, digest, next_slot=existing[1])
                outcomes.append(IngestOutcome.UPDATED)
        await self._insert_new(db, added)
        return outcomes

    async def _insert_new(
        self, db: aiosqlite.Connection, added: Sequence[tuple[Issue, Path | None, str]]
    ) -> None:
        """Insert issues not yet archived, with one `executemany` per table."""
        if not added:
            return
        rows = await db.execute_fetchall("SELECT coalesce(max(id), 0) FROM sections")
        # The ids SQLite would give one by one: each new section takes the largest id plus one.
        next_section_id = int(next(iter(rows))[0]) + 1
        issue_rows: list[tuple[object, ...]] = []
        section_rows: list[tuple[object, ...]] = []
        item_rows: list[tuple[object, ...]] = []
        now = _now()
        for issue, source, digest in added:
            issue_rows.append(
                (*_issue_fields(issue, source, digest), issue.number, len(issue.items), now, now)
            )
            slot = 0
            for section_position, section in enumerate(issue.sections):
                section_id = next_section_id
                next_section_id += 1
                section_rows.append(
                    (section_id, issue.number, section.slug, section.name, section_position)
                )
                for item in section.items:
                    # A new issue's items take slots 0, 1, 2 … in reading order: slot = position.
                    item_rows.append(
                        (
                            section_id,
                            slot,
                            *_item_fields(item),
                            (issue.number << SLOT_BITS) | slot,
                            issue.number,
                            item.key,
                        )
                    )
                    slot += 1
        await db.executemany(_INSERT_ISSUE, issue_rows)
        await db.executemany(
            "INSERT INTO sections (id, issue_number, slug, name, position) VALUES (?,?,?,?,?)",
            section_rows,
        )
        # Many rows to a statement: FTS5 (3.40) writes its pending index to disk at each
        # statement, so a statement per item makes and merges a segment per item (3× slower).
        for start in range(0, len(item_rows), _ROWS_PER_INSERT):
            chunk = item_rows[start : start + _ROWS_PER_INSERT]
            await db.execute(
                _INSERT_ITEM + ",(?,?,?,?,?,?,?,?,?,?,?,?,?)" * (len(chunk) - 1),
                [value for row in chunk for value in row],
            )

    async def _update(
        self,
        db: aiosqlite.Connection,
        issue: Issue,
        source: Path | None,
        digest: str,
        *,
        next_slot: int,
    ) -> None:
        """Update an archived issue in place: kept items keep their ids, new ones get new slots."""
        await db.execute(
            "UPDATE issues SET title = ?, subtitle = ?, date = ?, link = ?, intro = ?,"
            " content_hash = ?, source_path = ?, publish_at = ?, updated_at = ? WHERE number = ?",
            (*_issue_fields(issue, source, digest), _now(), issue.number),
        )
        section_ids = await self._store_sections(db, issue)
        next_slot = await self._store_items(db, issue, section_ids, next_slot)
        await db.execute(
            "UPDATE issues SET next_slot = ? WHERE number = ?", (next_slot, issue.number)
        )

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
            "DELETE FROM sections WHERE issue_number = ?"
            " AND id NOT IN (SELECT value FROM json_each(?))",
            (issue.number, json.dumps(list(section_ids.values()))),
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
            values = (section_ids[section.slug], position, *_item_fields(item))
            item_id = ids_by_key.get(item.key)
            if item_id is None:
                item_id = (issue.number << SLOT_BITS) | next_slot
                next_slot += 1
                await db.execute(_INSERT_ITEM, (*values, item_id, issue.number, item.key))
            else:
                await db.execute(
                    "UPDATE items SET section_id = ?, position = ?, title = ?, link = ?,"
                    " blurb = ?, abstract = ?, editor_note = ?, title_cjk = ?, blurb_cjk = ?,"
                    " abstract_cjk = ? WHERE id = ?",
                    (*values, item_id),
                )
            kept.append(item_id)
        stale = set(ids_by_key.values()) - set(kept)
        await db.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in sorted(stale)])
        return next_slot

    # --- reading ----------------------------------------------------------------------------

    def _hiding(self, held: bool, column: str) -> tuple[str, dict[str, Any]]:
        """A WHERE condition leaving out the issues readers cannot see yet (none with `held`)."""
        if held:
            return "true", {}
        return f"{column} NOT IN ({_HELD_ISSUES})", {"horizon": _held_horizon(self.clock())}

    async def latest(self, *, held: bool = False) -> Issue | None:
        """The issue with the highest number readers can see (any, with `held`), if there is one."""
        visible, params = self._hiding(held, "number")
        async with self._db.execute(
            f"SELECT number FROM issues WHERE {visible} ORDER BY number DESC LIMIT 1",  # noqa: S608
            params,
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return await self.issue(int(row[0]), held=True)

    async def issue(self, number: int, *, held: bool = False) -> Issue:
        """The archived issue with that number; raise `IssueNotFound` if there is none.

        An issue readers cannot see yet raises `IssueNotPublic`, unless `held` asks for it.
        """
        visible, params = self._hiding(held, "number")
        async with self._db.execute(
            f"SELECT *, {visible} AS visible FROM issues WHERE number = :number",  # noqa: S608
            {**params, "number": number},
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise IssueNotFound(number)
        if not row["visible"]:
            raise IssueNotPublic(number, str(row["publish_at"]))
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
            publish_at=row["publish_at"],
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

    async def issues(
        self, *, prefix: str = "", limit: int = 25, held: bool = True
    ) -> list[IssueSummary]:
        """Archived issues, newest first; `prefix` keeps numbers starting with those digits.

        Editors' list: issues held back from readers are in it, unless `held` is False.
        """
        digits = "".join(ch for ch in prefix if ch.isdigit())
        visible, params = self._hiding(held, "number")
        async with self._db.execute(
            "SELECT number, title, subtitle, date, publish_at FROM issues"  # noqa: S608
            f" WHERE CAST(number AS TEXT) LIKE :digits || '%' AND {visible}"
            " ORDER BY number DESC LIMIT :limit",
            {**params, "digits": digits, "limit": max(0, limit)},
        ) as cursor:
            return [IssueSummary.model_validate(dict(row)) async for row in cursor]

    async def section_names(
        self, *, prefix: str = "", limit: int = 25, held: bool = True
    ) -> list[tuple[str, str]]:
        """(slug, name) of sections seen in any issue, most recent name, matching `prefix`.

        Sections of issues held back from readers count too, unless `held` is False.
        """
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        visible, params = self._hiding(held, "issue_number")
        async with self._db.execute(
            "SELECT slug, name FROM sections WHERE id IN (SELECT max(id) FROM sections"  # noqa: S608
            f" WHERE {visible} GROUP BY slug) AND (name LIKE :pattern || '%' ESCAPE '\\'"
            " OR slug LIKE :pattern || '%' ESCAPE '\\') ORDER BY name LIMIT :limit",
            {**params, "pattern": pattern, "limit": max(0, limit)},
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

    async def backup(self, destination: Path) -> ArchiveStats:
        """Copy the archive into the new, empty file `destination`; return what the copy holds.

        SQLite's online backup copies one consistent snapshot, even while other connections
        write. The copy is one self-contained file. Raise `NewsbotError` if it fails SQLite's
        integrity check.
        """
        copy = await aiosqlite.connect(destination, isolation_level=None)
        try:
            await self._db.backup(copy)
            async with copy.execute("PRAGMA integrity_check") as cursor:
                problems = [str(row[0]) async for row in cursor]
            if problems != ["ok"]:
                raise NewsbotError(
                    f"{destination}: the copy failed SQLite's integrity check: "
                    + "; ".join(problems[:3])
                )
            # The archive's WAL mode came along; a backup needs no -wal file beside it.
            await copy.execute("PRAGMA journal_mode = DELETE")
            return await type(self)(copy, destination).stats()
        finally:
            await copy.close()

    # --- state ------------------------------------------------------------------------------

    async def get_state(self, key: str) -> str | None:
        """A value newsbot kept between runs, or None."""
        async with self._db.execute("SELECT value FROM state WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_state(self, key: str, value: str) -> None:
        """Keep a value between runs (replacing any earlier one)."""
        await self._db.execute(
            "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (key, value, _now()),
        )

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
        Issues readers cannot see yet are left out.
        """
        limit = max(1, min(limit, 100))
        offset = max(0, offset)
        statement = _search_statement(
            text,
            section=section,
            issue=issue,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            now=self.clock(),
        )
        if statement is None:
            return SearchPage(hits=(), offset=offset, has_more=False)
        sql, params = statement
        # One round trip to the database thread: execute and fetch together.
        rows = list(await self._db.execute_fetchall(sql, params))
        hits = tuple(_hit(row) for row in rows[:limit])
        return SearchPage(hits=hits, offset=offset, has_more=len(rows) > limit)

    async def related(self, text: str, *, limit: int = 5) -> list[SearchHit]:
        """Items sharing the telling words of `text` (a reader's message), best first."""
        query = fts_any_query(text)
        if query is None:
            return []
        limit = max(1, min(limit, 25))
        statement = _search_statement(
            text,
            section=None,
            issue=None,
            since=None,
            until=None,
            limit=limit,
            offset=0,
            fts=query,
            now=self.clock(),
        )
        assert statement is not None
        sql, params = statement
        rows = list(await self._db.execute_fetchall(sql, params))
        return [_hit(row) for row in rows[:limit]]

    # --- subscriptions ----------------------------------------------------------------------

    async def subscribe(self, subscription: Subscription) -> None:
        """Store a channel's subscription, replacing any earlier one for that channel."""
        now = _now()
        await self._db.execute(
            "INSERT INTO subscriptions (channel_id, guild_id, kind, role_id, sections,"
            " alerts_channel_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id,"
            " kind = excluded.kind, role_id = excluded.role_id, sections = excluded.sections,"
            " alerts_channel_id = excluded.alerts_channel_id, updated_at = excluded.updated_at",
            (
                subscription.channel_id,
                subscription.guild_id,
                subscription.kind,
                subscription.role_id,
                json.dumps(list(subscription.sections)),
                subscription.alerts_channel_id,
                now,
                now,
            ),
        )

    async def unsubscribe(self, channel_id: int) -> bool:
        """Forget a channel's subscription; return whether there was one."""
        async with self._db.execute(
            "DELETE FROM subscriptions WHERE channel_id = ? RETURNING channel_id", (channel_id,)
        ) as cursor:
            gone = await cursor.fetchall()
        return bool(gone)

    async def subscriptions(self, *, guild_id: int | None = None) -> list[Subscription]:
        """The stored subscriptions (of one server, with `guild_id`), oldest first."""
        async with self._db.execute(
            "SELECT * FROM subscriptions WHERE ? IS NULL OR guild_id = ?"
            " ORDER BY created_at, channel_id",
            (guild_id, guild_id),
        ) as cursor:
            return [_subscription(row) async for row in cursor]

    # --- outbox -----------------------------------------------------------------------------

    async def outbox_entries(
        self, issue_number: int, outlet: str, target: str | None = None
    ) -> dict[str, OutboxEntry]:
        """The ledger of an issue's steps on an outlet (one target's, with `target`), by key."""
        async with self._db.execute(
            "SELECT * FROM outbox WHERE issue_number = ? AND outlet = ?"
            " AND (? IS NULL OR target = ?) ORDER BY rowid",
            (issue_number, outlet, target, target),
        ) as cursor:
            return {row["key"]: _outbox_entry(row) async for row in cursor}

    async def outbox_record(self, entry: OutboxEntry) -> None:
        """Write one step's ledger row (insert or replace), durably, before returning."""
        await self._db.execute(
            "INSERT INTO outbox (key, issue_number, outlet, target, action, state, payload_hash,"
            " remote_id, location_id, reason, attempts, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET action = excluded.action, state = excluded.state,"
            " payload_hash = excluded.payload_hash, remote_id = excluded.remote_id,"
            " location_id = excluded.location_id, reason = excluded.reason,"
            " attempts = excluded.attempts, updated_at = excluded.updated_at",
            (
                entry.key,
                entry.issue_number,
                entry.outlet,
                entry.target,
                entry.action,
                entry.state,
                entry.payload_hash,
                entry.remote_id,
                entry.location_id,
                entry.reason,
                entry.attempts,
                _now(),
            ),
        )

    async def outbox_plan(self, entries: Sequence[OutboxEntry]) -> None:
        """Record planned steps as pending, all or none; steps already known are kept."""
        # One statement, not a transaction: publishes to many channels share this connection.
        rows = [[e.key, e.issue_number, e.outlet, e.target, e.action] for e in entries]
        await self._db.execute(
            "INSERT INTO outbox (key, issue_number, outlet, target, action, state, attempts,"
            " updated_at) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3,"
            " value ->> 4, 'pending', 0, ? FROM json_each(?) WHERE true"
            " ON CONFLICT (key) DO NOTHING",
            (_now(), json.dumps(rows)),
        )

    async def outbox_latest(self, outlet: str, target: str) -> tuple[int, dict[str, int]] | None:
        """The newest issue published to a target, with how many of its steps are in each state."""
        async with self._db.execute(
            "SELECT issue_number, state, count(*) AS n FROM outbox WHERE outlet = ?"
            " AND target = ? AND issue_number = (SELECT max(issue_number) FROM outbox"
            " WHERE outlet = ? AND target = ?) GROUP BY state",
            (outlet, target, outlet, target),
        ) as cursor:
            rows = list(await cursor.fetchall())
        if not rows:
            return None
        return int(rows[0]["issue_number"]), {str(r["state"]): int(r["n"]) for r in rows}

    async def published_numbers(self, outlets: Sequence[str]) -> set[int]:
        """The issues with at least one step sent on one of `outlets`."""
        if not outlets:
            return set()
        marks = ",".join("?" * len(outlets))
        rows = await self._db.execute_fetchall(
            f"SELECT DISTINCT issue_number FROM outbox WHERE outlet IN ({marks})"  # noqa: S608
            " AND state = 'sent'",
            tuple(outlets),
        )
        return {int(row[0]) for row in rows}

    async def outbox_unfinished(self, outlet: str | None = None) -> list[OutboxTally]:
        """Steps not done yet (pending, sending or failed), counted per issue, outlet and target.

        Oldest issue first; each tally carries the reason of one of its failed steps, if any.
        """
        async with self._db.execute(
            "SELECT issue_number, outlet, target, state, count(*) AS steps, max(reason) AS reason"
            " FROM outbox WHERE state IN ('pending', 'sending', 'failed')"
            " AND (? IS NULL OR outlet = ?)"
            " GROUP BY issue_number, outlet, target, state ORDER BY issue_number, outlet, target",
            (outlet, outlet),
        ) as cursor:
            return [
                OutboxTally(
                    issue_number=int(row["issue_number"]),
                    outlet=str(row["outlet"]),
                    target=str(row["target"]),
                    state=str(row["state"]),
                    steps=int(row["steps"]),
                    reason=row["reason"],
                )
                async for row in cursor
            ]

    # --- suggestions ------------------------------------------------------------------------

    async def _refresh_item_links(self) -> None:
        """Normalise the links of items ingested or edited since the last look.

        Marks each suggestion whose link an archived item now carries as published in that
        item's issue. Bounded batches keep each statement small on a large archive.
        """
        while True:
            rows = list(
                await self._db.execute_fetchall(
                    "SELECT p.item_id, i.link, i.issue_number FROM item_links_pending p"
                    " JOIN items i ON i.id = p.item_id ORDER BY p.item_id LIMIT ?",
                    (_LINK_BATCH,),
                )
            )
            if not rows:
                await self._db.execute("DELETE FROM item_links_pending")
                return
            found = [
                (int(row[0]), url, int(row[2]))
                for row in rows
                if row[1] is not None and (url := _normal_or_none(str(row[1]))) is not None
            ]
            ids = [int(row[0]) for row in rows]
            await self._db.execute(
                "INSERT INTO item_links (item_id, url) SELECT value ->> 0, value ->> 1"
                " FROM json_each(?) WHERE true"
                " ON CONFLICT (item_id) DO UPDATE SET url = excluded.url",
                (json.dumps([[item_id, url] for item_id, url, _ in found]),),
            )
            await self._db.execute(
                "UPDATE suggestions SET status = 'published', issue_number = link.value ->> 1,"
                " updated_at = ? FROM json_each(?) AS link"
                " WHERE suggestions.url = link.value ->> 0 AND status != 'published'",
                (
                    _now(),
                    json.dumps([[twin, issue] for _, url, issue in found for twin in twins(url)]),
                ),
            )
            await self._db.execute(
                "DELETE FROM item_links_pending WHERE item_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            )

    async def archived_link(self, url: str, *, held: bool = False) -> ArchivedLink | None:
        """The newest item readers can see (any, with `held`) whose link normalises to `url`."""
        await self._refresh_item_links()
        visible, params = self._hiding(held, "i.issue_number")
        async with self._db.execute(
            "SELECT i.issue_number, s.name, i.title, i.link FROM item_links l"  # noqa: S608
            " JOIN items i ON i.id = l.item_id JOIN sections s ON s.id = i.section_id"
            f" WHERE l.url IN (SELECT value FROM json_each(:twins)) AND {visible}"
            " ORDER BY i.issue_number DESC, l.url = :url DESC LIMIT 1",
            {**params, "twins": json.dumps(twins(url)), "url": url},
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return ArchivedLink(int(row[0]), str(row[1]), str(row[2]), str(row[3]))

    async def suggest(
        self,
        url: str,
        reader: Supporter,
        *,
        section: str | None = None,
        per_day: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        message_id: int | None = None,
        now: dt.datetime | None = None,
    ) -> SuggestionResult:
        """Record that `reader` suggests the (normalised) `url`, unless that changes nothing.

        A link already archived is not recorded (`ARCHIVED`); a pending or accepted one gets
        the reader as a +1 (`SUPPORTED`); the same reader again changes nothing (`REPEATED`);
        one an editor rejected stays rejected (`CLOSED`); past `per_day` suggestions in 24
        hours the reader is turned away (`LIMITED`).
        """
        when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        stamp = when.isoformat(timespec="seconds")
        async with _suggestions_lock(self):
            archived = await self.archived_link(url)
            if archived is not None:
                return SuggestionResult(url, SuggestionOutcome.ARCHIVED, archived=archived)
            existing = await self._suggestion_by_url(url)
            if existing is not None:
                if any(s.user_id == reader.user_id for s in existing.supporters):
                    return SuggestionResult(url, SuggestionOutcome.REPEATED, existing)
                if existing.status == "rejected":
                    return SuggestionResult(url, SuggestionOutcome.CLOSED, existing)
            if per_day is not None:
                since = (when - dt.timedelta(days=1)).isoformat(timespec="seconds")
                async with self._db.execute(
                    "SELECT count(*) FROM suggestion_supporters WHERE user_id = ?"
                    " AND created_at > ?",
                    (reader.user_id, since),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is not None and int(row[0]) >= per_day:
                    return SuggestionResult(url, SuggestionOutcome.LIMITED, existing)
            async with self._db.execute(
                "INSERT INTO suggestions (url, section, created_at, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (url) DO UPDATE"
                " SET section = coalesce(suggestions.section, excluded.section) RETURNING id",
                (existing.url if existing else url, section, stamp, stamp),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            suggestion_id = int(row[0])
            await self._db.execute(
                "INSERT INTO suggestion_supporters (suggestion_id, user_id, name, note, source,"
                " guild_id, channel_id, message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (
                    suggestion_id,
                    reader.user_id,
                    reader.name,
                    reader.note,
                    reader.source,
                    guild_id,
                    channel_id,
                    message_id,
                    stamp,
                ),
            )
            stored = await self.suggestion(suggestion_id)
            assert stored is not None
            outcome = SuggestionOutcome.ADDED if existing is None else SuggestionOutcome.SUPPORTED
            return SuggestionResult(url, outcome, stored)

    async def _suggestion_by_url(self, url: str) -> Suggestion | None:
        async with self._db.execute(
            "SELECT id FROM suggestions WHERE url IN (SELECT value FROM json_each(?))"
            " ORDER BY url = ? DESC LIMIT 1",
            (json.dumps(twins(url)), url),
        ) as cursor:
            row = await cursor.fetchone()
        return await self.suggestion(int(row[0])) if row else None

    async def suggestion(self, suggestion_id: int) -> Suggestion | None:
        """One suggestion with everyone who suggested it, or None."""
        found = await self._suggestions_where(suggestion_id=suggestion_id, limit=1)
        return found[0] if found else None

    async def suggestions(
        self, statuses: Sequence[str] = ("pending",), *, limit: int = 25
    ) -> list[Suggestion]:
        """Suggestions in these states, most-supported first (then oldest first)."""
        return await self._suggestions_where(statuses=json.dumps(list(statuses)), limit=limit)

    async def _suggestions_where(
        self, *, suggestion_id: int | None = None, statuses: str | None = None, limit: int
    ) -> list[Suggestion]:
        await self._refresh_item_links()
        rows = list(
            await self._db.execute_fetchall(
                "SELECT s.*, (SELECT count(*) FROM suggestion_supporters p"
                " WHERE p.suggestion_id = s.id) AS support FROM suggestions s"
                " WHERE (:id IS NULL OR s.id = :id) AND (:statuses IS NULL"
                " OR s.status IN (SELECT value FROM json_each(:statuses)))"
                " ORDER BY support DESC, s.id LIMIT :limit",
                {"id": suggestion_id, "statuses": statuses, "limit": max(0, limit)},
            )
        )
        if not rows:
            return []
        ids = [int(row["id"]) for row in rows]
        supporters: dict[int, list[Supporter]] = {i: [] for i in ids}
        async with self._db.execute(
            "SELECT * FROM suggestion_supporters WHERE suggestion_id IN"
            " (SELECT value FROM json_each(?)) ORDER BY created_at, rowid",
            (json.dumps(ids),),
        ) as cursor:
            async for row in cursor:
                supporters[int(row["suggestion_id"])].append(_supporter(row))
        return [_suggestion(row, supporters[int(row["id"])]) for row in rows]

    async def review_suggestion(
        self,
        suggestion_id: int,
        status: str,
        *,
        by: str | None = None,
        section: str | None = None,
    ) -> Suggestion | None:
        """Accept, reject or reopen a suggestion (and maybe set its section); None if unknown.

        A published suggestion stays published.
        """
        if status not in ("pending", "accepted", "rejected"):
            raise ValueError(f"a review cannot set the status {status!r}")
        await self._db.execute(
            "UPDATE suggestions SET status = ?, reviewed_by = ?, section = coalesce(?, section),"
            " updated_at = ? WHERE id = ? AND status != 'published'",
            (status, by, section, _now(), suggestion_id),
        )
        return await self.suggestion(suggestion_id)

    async def set_suggestion_section(self, suggestion_id: int, section: str | None) -> None:
        """Set (or with None, clear) the section a suggestion is meant for."""
        await self._db.execute(
            "UPDATE suggestions SET section = ?, updated_at = ? WHERE id = ?",
            (section, _now(), suggestion_id),
        )

    async def set_suggestion_title(self, suggestion_id: int, title: str) -> None:
        """Keep the page title fetched for a suggestion."""
        await self._db.execute(
            "UPDATE suggestions SET title = ?, updated_at = ? WHERE id = ?",
            (title, _now(), suggestion_id),
        )

    async def section_thread(self, channel_id: int) -> tuple[int, str | None] | None:
        """If `channel_id` is a thread or forum post newsbot published: (issue, section slug).

        The section is None for a forum's digest post.
        """
        async with self._db.execute(
            "SELECT issue_number, key FROM outbox WHERE remote_id = ?"
            " AND action IN ('thread', 'post') AND state = 'sent'"
            " ORDER BY issue_number DESC LIMIT 1",
            (str(channel_id),),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        parts = str(row["key"]).split("/")
        slug = parts[4] if len(parts) > 4 and parts[3] == "thread" else None
        return int(row["issue_number"]), slug

    # --- x ----------------------------------------------------------------------------------

    async def x_posts_since(self, since: dt.datetime) -> int:
        """How many posts the outbox recorded as sent on X since `since` (for the daily cap)."""
        async with self._db.execute(
            "SELECT count(*) FROM outbox WHERE outlet = 'x' AND state = 'sent'"
            " AND remote_id IS NOT NULL AND updated_at >= ?",
            (since.astimezone(dt.UTC).isoformat(timespec="seconds"),),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0


_INSERT_ISSUE = (
    "INSERT INTO issues (title, subtitle, date, link, intro, content_hash, source_path,"
    " publish_at, number, next_slot, ingested_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_ITEM = (
    "INSERT INTO items (section_id, position, title, link, blurb, abstract, editor_note,"
    " title_cjk, blurb_cjk, abstract_cjk, id, issue_number, key)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def _issue_fields(issue: Issue, source: Path | None, digest: str) -> tuple[object, ...]:
    """The issue's own columns, in the order `_INSERT_ISSUE` and the update take them."""
    return (
        issue.title,
        issue.subtitle,
        issue.date.isoformat() if issue.date else None,
        issue.link,
        issue.intro,
        digest,
        str(source) if source else None,
        issue.publish_at.isoformat() if issue.publish_at else None,
    )


def _item_fields(item: Item) -> tuple[object, ...]:
    """The item's own columns, in the order `_INSERT_ITEM` and the update take them."""
    return (
        item.title,
        item.link,
        item.blurb,
        item.abstract,
        item.editor_note,
        cjk_index_text(item.title),
        cjk_index_text(item.blurb),
        cjk_index_text(item.abstract),
    )


def _ingest_batches(
    issues: Sequence[tuple[Issue, Path | None]],
) -> Iterator[list[tuple[Issue, Path | None]]]:
    """Split issues into batches of bounded size in which no issue number appears twice.

    A number seen twice (an issue and its edit, in one call) starts a new batch, so each batch
    can look up what is stored for all its issues at once.
    """
    batch: list[tuple[Issue, Path | None]] = []
    numbers: set[int] = set()
    items = 0
    for issue, source in issues:
        size = len(issue.items)
        if batch and (issue.number in numbers or items + size > _INGEST_BATCH_ITEMS):
            yield batch
            batch, numbers, items = [], set(), 0
        batch.append((issue, source))
        numbers.add(issue.number)
        items += size
    if batch:
        yield batch


def _search_statement(
    text: str,
    *,
    section: str | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    limit: int,
    offset: int,
    fts: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[str, dict[str, Any]] | None:
    """The SQL and parameters `Archive.search` runs (one extra row tells `has_more`).

    None when `text` has nothing searchable. `fts`, when given, is an FTS5 query built by this
    module and used instead of `text`. With `now`, issues readers cannot see then are left out
    (through the connection's `HELD_FUNCTION`). Module-level so benchmarks run the very same SQL.
    """
    query = fts_query(text) if fts is None else fts
    if query is None:
        return None
    joins, filters, params = _search_filters(section=section, issue=issue, since=since, until=until)
    if now is not None:
        filters += f" AND (items_fts.rowid >> {SLOT_BITS}) NOT IN ({_HELD_ISSUES})"
        params["horizon"] = _held_horizon(now)
    # One pass over the full-text index, newest first, scores each candidate as it goes (FTS5
    # walks rowids backwards natively); only the page's rows are joined and get a snippet.
    sql = f"""
        WITH candidates AS (
            SELECT items_fts.rowid AS id, items_fts.rank AS score
            FROM items_fts {joins}
            WHERE items_fts MATCH :query {filters}
            ORDER BY items_fts.rowid DESC LIMIT :candidates
        ),
        page AS (
            SELECT c.id, c.score, i.issue_number, i.position
            FROM candidates c JOIN items i ON i.id = c.id
            ORDER BY c.score, i.issue_number DESC, i.position
            LIMIT :limit OFFSET :offset
        )
        SELECT i.id, i.title, i.link, i.blurb, i.abstract, i.editor_note,
               i.issue_number, n.title AS issue_title, n.date AS issue_date,
               s.name AS section_name, s.slug AS section_slug, page.score AS score,
               snippet(items_fts, -1, :start, :end, '…', 16) AS snippet
        FROM page
        CROSS JOIN items_fts ON items_fts.rowid = page.id
        JOIN items i ON i.id = page.id
        JOIN sections s ON s.id = i.section_id
        JOIN issues n ON n.number = i.issue_number
        WHERE items_fts MATCH :query
        ORDER BY page.score, page.issue_number DESC, page.position
    """  # noqa: S608 - `joins` and `filters` are fixed clauses; every value is a parameter
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
) -> tuple[str, str, dict[str, Any]]:
    """Joins, WHERE clauses and parameters restricting the candidate scan to the filters.

    Besides the exact conditions, each filter bounds the scanned rowid range by the first and
    last issue it can match (ids are `issue << SLOT_BITS | slot`), so FTS5 skips the rest of
    the index: an unknown section or a date range without issues costs nothing, and an old
    date range does not walk through every newer match first.
    """
    joins: list[str] = []
    clauses: list[str] = []
    lowest: list[str] = []  # first issue numbers the filters allow; the scan takes the largest
    highest: list[str] = []
    params: dict[str, Any] = {}
    if section:
        joins.append("JOIN items i ON i.id = items_fts.rowid")
        joins.append("JOIN sections s ON s.id = i.section_id")
        clauses.append("AND s.slug = :section")
        lowest.append("(SELECT min(issue_number) FROM sections WHERE slug = :section)")
        highest.append("(SELECT max(issue_number) FROM sections WHERE slug = :section)")
        params["section"] = section
    if issue is not None:
        lowest.append(":issue")
        highest.append(":issue")
        params["issue"] = issue
    if since is not None or until is not None:
        joins.append(f"JOIN issues n ON n.number = items_fts.rowid >> {SLOT_BITS}")
        window: list[str] = []
        if since is not None:
            window.append("date >= :since")
            params["since"] = since.isoformat()
        if until is not None:
            window.append("date <= :until")
            params["until"] = until.isoformat()
        clauses.extend(f"AND n.{condition}" for condition in window)
        # Through the date index, the cost follows the issues in the window, not the archive.
        in_window = f"FROM issues INDEXED BY issues_by_date WHERE {' AND '.join(window)}"
        lowest.append(f"(SELECT min(number) {in_window})")
        highest.append(f"(SELECT max(number) {in_window})")
    # A NULL bound (no such section, no issue in those dates) must match nothing, but FTS5
    # reads a NULL rowid limit as no limit: turn it into an empty range.
    if lowest:
        clauses.append(
            f"AND items_fts.rowid >= coalesce({_scalar('max', lowest)} << {SLOT_BITS}, {_NO_ROWID})"
        )
    if highest:
        clauses.append(
            f"AND items_fts.rowid < coalesce(({_scalar('min', highest)} + 1) << {SLOT_BITS}, 0)"
        )
    return " ".join(joins), " ".join(clauses), params


def _scalar(function: str, terms: list[str]) -> str:
    """SQL for the scalar `min` or `max` of `terms` (NULL if any is NULL)."""
    # With one argument, min() and max() would be the aggregate functions.
    return terms[0] if len(terms) == 1 else f"{function}({', '.join(terms)})"


def _item(row: aiosqlite.Row) -> Item:
    return Item(
        title=row["title"],
        link=row["link"],
        blurb=row["blurb"],
        abstract=row["abstract"],
        editor_note=row["editor_note"],
    )


def _hit(row: aiosqlite.Row) -> SearchHit:
    # The row was validated as part of an `Issue` on ingest; validating the item again (its
    # link through markdown-it) would cost more than the query itself.
    item = Item.model_construct(
        title=row["title"],
        link=row["link"],
        blurb=row["blurb"],
        abstract=row["abstract"],
        editor_note=row["editor_note"],
    )
    return SearchHit(
        item_id=row["id"],
        item=item,
        issue_number=row["issue_number"],
        issue_title=row["issue_title"],
        issue_date=row["issue_date"],
        section_name=row["section_name"],
        section_slug=row["section_slug"],
        score=row["score"],
        snippet=_as_written(row["snippet"] or ""),
    )


# --- subscriptions and outbox (module-level helpers) ----------------------------------------


@dataclass(frozen=True)
class Subscription:
    """A Discord channel that receives each issue: its kind, role, sections and alerts channel."""

    guild_id: int
    channel_id: int
    kind: str
    role_id: int | None = None
    sections: tuple[str, ...] = ()
    alerts_channel_id: int | None = None


OUTBOX_STATES = ("pending", "sending", "sent", "failed", "removed")


@dataclass(frozen=True)
class OutboxEntry:
    """One step's row in the outbox ledger: where it stands and what the platform answered."""

    key: str
    issue_number: int
    outlet: str
    target: str
    action: str
    state: str = "pending"
    payload_hash: str | None = None
    remote_id: str | None = None
    location_id: str | None = None
    reason: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class OutboxTally:
    """How many of an issue's steps on one outlet and target are in one unfinished state."""

    issue_number: int
    outlet: str
    target: str
    state: str
    steps: int
    reason: str | None = None


def _subscription(row: aiosqlite.Row) -> Subscription:
    return Subscription(
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        kind=str(row["kind"]),
        role_id=row["role_id"],
        sections=tuple(json.loads(row["sections"])),
        alerts_channel_id=row["alerts_channel_id"],
    )


def _outbox_entry(row: aiosqlite.Row) -> OutboxEntry:
    return OutboxEntry(
        key=row["key"],
        issue_number=int(row["issue_number"]),
        outlet=row["outlet"],
        target=row["target"],
        action=row["action"],
        state=row["state"],
        payload_hash=row["payload_hash"],
        remote_id=row["remote_id"],
        location_id=row["location_id"],
        reason=row["reason"],
        attempts=int(row["attempts"]),
    )


# --- suggestions (module-level helpers) -----------------------------------------------------

_LINK_BATCH = 5_000
"""Item links normalised per statement when the archive catches up on new items."""
_SUGGESTION_LOCKS: weakref.WeakKeyDictionary[Archive, asyncio.Lock] = weakref.WeakKeyDictionary()


def _suggestions_lock(archive: Archive) -> asyncio.Lock:
    """One suggestion at a time per archive: its few statements read, then write."""
    lock = _SUGGESTION_LOCKS.get(archive)
    if lock is None:
        lock = _SUGGESTION_LOCKS[archive] = asyncio.Lock()
    return lock


def _normal_or_none(link: str) -> str | None:
    try:
        return normalise_link(link)
    except LinkRejected:
        return None


def _when(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value)) if value else None


def _supporter(row: aiosqlite.Row) -> Supporter:
    return Supporter(
        user_id=int(row["user_id"]),
        name=str(row["name"]),
        note=row["note"],
        source=str(row["source"]),
        created_at=_when(row["created_at"]),
    )


def _suggestion(row: aiosqlite.Row, supporters: list[Supporter]) -> Suggestion:
    return Suggestion(
        id=int(row["id"]),
        url=str(row["url"]),
        status=str(row["status"]),
        section=row["section"],
        title=row["title"],
        issue_number=row["issue_number"],
        supporters=tuple(supporters),
    )
