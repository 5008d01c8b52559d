"""The links of an issue file's body, each checked where it is: a link that is not a web
link, a reference link whose definition is under another heading, raw HTML in a paragraph or
heading; each problem on the line it is on."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline, autolink, html_inline, image, link
from markdown_it.token import Token

from bot.issuefiles._front_matter import Problems
from bot.models import link_problem

_INLINE_HTML = (
    "raw HTML is not published ({}): write it in Markdown, or escape a `<` meant as text "
    "(`\\<`); a note to the editor is `<!-- editor: … -->` on its own line under an item's heading"
)


_InlineRule = Callable[[StateInline, bool], bool]
_NOTED = ("link_open", "image", "html_inline")


class _EveryLink(MarkdownIt):
    """Markdown that reads every link as a link, whatever its scheme, noting the line it is on.

    The usual parser leaves `[x](javascript:…)` as text, but Discord and readers' apps may
    still make it a link: to refuse such links they have to be seen.
    """

    def __init__(self) -> None:
        super().__init__("commonmark")
        rules = (("link", link), ("image", image), ("autolink", autolink))
        for name, rule in (*rules, ("html_inline", html_inline)):
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
            made = (t for t in state.tokens[first:] if t.type in _NOTED)
            if (token := next(made, None)) is not None:
                token.meta["line"] = state.src.count("\n", 0, start)
                token.meta["by_reference"] = state.src[start : state.pos].endswith("]")
        return found

    return noted


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


def check_links(
    lines: Sequence[str],
    offset: int,
    item_links: set[int],
    problems: Problems,
    text_at: Callable[[int], int],
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
    defined: dict[str, list[int]] = {}
    for d in definitions:
        defined.setdefault(str(d["href"]), []).append(offset + d["map"][0] + 1)
    used: set[str] = set()
    for token in tokens:
        if token.type != "inline" or token.map is None:
            continue
        line_no = offset + token.map[0] + 1
        # Discord would show raw HTML as written, and the other outlets leave it out: the
        # first tag of each line is reported.
        tags: dict[int, str] = {}
        for child in token.children or []:
            if child.type == "html_inline":
                tags.setdefault(line_no + int(child.meta.get("line", 0)), child.content)
        for at, tag in tags.items():
            problems.add_later_rule(at, _INLINE_HTML.format(_shown(tag.replace("\n", " "))))
        for line, href, what, by_reference in _links_in(token, line_no in item_links):
            at = line_no + line
            definition_lines = defined.get(href, [])
            texts = map(text_at, definition_lines)
            if by_reference and definition_lines and text_at(at) not in texts:
                problems.add(
                    at,
                    f"{what} {_shown(href)} takes its address from line {definition_lines[0]}, "
                    "under "
                    "another heading, but each item's text is published on its own: put the "
                    "definition under the same item (or in the intro) as the link",
                )
                continue
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
