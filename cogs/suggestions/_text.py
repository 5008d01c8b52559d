"""What readers and editors are told about suggestions: short lines that never ping."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.models import Suggestion, SuggestionStatus
from bot.render.discord import SECTION_NAME_MAX, heading_markdown
from bot.render.markdown import cut_markdown, title_markdown
from bot.render.text import escape_markdown, literal
from bot.suggestions import MAX_LINKS_PER_MESSAGE, Outcome, Result, Scan
from bot.text import one_line, shorten, without_controls

URL_SHOWN_MAX = 120
SHOWN_MAX = 100
"""How much of a title or section name is quoted in a line about a suggestion."""
SHORT_SHOWN_MAX = 60
"""How much of a refused link or a mistyped section name is quoted back."""
NAME_SHOWN_MAX = 40
NOTE_SHOWN_MAX = 200
LIST_SHOWN_MAX = 1500
"""How much of the list of known section names is shown after a wrong one."""
PATH_SHOWN_MAX = 1000
"""How much of a file's path is shown (its code span's backticks besides)."""


def link(url: str) -> str:
    """A normalised URL as a Discord link without a preview; a long one is shortened."""
    shown = url.replace("@", "%40")  # the same page, and nothing that reads like a mention
    if len(shown) <= URL_SHOWN_MAX:
        return f"<{shown}>"
    host = shown.split("/", 3)[2]
    return f"[{escape_markdown(host)}/…](<{shown}>)"


def named(url: str) -> str:
    """A normalised URL in a list of them: a link, or a long one shortened in a code span, so
    that ten of them fit in a message."""
    return link(url) if len(url) <= URL_SHOWN_MAX else code(url.replace("@", "%40"), URL_SHOWN_MAX)


def section(name: str) -> str:
    """A section's name in a message, as the issues write it."""
    return heading_markdown(name, SECTION_NAME_MAX)


def plain(text: str, limit: int = SHOWN_MAX) -> str:
    """Reader or page text shown literally: one line, no Markdown, no mentions, in `limit`."""
    return literal(text, limit)


def code(text: str, limit: int = PATH_SHOWN_MAX) -> str:
    """`text` as Discord shows it in a code span: as it is, nothing escaped, in `limit`.

    Inside a code span a backslash is shown, not read as an escape: the span is fenced with
    one backtick more than the longest run of them in the text, so none in it ends the span.
    """
    shown = shorten(without_controls(text), limit) or " "
    longest = max((len(run) for run in re.findall("`+", shown)), default=0)
    fence = "`" * (longest + 1)
    if shown.startswith("`") or shown.endswith("`"):
        shown = f" {shown} "  # a fence's backticks never merge with the text's
    return f"{fence}{shown}{fence}"


def said(result: Result, per_day: int) -> str | None:
    """One line about what suggesting a link did; None when a ✅ says it all."""
    shown = link(result.url)
    match result.outcome:
        case Outcome.ARCHIVED:
            found = result.archived
            assert found is not None
            return (
                f"{shown} is already in #{found.issue_number} · {section(found.section_name)}: "
                f"“{cut_markdown(title_markdown(one_line(found.title)), SHOWN_MAX)}”."
            )
        case Outcome.CLOSED:
            return f"{shown} was already considered, and the editors passed on it."
        case Outcome.LIMITED:
            # The same line for every link the limit stopped: a message says it once.
            # `not_taken` names those links.
            return limit_reached(per_day)
        case _:
            return None


def limit_reached(per_day: int) -> str:
    """What the daily limit is and when it lets the reader suggest again (see `day_start`:
    the limit counts the last 24 hours, not a calendar day)."""
    suggestions = f"{per_day} suggestion{'s' if per_day != 1 else ''}"
    return (
        f"You've reached your limit of {suggestions} in 24 hours. A suggestion counts "
        "toward it for 24 hours, so you can suggest again 24 hours after your earliest one of "
        "the past day."
    )


def confirmed(result: Result) -> str:
    """For /suggest and the menu: one line for every outcome, including the good ones."""
    shown = link(result.url)
    suggestion = result.suggestion
    match result.outcome:
        case Outcome.ADDED:
            return f"✅ Thanks! {shown} is suggested for the next issue."
        case Outcome.SUPPORTED:
            assert suggestion is not None
            return f"✅ +1 for {shown}: {suggestion.support} readers suggested it."
        case Outcome.REPEATED:
            return f"✅ You already suggested {shown}; it's in the queue."
        case _:
            return ""


def not_taken(found: Scan, results: Sequence[Result]) -> list[str]:
    """Why some links of a message were not taken (`results`: what suggesting the others did).

    The links the daily limit stopped are named (`limit_reached` says the rest). Links past
    the first `MAX_LINKS_PER_MESSAGE` are only counted then: past the limit, they would not
    have been taken either.
    """
    lines = [
        f"✖ Not taken: {plain(r.shown, SHORT_SHOWN_MAX)} — {r.reason}." for r in found.rejected
    ]
    limited = [named(result.url) for result in results if result.outcome is Outcome.LIMITED]
    if limited:
        more = f", and {found.dropped} more after them" if found.dropped else ""
        lines.append(f"✖ Not taken, over the limit: {', '.join(limited)}{more}.")
    elif found.dropped:
        lines.append(f"Only the first {MAX_LINKS_PER_MESSAGE} links of a message are taken.")
    return lines


def more_to_review(status: SuggestionStatus, shown: int) -> str:
    """The note after the review cards when more suggestions of `status` are left."""
    if status is SuggestionStatus.PENDING:
        return (
            f"Showing the {shown} most-supported; review them to see more "
            "(or use `newsbot suggestions list`)."
        )
    return (
        f"Showing the {shown} most-supported; `newsbot suggestions list --status {status}` "
        "lists them all."
    )


def summary(suggestion: Suggestion, section_name: str | None) -> str:
    """The review card's text: who suggested it and what they said."""
    names = ", ".join(plain(s.name, NAME_SHOWN_MAX) for s in suggestion.supporters[:10])
    more = len(suggestion.supporters) - 10
    lines = [
        f"{link(suggestion.url)}",
        f"**{suggestion.support}** reader{'s' if suggestion.support != 1 else ''}: {names}"
        + (f" and {more} more" if more > 0 else ""),
        f"Section: {section(section_name) if section_name else 'not chosen'} · "
        f"Status: **{suggestion.status}**",
    ]
    for supporter in suggestion.supporters[:5]:
        if supporter.note:
            name = plain(supporter.name, NAME_SHOWN_MAX)
            lines.append(f"> {name}: {plain(supporter.note, NOTE_SHOWN_MAX)}")
    return "\n".join(lines)
