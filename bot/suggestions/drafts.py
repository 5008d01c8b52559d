"""The next issue's draft from the suggestions editors accepted, written as an issue file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import NewsbotError
from bot.issuefiles import (
    format_issue,
    numbered_issue_files,
    parse_issue,
    without_editor_notes,
    write_issue,
)
from bot.models import Issue, IssueSummary, Item, Section, Suggestion, SuggestionStatus, slugify
from bot.models.idn import shown_path
from bot.models.links import LinkRejected, normalise, twins
from bot.render.text import escape_markdown
from bot.store.sections import slugs_meant
from bot.suggestions.links import candidates
from bot.text import (
    defuse_mentions,
    has_visible_text,
    one_line,
    shorten,
    without_direction_controls,
)

if TYPE_CHECKING:
    from bot.store import Archive

DRAFTS_FOLDER = "drafts"
UNSORTED_SECTION = "Reader suggestions"
"""The section of accepted suggestions that no one put in a section."""
DRAFT_TITLE_MAX = 200
EDITOR_NOTE_MAX = 400
NOTE_SHOWN_MIN = 24
"""A reader's note cut shorter than this says too little: it is left out of the editor note."""
NAME_SHOWN_MIN = 12
"""Readers' names are never cut shorter than this to fit them all in an editor note."""
_NOTE_WRAP = ": “{}”"


class DraftExists(NewsbotError):
    """A draft file is already there; it may hold an editor's work."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists: edit it, or export again to replace it.")


class IssueArchived(NewsbotError):
    """The draft's number is an archived issue's: ingesting the draft would replace that issue."""

    def __init__(self, number: int, next_number: int) -> None:
        self.number = number
        super().__init__(
            f"Issue #{number} is already in the archive: a draft of that number would replace "
            f"it once ingested. Export #{next_number}, the next issue, or another new number."
        )


class IssueWritten(NewsbotError):
    """The draft's number is an issue file's not yet ingested (an issue held for its own time,
    or written and not ingested yet): turning the draft into that file would replace it."""

    def __init__(self, path: Path, next_number: int) -> None:
        self.path = path
        super().__init__(
            f"{path} already holds issue #{path.stem}, not yet in the archive: a draft of that "
            f"number would replace it. Export #{next_number}, the next issue, or another new "
            "number."
        )


class NothingToExport(NewsbotError):
    """No suggestion is accepted yet, or every accepted one is in an issue file already."""

    def __init__(self, written: Sequence[Path] = ()) -> None:
        if written:
            super().__init__(
                "Every accepted suggestion is already in "
                f"{', '.join(map(str, written))}, not yet in the archive: accept more first, "
                "then export."
            )
        else:
            super().__init__("No suggestion is accepted yet: accept some first, then export.")


@dataclass(frozen=True)
class Export:
    """A draft written: where, what it holds, and the accepted links it left out because an
    issue file not yet in the archive has them already (each with that file)."""

    path: Path
    issue: Issue
    left_out: tuple[tuple[str, Path], ...] = ()

    def left_out_files(self) -> list[Path]:
        """The issue files that hold the links left out, each once, in order."""
        return list(dict.fromkeys(path for _, path in self.left_out))


def draft_title(number: int, latest: IssueSummary | None) -> str:
    """The next issue's title, after the newest one's pattern (`… Issue #202` → `#203`).

    Only the issue's own number changes: its first `#202` written whole. Any other number the
    title carries stays (`#202: the #1 model`, `#20: the #200 best`)."""
    if latest is not None:
        own = re.compile(rf"#{latest.number}(?![0-9])")
        if own.search(latest.title):
            return own.sub(f"#{number}", latest.title, count=1)
    return f"Issue #{number}"


def _item_title(suggestion: Suggestion) -> str:
    """The page's title, or its address when the title shows nothing (a title stored before such
    titles were turned away, too): an item's title must show something. The address with its
    host as stored, in punycode: readers see the title, not where it links, so an
    internationalised host that passes for another site's must not read as that site here.
    Its path reads as a browser shows it (`shown_path`), which changes nothing of where it
    leads."""
    address = suggestion.url.split("://", 1)[-1]
    host_end = next((at for at, char in enumerate(address) if char in "/?#"), len(address))
    address = (address[:host_end] + shown_path(address[host_end:])).rstrip("/")
    title = without_direction_controls(suggestion.title or "")
    for text in (one_line(title), one_line(address)):
        if has_visible_text(text):
            return shorten(escape_markdown(text), DRAFT_TITLE_MAX)
    return "Untitled"


def _comment_safe(text: str) -> str:
    """Reader text as it may stand in an editor note: one line, no mention, no direction
    control (one would turn the rest of the note's line around in the editor's view), and no
    `--`, which would end the HTML comment the note lives in."""
    return defuse_mentions(one_line(without_direction_controls(text))).replace("--", "–")


def _fair_cut(texts: Sequence[str], room: int) -> list[str]:
    """`texts` shortened to fit in `room` characters together, each fairly: the short ones stay
    whole and the longer ones share what is left, each cut to about the same length."""
    kept = list(texts)
    left = room
    by_length = sorted(range(len(texts)), key=lambda n: len(texts[n]))
    for done, n in enumerate(by_length):
        share = max(left // (len(texts) - done), 0)
        if len(kept[n]) > share:
            kept[n] = shorten(kept[n], share)
        left -= len(kept[n])
    return kept


def _editor_note(suggestion: Suggestion) -> str:
    """Who suggested it and what each said, within `EDITOR_NOTE_MAX`.

    Every reader is named; when the notes do not all fit, each is shortened, the longest the
    most, and a note that would be cut below `NOTE_SHOWN_MIN` is left out instead, the latest
    reader's first. Only when the names alone cannot fit are they shortened too, and past what
    even `NAME_SHOWN_MIN` lets in, the rest are counted (`and 3 more`).
    """
    names = [_comment_safe(s.name) or "?" for s in suggestion.supporters]
    notes = [_comment_safe(s.note or "") for s in suggestion.supporters]
    if not names:
        return "suggested by 0 reader(s)"
    head = f"suggested by {len(names)} reader(s) — "
    room = EDITOR_NOTE_MAX - len(head)
    names, more = _fit_names(names, room)
    notes = notes[: len(names)]
    room -= len("; ".join(names)) + len(more)
    noted = [n for n, note in enumerate(notes) if note]
    while noted:
        wrapped = len(_NOTE_WRAP.format("")) * len(noted)
        cut = _fair_cut([notes[n] for n in noted], room - wrapped)
        if all(c == notes[n] or len(c) >= NOTE_SHOWN_MIN for n, c in zip(noted, cut, strict=True)):
            for n, c in zip(noted, cut, strict=True):
                notes[n] = c
            break
        notes[noted.pop()] = ""
    parts = [
        name + (_NOTE_WRAP.format(note) if note else "")
        for name, note in zip(names, notes, strict=True)
    ]
    return head + "; ".join(parts) + more


def _fit_names(names: list[str], room: int) -> tuple[list[str], str]:
    """The readers' names as they fit in `room` with their separators, and what says how many
    were left out (`; and 3 more`, or nothing)."""
    for count in range(len(names), 0, -1):
        more = f"; and {len(names) - count} more" if count < len(names) else ""
        left = room - len(more) - len("; ") * (count - 1)
        shown = names[:count]
        if sum(map(len, shown)) <= left:
            return shown, more
        if left // count >= NAME_SHOWN_MIN or count == 1:
            return _fair_cut(shown, left), more
    return [], ""


def draft_issue(
    number: int,
    title: str,
    accepted: Sequence[Suggestion],
    section_names: Mapping[str, str],
    section_order: Sequence[str] = (),
) -> Issue:
    """An issue file's content for accepted suggestions, grouped by section.

    Each item has the page's title (or its address), the link, no blurb (the editor writes
    it: until then `newsbot check` names the item at its heading) and an editor note naming
    who suggested it and what they said.
    """
    if not accepted:
        raise NothingToExport()
    grouped: dict[str, list[Item]] = {}
    for suggestion in most_supported(accepted):
        slug = suggestion.section or ""
        grouped.setdefault(slug, []).append(
            Item(
                title=_item_title(suggestion),
                link=suggestion.url,
                editor_note=_editor_note(suggestion),
            )
        )
    order = {slug: n for n, slug in enumerate(section_order)}
    slugs = sorted(grouped, key=lambda s: (s == "", order.get(s, len(order)), s))
    sections = []
    keys: set[str] = set()  # an issue holds each link once, whatever its section
    for slug in slugs:
        name = section_names.get(slug) or (
            slug.replace("-", " ").title() if slug else UNSORTED_SECTION
        )
        items: list[Item] = []
        for candidate in grouped[slug]:
            if candidate.key not in keys:  # two spellings that Markdown writes the same
                keys.add(candidate.key)
                items.append(candidate)
        if items:
            sections.append(Section(name=name, slug=slug or slugify(name), items=tuple(items)))
    return Issue(number=number, title=title, sections=tuple(sections))


def _links_in(paths: Iterable[Path]) -> dict[str, Path]:
    """Every spelling (`twins`) of each web link written in these files, with the first file
    that has it. A file is read as text, so one the editor is still writing (not yet a valid
    issue) counts too, and so does a link in its intro; not one only in an editor note (a
    reader's note quoted there may name a link no item is)."""
    found: dict[str, Path] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for candidate in candidates(without_editor_notes(text)):
            try:
                url = normalise(candidate)
            except LinkRejected:
                continue
            for twin in twins(url):
                found.setdefault(twin, path)
    return found


async def export_draft(
    archive: Archive, issues_dir: Path, *, number: int | None = None, overwrite: bool = False
) -> Export:
    """Write the accepted suggestions as `issues/drafts/<number>.md`.

    The number defaults to the one after the newest issue, archived or only written in
    `issues_dir` (an issue held for its own time is not ingested until then); an archived
    issue's number is refused (`IssueArchived`), and so is an issue file's (`IssueWritten`).
    An accepted link that an issue file newer than the archive's newest issue has already
    (the last draft, moved into place and not ingested yet) is left out: it is marked
    published only once that issue is ingested, and the next issue would repeat it.
    The file reads back as the same issue (`newsbot check` accepts it, with a warning for each
    item until its blurb is written); an existing draft is kept unless `overwrite`
    (`DraftExists`).
    """
    latest_issues = await archive.issues.issues(limit=1)
    latest = latest_issues[0] if latest_issues else None
    written = numbered_issue_files(issues_dir)
    next_number = max([latest.number if latest else 0, *written]) + 1
    number = number or next_number
    if await archive.issues.issue_hash(number) is not None:
        raise IssueArchived(number, next_number)
    if number in written:
        raise IssueWritten(written[number], next_number)
    accepted = await archive.suggestions.list((SuggestionStatus.ACCEPTED,), limit=None)
    newest = latest.number if latest else 0
    placed = _links_in(path for n, path in sorted(written.items()) if n > newest)
    left_out = tuple((s.url, placed[s.url]) for s in accepted if s.url in placed)
    if accepted and len(left_out) == len(accepted):
        raise NothingToExport(list(dict.fromkeys(path for _, path in left_out)))
    accepted = [s for s in accepted if s.url not in placed]
    names = dict(await archive.issues.sections_today(limit=None))
    older = {s.section for s in accepted if s.section and s.section not in names}
    if older:  # filed under a slug an older newsbot gave: in the section it meant, if one
        meant = await slugs_meant(older, archive.issues.names_under)
        accepted = [replace(s, section=meant.get(s.section or "", s.section)) for s in accepted]
    order: list[str] = []
    if latest is not None:
        order = [s.slug for s in (await archive.issues.issue(latest.number, held=True)).sections]
    issue = draft_issue(number, draft_title(number, latest), accepted, names, order)
    path = issues_dir / DRAFTS_FOLDER / f"{number}.md"
    if path.exists() and not overwrite:
        raise DraftExists(path)
    if parse_issue(format_issue(issue), path) != issue:
        raise RuntimeError(f"the draft of #{number} would not read back the same")
    write_issue(issue, path)
    return Export(path, issue, left_out)


def issue_file(issues_dir: Path, number: int) -> Path:
    """Where the draft of issue `number` goes once written: the issue files' folder, under its
    number. newsbot reads no issue from `drafts/`, neither `check` nor the schedule."""
    return issues_dir / f"{number}.md"


def most_supported(suggestions: Sequence[Suggestion]) -> list[Suggestion]:
    """Most readers first, then oldest first (ids grow with time)."""
    return sorted(suggestions, key=lambda s: (-s.support, s.id))
