"""The rules of suggesting a link: what is already archived, queued or rejected, and how many
links a reader may suggest in a day. The archive only stores what these rules decide."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

from bot.models import ArchivedLink, Suggestion, SuggestionStatus, Supporter
from bot.models.links import twins
from bot.store.interfaces import LIMIT_WINDOW, IssueStore, SuggestionStore


class Outcome(enum.StrEnum):
    """What suggesting one link did."""

    ADDED = "added"
    """A new suggestion."""
    SUPPORTED = "supported"
    """Another reader's +1 on a pending suggestion."""
    REPEATED = "repeated"
    """The same reader suggested the same link again (not rejected): nothing changed."""
    ARCHIVED = "archived"
    """The link is already in a published issue."""
    CLOSED = "closed"
    """An editor already rejected it."""
    LIMITED = "limited"
    """The reader reached the limit of suggestions in 24 hours."""


@dataclass(frozen=True)
class Result:
    """What suggesting one link did, with what the reader should be told about it."""

    url: str
    outcome: Outcome
    suggestion: Suggestion | None = None
    archived: ArchivedLink | None = None
    again: dt.datetime | None = None
    """For a reader the daily limit stopped (`LIMITED`): when they may suggest again."""

    @property
    def taken(self) -> bool:
        """Whether the link stands suggested by the reader (new, a +1, or theirs already)."""
        return self.outcome in (Outcome.ADDED, Outcome.SUPPORTED, Outcome.REPEATED)


@dataclass(frozen=True)
class Revision:
    """What a reader's reply edited (or deleted) changed among the suggestions."""

    results: tuple[Result, ...] = ()
    """Its new links, each suggested as a new reply's would be."""
    withdrawn: tuple[Suggestion, ...] = ()
    """The suggestions it no longer supports, as they were."""
    kept: tuple[Suggestion, ...] = ()
    """The suggestions it still supports."""

    @property
    def supports(self) -> bool:
        """Whether the reply still suggests (or supports) anything."""
        return bool(self.kept) or any(result.taken for result in self.results)


def day_start(now: dt.datetime) -> dt.datetime:
    """The start of the rolling day a reader's limit counts from: 24 hours before `now` (the
    archive keeps what a reply took back for as long, `LIMIT_WINDOW`)."""
    return now - LIMIT_WINDOW


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SuggestionService:
    """Readers' suggestions, one at a time: each is checked against the archive and the queue
    before it is stored. Build one per archive and share it (its lock orders suggestions)."""

    def __init__(
        self,
        issues: IssueStore,
        suggestions: SuggestionStore,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.issues = issues
        self.suggestions = suggestions
        self.clock = clock
        # Each suggestion reads, then writes: two at once could both find a link new.
        self._lock = asyncio.Lock()

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
    ) -> Result:
        """Record that `reader` suggests the (normalised) `url`, unless that changes nothing.

        A link already archived is not recorded (`ARCHIVED`); a pending or accepted one gets
        the reader as a +1 (`SUPPORTED`); the same reader again changes nothing (`REPEATED`);
        one an editor rejected stays rejected, whoever suggests it again, its first suggester
        too (`CLOSED`); past `per_day` suggestions in 24 hours the reader is turned away
        (`LIMITED`).
        """
        async with self._lock:
            return await self._suggest(
                url,
                reader,
                section=section,
                per_day=per_day,
                guild_id=guild_id,
                channel_id=channel_id,
                message_id=message_id,
                now=now,
            )

    async def revise(
        self,
        message_id: int,
        links: Collection[str] = (),
        *,
        new: Sequence[str] = (),
        reader: Supporter | None = None,
        notes: Callable[[str], str | None] | None = None,
        section: str | None = None,
        per_day: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        now: dt.datetime | None = None,
    ) -> Revision:
        """A reader's reply `message_id` now has these (normalised) `links`: the suggestions it
        supported that are not among them lose its support (deleted when pending and left with
        none), and `new` links (those not there before) are suggested as by `suggest`, for
        `reader` (with the note `notes` gives for the link, if given). A deleted reply has no
        links.

        A reader's edit never undoes an editor's decision: an accepted or rejected suggestion
        keeps its status without the reader, a published one keeps the reader too. A link the
        reply still has keeps its one support: it is not suggested (nor counted) again. The
        support taken back still counts toward the reader's daily limit: deleting or editing a
        reply makes no room for more suggestions.
        """
        async with self._lock:
            still = {twin for url in links for twin in twins(url)}
            kept: list[Suggestion] = []
            withdrawn: list[Suggestion] = []
            for suggestion in await self.suggestions.from_reply(message_id):
                if suggestion.url in still or suggestion.status is SuggestionStatus.PUBLISHED:
                    kept.append(suggestion)
                else:
                    await self.suggestions.withdraw(suggestion.id, message_id)
                    withdrawn.append(suggestion)
            supported = {twin for suggestion in kept for twin in twins(suggestion.url)}
            results: list[Result] = []
            for url in new:
                if url in supported or reader is None:
                    continue
                results.append(
                    await self._suggest(
                        url,
                        replace(reader, note=notes(url)) if notes else reader,
                        section=section,
                        per_day=per_day,
                        guild_id=guild_id,
                        channel_id=channel_id,
                        message_id=message_id,
                        now=now,
                    )
                )
            return Revision(tuple(results), tuple(withdrawn), tuple(kept))

    async def _suggest(
        self,
        url: str,
        reader: Supporter,
        *,
        section: str | None,
        per_day: int | None,
        guild_id: int | None,
        channel_id: int | None,
        message_id: int | None,
        now: dt.datetime | None,
    ) -> Result:
        when = (now or self.clock()).astimezone(dt.UTC)
        archived = await self.issues.archived_link(url)
        if archived is not None:
            return Result(url, Outcome.ARCHIVED, archived=archived)
        existing = await self.suggestions.find(url)
        if existing is not None:
            # Rejected first: its own suggester must not be told it is still queued.
            if existing.status is SuggestionStatus.REJECTED:
                return Result(url, Outcome.CLOSED, existing)
            if any(s.user_id == reader.user_id for s in existing.supporters):
                return Result(url, Outcome.REPEATED, existing)
        if per_day is not None:
            since = day_start(when)
            today = await self.suggestions.suggested_since(reader.user_id, since)
            if today >= per_day:
                again = await self._room_at(reader.user_id, since, per_day)
                return Result(url, Outcome.LIMITED, existing, again=again)
        stored = await self.suggestions.add(
            existing.url if existing else url,
            reader,
            at=when,
            section=section,
            guild_id=guild_id,
            channel_id=channel_id,
            message_id=message_id,
        )
        return Result(url, Outcome.ADDED if existing is None else Outcome.SUPPORTED, stored)

    async def _room_at(self, user_id: int, since: dt.datetime, per_day: int) -> dt.datetime | None:
        """When a reader at or past the limit of `per_day` may suggest again: once all but
        `per_day - 1` of the suggestions counted `since` have stopped counting, each a day
        after it was made."""
        times = await self.suggestions.suggested_times(user_id, since)
        if not 0 < per_day <= len(times):
            return None
        return times[len(times) - per_day] + LIMIT_WINDOW
