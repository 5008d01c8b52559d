"""What the rest of newsbot asks of the archive, one protocol per aggregate.

Both backends, SQLite (`bot.store.sqlite`) and PostgreSQL (`bot.store.postgres`), implement
them and pass the same store tests; what both need besides lives in `bot.store`, not in either.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import AsyncIterable, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias

from bot.models import (
    ArchivedLink,
    IngestOutcome,
    OutboxEntry,
    OutboxTally,
    SearchHit,
    SearchPage,
    StepState,
    Subscription,
    Suggestion,
    SuggestionStatus,
    Supporter,
)
from bot.store.tables import Batches

if TYPE_CHECKING:
    from bot.models import ArchiveStats, Issue, IssueSummary

# Spelled as text: the archive is opened (for a search) without loading the pydantic models.
IssueStream: TypeAlias = (
    "Iterable[tuple[Issue, Path | None]] | AsyncIterable[tuple[Issue, Path | None]]"
)
"""Issues with their files: a list, or made one by one as the ingest takes them."""


class IssueStore(Protocol):
    """Archived issues and their items, with full-text search.

    What readers see (`latest`, `issue`, `search`, `related`, `archived_link`) leaves out an
    issue whose own publish_at is still ahead, unless part of it was already sent; editors and
    publishing pass `held=True`.
    """

    async def ingest(self, issue: Issue, source: Path | None = None) -> IngestOutcome:
        """Store one issue in one transaction; an edited issue is updated in place."""
        ...

    async def ingest_many(
        self,
        issues: IssueStream,
        *,
        progress: Callable[[Issue, IngestOutcome], None] | None = None,
    ) -> list[IngestOutcome]:
        """Store several issues in one transaction: all of them, or on error none.

        `issues` is taken a batch at a time as it is stored, so a long stream needs little
        memory; an error the stream raises undoes the whole call too.
        """
        ...

    async def latest(self, *, held: bool = False) -> Issue | None:
        """The issue with the highest number readers can see (any, with `held`), if any."""
        ...

    async def issue(self, number: int, *, held: bool = False) -> Issue:
        """The archived issue with that number; raise `IssueNotFound` if there is none, and
        `IssueNotPublic` for one readers cannot see yet, unless `held` asks for it."""
        ...

    async def issue_hash(self, number: int) -> str | None:
        """The content hash stored for an issue, or None if it is not archived."""
        ...

    async def issues(
        self, *, prefix: str = "", limit: int = 25, held: bool = True
    ) -> list[IssueSummary]:
        """Archived issues, newest first; `prefix` keeps numbers starting with those digits."""
        ...

    async def section_names(
        self, *, limit: int | None = 25, held: bool = True
    ) -> list[tuple[str, str]]:
        """(slug, name) of the first `limit` sections seen in any issue (all with None), by
        name, each named as in the newest issue that has it (a section renamed keeps its
        slug); those only in issues held back from readers too, unless `held` is False.

        What a reader types is matched against these names as they read, which the database
        cannot see (`bot.render.discord.sections_typed`). The slugs as archived (the ledger's
        and the channels'); what readers choose a section from is `sections_today`."""
        ...

    async def sections_today(
        self, *, limit: int | None = 25, held: bool = True
    ) -> list[tuple[str, str]]:
        """(slug, name) of the first `limit` sections (all with None) by name, as readers know
        them today: each once, by the slug its name has today, though an older newsbot
        archived it under another (`bot.store.sections.known_today`); those only in issues
        held back from readers too, unless `held` is False. What readers and editors choose
        a section from, and see it named by: a search in one of these slugs finds it under
        both (`search`)."""
        ...

    async def names_under(self, slugs: Collection[str]) -> list[tuple[str, str]]:
        """Every (slug, name) of a section archived under one of `slugs`, each once: the names
        an older newsbot gave one slug (`bot.publishing.targets.slugs_given_before`)."""
        ...

    async def stats(self) -> ArchiveStats:
        """How many issues, sections and items the archive holds."""
        ...

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
        """Items matching a reader's `text`, best first; never raises for what a reader types.

        `section` is a slug: the section of that slug (as `sections_today` lists it), found
        too under the slug an older newsbot gave its name, and not the sections archived
        under it whose names have another slug today (`bot.store.sections`)."""
        ...

    async def related(self, text: str, *, limit: int = 5) -> list[SearchHit]:
        """Items sharing the telling words of `text` (a reader's message), best first."""
        ...

    def searchable(self, text: str) -> bool:
        """Whether a reader's `text` has anything `search` can look for."""
        ...

    async def archived_link(self, url: str, *, held: bool = False) -> ArchivedLink | None:
        """The newest item readers can see (any, with `held`) whose link normalises to `url`
        or to another spelling of its page (`twins`); in one issue, the nearest spelling first."""
        ...


class Ledger(Protocol):
    """The publishing ledger: one entry per step of an issue on an outlet and target."""

    async def entries(
        self, issue_number: int, outlet: str, target: str | None = None
    ) -> dict[str, OutboxEntry]:
        """The ledger of an issue's steps on an outlet (one target's, with `target`), by key."""
        ...

    async def record(self, entry: OutboxEntry) -> None:
        """Write one step's entry (insert or replace), durably, before returning."""
        ...

    async def plan(self, entries: Sequence[OutboxEntry]) -> None:
        """Record planned steps as pending, all or none; steps already known are kept."""
        ...

    async def latest(self, outlet: str, target: str) -> tuple[int, dict[StepState, int]] | None:
        """The newest issue published to a target, with how many of its steps are in each state."""
        ...

    async def published_numbers(self, outlets: Sequence[str]) -> set[int]:
        """The issues with at least one step sent on one of `outlets`."""
        ...

    async def unfinished(self, outlet: str | None = None) -> list[OutboxTally]:
        """Steps not done yet (pending, sending or failed), counted per issue, outlet and target,
        oldest issue first."""
        ...

    async def section_thread(self, channel_id: int) -> tuple[int, str | None] | None:
        """If `channel_id` is a thread or forum post newsbot published: (issue, section slug)."""
        ...

    async def sent_since(self, outlet: str, since: dt.datetime) -> int:
        """How many posts the ledger recorded as sent on `outlet` since `since`."""
        ...

    async def claim(
        self,
        issue_number: int,
        outlet: str,
        target: str,
        holder: str,
        until: dt.datetime,
        *,
        replacing: str = "",
    ) -> bool:
        """Take (or, held by `holder`, extend) the claim to publish an issue to a target until
        `until`; False if another holder's claim has not run out, unless that holder is
        `replacing` (known to be gone). Atomic across processes."""
        ...

    async def release(self, issue_number: int, outlet: str, target: str, holder: str) -> None:
        """Give up `holder`'s claim, if it still holds it."""
        ...

    async def claims(self, now: dt.datetime) -> list[tuple[int, str, str, str]]:
        """The claims not run out at `now`: (issue, outlet, target, holder)."""
        ...


class SubscriptionStore(Protocol):
    """The Discord channels that receive each issue."""

    async def add(self, subscription: Subscription) -> None:
        """Store a channel's subscription, replacing any earlier one for that channel."""
        ...

    async def remove(self, channel_id: int) -> bool:
        """Forget a channel's subscription; return whether there was one."""
        ...

    async def list(self, *, guild_id: int | None = None) -> builtins.list[Subscription]:
        """The stored subscriptions (of one server, with `guild_id`), oldest first."""
        ...


LIMIT_WINDOW = dt.timedelta(days=1)
"""How far back a reader's daily limit counts their suggestions (a rolling day): support a
reply took back is kept this long, and no longer (`SuggestionStore.withdraw`)."""
REPLIES_READ_KEPT = dt.timedelta(days=30)
"""How long what the bot read in a reply is kept, counted from when the reply was posted
(`SuggestionStore.keep_reply_read`)."""
DISCORD_EPOCH_MS = 1_420_070_400_000
"""The first millisecond of 2015 (UTC): a Discord id counts its time from it."""


def first_id_at(moment: dt.datetime) -> int:
    """The smallest Discord id (a snowflake) of anything created at `moment` or later: an id
    carries its creation time in milliseconds since `DISCORD_EPOCH_MS`, shifted left 22 bits."""
    milliseconds = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
    return max(0, milliseconds) << 22


class SuggestionStore(Protocol):
    """Readers' suggested links, each once, with everyone who suggested it. Primitives only:
    the rules of suggesting are `bot.suggestions.SuggestionService`'s."""

    async def add(
        self,
        url: str,
        reader: Supporter,
        *,
        at: dt.datetime,
        section: str | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        message_id: int | None = None,
    ) -> Suggestion:
        """Record `reader` as suggesting `url`: a new suggestion or one more supporter."""
        ...

    async def find(self, url: str) -> Suggestion | None:
        """The suggestion of `url` or of another spelling of its page (`twins`), or None; of
        two stored before they were one page, the nearest spelling (`url` itself first)."""
        ...

    async def suggested_since(self, user_id: int, since: dt.datetime) -> int:
        """How many links the reader suggested (or supported) after `since`, counting those a
        reply of theirs took back; a link a reply took back and put back counts once."""
        ...

    async def suggested_times(self, user_id: int, since: dt.datetime) -> builtins.list[dt.datetime]:
        """When each suggestion `suggested_since` counts was made, oldest first (a link a reply
        took back and put back: when it was last put back): each counts until a day after."""
        ...

    async def from_reply(self, message_id: int) -> builtins.list[Suggestion]:
        """The suggestions a reader's reply (by its message id) supports, whatever their
        status."""
        ...

    async def withdraw(self, suggestion_id: int, message_id: int) -> bool:
        """Take back the support a reader's reply gave a suggestion that is not published; a
        pending suggestion left with no supporter is deleted (True then). The support taken back
        still counts toward the reader's daily limit (`suggested_since`) for `LIMIT_WINDOW`;
        support given longer ago than that (by the store's clock) is forgotten meanwhile."""
        ...

    async def reply_read(self, message_id: int) -> str | None:
        """What the bot last read in a reader's reply (as `keep_reply_read` was given it), or
        None."""
        ...

    async def keep_reply_read(self, message_id: int, scan: str | None) -> None:
        """Keep what the bot read in a reader's reply, replacing what it read before; None
        forgets the reply (deleted, say).

        What was read in replies posted more than `REPLIES_READ_KEPT` ago goes meanwhile (by
        the store's clock; a reply's id tells when it was posted); this one is kept until the
        next write. The bot only needs a read for an edit of a reply that discord.py no longer
        has in its cache: an edit of a reply older than that may be answered once more for
        links it already had (never counted or supported twice).
        """
        ...

    async def get(self, suggestion_id: int) -> Suggestion | None:
        """One suggestion with everyone who suggested it, or None."""
        ...

    async def list(
        self,
        statuses: Sequence[SuggestionStatus] = (SuggestionStatus.PENDING,),
        *,
        limit: int | None = 25,
    ) -> builtins.list[Suggestion]:
        """Suggestions in these states, most-supported first (then oldest first); every one
        with `limit=None`."""
        ...

    async def review(
        self,
        suggestion_id: int,
        status: SuggestionStatus,
        *,
        by: str | None = None,
        section: str | None = None,
        shown: SuggestionStatus | None = None,
    ) -> Suggestion | None:
        """Accept, reject or reopen a suggestion (and maybe set its section); None if unknown.
        A published suggestion stays published.

        With `shown` (the status the editor saw) the review applies only if the suggestion
        still has that status, checked and written at once: a decision made meanwhile
        elsewhere is not overruled. The suggestion is returned as it then is, so the caller
        tells a review that applied (it has `status`) from one that did not.
        """
        ...

    async def set_section(
        self,
        suggestion_id: int,
        section: str | None,
        *,
        shown: SuggestionStatus | None = None,
    ) -> Suggestion | None:
        """Set (or with None, clear) the section a suggestion is meant for; None if unknown.

        A published suggestion keeps the section it has: its issue placed it. With `shown`
        (the status the editor saw), only one that still has that status changes, checked
        and written at once, as in `review`. The suggestion is returned as it then is.
        """
        ...

    async def set_title(self, suggestion_id: int, title: str) -> None:
        """Keep the page title fetched for a suggestion."""
        ...


class StateStore(Protocol):
    """Small named values newsbot keeps between runs."""

    async def get(self, key: str) -> str | None:
        """A value newsbot kept between runs, or None."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Keep a value between runs (replacing any earlier one)."""
        ...

    async def delete(self, key: str) -> None:
        """Forget a value kept between runs (nothing happens if there is none)."""
        ...

    async def try_lease(
        self, name: str, holder: str, ttl: float, *, since: dt.datetime | None = None
    ) -> bool:
        """Take or renew the lease `name` for `ttl` seconds; False while another holder's
        lease on it has not expired. Atomic across every process sharing the archive; its
        holder gives it up with a `ttl` of 0. `since`, when the holder began to hold it, is
        kept with it for those who read it (`newsbot status`)."""
        ...

    async def end_lease(self, name: str, holder: str) -> bool:
        """Give the lease `name` up and forget it, if `holder` holds it; whether it did.

        For a lease named after its one holder (a process), whose row would otherwise stay
        behind it for good; a lease several holders take in turn is given up with `try_lease`.
        """
        ...

    async def forget_leases(self, prefix: str, ended_for: float) -> list[str]:
        """Forget the leases whose names start with `prefix` that ran out more than
        `ended_for` seconds ago (their holders long gone); the names of those forgotten."""
        ...

    async def live_leases(self, prefix: str) -> int:
        """How many leases whose names start with `prefix` are held and not yet expired."""
        ...

    async def lease_holders(self, prefix: str) -> list[str]:
        """The holders of the leases whose names start with `prefix` that are held and not
        yet expired, one per lease, in the order of their names."""
        ...


class Connection(Protocol):
    """The database every aggregate of one archive shares: its schema, backups and lifetime."""

    @property
    def location(self) -> str:
        """Where the archive is, as the person running newsbot named it (a URL without its
        password)."""
        ...

    @property
    def file(self) -> Path | None:
        """The archive's file, or None for one on a database server."""
        ...

    async def size(self) -> int:
        """How many bytes the archive takes where it is stored."""
        ...

    async def schema_version(self) -> int:
        """The version of the last migration applied."""
        ...

    async def backup(self, destination: Path, state: Mapping[str, str]) -> ArchiveStats:
        """Copy the archive, as one consistent snapshot, into the new file `destination`, with
        `state`'s values kept in the copy only; return what the copy holds."""
        ...

    async def counts(self) -> dict[str, int]:
        """How many rows each table of `bot.store.tables.COLUMNS` holds."""
        ...

    def rows(self) -> Batches:
        """Every row of the tables in `bot.store.tables.COLUMNS`, parents first, in batches."""
        ...

    async def load(self, batches: Batches) -> None:
        """Store rows `rows()` gave (from either backend), in one transaction: all or none."""
        ...

    async def close(self) -> None:
        """Close the database; nothing can use it afterwards."""
        ...

    def answering(self) -> AbstractAsyncContextManager[None]:
        """Run the block as a person's question on Discord, which wants an answer within
        3 s: a database out of reach is waited for only briefly, then raises
        `NewsbotError` saying so, written for them."""
        ...


@dataclass(frozen=True)
class Stores:
    """One backend's implementation of every aggregate, on one open connection."""

    connection: Connection
    issues: IssueStore
    ledger: Ledger
    subscriptions: SubscriptionStore
    suggestions: SuggestionStore
    state: StateStore
