"""Checks that an imported issue is safe and faithful: http(s) links only, no pings, no HTML."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.issuefiles import format_issue, parse_issue
from bot.models import Issue
from bot.text import MENTION

# Permissive on purpose: markdown-it would refuse `javascript:` links and hide them from us.
_MARKDOWN = MarkdownIt("commonmark")
_MARKDOWN.validateLink = lambda url: True  # type: ignore[method-assign]
_DESTINATION = re.compile(r"\]\((?:<[^>\n]*>|[^)\s]*)\)")


def _tokens(markdown: str) -> list[Token]:
    flat: list[Token] = []
    for token in _MARKDOWN.parse(markdown):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def rendered_text(markdown: str) -> str:
    """The text a reader sees when the Markdown is rendered, paragraphs joined by newlines."""
    parts: list[str] = []
    for token in _MARKDOWN.parse(markdown):
        if token.type == "inline":
            parts.append("".join(c.content for c in token.children or [] if c.type == "text"))
    return "\n".join(parts)


def markdown_links(markdown: str) -> list[str]:
    """Every link and image address in the Markdown, valid or not."""
    found: list[str] = []
    for token in _tokens(markdown):
        if token.type == "link_open":
            found.append(str(token.attrGet("href")))
        elif token.type == "image":
            found.append(str(token.attrGet("src")))
    return found


def markdown_fields(issue: Issue) -> list[str]:
    """Every Markdown text of the issue: intro, section names, item titles, blurbs, abstracts."""
    fields = [issue.intro]
    for section in issue.sections:
        fields.append(section.name)
        for item in section.items:
            fields.extend([item.title, item.blurb, item.abstract or ""])
    return fields


def assert_safe(issue: Issue) -> None:
    """No raw HTML, no link that is not http(s), and no text that pings in Discord."""
    plain = [issue.title, issue.subtitle or ""]
    plain += [item.editor_note or "" for _, item in issue.items]
    for text in plain:
        assert not MENTION.search(text), text
    for link in [issue.link, *(item.link for _, item in issue.items)]:
        assert link is None or link.startswith(("http://", "https://")), link
    for markdown in markdown_fields(issue):
        kinds = {token.type for token in _tokens(markdown)}
        assert not kinds & {"html_block", "html_inline"}, markdown
        for link in markdown_links(markdown):
            assert link.startswith(("http://", "https://")), (link, markdown)
        assert not MENTION.search(_DESTINATION.sub("]()", markdown)), markdown
        assert not MENTION.search(rendered_text(markdown)), markdown


def assert_round_trip(issue: Issue) -> None:
    """The issue's file reads back as the same issue."""
    assert parse_issue(format_issue(issue), Path(f"{issue.number}.md")) == issue
