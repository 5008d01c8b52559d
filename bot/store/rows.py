"""Rows as both backends read them (issues, the ledger, subscriptions, suggestions), turned into
newsbot's records, and the values both store alike (times, lease keys, normal links)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from bot.models import (
    FoundItem,
    OutboxEntry,
    OutboxTally,
    SearchHit,
    StepState,
    Subscription,
    Suggestion,
    SuggestionStatus,
    Supporter,
)
from bot.models.links import LinkRejected, normalise

if TYPE_CHECKING:
    from bot.models import Issue, Item

LEASE_PREFIX = "lease:"
"""Kept state whose key starts so is a lease (`StateStore.try_lease`)."""


def lease_value(holder: str, now: float, ttl: float, since: dt.datetime | None = None) -> str:
    """A lease's kept value: its holder, when it runs out (seconds since the epoch, `now` by
    the clock every process reads) and for how long it was taken, 0 when it was given up, so
    that the next holder can tell a lease given up from one its holder stopped renewing; and,
    if given, `since` when its holder began to hold it (ISO 8601)."""
    value: dict[str, object] = {"holder": holder, "until": now + ttl, "ttl": ttl}
    if since is not None:
        value["since"] = since.isoformat()
    return json.dumps(value)


LINK_BATCH = 5_000
"""Item links normalised per statement when the archive catches up on new items."""
REVIEWED = (SuggestionStatus.PENDING, SuggestionStatus.ACCEPTED, SuggestionStatus.REJECTED)
"""The statuses an editor's review can set; publishing sets the last one."""


class Row(Protocol):
    """A row whose columns are read by name: SQLite's `Row`, PostgreSQL's dict row."""

    def __getitem__(self, column: str, /) -> Any: ...


def now_text() -> str:
    """The current time as the archive stores it (UTC, ISO 8601, to the second)."""
    return time_text(dt.datetime.now(dt.UTC))


def time_text(moment: dt.datetime) -> str:
    """A time as the archive stores it (UTC, ISO 8601, to the second), so that text order is
    time order and a stored time compares with it in SQL."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def normal_or_none(link: str) -> str | None:
    """The normal form of an item's link, or None for one that has none (not http, …)."""
    try:
        return normalise(link)
    except LinkRejected:
        return None


def read_issue(row: Row, item_rows: Iterable[Row]) -> Issue:
    """One issue: its own row, and its items' rows (slug, name and the item's columns) in
    order of section, then item."""
    # Here, not at the top: a search opens the archive without the pydantic models.
    from bot.models import Issue, Section

    sections: dict[str, tuple[str, list[Item]]] = {}
    for item_row in item_rows:
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


def read_hit(row: Row, snippet: str) -> SearchHit:
    """One search hit: the item's columns, its issue's and section's, its score, and `snippet`
    (its matched text, highlighted)."""
    # The row was validated as part of an `Issue` on ingest; validating the item again (its
    # link through markdown-it) would cost more than the query itself.
    item = FoundItem(
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
        score=float(row["score"]),
        snippet=snippet,
    )


def outbox_entry(row: Row) -> OutboxEntry:
    """One step's ledger row."""
    return OutboxEntry(
        key=row["key"],
        issue_number=int(row["issue_number"]),
        outlet=row["outlet"],
        target=row["target"],
        action=row["action"],
        state=StepState(row["state"]),
        payload_hash=row["payload_hash"],
        remote_id=row["remote_id"],
        location_id=row["location_id"],
        reason=row["reason"],
        attempts=int(row["attempts"]),
    )


def outbox_tally(row: Row) -> OutboxTally:
    """Steps of one issue, outlet, target and state, counted, with one failed step's reason."""
    return OutboxTally(
        issue_number=int(row["issue_number"]),
        outlet=str(row["outlet"]),
        target=str(row["target"]),
        state=StepState(row["state"]),
        steps=int(row["steps"]),
        reason=row["reason"],
    )


def claim_stamp(moment: dt.datetime) -> str:
    """A claim's time as stored: UTC, to the millisecond, so that text order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def read_subscription(row: Row) -> Subscription:
    """One subscribed channel."""
    names = row["section_names"]
    return Subscription(
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        kind=str(row["kind"]),
        role_id=row["role_id"],
        sections=tuple(json.loads(row["sections"])),
        alerts_channel_id=row["alerts_channel_id"],
        section_names=None if names is None else tuple(json.loads(names)),
    )


def subscription_columns(subscription: Subscription, now: str) -> tuple[object, ...]:
    """A subscription's columns, in the order both backends store them: channel_id, guild_id,
    kind, role_id, sections, alerts_channel_id, created_at and updated_at (both `now`), and
    section_names."""
    names = subscription.section_names
    return (
        subscription.channel_id,
        subscription.guild_id,
        subscription.kind,
        subscription.role_id,
        json.dumps(list(subscription.sections)),
        subscription.alerts_channel_id,
        now,
        now,
        None if names is None else json.dumps(list(names)),
    )


def read_supporter(row: Row) -> Supporter:
    """One reader behind a suggestion."""
    return Supporter(
        user_id=int(row["user_id"]),
        name=str(row["name"]),
        note=row["note"],
        source=str(row["source"]),
        created_at=_when(row["created_at"]),
    )


def read_suggestion(row: Row, supporters: list[Supporter]) -> Suggestion:
    """One suggested link, with the readers behind it."""
    return Suggestion(
        id=int(row["id"]),
        url=str(row["url"]),
        status=SuggestionStatus(row["status"]),
        section=row["section"],
        title=row["title"],
        issue_number=row["issue_number"],
        supporters=tuple(supporters),
    )


def _when(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value)) if value else None


def _item(row: Row) -> Item:
    from bot.models import Item

    return Item(
        title=row["title"],
        link=row["link"],
        blurb=row["blurb"],
        abstract=row["abstract"],
        editor_note=row["editor_note"],
    )


def sections_shown(rows: Iterable[Row]) -> list[tuple[str, str, int | None]]:
    """(slug, name, newest issue shown) of each section row, None for one only in issues held
    back from readers (`IssueStore.sections_today`)."""
    return [
        (str(row["slug"]), str(row["name"]), None if row["newest"] is None else int(row["newest"]))
        for row in rows
    ]
