"""An issue's Markdown read by a CommonMark parser, for publishing: as one line of plain text
(X, Mastodon, Bluesky, and names Discord shows as text), and as Markdown Discord reads the same
way (reference links made inline, entities made characters).

Exact where `bot.render.markdown`'s light strip is fast: a blurb is parsed once per text (the
result is kept), which publishing can afford and a reader's search need not.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline, link
from markdown_it.token import Token

from bot.render.code_spans import TickRuns
from bot.render.text import escape_markdown
from bot.text import one_line

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_FENCED = r"^ {0,3}(?P<fence>`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}(?P=fence)[`~]*[ \t]*$|\Z)"
_CODE = re.compile(
    _FENCED + r"|(?<!\\)(?P<ticks>`+).+?(?<!`)(?P=ticks)(?!`)", re.MULTILINE | re.DOTALL
)
"""Code (a fenced block or a span), where nothing is syntax and entities stay as written. Not
searched with as such: see `_code_spans`."""
_FENCE = re.compile(_FENCED, re.MULTILINE | re.DOTALL)
_CODE_START = re.compile(r"^ {0,3}(?:```|~~~)|`", re.MULTILINE)
_FULL_REFERENCE = re.compile(r"(?P<text>.*\])\[(?:[^\[\]\\]|\\.)+\]\Z", re.DOTALL)
"""`[text][label]`: the text, then a label (no unescaped brackets)."""


class _Parser(MarkdownIt):
    """CommonMark (with `~~strikethrough~~`, as Discord has it) that notes the source of each
    link made by reference (`[text][label]`), so Discord's copy can make it inline."""

    def __init__(self) -> None:
        super().__init__("commonmark")
        self.enable("strikethrough")
        self.inline.ruler.at("link", _noting_source)


def _noting_source(state: StateInline, silent: bool) -> bool:
    start, first = state.pos, len(state.tokens)
    found = link(state, silent)
    if found and not silent:
        source = state.src[start : state.pos]
        opened = next((t for t in state.tokens[first:] if t.type == "link_open"), None)
        if opened is not None and source.endswith("]"):
            opened.meta["reference"] = source
    return found


_PARSER = _Parser()


@functools.lru_cache(maxsize=4096)
def _parsed(markdown: str) -> tuple[tuple[Token, ...], dict[str, Any]]:
    env: dict[str, Any] = {}
    return tuple(_PARSER.parse(markdown, env)), env


# --- plain text -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def plain_line(markdown: str, *, keep_links: bool) -> str:
    """`markdown` as one line of the text CommonMark reads: a link as its text (and, when
    `keep_links`, its http(s) URL after it), entities and escapes resolved, code as written,
    strong emphasis and strikethrough dropped, emphasis kept as `*…*` or `_…_` (how plain text
    marks it), a list item after `•` or its number. An autolink is its URL only with
    `keep_links`; raw HTML is left out. Not made safe for any platform: its `clean` does that."""
    if not any(char in markdown for char in "\\`*_[]<>&~#=+-.)!:"):
        return one_line(markdown)
    words: list[str] = []
    for token in _parsed(markdown)[0]:
        if token.type == "inline":
            words.append(_inline_text(token.children or [], keep_links))
        elif token.type in ("fence", "code_block"):
            words.append(token.content)
        elif token.type == "list_item_open":
            words.append(f"{token.info}{token.markup}" if token.info else "•")
    return one_line(" ".join(words))


def reads_as(markdown: str) -> str:
    """A name or title in issue Markdown as the one line of text a reader reads, for places
    that show no Markdown (a thread's name, a terminal); Markdown that reads as nothing
    (`<br>`) is shown as written, so the text is never empty. Not made safe for any platform."""
    return plain_line(markdown, keep_links=False) or markdown


def _inline_text(children: Sequence[Token], keep_links: bool) -> str:
    out: list[str] = []
    opened: list[tuple[int, Token]] = []
    for child in children:
        kind = child.type
        if kind in ("text", "text_special", "code_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind in ("em_open", "em_close"):
            out.append(child.markup)
        elif kind == "link_open":
            opened.append((len(out), child))
        elif kind == "link_close" and opened:
            at, link_open = opened.pop()
            out[at:] = [_linked("".join(out[at:]), link_open, keep_links)]
        elif kind == "image":
            alt = _inline_text(child.children or [], keep_links)
            out.append(_linked(alt, child, keep_links, attribute="src"))
    return "".join(out)


def _linked(text: str, token: Token, keep_links: bool, *, attribute: str = "href") -> str:
    """A link's text, and its URL after it when `keep_links` (once, if the text is the URL)."""
    url = str(token.attrGet(attribute) or "")
    if token.markup == "autolink":
        # Its text is its address: kept, as an address written out without `<…>` is.
        return text
    if not keep_links or not url.startswith(("http://", "https://")):
        return text
    text = text.strip()
    return f"{text} {url}" if text and text != url else url


# --- Markdown for Discord -------------------------------------------------------------------


def link_target(url: str) -> str:
    """A URL safe inside `[text](url)`: parentheses and spaces percent-encoded."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


@functools.lru_cache(maxsize=4096)
def discord_markdown(markdown: str) -> str:
    """`markdown` as Discord reads it the same as CommonMark: a reference link made an inline
    link (Discord knows no `[text][label]`), its definition dropped, and an entity (`&amp;`)
    made the character it stands for, escaped where Discord would read it as syntax. Code is
    left as written. Mentions are left to the caller."""
    if "&" not in markdown and "]" not in markdown:
        return markdown
    tokens, env = _parsed(markdown)
    text = markdown
    if env.get("references"):
        text = _inline_references(text, tokens, env)
    if "&" in text:
        text = _outside_code(text, _characters)
    return text


def _inline_references(markdown: str, tokens: Sequence[Token], env: dict[str, Any]) -> str:
    """`markdown` with each reference link written inline, and without its definitions."""
    definitions = [*env.get("references", {}).values(), *env.get("duplicate_refs", [])]
    dropped = {line for d in definitions for line in range(*d["map"])}
    lines = markdown.split("\n")
    text = "\n".join(line for number, line in enumerate(lines) if number not in dropped)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    links = [
        child
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "link_open" and "reference" in child.meta
    ]
    code = _code_spans(text)
    at = 0
    for token in links:
        source = str(token.meta["reference"])
        found = _find_outside(text, source, at, code)
        if found < 0:
            continue
        full = _FULL_REFERENCE.match(source)
        shown = full["text"] if full else source.removesuffix("[]")
        inline = f"{shown}({link_target(str(token.attrGet('href') or ''))})"
        text = text[:found] + inline + text[found + len(source) :]
        shift = len(inline) - len(source)
        code = [(s + shift, e + shift) if s >= found else (s, e) for s, e in code]
        at = found + len(inline)
    return text


def _find_outside(text: str, source: str, at: int, code: Sequence[tuple[int, int]]) -> int:
    """Where `source` is next in `text` from `at`, outside code and not escaped; -1 if not."""
    found = text.find(source, at)
    while found >= 0:
        escaped = (len(text[:found]) - len(text[:found].rstrip("\\"))) % 2
        if not escaped and not any(start <= found < end for start, end in code):
            return found
        found = text.find(source, found + 1)
    return -1


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where `_CODE` finds code in `text`, in time linear in `text` (`TickRuns`)."""
    spans: list[tuple[int, int]] = []
    searched = 0
    runs: TickRuns | None = None
    while (start := _CODE_START.search(text, searched)) is not None:
        at = start.start()
        fenced = _FENCE.match(text, at) if start[0] != "`" else None
        if fenced is not None:
            spans.append(fenced.span())
            searched = fenced.end()
        elif text[at] != "`" or text[at - 1 : at] == "\\":
            searched = at + 1  # no span opens here, but one may at the next backtick
        elif (closing := (runs := runs or TickRuns(text)).closing(at)) is not None:
            ticks, closed_at = closing
            spans.append((at, closed_at + ticks))
            searched = closed_at + ticks
        else:
            searched = runs.run_end(at)
    return spans


def _outside_code(text: str, change: Any) -> str:
    parts: list[str] = []
    at = 0
    for start, end in _code_spans(text):
        parts += [change(text[at:start]), text[start:end]]
        at = end
    parts.append(change(text[at:]))
    return "".join(parts)


def _characters(text: str) -> str:
    return _ENTITY.sub(lambda m: escape_markdown(html.unescape(m[0])), text)
