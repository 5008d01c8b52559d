"""Issues, their sections and items, checked as an issue file is read. Frozen pydantic models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bot.models.hits import section_slug, slugify
from bot.text import find_control, has_visible_text

MAX_LINK_LENGTH = 2048


def _check_link(value: str) -> str:
    """Accept an absolute http(s) URL with a host; return it in the form Markdown links take.

    The form is markdown-it's (non-ASCII percent-encoded, the host in punycode), so a link
    written to an issue file reads back the same.
    """
    if any(ch.isspace() for ch in value):
        raise ValueError("a link cannot contain spaces; percent-encode them as %20")
    if len(value) > MAX_LINK_LENGTH:
        raise ValueError(f"a link is at most {MAX_LINK_LENGTH} characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("a link must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("a link needs a host, as in https://example.com/page")
    # Loaded when a link is first checked: reading the archive (a search) never checks one.
    from markdown_it.common.normalize_url import normalizeLink

    return normalizeLink(value)


def _check_text(value: str) -> str:
    # Paragraphs keep their newlines and tabs; any other line break would split an issue file line.
    control = find_control(value.replace("\r\n", "\n"), keep_layout=True)
    if control is not None:
        raise ValueError(f"contains a control character (U+{ord(control):04X}); remove it")
    return value


def _check_line(value: str) -> str:
    _check_text(value.replace("\n", " "))
    if "\n" in value or "\r" in value:
        raise ValueError("must fit on one line")
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    if not has_visible_text(value):
        raise ValueError("shows nothing: it holds only invisible characters (zero-width …)")
    return value


def link_problem(value: str) -> str | None:
    """Why `value` cannot be a link in an issue (not an absolute http(s) URL …), or None."""
    try:
        _check_link(value)
    except ValueError as exc:
        return str(exc)
    return None


Link = Annotated[str, AfterValidator(_check_link)]
"""An absolute http(s) URL."""

Line = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_check_line)]
"""One line of text: a title or a name."""

Text = Annotated[str, Field(max_length=20_000), AfterValidator(_check_text)]
"""Markdown paragraphs separated by blank lines (may be empty)."""


def _check_slug(value: str) -> str:
    if slugify(value) != value:
        raise ValueError(f"not a slug (lower case, words joined by `-`): {slugify(value)!r} is")
    return value


Slug = Annotated[
    str,
    Field(
        max_length=100,
        description="A name's slug, as newsbot makes it: `mobile-edge`, `ai-ニュース`.",
    ),
    AfterValidator(_check_slug),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class Item(_Model):
    """One entry of a section: a title, usually a link, a blurb and maybe a longer text."""

    title: Line
    link: Link | None = None
    blurb: Text = ""
    abstract: Text | None = Field(
        default=None, description="Longer text shown after the blurb, such as a paper's abstract."
    )
    editor_note: Annotated[str, AfterValidator(_check_line)] | None = Field(
        default=None,
        description="Something an editor should check before publishing; never published.",
    )

    @property
    def key(self) -> str:
        """What identifies this item within its issue across edits: its link, else its title."""
        return self.link if self.link else f"title:{slugify(self.title)}"

    @property
    def has_text(self) -> bool:
        """Whether readers get more than its title: a blurb, or an abstract."""
        return bool(self.blurb or self.abstract)


class Section(_Model):
    """A named group of items, such as `Industry` or `Papers & Publications`."""

    name: Line
    slug: Slug
    items: tuple[Item, ...] = Field(min_length=1)

    def answers_to(self, slugs: Iterable[str]) -> bool:
        """Whether one of `slugs` names this section: its slug, or its name's slug (a section
        renamed in place, `## Industry news {#industry}`, answers to both)."""
        return any(slug in (self.slug, slugify(self.name)) for slug in slugs)

    @model_validator(mode="before")
    @classmethod
    def _default_slug(cls, data: Any) -> Any:
        if isinstance(data, dict) and "slug" not in data and isinstance(data.get("name"), str):
            return {**data, "slug": slugify(data["name"])}
        return data


class Issue(_Model):
    """One issue of the newsletter."""

    number: int = Field(ge=1, le=999_999)
    title: Line
    subtitle: Line | None = None
    date: dt.date | None = Field(default=None, description="Publication date, if known.")
    publish_at: dt.datetime | None = Field(
        default=None,
        description="When `newsbot run` publishes this issue, instead of at the schedule's next "
        "firing; without a UTC offset it is read in schedule.timezone.",
    )
    link: Link | None = Field(default=None, description="The issue on the web.")
    intro: Text = ""
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_sections_and_items(self) -> Issue:
        slugs: set[str] = set()
        keys: set[str] = set()
        for section in self.sections:
            if section.slug in slugs:
                raise ValueError(f"section {section.name!r} appears twice")
            slugs.add(section.slug)
            for item in section.items:
                if item.key in keys:
                    raise ValueError(f"item {item.title!r} appears twice")
                keys.add(item.key)
        return self

    @property
    def items(self) -> list[tuple[Section, Item]]:
        """Every item of the issue with its section, in reading order."""
        return [(section, item) for section in self.sections for item in section.items]

    def section(self, slug: str) -> Section | None:
        """The section with that slug, else the one whose name has it (see
        `Section.answers_to`), if the issue has one."""
        found = section_slug(slug, ((s.slug, s.name) for s in self.sections))
        return next((s for s in self.sections if s.slug == found), None)


def issue_json_schema() -> dict[str, Any]:
    """The JSON schema of an issue, as generated into `issues/issue.schema.json`."""
    schema = Issue.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "issue.schema.json"
    return schema


class IssueSummary(_Model):
    """An archived issue's number, title and date, for lists and autocomplete."""

    number: int
    title: str
    subtitle: str | None
    date: dt.date | None
    publish_at: dt.datetime | None = None


class ArchiveStats(_Model):
    """How much the archive holds."""

    issues: int
    sections: int
    items: int
    latest_issue: int | None
