"""A newsletter's RSS 2.0 or Atom feed imported as issues, one per entry.

Substack, Ghost, Buttondown and beehiiv put each issue's full HTML in the feed (RSS
`content:encoded`, Atom `content`); without it, the entry's summary is used. How the HTML
becomes sections and items is described in `bot.importers._entry`.

Each issue takes its title from the entry's title, its date from the entry's published (else
updated) date as the publisher wrote it, its link from the entry's link, and its subtitle from
the entry's summary when the entry also has content and the summary is short.

An entry is known by its link, or, without one, by its title and date: that is how a
re-import finds its file. An entry that the feed repeats (known the same way, and without a
guid other than the first one's) is imported once, from its first place in the feed, and the
repeat is told.

Its number is, in this order:

1. the number in the entry's title (`#123`, `Issue 123`, `No. 123`) or link (`/issue-123`,
   `/123`, `/p/123`), unless an earlier entry of this import has it (told, with both entries
   and the number this one gets);
2. the number of the first issue file in the output folder, not numbered yet in this import,
   whose `link` is the entry's link, or, for an entry without a link, whose title and date are
   the entry's (a re-import);
3. the next number after the highest in the folder and in this import, in publication order.

So importing the same feed twice gives the same numbers and the same files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import FetchError, SourceError
from bot.importers._draft import IssueDraft, build_issue
from bot.importers._entry import entry_structure
from bot.importers._feed_entries import (
    FeedEntry,
    Identity,
    plain_text_of,
    read_feed,
)
from bot.importers._fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    Validators,
    fetch_feed,
    remembered,
)
from bot.importers._html import parse_html
from bot.importers._links import link_refusal
from bot.importers._markdown import defuse_pings
from bot.importers._output import IssueFolder
from bot.importers._report import Imported, Notice

SUBTITLE_CHARS = 200
UNTITLED = "Untitled issue"

_TITLE_NUMBER = re.compile(r"(?:#\s?|\b(?:issue|no\.|number)\s*#?\s*)([0-9]{1,6})\b", re.IGNORECASE)
_LINK_NUMBER = re.compile(
    r"(?:issue|no|number)[-_/]?([0-9]{1,6})(?=$|[/._-])|^/(?:[A-Za-z_-]+/)?([0-9]{1,6})/?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FeedDocument:
    """A feed's bytes, and for a URL, the validators to remember once it is imported.

    `unchanged` says the server answered 304 and the bytes are the copy from the last fetch.
    """

    source: str
    data: bytes
    validators: Validators | None = None
    unchanged: bool = False


@dataclass
class FeedImport:
    """The issues of a feed's entries, and notices about the feed as a whole."""

    imported: list[Imported] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


# --- loading ---------------------------------------------------------------------------------


async def download_feed(
    url: str,
    folder: Path,
    *,
    time_limit: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    conditional: bool = True,
) -> FeedDocument:
    """The feed at `url`, asked for only if it changed since the last import to `folder`.

    Unchanged (304), it is the copy that import kept, so what it holds is imported all the same.
    """
    # Asking with the validators of a copy kept whole means a 304 never hides an entry.
    kept = remembered(folder, url) if conditional else None
    fetched = await fetch_feed(
        url,
        validators=kept.validators if kept else None,
        time_limit=time_limit,
        max_bytes=max_bytes,
    )
    if fetched.body is not None:
        return FeedDocument(url, fetched.body, fetched.validators)
    if kept is None:
        raise FetchError(url, "answered 304 Not Modified to a request that was not conditional")
    return FeedDocument(url, kept.body, fetched.validators, unchanged=True)


def read_feed_file(path: Path | str) -> FeedDocument:
    """The feed in a file; raise `SourceError` if it cannot be read."""
    try:
        return FeedDocument(str(path), Path(path).read_bytes())
    except FileNotFoundError:
        raise SourceError(str(path), "no such file, and not an http(s) URL") from None
    except OSError as exc:
        raise SourceError(str(path), f"cannot read: {exc.strerror}") from None


# --- repeats ---------------------------------------------------------------------------------


def distinct_entries(
    entries: Sequence[FeedEntry], source: str, notices: list[Notice]
) -> list[FeedEntry]:
    """The entries, in feed order, without those that repeat an earlier one; each repeat told.

    An entry repeats an earlier one with its identity (a re-import would take both for one),
    unless both have guids and they differ: then the publisher says they are two. Two entries
    of one guid but two identities are both kept, and told.
    """
    seen: dict[Identity, list[FeedEntry]] = {}
    guids: dict[str, FeedEntry] = {}
    kept: list[FeedEntry] = []
    for entry in sorted(entries, key=lambda entry: entry.position):
        alike = seen.setdefault(entry.identity, [])
        first = next(
            (e for e in alike if not (e.guid and entry.guid and e.guid != entry.guid)), None
        )
        if first is not None:
            notices.append(Notice(source, _repeat(entry, first)))
            continue
        alike.append(entry)
        kept.append(entry)
        if entry.guid and (same := guids.setdefault(entry.guid, entry)) is not entry:
            # The guid says one entry, the links two issues: both are kept, and told.
            notices.append(
                Notice(
                    source,
                    f"entry {entry.position + 1} shares its {entry.guid_text} with entry "
                    f"{same.position + 1}, but not its {_identity_name(entry)}: imported as "
                    "an issue of its own; if the two are one issue, delete one of their files",
                )
            )
    return kept


def _identity_name(entry: FeedEntry) -> str:
    """What an entry is known by, named: "link", or "title and date" for one without."""
    return "link" if entry.link else "title and date"


def _repeat(entry: FeedEntry, first: FeedEntry) -> str:
    """The notice that `entry` repeats `first`, and is skipped."""
    shared = first.guid_text if first.guid and entry.guid == first.guid else first.identity_text
    told = f"entry {entry.position + 1} repeats entry {first.position + 1} ({shared})"
    if _held(entry) == _held(first):
        return f"{told}: skipped"
    return f"{told} with other content: skipped; entry {first.position + 1} is imported"


def _held(entry: FeedEntry) -> tuple[object, ...]:
    """What an entry's issue holds, but for its number and link."""
    return (entry.title, entry.date, entry.html, entry.summary)


# --- numbering -------------------------------------------------------------------------------


def explicit_number(entry: FeedEntry) -> int | None:
    """The issue number written in the entry's title or link, if any."""
    match = _TITLE_NUMBER.search(entry.title)
    if match is None and entry.link:
        match = _LINK_NUMBER.search(urlsplit(entry.link).path)
    if match is None:
        return None
    number = int(next(group for group in match.groups() if group))
    return number if 1 <= number <= 999_999 else None


def publication_order(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """Oldest first.

    A feed lists its entries newest first (or oldest first): when its dated entries show it
    (two dates or more, in that order), the feed's order is the publication order, so an
    undated entry is where the feed lists it, between the dated ones around it, and entries
    of one date are in the feed's order too. Otherwise they are sorted by date, undated
    entries after the dated ones, in reverse feed order.
    """
    in_feed = sorted(entries, key=lambda entry: entry.position)
    dates = [entry.published for entry in in_feed if entry.published is not None]
    if len(set(dates)) > 1 and dates == sorted(dates):
        return in_feed
    if len(set(dates)) > 1 and dates == sorted(dates, reverse=True):
        return in_feed[::-1]

    def key(entry: FeedEntry) -> tuple[int, dt.datetime, int]:
        if entry.published is None:
            return (1, dt.datetime.min.replace(tzinfo=dt.UTC), -entry.position)
        return (0, entry.published, entry.position)

    return sorted(entries, key=key)


def _folder_number(entry: FeedEntry, folder: IssueFolder, taken: set[int]) -> int | None:
    """The first issue file, of a number not `taken`, that a re-import finds for the entry."""
    return next(
        (
            number
            for number, issue in sorted(folder.issues.items())
            if number not in taken
            and (
                issue.link == entry.link
                if entry.link
                else issue.link is None and issue.title == entry.title and issue.date == entry.date
            )
        ),
        None,
    )


def number_entries(
    entries: Sequence[FeedEntry], folder: IssueFolder, source: str, notices: list[Notice]
) -> list[tuple[FeedEntry, int]]:
    """Each entry (in publication order) with its issue number, by the rules above."""
    ordered = publication_order(entries)
    numbers: dict[int, int] = {}
    holders: dict[int, FeedEntry] = {}
    renumbered: list[tuple[FeedEntry, int]] = []
    for entry in ordered:
        number = explicit_number(entry)
        if number is not None and number in holders:
            renumbered.append((entry, number))
        elif number is not None:
            numbers[entry.position] = number
            holders[number] = entry
            _warn_replacing(entry, number, folder, source, notices)
    taken = set(holders)
    for entry in ordered:
        number = None if entry.position in numbers else _folder_number(entry, folder, taken)
        if number is not None:
            numbers[entry.position] = number
            taken.add(number)
    highest = max(folder.numbers | taken, default=0)
    for entry in ordered:
        if entry.position not in numbers:
            highest += 1
            numbers[entry.position] = highest
    for entry, number in renumbered:
        got = numbers[entry.position]
        told = f"#{number} is taken by {holders[number].named}: {entry.named} is #{got}"
        notices.append(Notice(entry.where(source), told))
    return [(entry, numbers[entry.position]) for entry in ordered]


def _warn_replacing(
    entry: FeedEntry, number: int, folder: IssueFolder, source: str, notices: list[Notice]
) -> None:
    existing = folder.issues.get(number)
    if existing is not None and existing.link and entry.link and existing.link != entry.link:
        notices.append(
            Notice(
                entry.where(source),
                f"{folder.issue_path(number)} is the issue at {existing.link}; "
                f"this entry ({entry.link}) replaces it",
            )
        )


# --- entries as issues -----------------------------------------------------------------------


def _subtitle(entry: FeedEntry) -> str | None:
    if not entry.summary:
        return None
    text = defuse_pings(plain_text_of(entry.summary))[0]
    return text if 0 < len(text) <= SUBTITLE_CHARS and text != entry.title else None


def entry_issue(entry: FeedEntry, number: int, source: str) -> Imported:
    """The issue an entry holds, numbered `number`; raise `SourceError` if it cannot be one."""
    where = entry.where(source)
    notices = list(entry.notices)
    parsed = parse_html(entry.html, base=entry.html_base)
    for tag, count in parsed.dropped_elements.items():
        notices.append(Notice(where, f"removed {count} <{tag}> element(s)"))
    for raw in parsed.dropped_links:
        why = link_refusal(raw, entry.html_base)
        notices.append(Notice(where, f"dropped a link that {why}: {raw[:80]!r}"))
    title, pings = defuse_pings(entry.title)
    if not title:
        title = UNTITLED
        notices.append(Notice(where, f"the entry has no title: titled {UNTITLED!r}"))
    structure = entry_structure(
        parsed.blocks, where=where, title=title, link=entry.link, notices=notices
    )
    pings += structure.pings
    if pings:
        notices.append(Notice(where, f"defused {pings} bit(s) of text that would ping in Discord"))
    draft = IssueDraft(
        where,
        number,
        title,
        subtitle=_subtitle(entry),
        date=entry.published.date() if entry.published else None,
        link=entry.link,
        intro=structure.intro,
        sections=structure.sections,
    )
    return Imported(build_issue(draft, notices), tuple(notices))


def feed_issues(
    document: FeedDocument,
    folder: IssueFolder,
    *,
    since: dt.date | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FeedImport:
    """The issues of a feed's entries (published on or after `since`, the newest `limit`).

    `progress(done, total)` is called after each entry.
    """
    result = FeedImport()
    entries = read_feed(document.data, document.source, result.notices)
    entries = distinct_entries(entries, document.source, result.notices)
    if not entries:
        result.notices.append(Notice(document.source, "the feed has no entries"))
    chosen = [
        entry
        for entry in entries
        if since is None or entry.published is None or entry.published.date() >= since
    ]
    chosen = publication_order(chosen)
    if limit is not None:
        chosen = chosen[-limit:] if limit else []
    numbered = number_entries(chosen, folder, document.source, result.notices)
    for entry, number in numbered:
        result.imported.append(entry_issue(entry, number, document.source))
        if progress is not None:
            progress(len(result.imported), len(numbered))
    return result
