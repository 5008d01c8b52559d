"""The entries of an RSS 2.0 or Atom feed, read with feedparser into what an import needs.

`bot.importers.feed` says how each entry becomes an issue.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html as html_text
import re
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from bot.errors import SourceError
from bot.importers._html import parse_html, plain_text
from bot.importers._links import link_refusal, resolve_link
from bot.importers._markdown import clean_line, collapse_spaces
from bot.importers._report import Notice

SHOWN_CHARS = 80
"""How much of an entry's guid, link or title a notice shows."""

Identity = tuple[str, str, dt.date | None]
"""What a re-import knows an entry by: `("link", link, None)`, or `("title", title, date)`."""


@dataclass(frozen=True)
class FeedEntry:
    """What an import needs from one feed entry.

    `position` is its place in the feed, from 0; `guid` is its RSS guid or Atom id, which
    `guid_name` names.
    """

    position: int
    title: str
    link: str | None
    published: dt.datetime | None
    html: str
    summary: str | None
    base: str | None
    notices: tuple[Notice, ...] = ()
    guid: str | None = None
    guid_name: str = "guid"
    content_base: str | None = None
    """The `xml:base` in force where the entry's HTML is, which its relative links are
    relative to (else to the entry's link)."""

    @property
    def html_base(self) -> str | None:
        """What the relative links in the entry's HTML resolve against."""
        return self.content_base or self.link or self.base

    def where(self, source: str) -> str:
        """How notices name this entry: the feed, then the entry's title or position."""
        label = self.title[:70] if self.title else f"entry {self.position + 1}"
        return f"{source} [{label}]"

    @property
    def date(self) -> dt.date | None:
        """The day the entry was published, as its issue has it."""
        return self.published.date() if self.published else None

    @property
    def identity(self) -> Identity:
        """What a re-import finds the entry's file by: its link, or its title and date."""
        return ("link", self.link, None) if self.link else ("title", self.title, self.date)

    @property
    def identity_text(self) -> str:
        """The entry's identity as a notice shows it."""
        if self.link:
            return f"link {shown(self.link)}"
        date = self.date.isoformat() if self.date else "undated"
        return f"no link; title {shown(self.title)!r}, {date}"

    @property
    def guid_text(self) -> str | None:
        """The entry's guid as a notice shows it, if it has one."""
        return f"{self.guid_name} {shown(self.guid)}" if self.guid else None

    @property
    def named(self) -> str:
        """The entry as a notice tells it from any other: its place, and its guid, else its
        identity (`entry 3 (guid b7)`)."""
        return f"entry {self.position + 1} ({self.guid_text or self.identity_text})"


def shown(text: str) -> str:
    """Text on one line, cut to `SHOWN_CHARS`, for a notice."""
    line = clean_line(collapse_spaces(text))[0]
    return line if len(line) <= SHOWN_CHARS else line[: SHOWN_CHARS - 1] + "…"


def read_feed(data: bytes, source: str, notices: list[Notice] | None = None) -> list[FeedEntry]:
    """The entries of an RSS or Atom feed; raise `SourceError` if it is not a feed."""
    if not data:
        # feedparser takes no bytes for no document: no error, and not even a `version`.
        raise SourceError(source, "not a valid RSS or Atom feed: it is empty (0 bytes)")
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    # Numbered among all entries, empty ones too, so that "entry 3" is the feed's third.
    usable = [(position, raw) for position, raw in enumerate(parsed.entries) if _usable(raw)]
    if parsed.bozo and not usable:
        raise SourceError(source, f"not a valid RSS or Atom feed: {parsed.bozo_exception}")
    version = str(parsed.get("version") or "")
    if not version and not usable:
        raise SourceError(source, "not an RSS or Atom feed (no <rss> or <feed> element)")
    if parsed.bozo and notices is not None:
        notices.append(
            Notice(
                source, f"the feed is not well-formed ({parsed.bozo_exception}); read it loosely"
            )
        )
    base = resolve_link(str(parsed.feed.get("link") or ""), None)
    guid_name = "id" if version.startswith("atom") else "guid"
    return [_entry(raw, position, source, base, guid_name) for position, raw in usable]


def _usable(raw: Any) -> bool:
    """Whether an entry has anything to import: a truncated feed can yield empty ones."""
    return any(raw.get(key) for key in ("title", "link", "content", "summary"))


def _detail_text(value: str, detail: Any) -> str:
    kind = str(detail.get("type", "")) if isinstance(detail, dict) else ""
    text = plain_text_of(value) if "html" in kind else value
    return clean_line(collapse_spaces(text))[0]


def plain_text_of(html: str) -> str:
    """The text of an HTML fragment on one line."""
    return collapse_spaces(" ".join(plain_text(b.inlines) for b in parse_html(html).blocks))


def _content(raw: Any) -> tuple[str, bool, str]:
    """The entry's HTML, whether it came from full content rather than the summary, and the
    `xml:base` in force there (feedparser's `base`; "" without one)."""
    for content in raw.get("content") or []:
        value = str(content.get("value") or "")
        if value.strip():
            html = _as_html(value, str(content.get("type", "")))
            return html, True, str(content.get("base") or "")
    summary = raw.get("summary_detail") or {}
    html = _as_html(str(raw.get("summary") or ""), str(summary.get("type", "")))
    return html, False, str(summary.get("base") or "")


def _as_html(value: str, kind: str) -> str:
    if "html" in kind or not kind:
        return value
    paragraphs = re.split(r"\n\s*\n", value)
    return "".join(f"<p>{html_text.escape(paragraph)}</p>" for paragraph in paragraphs)


def _entry(raw: Any, position: int, source: str, base: str | None, guid_name: str) -> FeedEntry:
    title = _detail_text(str(raw.get("title") or ""), raw.get("title_detail"))
    raw_link = str(raw.get("link") or "").strip()
    link = resolve_link(raw_link, base) if raw_link else None
    html, full, xml_base = _content(raw)
    raw_summary = str(raw.get("summary") or "")
    # Without a description, feedparser copies the content into the summary.
    own_summary = full and raw_summary.strip() and raw_summary != html
    summary = _detail_text(raw_summary, raw.get("summary_detail")) if own_summary else None
    guid = str(raw.get("id") or "").strip() or None
    published = _published(raw)
    # An xml:base may itself be relative: to the entry's address, as feedparser reads it.
    content_base = resolve_link(xml_base, link or base) if xml_base else None
    entry = FeedEntry(
        position, title, link, published, html, summary, base, (), guid, guid_name, content_base
    )
    # With no link of its own, feedparser lends the entry its guid or id (`urn:…`, `abc-123`):
    # kept when it is a web address, as RSS's permalink guid is, else the entry has no link.
    if raw_link and link is None and not raw.get("guidislink"):
        why = link_refusal(raw_link, base)
        note = Notice(entry.where(source), f"the entry's link {why}: {raw_link[:80]!r}")
        return replace(entry, notices=(note,))
    return entry


def _published(raw: Any) -> dt.datetime | None:
    """When the entry was published (else updated), in the publisher's own time zone."""
    for key in ("published", "updated"):
        text = str(raw.get(key) or "").strip()
        if not text:
            continue
        when = _parse_date(text)
        if when is None and raw.get(f"{key}_parsed"):
            when = dt.datetime.fromtimestamp(calendar.timegm(raw[f"{key}_parsed"]), dt.UTC)
        if when is not None:
            return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return None


def _parse_date(text: str) -> dt.datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None
