"""A newsletter's HTML as blocks of inline text: headings and paragraphs, links and emphasis.

Parsed with the standard library's `html.parser`, tolerant of broken markup. Only text, http(s)
links and emphasis survive: scripts, styles, forms and embeds are dropped, and every link is
resolved against the entry's `xml:base` or address and checked — anything that is not http(s)
loses its address and is reported. Rendering to Markdown escapes all text and defuses Discord pings.

Not nh3 + markdownify: they return one Markdown string and drop things silently, where the
importer needs blocks to find sections and items and reports every element and link it drops;
and markdownify by default leaves Markdown written as text live (`[x](javascript:…)`).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

from bot.importers._links import resolve_link
from bot.importers._markdown import (
    ZERO_WIDTH_SPACE,
    defuse_pings,
    escape_block_start,
    escape_inline,
    markdown_link,
    ping_marks,
)
from bot.text import without_controls

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source"}
    | {"track", "wbr"}
)
_REPORTED = frozenset({"script", "iframe", "object", "embed", "applet", "form", "frame"})
_DROPPED = _REPORTED | {
    *("style", "head", "title", "meta", "link", "template", "svg", "math", "noscript", "button"),
    *("select", "textarea", "input", "canvas", "audio", "video", "picture", "map", "frameset"),
}
_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "center", "dd"),
        *("details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer"),
        *("header", "hgroup", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section"),
        *("summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)
MAX_DEPTH = 64
"""How deep elements nest before more start tags are ignored (their text is kept)."""
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_EMPHASIS = {"em": "em", "i": "em", "cite": "em", "strong": "strong", "b": "strong"}

InlineKind = Literal["text", "em", "strong", "link", "image"]


@dataclass
class Inline:
    """A run of text, or emphasis / a link around runs; an image only lends its alt text.

    A link that spans blocks (a card wrapping a title and a description) is `continued` in
    the blocks after the first one that has its text.
    """

    kind: InlineKind
    text: str = ""
    href: str | None = None
    children: list[Inline] = field(default_factory=list)
    continued: bool = False


@dataclass
class Block:
    """A heading (level 1–6) or a paragraph (level 0) of inline runs."""

    level: int
    inlines: list[Inline]


# --- parsing ---------------------------------------------------------------------------------


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    children: list[_Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """Builds a forgiving element tree: unknown end tags are ignored, open ones closed at end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(self.stack) > MAX_DEPTH and tag not in _VOID and tag not in _DROPPED:
            # Too deep to be real markup: keep the text, not the element (bounds recursion).
            return
        element = _Element(tag, {name: value or "" for name, value in attrs})
        if tag in _BLOCKS or tag in _HEADINGS:
            # A block or heading ends an open paragraph, as in HTML.
            self._close_open("p")
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        self._close_open(tag)

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def _close_open(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return


# --- the element tree as a stream of events --------------------------------------------------


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Open:
    kind: InlineKind
    href: str | None = None
    raw_href: str = ""


@dataclass(frozen=True)
class _Close:
    kind: InlineKind


@dataclass(frozen=True)
class _Break:
    level: int


_Event = _Text | _Open | _Close | _Break


def _events(
    element: _Element, dropped: Counter[str], base: str | None, in_heading: bool = False
) -> Iterator[_Event]:
    for child in element.children:
        if isinstance(child, str):
            yield _Text(child)
        elif child.tag in _DROPPED:
            if child.tag in _REPORTED or _has_content(child):
                dropped[child.tag] += 1
        else:
            yield from _element_events(child, dropped, base, in_heading)


def _element_events(
    element: _Element, dropped: Counter[str], base: str | None, in_heading: bool
) -> Iterator[_Event]:
    tag = element.tag
    if tag == "br":
        yield _Text(" ")
    elif tag == "img":
        yield _Open("image")
        yield _Text(element.attrs.get("alt", ""))
        yield _Close("image")
    elif tag in _HEADINGS and not in_heading:
        yield _Break(_HEADINGS[tag])
        yield from _events(element, dropped, base, in_heading=True)
        yield _Break(0)
    elif (tag in _BLOCKS or tag in _HEADINGS) and not in_heading:
        yield _Break(0)
        yield from _events(element, dropped, base)
        yield _Break(0)
    elif tag == "a" and "href" in element.attrs:
        raw = element.attrs["href"]
        yield _Open("link", resolve_link(raw, base), raw)
        yield from _events(element, dropped, base, in_heading)
        yield _Close("link")
    elif tag in _EMPHASIS:
        kind: InlineKind = "em" if _EMPHASIS[tag] == "em" else "strong"
        yield _Open(kind)
        yield from _events(element, dropped, base, in_heading)
        yield _Close(kind)
    else:
        yield from _events(element, dropped, base, in_heading)


def _has_content(element: _Element) -> bool:
    """Whether an element holds any text (walked without recursion: it may nest deeply)."""
    pending: list[_Element | str] = [element]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            if node.strip():
                return True
        elif node.tag not in ("style", "head", "title"):
            pending.extend(node.children)
    return False


# --- events into blocks ----------------------------------------------------------------------


class _BlockBuilder:
    """Gathers events into blocks; inline elements open across a block boundary reopen after it."""

    def __init__(self, dropped_links: list[str]) -> None:
        self.blocks: list[Block] = []
        self.dropped_links = dropped_links
        self.level = 0
        self.root: list[Inline] = []
        self.open: list[Inline] = []

    def feed(self, event: _Event) -> None:
        """Take one event: text, an inline start or end, or a block boundary."""
        if isinstance(event, _Text):
            self.add_text(without_controls(re.sub(r"\s+", " ", event.text)))
        elif isinstance(event, _Open):
            self.open_inline(event)
        elif isinstance(event, _Close):
            self.close_inline(event.kind)
        else:
            self.end_block()
            self.level = event.level

    def container(self) -> list[Inline]:
        """The runs that new text and inline elements go into."""
        return self.open[-1].children if self.open else self.root

    def add_text(self, text: str) -> None:
        """Add text, merged into the text run before it."""
        runs = self.container()
        if runs and runs[-1].kind == "text":
            runs[-1].text += text
        elif text:
            runs.append(Inline("text", text))

    def open_inline(self, event: _Open) -> None:
        """Open emphasis or a link; a link without an http(s) address is recorded."""
        if event.kind == "link" and event.href is None:
            self.dropped_links.append(event.raw_href)
        inline = Inline(event.kind, href=event.href)
        self.container().append(inline)
        self.open.append(inline)

    def close_inline(self, kind: InlineKind) -> None:
        """Close the innermost open inline element of this kind, if any."""
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth].kind == kind:
                del self.open[depth:]
                return

    def end_block(self) -> None:
        """Finish the current block, keeping it if it has text."""
        inlines = normalise(self.root)
        if plain_text(inlines).strip():
            self.blocks.append(Block(self.level, inlines))
        reopened = [
            Inline(inline.kind, href=inline.href, continued=_has_text(inline) or inline.continued)
            for inline in self.open
        ]
        self.root = reopened[:1]
        for outer, inner in itertools.pairwise(reopened):
            outer.children.append(inner)
        self.open = reopened


def _has_text(inline: Inline) -> bool:
    return inline.kind == "link" and bool(plain_text(inline.children).strip())


@dataclass
class ParsedHtml:
    """An HTML document's blocks, and what was left out of it."""

    blocks: list[Block]
    dropped_elements: dict[str, int]
    dropped_links: list[str]


def parse_html(html: str, *, base: str | None = None) -> ParsedHtml:
    """The blocks of an HTML fragment, links resolved against `base` and checked."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    dropped: Counter[str] = Counter()
    blocks = _BlockBuilder([])
    for event in _events(builder.root, dropped, base):
        blocks.feed(event)
    blocks.end_block()
    return ParsedHtml(blocks.blocks, dict(sorted(dropped.items())), blocks.dropped_links)


# --- inline runs -----------------------------------------------------------------------------


def normalise(inlines: list[Inline]) -> list[Inline]:
    """Runs with empty emphasis unwrapped and neighbouring text merged, so text reads whole."""
    out: list[Inline] = []
    for inline in inlines:
        children = normalise(inline.children)
        if inline.kind == "text":
            _append_text(out, inline.text)
        elif inline.kind in ("em", "strong") and not plain_text(children).strip():
            for child in children:
                _append(out, child)
        else:
            _append(out, Inline(inline.kind, inline.text, inline.href, children, inline.continued))
    return out


def _append(out: list[Inline], inline: Inline) -> None:
    if inline.kind == "text":
        _append_text(out, inline.text)
    else:
        out.append(inline)


def _append_text(out: list[Inline], text: str) -> None:
    if out and out[-1].kind == "text":
        out[-1] = Inline("text", out[-1].text + text)
    elif text:
        out.append(Inline("text", text))


def plain_text(inlines: list[Inline]) -> str:
    """The text a reader sees, without images."""
    return "".join(_plain(inline) for inline in inlines)


def _plain(inline: Inline) -> str:
    if inline.kind == "text":
        return inline.text
    if inline.kind == "image":
        return ""
    return plain_text(inline.children)


def alt_text(inlines: list[Inline]) -> str:
    """The alt text of the images among the runs."""
    return " ".join(
        " ".join(inline.text for inline in node.children if inline.kind == "text")
        if node.kind == "image"
        else alt_text(node.children)
        for node in inlines
    ).strip()


def links(inlines: list[Inline], *, continued: bool = True) -> list[Inline]:
    """Every link among the runs, checked or not, in reading order (maybe not `continued`)."""
    found: list[Inline] = []
    for inline in inlines:
        if inline.kind == "link" and (continued or not inline.continued):
            found.append(inline)
        found.extend(links(inline.children, continued=continued))
    return found


def lone_bold(inlines: list[Inline]) -> bool:
    """Whether all the text of the runs is bold and none of it is a link."""
    meaningful = [inline for inline in inlines if _plain(inline).strip()]
    return bool(meaningful) and all(
        inline.kind == "strong" and not links(inline.children) for inline in meaningful
    )


def leading_link(inlines: list[Inline]) -> tuple[Inline, list[Inline]] | None:
    """The link the runs start with (maybe inside emphasis) and the runs after it, if any."""
    for index, inline in enumerate(inlines):
        if not _plain(inline).strip() and inline.kind != "link":
            continue
        if inline.kind == "link" and not inline.continued:
            return inline, inlines[index + 1 :]
        if inline.kind in ("em", "strong"):
            inner = leading_link(inline.children)
            if inner is None:
                return None
            link, rest = inner
            wrapped = [Inline(inline.kind, children=rest)] if plain_text(rest).strip() else []
            return link, wrapped + inlines[index + 1 :]
        return None
    return None


def strip_leading(inlines: list[Inline], chars: str) -> list[Inline]:
    """The runs with `chars` stripped from the start of their text."""
    out = list(inlines)
    while out:
        first = out[0]
        if first.kind == "text":
            stripped = first.text.lstrip(chars)
            if stripped:
                out[0] = Inline("text", stripped)
                return out
            out.pop(0)
        elif first.kind in ("em", "strong") and not _plain(first).lstrip(chars):
            out.pop(0)
        else:
            return out
    return out


# --- Markdown --------------------------------------------------------------------------------


def title_text(inlines: list[Inline]) -> tuple[str, int]:
    """The runs' text on one line with pings defused, and how many were defused (not escaped)."""
    return defuse_pings(" ".join(plain_text(inlines).split()))


class _Renderer:
    """Renders runs as Markdown, adding a zero-width space after the `@` of every ping."""

    def __init__(self, inlines: list[Inline]) -> None:
        self.marks = ping_marks(plain_text(inlines))
        self.offset = 0

    def text(self, text: str) -> str:
        """Escaped text, with a zero-width space after each ping's `@`."""
        out: list[str] = []
        for char in text:
            out.append(char)
            if self.offset in self.marks:
                out.append(ZERO_WIDTH_SPACE)
            self.offset += 1
        return escape_inline("".join(out))

    def runs(self, inlines: list[Inline], inside: frozenset[str]) -> str:
        """Runs as Markdown."""
        return "".join(self.run(inline, inside) for inline in inlines)

    def run(self, inline: Inline, inside: frozenset[str]) -> str:
        """One run as Markdown: emphasis and links kept simple, never nested twice."""
        if inline.kind == "text":
            return self.text(inline.text)
        if inline.kind == "image":
            return ""
        inner = self.runs(inline.children, inside | {inline.kind})
        core = inner.strip(" ")
        if inline.kind in inside or not core:
            return inner
        lead = inner[: len(inner) - len(inner.lstrip(" "))]
        trail = inner[len(inner.rstrip(" ")) :]
        if inline.kind == "link":
            # A continued link already has its address on its first block's text.
            if inline.href is None or inline.continued:
                return inner
            return lead + markdown_link(core, inline.href) + trail
        mark = "*" if inline.kind == "em" else "**"
        return lead + mark + core + mark + trail


def to_markdown(inlines: list[Inline]) -> tuple[str, int]:
    """The runs as one Markdown paragraph, and how many pings in it were defused."""
    for link in links(inlines):
        if link.href is not None and not plain_text(link.children).strip():
            link.children = [Inline("text", alt_text(link.children) or link.href)]
    renderer = _Renderer(inlines)
    markdown = re.sub(r" {2,}", " ", renderer.runs(inlines, frozenset()).strip())
    return escape_block_start(markdown), len(renderer.marks)
