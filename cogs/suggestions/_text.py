"""What readers and editors are told about suggestions: short lines that never ping."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.models import Suggestion, SuggestionStatus
from bot.models.idn import shown_url
from bot.models.links import LinkRejected, normalise
from bot.render.discord import EMBED_DESCRIPTION_MAX, SECTION_NAME_MAX, fit_lines, heading_markdown
from bot.render.markdown import cut_markdown, title_markdown
from bot.render.text import escape_markdown, literal
from bot.suggestions import MAX_LINKS_PER_MESSAGE, Outcome, Result, Scan, link_spans
from bot.text import (
    ELLIPSIS,
    defuse_mentions,
    isolated,
    one_line,
    reads_right_to_left,
    shorten,
    without_controls,
    without_direction_controls,
)

URL_SHOWN_MAX = 120
"""How much of a link's address is shown as its text."""
LINK_MAX = 150
"""The longest Markdown of a link in a line about it, or in a line naming several (`named`):
a line about each of ten links, or the ten in one line, fit in a message's 2,000
characters."""
SHOWN_MAX = 100
"""How much of a title or section name is quoted in a line about a suggestion."""
SHORT_SHOWN_MAX = 60
"""How much of a refused link or a mistyped section name is quoted back."""
NAME_SHOWN_MAX = 40
NOTE_SHOWN_MAX = 600
"""How much of a reader's note a review card quotes, its links' Markdown included."""
NOTE_LINK_MAX = 200
"""The longest link's Markdown a note shows (a longer one is named by its site)."""
CARD_LINK_MAX = 1000
"""The longest Markdown of the link a review card is about, its one appearance there: a
longer one is linked by its host, so the card keeps room for the readers' notes."""
LIST_SHOWN_MAX = 1500
"""How much of the list of known section names is shown after a wrong one."""
PATH_SHOWN_MAX = 500
"""How much of a file's path is shown (its code span's backticks besides): its end, where its
name is. An answer shows two, and up to three of 200, within Discord's 2,000 characters."""


def link(url: str, limit: int = LINK_MAX) -> str:
    """A normalised URL as a Discord link without a preview, leading to the URL as stored, in
    the first of these forms whose Markdown fits in `limit`:

    - shown as people read it (`shown_url`: the host's and the path's letters in their own
      script where that is safe), when that is at most `URL_SHOWN_MAX` long: as it is when
      that is how it is stored, else as its host and path, the link's text (Discord shows no
      masked link whose text holds a web address with its scheme, but its Markdown as
      written);
    - its host, `[host/…](<url>)`;
    - the URL as stored, `<url>`.

    A path's letters are stored percent-encoded, three characters for each byte of them: a
    path of 40 Japanese letters is shown in 40 but stored in 360, so the link's Markdown, not
    what it shows, is what must fit. A URL too long for any form is linked by its host (see
    `named`, for a list)."""
    shown = _safe(shown_url(url))
    target = _safe(url)
    by_host = f"[{escape_markdown(shown.split('/', 3)[2])}/…](<{target}>)"
    forms = [by_host, f"<{target}>"]
    if len(shown) <= URL_SHOWN_MAX:
        address = shown.partition("://")[2]
        as_read = f"[{escape_markdown(defuse_mentions(address))}](<{target}>)"
        forms.insert(0, f"<{shown}>" if shown == target else as_read)
    return next((form for form in forms if len(form) <= limit), by_host)


def named(url: str) -> str:
    """A normalised URL in a list of them: a link (see `link`) in `LINK_MAX`, or, when not
    even its stored form fits, the URL as read, shortened in a code span: so that a line
    about each of ten links, or a line naming all ten, fits in a message."""
    markup = link(url)
    if len(markup) <= LINK_MAX:
        return markup
    return code(_safe(shown_url(url)), URL_SHOWN_MAX)


def section(name: str) -> str:
    """A section's name in a message, as the issues write it."""
    return heading_markdown(name, SECTION_NAME_MAX)


def plain(text: str, limit: int = SHOWN_MAX) -> str:
    """Reader or page text shown literally: one line, no Markdown, no mentions, nothing that
    turns the direction of the rest of the line, in `limit` (see `within`)."""
    text = without_direction_controls(text)
    return within(lambda room: literal(text, room), limit)


def within(shown: Callable[[int], str], limit: int) -> str:
    """What `shown` makes in `limit` characters, set apart from the line around it when it
    reads right to left (`isolated`): the isolate's two characters count in `limit`."""
    text = shown(limit)
    return isolated(shown(limit - 2)) if reads_right_to_left(text) else text


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


def path_code(path: Path, limit: int = PATH_SHOWN_MAX) -> str:
    """A file's path in a code span, its end kept when it is too long: `…/drafts/206.md`."""
    text = without_controls(str(path))
    return code(text if len(text) <= limit else ELLIPSIS + text[-(limit - 1) :], limit)


def said(result: Result, per_day: int) -> str | None:
    """One line about what suggesting a link did; None when a ✅ says it all."""
    shown = named(result.url)
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
            return limit_reached(per_day, result.again)
        case _:
            return None


def limit_reached(per_day: int, again: dt.datetime | None = None) -> str:
    """What the daily limit is and when it lets the reader suggest again (see `day_start`:
    the limit counts the last 24 hours, not a calendar day): at `again`, shown by Discord in
    the reader's own time zone and counting down, when it is known."""
    suggestions = f"{per_day} suggestion{'s' if per_day != 1 else ''}"
    head = (
        f"You've reached your limit of {suggestions} in 24 hours. A suggestion counts toward "
        "it for 24 hours"
    )
    if again is not None:
        stamp = math.ceil(again.timestamp())
        return f"{head}, so you can suggest again <t:{stamp}:R> (<t:{stamp}:f>)."
    return f"{head}, so you can suggest again 24 hours after your earliest one of the past day."


def confirmed(result: Result) -> str:
    """For /suggest and the menu: one line for every outcome, including the good ones."""
    shown = named(result.url)
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


NOT_RECORDED = (
    "✖ Not recorded: newsbot can't save suggestions just now. Post your link(s) again in a "
    "few minutes."
)
"""The answer to a reply whose links newsbot could not record (its archive failed or is too
busy to take them): nothing tells the reader otherwise, and no ✅ goes with it."""
NOT_RECORDED_TOPIC = "not recorded"
"""What `NOT_RECORDED` and `not_recorded` tell, among `topics`."""


def not_recorded(urls: Sequence[str]) -> str:
    """The line about the links of a reply newsbot could not record after it recorded others
    of it (the archive failing meanwhile): only those are to be posted again."""
    them = "it" if len(urls) == 1 else "them"
    return (
        f"✖ Not recorded: {', '.join(named(url) for url in urls)} — newsbot can't save "
        f"suggestions just now. Post {them} again in a few minutes."
    )


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


def topics(found: Scan, results: Sequence[Result]) -> set[str]:
    """What the answer to a message tells the reader, one word for each thing `said` and
    `not_taken` tell: why links were refused (each reason once, whatever the link), that the
    daily limit stopped some, or that only the first links were taken; and of each link
    already in an issue or passed on, that it is (that says where, or what became of it)."""
    told = {rejection.reason for rejection in found.rejected}
    for result in results:
        if result.outcome is Outcome.LIMITED:
            told.add(str(result.outcome))
        elif result.outcome in (Outcome.ARCHIVED, Outcome.CLOSED):
            told.add(f"{result.outcome} {result.url}")
    if found.dropped:
        told.add("dropped")
    return told


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
    """The review card's text: the link (its one appearance on the card), who suggested it
    and what they said, in Discord's limit for an embed's description."""
    names = ", ".join(plain(s.name, NAME_SHOWN_MAX) for s in suggestion.supporters[:10])
    more = len(suggestion.supporters) - 10
    lines = [
        f"{link(suggestion.url, CARD_LINK_MAX)}",
        f"**{suggestion.support}** reader{'s' if suggestion.support != 1 else ''}: {names}"
        + (f" and {more} more" if more > 0 else ""),
        f"Section: {section(section_name) if section_name else 'not chosen'} · "
        f"Status: **{suggestion.status}**",
    ]
    for supporter in suggestion.supporters[:5]:
        if supporter.note:
            name = plain(supporter.name, NAME_SHOWN_MAX)
            lines.append(f"> {name}: {note_markdown(supporter.note)}")
    return fit_lines(lines, EMBED_DESCRIPTION_MAX, more="…and {n} more notes")


def note_markdown(note: str, limit: int = NOTE_SHOWN_MAX) -> str:
    """A reader's note on a review card: their words shown literally (no Markdown, nothing
    that reads as a mention, no direction control: see `plain`) and their links kept, each
    clickable, without a preview; a masked link `[text](url)` keeps its text. In `limit`
    characters, never cut inside a link.

    A link too long to show in the note is named by its site, as text; one that is not a
    web link (`javascript:` …) stays text.
    """
    shown, whole, at = "", [], 0
    for start, end in link_spans(note):
        try:
            url = normalise(note[start:end])
        except LinkRejected:
            continue  # shown as the text it is
        before, after = note[at:start], note[end:]
        masked, closed = _MASK_OPENED.search(before), _MASK_CLOSED.match(after)
        if masked and closed:
            before = before[: masked.start()]
            text = masked["text"].strip() or shown_url(url)
            markup = f"[{plain(text, SHORT_SHOWN_MAX)}](<{_safe(url)}>)"
            end += closed.end()
        else:
            markup = link(url, NOTE_LINK_MAX)
        if len(markup) > NOTE_LINK_MAX:
            markup = plain(shown_url(url).split("/", 3)[2] + "/…", SHORT_SHOWN_MAX)
        shown += _words(before)
        whole.append((len(shown), len(shown) + len(markup)))
        shown += markup
        at = end
    shown += _words(note[at:])
    return within(lambda room: shorten(shown, room, whole=whole), limit)


_MASK_OPENED = re.compile(r"\[(?P<text>[^\[\]]*)\]\(\s*<?\s*$")
"""The start of a Markdown link right before its address: `[text](` (or `[text](<`)."""
_MASK_CLOSED = re.compile(r"\s*>?\s*\)")
"""The end of a Markdown link right after its address."""


def _words(text: str) -> str:
    """A reader's words between links, shown literally (spaces kept at their ends)."""
    return escape_markdown(defuse_mentions(without_controls(without_direction_controls(text))))


def _safe(url: str) -> str:
    """A normalised URL inside `<…>`: the same page, nothing that reads like a mention."""
    return url.replace("@", "%40")
