"""Issue files: one Markdown file per issue, read into an `Issue` and written back unchanged.

The layout::

    ---
    number: 202
    title: Deep Learning Weekly: Issue #202
    subtitle: Quantum AI, Global AI Index, …
    date: 2021-06-16
    link: https://example.com/issues/202
    ---

    The intro, in paragraphs.

    ## Industry

    ### [An item's title](https://example.com/item)

    <!-- editor: a note for the editor, never published -->

    The item's blurb, in paragraphs.

    #### Abstract

    A longer text, such as a paper's abstract.

Every problem is reported as an `IssueFileError` with the file and line, and a file's problems
are all reported at once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline, autolink, image, link
from markdown_it.token import Token
from pydantic import ValidationError

from bot.errors import IssueFileError, IssueFileErrors
from bot.models import Issue, Item, Section, link_problem, slugify

FRONT_MATTER_FENCE = "---"
FRONT_MATTER_KEYS = ("number", "title", "subtitle", "date", "publish_at", "link")
REQUIRED_KEYS = ("number", "title")
ABSTRACT_HEADING = "Abstract"
_EDITOR_NOTE = re.compile(r"^<!--\s*editor:\s*(?P<note>.*?)\s*-->$")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LOOKS_LIKE_LINK = re.compile(r"^\[.*\]\(.*\)$", re.DOTALL)
_NOT_A_LINK = (
    "this link is not valid: an item link is an absolute http(s) URL, "
    "as in `### [Title](https://example.com/page)`"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PUBLISH_AT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_OFFSET = re.compile(r"[+-]([0-9]{2}):([0-9]{2})$")
# Not `calendar.month_name`: that follows the locale, and errors are in English.
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


_InlineRule = Callable[[StateInline, bool], bool]


class _EveryLink(MarkdownIt):
    """Markdown that reads every link as a link, whatever its scheme, noting the line it is on.

    The usual parser leaves `[x](javascript:…)` as text, but Discord and readers' apps may
    still make it a link: to refuse such links they have to be seen.
    """

    def __init__(self) -> None:
        super().__init__("commonmark")
        for name, rule in (("link", link), ("image", image), ("autolink", autolink)):
            self.inline.ruler.at(name, _noting_line(rule))

    def validateLink(self, url: str) -> bool:
        return True


def _noting_line(rule: _InlineRule) -> _InlineRule:
    """`rule`, marking the token it makes with the line of its block it starts on (from 0)."""

    def noted(state: StateInline, silent: bool) -> bool:
        start, first = state.pos, len(state.tokens)
        found = rule(state, silent)
        if found and not silent:
            # Text before the link may be pushed first: the link is the first link or image.
            made = (t for t in state.tokens[first:] if t.type in ("link_open", "image"))
            if (token := next(made, None)) is not None:
                token.meta["line"] = state.src.count("\n", 0, start)
                token.meta["by_reference"] = state.src[start : state.pos].endswith("]")
        return found

    return noted


@dataclass
class _Problems:
    path: Path
    errors: list[IssueFileError] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.errors.append(IssueFileError(self.path, line, reason))


@dataclass
class _ItemDraft:
    line: int
    title: str
    link: str | None
    link_checked: bool
    """Whether the heading's link is checked as the item's own (or reported as broken)."""
    blurb: list[str] = field(default_factory=list)
    abstract: list[str] | None = None
    abstract_line: int = 0
    editor_note: str | None = None


@dataclass
class _SectionDraft:
    line: int
    name: str
    items: list[_ItemDraft] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------------


def _pydantic_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        decoded = json.loads(value)
        if isinstance(decoded, str):
            return decoded
    return value


def _read_front_matter(
    lines: Sequence[str], problems: _Problems
) -> tuple[dict[str, tuple[int, str]], int]:
    """Return the front-matter values with their line numbers, and the index of the body."""
    # Read by hand: mdit-py-plugins' front_matter makes no token of an unclosed block, so it
    # could not tell the editor that the block is not closed, nor where.
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        problems.add(
            1,
            "an issue file starts with a front-matter block: a `---` line, then `number: …` "
            "and `title: …` lines, then `---`",
        )
        return {}, 0
    values: dict[str, tuple[int, str]] = {}
    for index in range(1, len(lines)):
        line_no = index + 1
        raw = lines[index]
        if raw.strip() == FRONT_MATTER_FENCE:
            return values, index + 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        key, sep, value = raw.partition(":")
        key = key.strip()
        if not sep or not key:
            problems.add(line_no, f"front matter lines are `key: value`; got {raw.strip()!r}")
            continue
        if key not in FRONT_MATTER_KEYS:
            problems.add(
                line_no,
                f"unknown front-matter key {key!r}; the keys are {', '.join(FRONT_MATTER_KEYS)}",
            )
            continue
        if key in values:
            problems.add(
                line_no, f"front-matter key {key!r} is already set on line {values[key][0]}"
            )
            continue
        try:
            values[key] = (line_no, _unquote(value.strip()))
        except json.JSONDecodeError:
            problems.add(line_no, f"{key}: a quoted value must be a valid double-quoted string")
    problems.add(len(lines), "the front-matter block is not closed: add a `---` line after it")
    return values, len(lines)


def _front_matter_fields(
    values: dict[str, tuple[int, str]], path: Path, problems: _Problems
) -> dict[str, Any]:
    for key in REQUIRED_KEYS:
        if key not in values:
            problems.add(1, f"the front matter needs a `{key}:` line")
    fields: dict[str, Any] = {}
    for key, (line_no, value) in values.items():
        if key == "number":
            if not re.fullmatch(r"[0-9]+", value):
                problems.add(line_no, f"number must be a whole number like 202, not {value!r}")
                continue
            number = int(value)
            if path.stem.isdigit() and int(path.stem) != number:
                problems.add(
                    line_no,
                    f"number {number} does not match the file name {path.name}: "
                    f"rename the file to {number}.md or fix the number",
                )
            elif not path.stem.isdigit() and path.suffix == ".md":
                problems.add(
                    line_no, f"an issue file is named after its number: rename it to {number}.md"
                )
            fields[key] = number
        elif key == "date":
            if not _DATE.fullmatch(value):
                problems.add(line_no, f"date must be written YYYY-MM-DD, not {value!r}")
            elif (missing := _missing_date(value)) is not None:
                problems.add(line_no, f"date {value} does not exist: {missing}")
            else:
                fields[key] = dt.date.fromisoformat(value)
        elif key == "publish_at":
            if not _PUBLISH_AT.fullmatch(value):
                problems.add(
                    line_no,
                    "publish_at must be a date and time like 2026-11-30T09:00 (read in "
                    "schedule.timezone) or 2026-11-30T09:00+01:00, not " + repr(value),
                )
            elif (missing := _missing_moment(value)) is not None:
                problems.add(line_no, f"publish_at {value} does not exist: {missing}")
            else:
                fields[key] = dt.datetime.fromisoformat(value)
        else:
            fields[key] = value
    return fields


def _missing_date(value: str) -> str | None:
    """Why a well-formed `YYYY-MM-DD` names no day of the calendar, or None if it names one."""
    year, month, day = (int(part) for part in value[:10].split("-"))
    if year == 0:
        return "there is no year 0"
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if day == 0:
        return "there is no day 0"
    if day > days:
        return f"{_MONTHS[month - 1]} {year} has {days} days"
    return None


def _missing_moment(value: str) -> str | None:
    """Why a well-formed `publish_at` names no moment, or None if it names one."""
    missing = _missing_date(value)
    if missing is not None:
        return missing
    hour, minute = int(value[11:13]), int(value[14:16])
    second = int(value[17:19]) if value[16:17] == ":" else 0
    if hour > 23:
        return f"there is no hour {hour} (the hours go from 00 to 23)"
    if minute > 59:
        return f"there is no minute {minute}"
    if second > 59:
        return f"there is no second {second}"
    offset = _OFFSET.search(value)
    if offset is not None and (int(offset.group(1)) > 23 or int(offset.group(2)) > 59):
        return f"there is no UTC offset {offset.group(0)}"
    return None


def _source(lines: Sequence[str], token: Token, offset: int) -> str:
    assert token.map is not None
    start, end = token.map
    return "\n".join(lines[offset + start : offset + end]).strip("\n")


def _item_heading(inline: Token) -> tuple[str, str | None, str | None]:
    """Title, link and a reason if the `###` heading's text is not a valid item heading.

    The title is kept as the Markdown source the editor wrote, so writing it back is exact.
    """
    content = inline.content.strip()
    children = inline.children or []
    opens = [child for child in children if child.type == "link_open"]
    if not opens:
        if _LOOKS_LIKE_LINK.match(content):
            return content, None, _NOT_A_LINK
        return content, None, None
    if len(opens) > 1 or children[0].type != "link_open" or children[-1].type != "link_close":
        return (
            content,
            None,
            "an item heading is either `### Title` or `### [Title](https://…)` — "
            "one link around the whole title",
        )
    href = str(children[0].attrGet("href") or "")
    return content[1 : content.rfind("](")].strip(), href, None


def _make_item(draft: _ItemDraft, problems: _Problems) -> Item | None:
    if not draft.title:
        problems.add(draft.line, "this item has no title: write it after `### `")
        return None
    if draft.abstract is not None and not draft.abstract:
        problems.add(draft.abstract_line, "`#### Abstract` is empty: add its text or remove it")
    try:
        return Item(
            title=draft.title,
            link=draft.link,
            blurb="\n\n".join(draft.blurb),
            abstract="\n\n".join(draft.abstract) if draft.abstract else None,
            editor_note=draft.editor_note,
        )
    except ValidationError as exc:
        problems.add(draft.line, f"item {draft.title!r}: {_pydantic_reason(exc)}")
        return None


def _read_body(
    lines: Sequence[str], offset: int, problems: _Problems
) -> tuple[list[str], list[_SectionDraft]]:
    tokens = _markdown().parse("\n".join(lines[offset:]))
    intro: list[str] = []
    sections: list[_SectionDraft] = []
    item: _ItemDraft | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.level != 0 or token.map is None or token.nesting == -1:
            index += 1
            continue
        line_no = offset + token.map[0] + 1
        if token.type == "heading_open":
            inline = tokens[index + 1]
            level = (
                len(token.markup)
                if token.markup.startswith("#")
                else (1 if token.markup == "=" else 2)
            )
            text = inline.content.strip()
            if level == 2:
                item = None
                name = text
                if not name:
                    problems.add(line_no, "this section has no name: write it after `## `")
                sections.append(_SectionDraft(line_no, name))
            elif level == 3:
                if not sections:
                    problems.add(
                        line_no, "this item comes before any section: add a `## Section` above it"
                    )
                    sections.append(_SectionDraft(line_no, ""))
                title, link, reason = _item_heading(inline)
                if reason:
                    problems.add(line_no, reason)
                item = _ItemDraft(line_no, title, link, link is not None or reason == _NOT_A_LINK)
                sections[-1].items.append(item)
            elif level == 4 and text == ABSTRACT_HEADING:
                if item is None:
                    problems.add(line_no, "`#### Abstract` belongs under an item's `### Title`")
                elif item.abstract is not None:
                    problems.add(line_no, "this item already has an `#### Abstract`")
                else:
                    item.abstract, item.abstract_line = [], line_no
            else:
                problems.add(
                    line_no,
                    f"a level-{level} heading is not used here: sections are `## Name`, items "
                    "`### Title` and an item's longer text `#### Abstract`",
                )
            index += 3
            continue
        source = _source(lines, token, offset)
        note = _EDITOR_NOTE.match(source.strip()) if token.type == "html_block" else None
        if note and item is not None and item.editor_note is None and not item.blurb:
            item.editor_note = note.group("note")
        elif token.type == "html_block":
            problems.add(
                line_no,
                "raw HTML is not published: use Markdown, or `<!-- editor: … -->` right "
                "under an item's heading for a note to the editor",
            )
        elif item is not None:
            (item.abstract if item.abstract is not None else item.blurb).append(source)
        elif sections:
            problems.add(
                line_no,
                "text under a section belongs to an item: add a `### Title` heading above it",
            )
        else:
            intro.append(source)
        index += 1
    return intro, sections


def _shown(url: str) -> str:
    return repr(url if len(url) <= 80 else url[:79] + "…")


def _links_in(inline: Token, skip_item_link: bool) -> Iterator[tuple[int, str, str, bool]]:
    """Each link and image in an inline token: line in its block, href, kind, by reference.

    By reference: its address is in a `[label]: …` definition. With `skip_item_link`, a link
    around the whole text (an item's link) is left out.
    """
    children = inline.children or []
    whole = (
        skip_item_link
        and bool(children)
        and children[0].type == "link_open"
        and children[-1].type == "link_close"
        and sum(child.type == "link_open" for child in children) == 1
    )
    for index, child in enumerate(children):
        line = int(child.meta.get("line", 0))
        by_reference = bool(child.meta.get("by_reference"))
        if child.type == "link_open" and not (whole and index == 0):
            yield line, str(child.attrGet("href") or ""), "link to", by_reference
        elif child.type == "image":
            yield line, str(child.attrGet("src") or ""), "image from", by_reference
            # An image's description is parsed apart; a link in it is on the image's line.
            for _, href, what, inner_by_reference in _links_in(child, skip_item_link=False):
                yield line, href, what, inner_by_reference


def _check_links(
    lines: Sequence[str], offset: int, item_links: set[int], problems: _Problems
) -> None:
    """Report every link in the body that is not a web link, on the line it is on.

    Markdown passes an issue's text through as it is written, so a `javascript:` link in a
    blurb would reach readers as a link. The headings on `item_links` have their link checked
    as the item's own.
    """
    env: dict[str, Any] = {}
    tokens = _EveryLink().parse("\n".join(lines[offset:]), env)
    definitions = [*env.get("references", {}).values(), *env.get("duplicate_refs", [])]
    bad_definitions = {
        str(d["href"]): offset + d["map"][0] + 1 for d in definitions if link_problem(d["href"])
    }
    used: set[str] = set()
    for token in tokens:
        if token.type != "inline" or token.map is None:
            continue
        line_no = offset + token.map[0] + 1
        for line, href, what, by_reference in _links_in(token, line_no in item_links):
            problem = link_problem(href)
            if problem is None:
                continue
            where = ""
            if by_reference and href in bad_definitions:
                used.add(href)
                where = f" (its address is on line {bad_definitions[href]})"
            problems.add(line_no + line, f"{what} {_shown(href)}{where}: {problem}")
    for href, line_no in bad_definitions.items():
        if href not in used:
            problems.add(line_no, f"link definition {_shown(href)}: {link_problem(href)}")


def parse_issue(text: str, path: Path | str) -> Issue:
    """Read an issue file's text; raise `IssueFileErrors` listing every problem found."""
    path = Path(path)
    problems = _Problems(path)
    # Some editors start a UTF-8 file with a byte-order mark; it is not part of the issue.
    lines = text.removeprefix("\ufeff").splitlines()
    values, body_start = _read_front_matter(lines, problems)
    fields = _front_matter_fields(values, path, problems) if body_start else {}
    intro, section_drafts = _read_body(lines, body_start, problems)
    item_links = {
        item.line for draft in section_drafts for item in draft.items if item.link_checked
    }
    _check_links(lines, body_start, item_links, problems)
    if not section_drafts:
        problems.add(
            max(len(lines), 1), "an issue needs at least one `## Section` with an item in it"
        )
    sections: list[Section] = []
    seen: dict[str, int] = {}
    links: dict[str, int] = {}
    for draft in section_drafts:
        if draft.name and slugify(draft.name) in seen:
            problems.add(
                draft.line,
                f"section {draft.name!r} appears twice (first on line "
                f"{seen[slugify(draft.name)]}): merge the two",
            )
        elif draft.name:
            seen[slugify(draft.name)] = draft.line
        if draft.name and not draft.items:
            problems.add(draft.line, f"section {draft.name!r} has no items: add `### Title` items")
        items: list[Item] = []
        for item_draft in draft.items:
            item = _make_item(item_draft, problems)
            if item is None:
                continue
            if item.key in links:
                problems.add(
                    item_draft.line,
                    f"item {item.title!r} is already in this issue on line {links[item.key]}",
                )
                continue
            links[item.key] = item_draft.line
            items.append(item)
        if draft.name and items:
            try:
                sections.append(
                    Section(name=draft.name, slug=slugify(draft.name), items=tuple(items))
                )
            except ValidationError as exc:
                problems.add(draft.line, f"section {draft.name!r}: {_pydantic_reason(exc)}")
    if problems.errors:
        raise IssueFileErrors(sorted(problems.errors, key=lambda error: error.line))
    try:
        return Issue(intro="\n\n".join(intro), sections=tuple(sections), **fields)
    except ValidationError as exc:
        line = values.get(str(exc.errors()[0]["loc"][0]), (1, ""))[0]
        raise IssueFileErrors([IssueFileError(path, line, _pydantic_reason(exc))]) from None


def load_issue(path: Path | str) -> Issue:
    """Read and validate one issue file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise IssueFileErrors([IssueFileError(path, line, "the file is not valid UTF-8")]) from None
    except OSError as exc:
        raise IssueFileErrors([IssueFileError(path, 0, f"cannot read: {exc.strerror}")]) from None
    return parse_issue(text, path)


def issue_paths(paths: Iterable[Path | str]) -> list[Path]:
    """The issue files named: files as given, directories for their `*.md` files, by number."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.glob("*.md"), key=_file_order))
        else:
            found.append(path)
    return found


def _file_order(path: Path) -> tuple[int, str]:
    return (int(path.stem), "") if path.stem.isdigit() else (1 << 62, path.name)


@dataclass(frozen=True)
class LoadResult:
    """Issues that loaded, and every problem in the files that did not."""

    issues: list[tuple[Path, Issue]]
    errors: list[IssueFileError]


def load_issues(paths: Iterable[Path | str]) -> LoadResult:
    """Load every issue file under `paths`, collecting problems instead of stopping at one."""
    issues: list[tuple[Path, Issue]] = []
    errors: list[IssueFileError] = []
    numbers: dict[int, Path] = {}
    for path in issue_paths(paths):
        try:
            issue = load_issue(path)
        except IssueFileErrors as exc:
            errors.extend(exc.errors)
            continue
        if issue.number in numbers:
            errors.append(
                IssueFileError(path, 2, f"issue #{issue.number} is also in {numbers[issue.number]}")
            )
            continue
        numbers[issue.number] = path
        issues.append((path, issue))
    return LoadResult(issues, errors)


def publish_times(directory: Path) -> dict[int, dt.datetime]:
    """The `publish_at` of each valid issue file in `directory` that has one, by number."""
    if not directory.is_dir():
        return {}
    loaded = load_issues([directory])
    return {issue.number: issue.publish_at for _, issue in loaded.issues if issue.publish_at}


# --- writing -------------------------------------------------------------------------------


def _front_matter_value(value: str) -> str:
    needs_quotes = value != value.strip() or value.startswith('"') or not value
    return json.dumps(value, ensure_ascii=False) if needs_quotes else value


def _item_heading_source(item: Item) -> str:
    if item.link is None:
        return f"### {item.title}"
    # Links are stored normalised (no spaces or angle brackets), so <…> can hold any of them;
    # an `&` that reads like an entity (`&#106;`) is escaped, or Markdown would decode it.
    destination = _ENTITY_LIKE.sub(r"\\&", item.link)
    destination = f"<{destination}>" if "(" in item.link or ")" in item.link else destination
    return f"### [{item.title}]({destination})"


def format_issue(issue: Issue) -> str:
    """The canonical issue file for an issue; `parse_issue` of it gives the issue back."""
    out = [FRONT_MATTER_FENCE, f"number: {issue.number}"]
    out.append(f"title: {_front_matter_value(issue.title)}")
    if issue.subtitle is not None:
        out.append(f"subtitle: {_front_matter_value(issue.subtitle)}")
    if issue.date is not None:
        out.append(f"date: {issue.date.isoformat()}")
    if issue.publish_at is not None:
        spec = "seconds" if issue.publish_at.second or issue.publish_at.microsecond else "minutes"
        out.append(
            f"publish_at: {issue.publish_at.replace(microsecond=0).isoformat(timespec=spec)}"
        )
    if issue.link is not None:
        out.append(f"link: {issue.link}")
    out.append(FRONT_MATTER_FENCE)
    blocks: list[str] = []
    if issue.intro:
        blocks.append(issue.intro)
    for section in issue.sections:
        blocks.append(f"## {section.name}")
        for item in section.items:
            blocks.append(_item_heading_source(item))
            if item.editor_note is not None:
                blocks.append(f"<!-- editor: {item.editor_note} -->")
            if item.blurb:
                blocks.append(item.blurb)
            if item.abstract is not None:
                blocks.extend([f"#### {ABSTRACT_HEADING}", item.abstract])
    return "\n".join(out) + "\n\n" + "\n\n".join(blocks) + "\n"


def write_issue(issue: Issue, path: Path | str) -> Path:
    """Write an issue file atomically: a reader sees the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(format_issue(issue))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
