"""`newsbot search`: every archived item, best matches first, in a terminal or as JSON for
scripts.

It loads no other command's module: a search starts as fast as newsbot can.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.text import Text

from bot.cli._console import (
    ISSUE_NUMBER_MAX,
    SEARCH_OFFSET_MAX,
    JsonOpt,
    date_option,
    opening_settings_of,
    out,
    run_async,
    searchable_query,
    with_archive,
)
from bot.errors import IssueNotFound, NewsbotError
from bot.text import shorten

if TYPE_CHECKING:
    from bot.models import SearchHit, SearchPage
    from bot.store import Archive

QUERY_SHOWN_MAX = 100
"""How much of a query a search that found nothing shows (`--json` gives it whole)."""

SectionOpt = Annotated[
    str | None, typer.Option(help="Only this section (name or slug).", metavar="NAME")
]


def search(
    ctx: typer.Context,
    words: Annotated[
        list[str],
        typer.Argument(
            help='Words, "a phrase", a prefix* or a -word to leave out.',
            metavar="QUERY",
            show_default=False,
        ),
    ],
    section: SectionOpt = None,
    issue: Annotated[
        int | None,
        typer.Option(help="Only this issue number.", min=1, max=ISSUE_NUMBER_MAX, metavar="N"),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Issues from this date.", metavar="YYYY-MM-DD")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Issues up to this date.", metavar="YYYY-MM-DD")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many results.", min=1, max=100, metavar="N")] = 10,
    offset: Annotated[
        int,
        typer.Option(help="Skip this many results.", min=0, max=SEARCH_OFFSET_MAX, metavar="N"),
    ] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Search every archived item; best matches first."""
    since_date, until_date = date_option(since, "--since"), date_option(until, "--until")
    if since_date and until_date and since_date > until_date:
        raise typer.BadParameter(
            f"{until} is before --since {since}", ctx=ctx, param_hint="'--until'"
        )
    query = searchable_query(ctx, " ".join(_search_words(ctx, words)))

    async def find(archive: Archive) -> SearchPage:
        # Sections as readers know them today, read once: --section names one of them.
        known = await archive.issues.sections_today(limit=None) if section else []
        slug = _searched_section(section, known) if section else None
        page = await archive.issues.search(
            query,
            section=slug,
            issue=issue,
            since=since_date,
            until=until_date,
            limit=limit,
            offset=offset,
        )
        if not page.hits:
            await _check_filters(archive, section, slug, issue, known)
        return page

    page = run_async(with_archive(opening_settings_of(ctx), find))
    if as_json:
        payload = {
            "query": query,
            "offset": page.offset,
            "has_more": page.has_more,
            "limited": page.limited,
            "hits": [hit_json(hit) for hit in page.hits],
        }
        out.print_json(json.dumps(payload, ensure_ascii=False))
    else:
        out.print(search_view(query, page))


def _search_words(ctx: typer.Context, words: list[str]) -> list[str]:
    """The words of a search, `-trick` among them; a `--word`, which would search as `word`
    does, is refused as the mistyped option it is (`--limt`), naming the option meant."""
    import difflib

    options = [name for param in ctx.command.params for name in param.opts if name[:2] == "--"]
    for word in words:
        if word.startswith("--") and len(word) > 2:
            name = word.partition("=")[0]
            if name in options:  # after `--`, where options end
                why = f"{name} is an option: write it before --, which ends the options"
            else:
                meant = difflib.get_close_matches(name, options, n=1)
                why = f"no such option: {name}" + (f" (did you mean {meant[0]}?)" if meant else "")
            raise typer.BadParameter(why, ctx=ctx, param_hint="'QUERY'")
    return words


def _searched_section(section: str, known: list[tuple[str, str]]) -> str:
    """The slug of the section --section names among those `known` (`sections_today`): its
    own, or that of the section whose name it is (a section renamed in place keeps its slug);
    its slug when none is named so. One an older newsbot archived under another slug is
    named by its slug today, which the search finds under both."""
    from bot.models import section_slug, slugify

    return section_slug(section, known) or slugify(section)


async def _check_filters(
    archive: Archive,
    section: str | None,
    slug: str | None,
    issue: int | None,
    known: list[tuple[str, str]],
) -> None:
    """Fail naming a --section or --issue the archive does not have (a search found nothing);
    `known`: the sections as readers know them today (`sections_today`)."""
    if issue is not None:
        try:
            await archive.issues.issue(issue)
        except IssueNotFound:
            raise NewsbotError(f"issue #{issue} is not in the archive") from None
    if slug is not None:
        sections = dict(known)
        if slug not in sections:
            names = ", ".join(sorted(sections.values())) or "none yet"
            raise NewsbotError(f"no section {section!r} in the archive; sections: {names}")


# --- how search results look ----------------------------------------------------------------


def snippet_text(hit: SearchHit) -> Text:
    """A hit's snippet with the matched words highlighted."""
    text = Text()
    for run, marked in hit.snippet_parts():
        text.append(run.replace("\n", " "), style="bold yellow" if marked else None)
    return text


def search_view(query: str, page: SearchPage) -> RenderableType:
    """Search results as a numbered list with issue, section and snippet, after a line saying
    what the archive limited to answer fast, if anything."""
    if not page.hits:
        past = f" past result {page.offset}" if page.offset else ""
        shown = shorten(query, QUERY_SHOWN_MAX)
        missing = Text(f"No items match {shown!r}{past}.", style="yellow")
        return Group(_limited_line(page), missing) if page.limited else missing
    # Here, not at the top: `--json`, and a search that found nothing, print no table.
    from rich.table import Table

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
    return Group(_limited_line(page), table) if page.limited else table


def _limited_line(page: SearchPage) -> Text:
    return Text(f"Limited: {page.limited}.", style="yellow")


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
