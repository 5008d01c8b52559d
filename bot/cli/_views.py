"""How issues and search results look in a terminal (rich), and as JSON for scripts."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.models import Issue, SearchHit, SearchPage


def issue_view(issue: Issue, *, section: str | None = None) -> RenderableType:
    """An issue as a reader would skim it: title, intro, and each section's items."""
    parts: list[RenderableType] = []
    heading = Text(f"#{issue.number} · {issue.title}", style="bold")
    if issue.subtitle:
        heading.append(f"\n{issue.subtitle}", style="italic")
    meta = " · ".join(x for x in (issue.date.isoformat() if issue.date else "", issue.link) if x)
    if meta:
        heading.append(f"\n{meta}", style="dim")
    parts.append(heading)
    if issue.intro and section is None:
        parts.append(Text(issue.intro, style="default"))
    for part in issue.sections:
        if section is not None and part.slug != section:
            continue
        table = Table(show_header=False, box=None, padding=(0, 1), expand=True)
        table.add_column(ratio=1)
        for item in part.items:
            title = Text(item.title, style="bold")
            if item.link:
                title.append(f"  {item.link}", style="blue underline")
            body = Text(item.blurb) if item.blurb else Text()
            if item.abstract:
                body.append(("\n" if item.blurb else "") + _shorten(item.abstract, 300), "dim")
            table.add_row(Group(title, body))
        parts.append(Panel(table, title=escape(part.name), title_align="left"))
    return Group(*parts)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def snippet_text(hit: SearchHit) -> Text:
    """A hit's snippet with the matched words highlighted."""
    text = Text()
    for run, marked in hit.snippet_parts():
        text.append(run.replace("\n", " "), style="bold yellow" if marked else None)
    return text


def search_view(query: str, page: SearchPage) -> RenderableType:
    """Search results as a numbered list with issue, section and snippet."""
    if not page.hits:
        past = f" past result {page.offset}" if page.offset else ""
        return Text(f"No items match {query!r}{past}.", style="yellow")
    table = Table(show_header=True, header_style="bold", expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("Item", ratio=3)
    table.add_column("Where", ratio=1)
    for rank, hit in enumerate(page.hits, start=page.offset + 1):
        title = Text(hit.item.title, style="bold")
        if hit.item.link:
            title.append(f"\n{hit.item.link}", style="blue underline")
        title.append("\n")
        title.append_text(snippet_text(hit))
        table.add_row(str(rank), title, f"#{hit.issue_number} · {hit.section_name}")
    return table


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """A search hit as plain JSON: the item, where it is, and what matched."""
    parts = hit.snippet_parts()
    return {
        "issue": hit.issue_number,
        "issue_title": hit.issue_title,
        "issue_date": hit.issue_date.isoformat() if hit.issue_date else None,
        "section": hit.section_name,
        "section_slug": hit.section_slug,
        "item_id": hit.item_id,
        "title": hit.item.title,
        "link": hit.item.link,
        "blurb": hit.item.blurb,
        "score": round(hit.score, 6),
        "snippet": "".join(run for run, _ in parts),
        "matches": [run for run, marked in parts if marked],
    }


def make_console(*, stderr: bool = False) -> Console:
    """A console that also renders sensibly when output is not a terminal."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True)
