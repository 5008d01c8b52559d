"""An issue's Markdown as a reader reads it: as plain text (a search snippet, a subtitle), and
item titles as Discord Markdown.

Issue text is CommonMark source: bot/issuefiles keeps titles and blurbs as the editor wrote
them, and the importers escape what they bring in. Plain text is made by a light strip of the
syntax, not a full parse: a search renders a snippet for every hit it shows, and the strip of
a blurb is kept for the next search that shows it.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterator

from bot.render.code_spans import TickRuns
from bot.render.text import escape_markdown
from bot.text import defuse_mentions, one_line, shorten

_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_AS_TEXT = 0xF0000
_AS_ESCAPE = 0x100000
"""Punctuation that is text, not syntax (in code, a URL or an entity; or escaped), is held as a
character of a private use plane while the syntax around it is read, then put back."""
_HIDE_TEXT = str.maketrans({c: chr(_AS_TEXT + ord(c)) for c in _PUNCTUATION})
_HIDE_ESCAPE = str.maketrans({c: chr(_AS_ESCAPE + ord(c)) for c in _PUNCTUATION})
_HIDE_LINK = str.maketrans({c: chr(_AS_ESCAPE + ord(c)) for c in "[]()!"})
_SHOW_PLAIN = str.maketrans(
    {chr(base + ord(c)): c for c in _PUNCTUATION for base in (_AS_TEXT, _AS_ESCAPE)}
)
_SHOW_MARKDOWN = str.maketrans(
    {chr(_AS_TEXT + ord(c)): c for c in _PUNCTUATION}
    | {chr(_AS_ESCAPE + ord(c)): "\\" + c for c in _PUNCTUATION}
)

_SYNTAX = re.compile(r"[\\`*_\[\]<>&~]|^ {0,3}(?:[#>+\-=]|\d{1,9}[.)])", re.MULTILINE)
"""Markdown without any of these reads as it is written."""
_FENCE = re.compile(
    r"^ {0,3}(?P<fence>`{3,}|~{3,})[^\n]*\n(?P<code>.*?)(?:^ {0,3}(?P=fence)[`~]*[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)
_BLOCK_MARKS = re.compile(
    r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|=+[ \t]*)$"  # rules, underlines
    r"|^ {0,3}(?:> ?)+"  # quotes
    r"|^ {0,3}#{1,6}(?:[ \t]+|$)|[ \t]+#+[ \t]*$",  # headings
    re.MULTILINE,
)
_BULLET = re.compile(r"^([ \t]*)[-+*][ \t]+", re.MULTILINE)
_ESCAPE = r"\\(?P<escaped>[!-/:-@\[-`{-~])"
_CODE_OR_ESCAPE = re.compile(
    _ESCAPE + r"|(?P<ticks>`+)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)", re.DOTALL
)
"""An escaped character, or a code span. Not searched with as such: see `_sub_code_or_escape`."""
_CODE_OR_ESCAPE_START = re.compile(_ESCAPE + "|`")
_LINK = re.compile(
    r"!?\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"(?:\(\s*(?:<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
    r"|\[[^\[\]]*\])"
)
"""An inline or reference link, or an image: `[text](url "title")`, `[text][ref]`."""
_AUTOLINK = re.compile(
    r"<(?P<url>[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[^\s<>@\\]+@[^\s<>@\\]+\.[^\s<>@\\]+)>"
)
_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*+(?:\s[^<>]*+)?/?>", re.DOTALL)
"""A comment or a tag, to its first `>`: read by `_without_html`. (Each part of a tag is read
once: as `(?:\\s+[^<>]*?)?\\s*/?>`, a tag never closed tried every split of the spaces after
it between three repeats, seconds for a few thousand.)"""
_HTML_START = re.compile(r"<!--|</?[A-Za-z]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


class _Paired:
    """Emphasis, `opening(?P<text>.+?)closing`, found in time linear in the text.

    A regular expression tries every opening mark, and from one that no mark closes reads on
    to the end of the text: a blurb of unclosed marks (`*a *a *a …`) took time growing with
    its length squared. Whether a mark closes does not depend on the opening: every opening
    before the last closing mark (and a character of text) is closed, every one after it is
    not. So the marks after it are not tried; the matches are the pattern's own.
    """

    def __init__(self, pattern: str) -> None:
        opening, closing = pattern.split("(?P<text>.+?)")
        self.pattern = re.compile(pattern, re.DOTALL)
        self._opening = re.compile(opening)
        self._closing = re.compile(f"(?={closing})")  # found where they overlap too

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The pattern's matches in `text`, as `re.finditer` finds them."""
        last = max((mark.start() for mark in self._closing.finditer(text)), default=-1)
        at = 0
        while (opening := self._opening.search(text, at)) is not None and opening.end() < last:
            found = self.pattern.match(text, opening.start())
            if found is None:
                at = opening.start() + 1
                continue
            yield found
            at = found.end()

    def unwrapped(self, text: str) -> str:
        """`text` with each match replaced by the text inside it."""
        parts: list[str] = []
        at = 0
        for found in self.finditer(text):
            parts += [text[at : found.start()], found["text"]]
            at = found.end()
        parts.append(text[at:])
        return "".join(parts)


_STRONG = _Paired(r"\*\*(?!\s)(?P<text>.+?)(?<!\s)\*\*")
_EMPHASIS = (
    _STRONG,
    _Paired(r"(?<![^\W_])__(?!\s)(?P<text>.+?)(?<!\s)__(?![^\W_])"),
    _Paired(r"\*(?![\s*])(?P<text>.+?)(?<![\s*])\*"),
    _Paired(r"(?<![^\W_])_(?![\s_])(?P<text>.+?)(?<![\s_])_(?![^\W_])"),
    _Paired(r"~~(?![\s~])(?P<text>.+?)(?<![\s~])~~"),
)
_NESTING = 3
"""How deeply links and emphasis are unwrapped (`***both***` is two levels)."""


@functools.lru_cache(maxsize=4096)
def has_syntax(markdown: str) -> bool:
    """Whether `markdown` holds anything Markdown may read as syntax; without, it reads as it
    is written."""
    return _SYNTAX.search(markdown) is not None


@functools.lru_cache(maxsize=4096)
def plain_text(markdown: str) -> str:
    """`markdown` as one line of the text a reader reads once it is rendered: no emphasis, a
    link as its text, escapes and entities resolved, code as written, no quote or heading
    marks. Not made safe for any platform: defuse and escape it where it is shown."""
    if not has_syntax(markdown):
        return one_line(markdown)
    text = markdown.replace("\r\n", "\n")
    text = _FENCE.sub(lambda m: m["code"].translate(_HIDE_TEXT), text)
    text = _BLOCK_MARKS.sub(" ", text)
    text = _BULLET.sub(r"\1• ", text)
    text = text.replace("\\\n", "\n")  # a hard line break
    text = _sub_code_or_escape(_literal, text)
    text = _AUTOLINK.sub(lambda m: m["url"].translate(_HIDE_TEXT), text)
    text = _without_html(text)
    text = _ENTITY.sub(lambda m: html.unescape(m[0]).translate(_HIDE_TEXT), text)
    for _ in range(_NESTING):
        before = text
        text = _LINK.sub(r"\g<text>", text)
        for emphasis in _EMPHASIS:
            text = emphasis.unwrapped(text)
        if text == before:
            break
    return one_line(text.translate(_SHOW_PLAIN))


def _sub_code_or_escape(replace: Callable[[re.Match[str]], str], text: str) -> str:
    """`_CODE_OR_ESCAPE.sub(replace, text)`, in time linear in `text` (`TickRuns`): the
    same matches, each `replace`d."""
    parts: list[str] = []
    copied = searched = 0
    runs: TickRuns | None = None
    while (start := _CODE_OR_ESCAPE_START.search(text, searched)) is not None:
        if start["escaped"] is not None:
            found = _CODE_OR_ESCAPE.match(text, start.start())
        else:
            runs = runs or TickRuns(text)
            closing = runs.closing(start.start())
            if closing is None:
                searched = runs.run_end(start.start())
                continue
            found = _code_span(closing[0]).match(text, start.start())
        assert found is not None  # an escape, or a span `TickRuns` found closed
        parts += [text[copied : found.start()], replace(found)]
        copied = searched = found.end()
    parts.append(text[copied:])
    return "".join(parts)


@functools.lru_cache(maxsize=64)
def _code_span(ticks: int) -> re.Pattern[str]:
    """`_CODE_OR_ESCAPE` with a code span opened by exactly `ticks` backticks: from where
    `TickRuns` found it opens, it reads on only to where it closes."""
    return re.compile(_CODE_OR_ESCAPE.pattern.replace("`+", f"`{{{ticks}}}", 1), re.DOTALL)


def _without_html(text: str) -> str:
    """`_HTML.sub("", text)`, in time linear in `text`: a comment is tried only where a `-->`
    follows, as a regular expression would try each `<!--` and read on to the end."""
    parts: list[str] = []
    copied = searched = 0
    last_close = text.rfind("-->")
    while (start := _HTML_START.search(text, searched)) is not None:
        at = start.start()
        found = None if start[0] == "<!--" and last_close < at + 4 else _HTML.match(text, at)
        if found is None:
            searched = at + 1
            continue
        parts.append(text[copied:at])
        copied = searched = found.end()
    parts.append(text[copied:])
    return "".join(parts)


def _literal(match: re.Match[str]) -> str:
    """An escaped character, or a code span's text, held apart from the syntax."""
    if match["escaped"] is not None:
        return match["escaped"].translate(_HIDE_ESCAPE)
    code = match["code"].replace("\n", " ")
    if code.startswith(" ") and code.endswith(" ") and code.strip():
        code = code[1:-1]
    return code.translate(_HIDE_TEXT)


def italic(markdown: str) -> str:
    """A line of Markdown (a subtitle) in italics as a whole: its plain text, escaped, between
    `*`s, so its own emphasis cannot close the italics early. Mentions are left to the caller."""
    text = plain_text(markdown)
    return f"*{escape_markdown(text)}*" if text else ""


def markdown_spans(markdown: str) -> list[tuple[int, int]]:
    """Where `markdown` holds a link, an image, a code span or emphasis: cut inside one, and
    Discord would show its syntax (a stray `[`, half a URL)."""
    spans: list[tuple[int, int]] = []

    def masked(match: re.Match[str]) -> str:
        # As long as what it masks: the spans found in the masked text are the source's.
        if match["escaped"] is not None:
            return "\\" + match["escaped"].translate(_HIDE_ESCAPE)
        spans.append(match.span())
        return match[0].translate(_HIDE_TEXT)

    text = _sub_code_or_escape(masked, markdown)
    for pattern in (_LINK, _AUTOLINK, *_EMPHASIS):
        spans += [match.span() for match in pattern.finditer(text)]
    return spans


def cut_markdown(markdown: str, limit: int) -> str:
    """`markdown` in `limit` characters (see `bot.text.shorten`), cut only between its links,
    code spans and emphasis, never inside one."""
    if len(markdown) <= limit:
        return markdown
    return shorten(markdown, limit, whole=markdown_spans(markdown))


def title_markdown(title: str, *, in_bold: bool = False) -> str:
    """An item's title as Discord Markdown, as the editor wrote it: escapes and emphasis kept,
    so Discord shows it as the issue reads. Mentions are defused, and link syntax in it is
    shown literally: a title never carries a link of its own.

    `in_bold` is for a title shown inside `**…**`: its own strong emphasis is unwrapped, as
    Discord would end the bold at the title's first `**`.
    """
    if (in_bold and "**" in title) or "](" in title or "][" in title:
        kept = _sub_code_or_escape(_kept, title)
        if "](" in kept or "][" in kept:
            kept = _LINK.sub(lambda m: m[0].translate(_HIDE_LINK), kept)
        if in_bold:
            kept = _STRONG.unwrapped(kept).replace("**", "**".translate(_HIDE_ESCAPE))
        title = kept.translate(_SHOW_MARKDOWN)
    return defuse_mentions(title)


def _kept(match: re.Match[str]) -> str:
    """An escape or a code span of a title, held apart from the syntax and put back as is."""
    if match["escaped"] is not None:
        return match["escaped"].translate(_HIDE_ESCAPE)
    return match[0].translate(_HIDE_TEXT)
