"""Reading an issue file's text into an `Issue`: its Markdown body (intro, sections, items,
abstracts, editor notes) and every link in it, with each problem on its line."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import ValidationError

from bot.errors import IssueFileError, IssueFileErrors
from bot.issuefiles._clashes import item_clash, named, section_clash
from bot.issuefiles._front_matter import (
    Problems,
    front_matter_fields,
    pydantic_reason,
    read_front_matter,
)
from bot.issuefiles._lines import EDITOR_NOTE, file_lines, heading_near_miss
from bot.issuefiles._links import check_links
from bot.models import Issue, Item, Section, link_problem, slugify
from bot.render.commonmark import reads_as
from bot.text import find_control, without_controls

ABSTRACT_HEADING = "Abstract"
_LOOKS_LIKE_LINK = re.compile(r"^\[.*\]\(.*\)$", re.DOTALL)
_LINK_LEFT_OUT = re.compile(r"^\[[^\[\]]*\]$")
"""`### [Title]`: the brackets of a linked title, its `(https://…)` left out."""
_LINK_NOT_CLOSED = re.compile(r"^\[.*\]\([^)]*$", re.DOTALL)
"""`### [Title](https://…`: a linked title whose `)` is missing."""
SECTION_ID = re.compile(r"\s*\{#(?P<slug>[^{}]*)\}$")
"""`## Industry news {#industry}`: a section's slug given after its name, as a heading's id
is in Pandoc and kramdown, so that a renamed section keeps what is keyed on its slug."""
_UNDERLINED = (
    "the `{}` on line {} makes {} above it a section heading: leave a blank line above it "
    "to draw a line"
)
_NOT_A_LINK = "this link is not valid"
_ITEM_LINK = (
    "an item link is an absolute http(s) URL, as in `### [Title](https://example.com/page)`"
)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


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
    slug: str = ""
    """`slugify(name)`, or the slug written after the name (`{#industry}`)."""
    items: list[_ItemDraft] = field(default_factory=list)
    underline: int = 0
    """The line of the `---` under the name, for a heading written so (else 0)."""

    def __post_init__(self) -> None:
        self.slug = self.slug or slugify(self.name)


def _source(lines: Sequence[str], token: Token, offset: int) -> str:
    assert token.map is not None
    return _lines_source(lines, offset, *token.map)


def _lines_source(lines: Sequence[str], offset: int, start: int, end: int) -> str:
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
            # What is wrong with the address, if it says: a space, a scheme, a port …
            address = content[content.rfind("](") + 2 : -1].strip().strip("<>")
            why = f" ({problem})" if (problem := link_problem(address)) else ""
            return content, None, f"{_NOT_A_LINK}{why}: {_ITEM_LINK}"
        # Published as written, brackets and all: an editor who forgot the link, or its `)`.
        if _LINK_LEFT_OUT.match(content):
            return (
                content,
                None,
                "this title is in brackets but has no link: add it, as in "
                "`### [Title](https://example.com/page)`, or write the title without brackets",
            )
        if _LINK_NOT_CLOSED.match(content):
            return content, None, "this link is not closed: end it with `)`"
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


def _make_item(draft: _ItemDraft, problems: Problems) -> Item | None:
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
        problems.add(draft.line, f"item {named(draft.title)}: {pydantic_reason(exc)}")
        return None


@dataclass
class _Body:
    """An issue's body as read so far: its intro, its sections, and the item text goes to."""

    problems: Problems
    intro: list[str] = field(default_factory=list)
    sections: list[_SectionDraft] = field(default_factory=list)
    item: _ItemDraft | None = None
    texts: list[int] = field(default_factory=lambda: [0])
    """Where each text published on its own starts (the intro at 0; each heading's line): a
    link definition serves only the text it is in."""

    def text_at(self, line_no: int) -> int:
        """Where the text holding `line_no` starts (see `texts`)."""
        return self.texts[bisect.bisect_right(self.texts, line_no) - 1]

    def definition(self, source: str, line_no: int) -> None:
        """A `[label]: address` line, kept in the text it is written in, as written."""
        item = self.item
        if item is not None:
            (item.abstract if item.abstract is not None else item.blurb).append(source)
        elif self.sections:
            self.problems.add(
                line_no,
                "a link definition under a section belongs to an item: move it under the "
                "item whose text uses it",
            )
        else:
            self.intro.append(source)

    def heading(self, level: int, inline: Token, line_no: int, underline: int = 0) -> None:
        """A `## Section`, a `### Title` or an item's `#### Abstract` starts here; `underline`
        is the line of the `---` under a section's name written so."""
        self.texts.append(line_no)
        text = inline.content.strip()
        if level == 2:
            self.item = None
            name, slug = self._section_heading(text, line_no)
            if not name:
                self.problems.add(line_no, "this section has no name: write it after `## `")
            self.sections.append(_SectionDraft(line_no, name, slug, underline=underline))
        elif level == 3:
            if not self.sections:
                self.problems.add(
                    line_no, "this item comes before any section: add a `## Section` above it"
                )
                self.sections.append(_SectionDraft(line_no, ""))
            title, link, reason = _item_heading(inline)
            if reason:
                self.problems.add(line_no, reason)
            self.item = _ItemDraft(
                line_no, title, link, link is not None or (reason or "").startswith(_NOT_A_LINK)
            )
            self.sections[-1].items.append(self.item)
        elif level == 4 and text == ABSTRACT_HEADING:
            if self.item is None:
                self.problems.add(line_no, "`#### Abstract` belongs under an item's `### Title`")
            elif self.item.abstract is not None:
                self.problems.add(line_no, "this item already has an `#### Abstract`")
            else:
                self.item.abstract, self.item.abstract_line = [], line_no
        else:
            self.problems.add(
                line_no,
                f"a level-{level} heading is not used here: sections are `## Name`, items "
                "`### Title` and an item's longer text `#### Abstract`",
            )

    def _section_heading(self, text: str, line_no: int) -> tuple[str, str]:
        """A section heading's name, and the slug written after it (else "")."""
        found = SECTION_ID.search(text)
        if found is None:
            return text, ""
        name, slug = text[: found.start()], found["slug"]
        if not slug or slugify(slug) != slug:
            shown = slugify(slug or name)
            self.problems.add(
                line_no,
                f"`{{#{slug}}}` is not a section slug: a slug is lower case, its words joined "
                f"by `-`, as in `{{#{shown}}}`",
            )
            return name, ""
        return name, slug

    def block(self, token: Token, source: str, line_no: int) -> None:
        """A paragraph, list, quote or HTML block: the intro's, the item's, or a problem."""
        for at, line in enumerate(source.split("\n")):
            control = find_control(line, keep_layout=True)
            if control is not None:
                self.problems.add(
                    line_no + at,
                    f"this line contains a control character (U+{ord(control):04X}); remove it",
                )
            if token.type == "paragraph_open" and (miss := heading_near_miss(line)):
                self.problems.add_later_rule(line_no + at, miss)
        # Reported on its own line above, not again as the intro's or the item's.
        source = without_controls(source, keep_layout=True)
        item = self.item
        note = EDITOR_NOTE.match(source.strip()) if token.type == "html_block" else None
        if note and item is not None and item.editor_note is None and not item.blurb:
            item.editor_note = note.group("note")
        elif token.type == "html_block":
            self.problems.add(
                line_no,
                "raw HTML is not published: use Markdown, or `<!-- editor: … -->` right "
                "under an item's heading for a note to the editor",
            )
        elif item is not None:
            (item.abstract if item.abstract is not None else item.blurb).append(source)
        elif self.sections:
            self.problems.add(
                line_no,
                "text under a section belongs to an item: add a `### Title` heading above it",
            )
        else:
            self.intro.append(source)


def _read_body(lines: Sequence[str], offset: int, problems: Problems) -> _Body:
    env: dict[str, Any] = {}
    tokens = _markdown().parse("\n".join(lines[offset:]), env)
    # Link definitions make no token: each is kept, as written, with the text it stands in.
    definitions = sorted(
        tuple(d["map"])
        for d in [*env.get("references", {}).values(), *env.get("duplicate_refs", [])]
    )
    body = _Body(problems)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.level != 0 or token.map is None or token.nesting == -1:
            index += 1
            continue
        while definitions and definitions[0][0] < token.map[0]:
            start, end = definitions.pop(0)
            body.definition(_lines_source(lines, offset, start, end), offset + start + 1)
        line_no = offset + token.map[0] + 1
        if token.type == "heading_open":
            markup = token.markup
            level = len(markup) if markup.startswith("#") else (1 if markup == "=" else 2)
            underline = offset + token.map[1] if not markup.startswith("#") else 0
            if underline and underline - line_no > 1:
                # Lines of text over a `---`, as a word processor pastes a drawn line: read as
                # the text it was meant to be.
                problems.add(line_no, _UNDERLINED.format(markup * 3, underline, "the lines"))
                body.block(token, _source(lines, token, offset), line_no)
                index += 3
                continue
            body.heading(level, tokens[index + 1], line_no, underline)
            # The heading's open, inline and close tokens.
            index += 3
            continue
        body.block(token, _source(lines, token, offset), line_no)
        index += 1
    for start, end in definitions:
        body.definition(_lines_source(lines, offset, start, end), offset + start + 1)
    return body


def parse_issue(
    text: str,
    path: Path | str,
    warnings: list[IssueFileError] | None = None,
    later_rules: list[IssueFileError] | None = None,
) -> Issue:
    """Read an issue file's text; raise `IssueFileErrors` listing every problem found.

    A valid issue's `warnings` (what it may publish by mistake, such as an item without a
    blurb) are added to `warnings`, when given, each at its line. With `later_rules`, the
    problems under rules older newsbots did not have (raw HTML, an unclosed quote) go there
    instead, and the issue is read as those read it: to tell an archived file from an edited one.
    """
    path = Path(path)
    problems = Problems(path, later_rules=later_rules)
    # Some editors start a UTF-8 file with a byte-order mark; it is not part of the issue.
    lines = file_lines(text.removeprefix("\ufeff"))
    values, body_start = read_front_matter(lines, problems)
    fields = front_matter_fields(values, path, problems) if body_start else {}
    body = _read_body(lines, body_start, problems)
    intro, section_drafts = body.intro, body.sections
    item_links = {
        item.line for draft in section_drafts for item in draft.items if item.link_checked
    }
    check_links(lines, body_start, item_links, problems, body.text_at)
    if not section_drafts:
        problems.add(
            max(len(lines), 1), "an issue needs at least one `## Section` with an item in it"
        )
    sections: list[Section] = []
    seen: dict[str, _SectionDraft] = {}
    keys: dict[str, tuple[str, int]] = {}
    """Each item's key, with the title and line of the item that has it."""
    for draft in section_drafts:
        if draft.name and (first := seen.get(draft.slug)) is not None:
            problems.add(draft.line, section_clash(draft.name, draft.slug, first.name, first.line))
        elif draft.name:
            seen[draft.slug] = draft
        if draft.name and not draft.items:
            why = f"section {named(draft.name)} has no items: add `### Title` items"
            if draft.underline:
                why += "; or " + _UNDERLINED.format("---", draft.underline, "the line")
            problems.add(draft.line, why)
        items: list[Item] = []
        for item_draft in draft.items:
            item = _make_item(item_draft, problems)
            if item is None:
                continue
            if item.key in keys:
                problems.add(item_draft.line, item_clash(item.title, item.link, *keys[item.key]))
                continue
            keys[item.key] = (item.title, item_draft.line)
            items.append(item)
        if draft.name and items:
            try:
                sections.append(Section(name=draft.name, slug=draft.slug, items=tuple(items)))
            except ValidationError as exc:
                problems.add(draft.line, f"section {named(draft.name)}: {pydantic_reason(exc)}")
    if problems.errors:
        raise IssueFileErrors(sorted(problems.errors, key=lambda error: error.line))
    try:
        issue = Issue(intro="\n\n".join(intro), sections=tuple(sections), **fields)
    except ValidationError as exc:
        line = values.get(str(exc.errors()[0]["loc"][0]), (1, ""))[0]
        raise IssueFileErrors([IssueFileError(path, line, pydantic_reason(exc))]) from None
    if warnings is not None:
        # An issue's items are unique by key: `keys` holds each one's line, in their order.
        warnings.extend(_without_blurbs(path, issue, [line for _, line in keys.values()]))
    return issue


def _without_blurbs(path: Path, issue: Issue, lines: Sequence[int]) -> Iterator[IssueFileError]:
    """Each item with no text under its heading, at that line: valid, as a back issue's bare
    link may be, but readers would see its title alone (a draft's items, before the editor
    writes their blurbs)."""
    for number, ((_, item), line) in enumerate(zip(issue.items, lines, strict=True), start=1):
        if not item.has_text:
            yield IssueFileError(
                path,
                line,
                f"item {number} ({reads_as(item.title)}) has no blurb: readers would see its "
                "title alone; write one under its heading",
            )
