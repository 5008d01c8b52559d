"""Small builders of valid issues for tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.models import Issue, Item, Section


def item(title: str, link: str | None = None, blurb: str = "A blurb.", **extra: Any) -> Item:
    """An item with sensible defaults."""
    return Item(title=title, link=link, blurb=blurb, **extra)


def issue(
    number: int,
    sections: dict[str, list[Item]] | None = None,
    *,
    date: dt.date | None = None,
    title: str | None = None,
    publish_at: dt.datetime | None = None,
) -> Issue:
    """An issue from `{section name: [items]}`."""
    sections = sections or {"News": [item(f"Item of issue {number}")]}
    return Issue(
        number=number,
        title=title or f"Test Weekly: Issue #{number}",
        date=date,
        publish_at=publish_at,
        sections=tuple(
            Section.model_validate({"name": name, "items": items})
            for name, items in sections.items()
        ),
    )


def story_issue(stories: int, number: int = 300) -> Issue:
    """An issue of `stories` linked items with long blurbs: a thread of a few posts on X,
    Mastodon or Bluesky, more with more stories."""
    return issue(
        number,
        {
            "News": [
                item(f"Story {n}", f"https://news.example/{n}", f"What story {n} says. " * 12)
                for n in range(stories)
            ]
        },
    )
