"""The newsletter's domain: issues and their items, what the archive keeps besides them, and
the normal form of a link. `from bot.models import X` for any of them.

The pydantic models (`bot.models.issue`) load when one of them is first asked for: a search
reads plain records (`bot.models.hits`) and never waits for pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.models.hits import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    FoundItem,
    SearchHit,
    SearchPage,
    ascii_slug,
    section_slug,
    slugify,
)
from bot.models.records import (
    ArchivedLink,
    IngestOutcome,
    OutboxEntry,
    OutboxTally,
    StepState,
    Subscription,
    Suggestion,
    SuggestionStatus,
    Supporter,
)

if TYPE_CHECKING:
    from bot.models.issue import (
        MAX_LINK_LENGTH,
        ArchiveStats,
        Issue,
        IssueSummary,
        Item,
        Line,
        Link,
        Section,
        Slug,
        Text,
        issue_json_schema,
        link_problem,
    )

_CHECKED = frozenset(
    {
        "MAX_LINK_LENGTH",
        "ArchiveStats",
        "Issue",
        "IssueSummary",
        "Item",
        "Line",
        "Link",
        "Section",
        "Slug",
        "Text",
        "issue_json_schema",
        "link_problem",
    }
)
"""What `bot.models.issue` holds: loaded, with pydantic, on first use."""


def __getattr__(name: str) -> Any:
    if name in _CHECKED:
        return getattr(importlib.import_module("bot.models.issue"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "MAX_LINK_LENGTH",
    "ArchiveStats",
    "ArchivedLink",
    "FoundItem",
    "IngestOutcome",
    "Issue",
    "IssueSummary",
    "Item",
    "Line",
    "Link",
    "OutboxEntry",
    "OutboxTally",
    "SearchHit",
    "SearchPage",
    "Section",
    "Slug",
    "StepState",
    "Subscription",
    "Suggestion",
    "SuggestionStatus",
    "Supporter",
    "Text",
    "ascii_slug",
    "issue_json_schema",
    "link_problem",
    "section_slug",
    "slugify",
]
